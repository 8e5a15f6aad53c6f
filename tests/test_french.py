"""French output has no English piece: cards, `show --lang fr`, the protocol, route texts.

Every shipped site is rendered in French and scanned by `tests.french.english_pieces`, which
lets through only the inventory's own texts that the inventory gives in English alone.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pathways.analysis.graph import build_referral_graph
from pathways.analysis.reasons import reason_text
from pathways.analysis.routes import Profile, route
from pathways.cli import main
from pathways.io.export.protocol import build_protocol, protocol_html
from pathways.io.load import load_site
from pathways.model.inventory import Inventory
from pathways.public.card import service_card
from tests.factories import make_inventory, referral, service
from tests.french import english_pieces, untranslated_texts

SITES = sorted(Path(__file__).parent.parent.joinpath("data", "sites").glob("*.yaml"))
FRANCOPHONE = ("koro", "douentza")


@pytest.fixture(scope="module", params=SITES, ids=lambda p: p.stem)
def site(request: pytest.FixtureRequest) -> tuple[Path, Inventory, list[str]]:
    inventory = load_site(request.param)
    return request.param, inventory, untranslated_texts(inventory)


# --- the scanner --------------------------------------------------------------------------------


def test_scanner_finds_english_words_and_decimals() -> None:
    found = english_pieces("Koro : 3 lacunes, and 6 more ; requires a referral letter ; 0.0 h")
    words = [f.split(" in ")[0] for f in found]
    assert words == ["'0.0 h'", "'and'", "'more'", "'requires'", "'referral'", "'letter'"]


def test_scanner_passes_french_and_the_allowed_texts() -> None:
    text = "<p>Orienté par <b>Women&#39;s NGO</b> (accompagnée, ~2 h) et 6 autres ; 0,5 h</p>"
    assert english_pieces(text, ["Women's NGO"]) == []
    assert english_pieces(text) != []  # "Women" alone is English
    assert english_pieces("<style>td { border: 1px solid; }</style>version 3fa0 · 10:00") == []
    assert english_pieces("écrire à csref-koro@example.org ou https://example.org/the/hours") == []


# --- the inventories ----------------------------------------------------------------------------


@pytest.mark.parametrize("stem", FRANCOPHONE)
def test_francophone_sites_give_every_service_text_in_french(stem: str) -> None:
    inventory = load_site(next(p for p in SITES if p.stem == stem))
    for s in inventory.services:
        fr = s.translations.get("fr")
        for key in ("name", "description", "notes"):
            if key != "name" and getattr(s, key) is None:
                continue
            text = getattr(fr, key, None) if fr else None
            if key == "name" and text is None:
                text = s.name  # a name already in French needs no second form
            assert text, f"{s.id}: no French {key}"
            assert english_pieces(text) == [], f"{s.id}.{key}: {text}"


def test_a_service_text_given_per_language_is_shown_in_the_card_language() -> None:
    inv = make_inventory(
        [
            service(
                "clinic",
                ["health.cmr"],
                entry=True,
                name={"fr": "Centre de santé", "en": "Health centre"},
                notes={"fr": "Gratuit.", "en": "Free."},
            ),
            service("ngo", ["case_management"], i=1, name="Women's NGO"),
        ],
        [referral("ngo", "clinic", ["health.cmr"], delay_hours=1.5, mode="escorted")],
    )
    fr, en = service_card(inv, "clinic", "fr"), service_card(inv, "clinic", "en")
    assert (fr.name, en.name) == ("Centre de santé", "Health centre")
    assert dict((f.key, f.value) for f in fr.fields)["notes"] == "Gratuit."
    assert dict((f.key, f.value) for f in en.fields)["notes"] == "Free."
    assert "(accompagnée, 1,5 h)" in fr.text() and "(escorted, 1.5 h)" in en.text()
    assert service_card(inv, "ngo", "fr").routes_out[0].name == "Centre de santé"


# --- the outputs --------------------------------------------------------------------------------


def test_every_card_is_french(site: tuple[Path, Inventory, list[str]]) -> None:
    _, inventory, allowed = site
    for s in inventory.services:
        card = service_card(inventory, s.id, "fr")
        assert english_pieces(card.text(), allowed) == [], s.id


def test_show_prints_the_french_card(
    site: tuple[Path, Inventory, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, inventory, allowed = site
    for s in inventory.services[:3]:
        assert main(["show", str(path), s.id, "--lang", "fr"]) == 0
        out = capsys.readouterr().out
        assert out.strip() == service_card(inventory, s.id, "fr").text()
        assert english_pieces(out, allowed) == [], s.id
        assert s.name_in("fr") in out


def _without_gaps(inventory: Inventory) -> str:
    p = build_protocol(inventory, lang="fr")
    return protocol_html([dataclasses.replace(p, gaps=())])


def test_protocol_is_french(site: tuple[Path, Inventory, list[str]]) -> None:
    """Everything the protocol says itself (the gap sentences are `pathways.analysis.gaps`'s)."""
    _, inventory, allowed = site
    html = _without_gaps(inventory)
    assert english_pieces(html, [*allowed, "pathways gaps"]) == []  # a command's name
    for s in inventory.services:
        assert s.name_in("fr").replace("'", "&#39;") in html


def test_koro_protocol_uses_french_names_and_numbers() -> None:
    inventory = load_site(next(p for p in SITES if p.stem == "koro"))
    html = _without_gaps(inventory)
    assert "Brigade de gendarmerie de Koro" in html and "Gendarmerie brigade" not in html
    assert "lettre de référence et frais" in html  # joined by the language's rule
    assert "Espace sûr pour femmes et filles, Koro (accompagnement physique, ~2 h)" in html


def test_protocol_gap_sentences_are_french(site: tuple[Path, Inventory, list[str]]) -> None:
    _, inventory, allowed = site
    p = build_protocol(inventory, lang="fr")
    texts = [f"{g.message} {g.todo}" for g in p.gaps]
    assert english_pieces(" ".join(texts), allowed) == []


def test_route_texts_are_french(site: tuple[Path, Inventory, list[str]]) -> None:
    _, inventory, allowed = site
    G = build_referral_graph(inventory)
    names = {s.id: s.name_in("fr") for s in inventory.services}
    for s in inventory.services:
        if not s.entry_point:
            continue
        r = route(G, Profile(entry=s.id, weekday=5, hour=23.0), need=["health.cmr", "legal"])
        text = r.describe("fr", names=names, reason=lambda w: reason_text(w, "fr", names))
        assert english_pieces(text, allowed) == [], text


def test_route_command_in_french(
    site: tuple[Path, Inventory, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, inventory, allowed = site
    entry = next(s for s in inventory.services if s.entry_point)
    args = ["route", str(path), "--from", entry.id, "--need", "health.cmr,legal", "--lang", "fr"]
    assert main([*args, "--day", "sat", "--hour", "23"]) == 0
    out = capsys.readouterr().out
    assert entry.name_in("fr") in out
    assert english_pieces(out, allowed) == [], out
