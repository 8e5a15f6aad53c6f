"""What every page shares: the data folder, cached loading, the site picker and the notices.

`frame()` runs once per script run from `app.py`, before the page: the sidebar widgets live in
the entrypoint, so the site selection survives switching pages. Pages then read the selection
with `selected_inventories()`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

import streamlit as st

from pages import keys
from pathways.errors import InventoryError, ValidationError, display_path
from pathways.gaps import Gap, find_gaps
from pathways.inventory import Inventory
from pathways.load import find_inventories, load_site

APP_DIR = Path(__file__).resolve().parent.parent
DATA_ENV = "REFERRAL_ATLAS_DATA"
"""Environment variable naming the folder of inventories (default: data/sites next to app.py)."""

ILLUSTRATIVE_NOTICE = "Illustrative data: not field-verified; do not use for real referrals."
LANGUAGES = {"en": "English", "fr": "Français"}


def data_folder() -> Path:
    """The folder of site inventories: $REFERRAL_ATLAS_DATA, else data/sites beside app.py."""
    return Path(os.environ.get(DATA_ENV) or APP_DIR / "data" / "sites")


class Loaded(NamedTuple):
    """One inventory file: the inventory, or the problems (one `FILE:LINE: ...` line each)."""

    path: str
    inventory: Inventory | None
    problems: tuple[str, ...]


@st.cache_data(show_spinner=False, max_entries=512)
def load_file(path: str, mtime_ns: int) -> Loaded:
    """Load one file; `mtime_ns` is part of the cache key only, so an edited file is read again."""
    try:
        return Loaded(path, load_site(path), ())
    except ValidationError as e:
        return Loaded(path, None, tuple(str(p) for p in e.problems))
    except InventoryError as e:
        return Loaded(path, None, (str(e),))


def load_all() -> tuple[list[Inventory], list[Loaded]]:
    """Every valid inventory of the data folder, and the files that could not be loaded."""
    try:
        paths = find_inventories([data_folder()])
    except InventoryError as e:
        return [], [Loaded(str(data_folder()), None, (str(e),))]
    inventories: dict[str, Inventory] = {}
    broken: list[Loaded] = []
    for path in paths:
        loaded = load_file(str(path), path.stat().st_mtime_ns)
        inv = loaded.inventory
        if inv is not None and inv.site.id in inventories:
            other = display_path(inventories[inv.site.id].path or "")
            problem = f"{display_path(path)}: site.id: '{inv.site.id}' is also the id of {other}"
            broken.append(loaded._replace(inventory=None, problems=(problem,)))
        elif inv is not None:
            inventories[inv.site.id] = inv
        else:
            broken.append(loaded)
    return list(inventories.values()), broken


@st.cache_data(
    show_spinner=False, max_entries=512, hash_funcs={Inventory: Inventory.model_dump_json}
)
def site_gaps(inventory: Inventory) -> list[Gap]:
    """The gaps of one site (cached on the inventory's content)."""
    return find_gaps(inventory)


def gaps_of(inventories: list[Inventory]) -> list[Gap]:
    """The gaps of these sites, site after site."""
    return [gap for inv in inventories for gap in site_gaps(inv)]


def frame() -> None:
    """The sidebar (sites, language) and the notices shown above every page."""
    inventories, broken = load_all()
    names = {inv.site.id: inv.site.name for inv in inventories}
    st.sidebar.multiselect(
        "Sites", list(names), default=list(names), format_func=names.__getitem__, key=keys.SITES
    )
    st.sidebar.radio(
        "Language",
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=keys.LANG,
        horizontal=True,
    )
    for loaded in broken:
        st.error(
            f"Could not load {display_path(loaded.path)}; its site is left out:\n\n"
            + _fenced(loaded.problems)
        )
    chosen = set(st.session_state.get(keys.SITES, ()))
    illustrative = [
        inv.site.name
        for inv in inventories
        if inv.site.id in chosen and inv.site.data_status == "illustrative"
    ]
    if illustrative:
        st.warning(f"{ILLUSTRATIVE_NOTICE} ({', '.join(illustrative)})", icon=":material/info:")


def selected_inventories() -> list[Inventory]:
    """The inventories of the sites chosen in the sidebar, in the order of the data folder."""
    chosen = set(st.session_state.get(keys.SITES, ()))
    return [inv for inv in load_all()[0] if inv.site.id in chosen]


def all_inventories() -> list[Inventory]:
    """Every inventory that loaded, chosen or not."""
    return load_all()[0]


def lang() -> str:
    """The language chosen in the sidebar ("en" or "fr")."""
    return str(st.session_state.get(keys.LANG, "en"))


def _fenced(lines: tuple[str, ...]) -> str:
    """Lines as a Markdown code block, shown verbatim whatever they contain."""
    text = "\n".join(lines)
    fence = "`" * max(3, max(map(len, re.findall("`+", text)), default=0) + 1)
    return f"{fence}\n{text}\n{fence}"
