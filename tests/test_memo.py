"""Results kept per inventory object (`pathways.model.memo`), and the app's caches keyed on an
inventory's content whatever its class (issue #19: both made twenty Workshop sessions cheap)."""

from __future__ import annotations

import threading
from pathlib import Path

from pathways.io.load import load_site
from pathways.model.memo import InventoryMemo
from pathways.public.privacy import public_places

BRUSSELS = Path(__file__).parents[1] / "data" / "sites" / "brussels.yaml"


def test_a_result_is_kept_per_inventory_object_and_key() -> None:
    memo: InventoryMemo[str] = InventoryMemo(size=4)
    one, same_content = load_site(BRUSSELS), load_site(BRUSSELS)
    calls: list[str] = []

    def make(label: str) -> str:
        calls.append(label)
        return label

    assert memo.get(one, "en", lambda: make("a")) == "a"
    assert memo.get(one, "en", lambda: make("b")) == "a"  # kept
    assert memo.get(one, "fr", lambda: make("c")) == "c"  # another key
    assert memo.get(same_content, "en", lambda: make("d")) == "d"  # another object
    assert calls == ["a", "c", "d"]


def test_the_oldest_result_goes_first() -> None:
    memo: InventoryMemo[int] = InventoryMemo(size=2)
    inv = load_site(BRUSSELS)
    memo.get(inv, 1, lambda: 1)
    memo.get(inv, 2, lambda: 2)
    memo.get(inv, 1, lambda: -1)  # used again: now the newest
    memo.get(inv, 3, lambda: 3)  # 2 goes
    assert memo.get(inv, 1, lambda: -1) == 1
    assert memo.get(inv, 2, lambda: -2) == -2
    memo.clear()
    assert memo.get(inv, 1, lambda: -1) == -1


def test_threads_share_one_memo() -> None:
    memo: InventoryMemo[int] = InventoryMemo(size=64)
    inv = load_site(BRUSSELS)
    seen: list[int] = []

    def ask() -> None:
        for key in range(50):
            seen.append(memo.get(inv, key, lambda key=key: key * key))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(seen) == sorted([k * k for k in range(50)] * 8)


def test_public_places_are_worked_out_once_and_read_only() -> None:
    inv = load_site(BRUSSELS)
    places = public_places(inv)
    assert public_places(inv) is places
    try:
        places["x"] = None  # type: ignore[index]
    except TypeError:
        pass
    else:
        raise AssertionError("public_places can be changed by a caller")


def test_the_apps_caches_key_every_inventory_class_on_its_content() -> None:
    """Streamlit finds a hash function by the argument's exact class: the app's inventories
    are public views, hashed through their whole JSON when only `Inventory` was named."""
    from views import _common

    inv = load_site(BRUSSELS)
    hash_of = _common._BY_CONTENT[type(inv)]
    assert hash_of(inv) == inv.content_key
