"""What every page shares: the data folder, cached loaders, the sidebar and the notices.

`frame()` runs once per script run from `app.py`, before the page: the sidebar widgets live in
the entrypoint, so the site selection survives switching pages. Pages then read the selection
with `selected_inventories()` and the language with `lang()`.

Every analysis is computed in `pathways` or `mapping`; the functions here only cache them
(`st.cache_data`, keyed on the inventory's content or file path and modification time) and
draw maps.

The sites come from the data folder, or, with `$REFERRAL_ATLAS_DB`, from the shared database:
one `StorePool` for the whole server (`st.cache_resource`) lends each session the stores it
reads and edits through (`views.viewmodels.db`), so a rerun opens no connection.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import folium
import networkx as nx
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapping.assets import serve_data, standalone_html, use_served_assets
from mapping.build import build_map
from pathways.analysis.compare import SiteSummary, summarise
from pathways.analysis.coverage import site_coverage as compute_coverage
from pathways.analysis.gaps import SEVERITY_ORDER, Gap, GapDiff, find_gaps, what_if
from pathways.analysis.graph import build_referral_graph
from pathways.analysis.orient import Orientation, orient, scenario_question
from pathways.analysis.routes import Profile, Route, route
from pathways.i18n import LANGS, LANGUAGE_NAMES, direction, pick_lang, t
from pathways.io.load import find_inventories, load_site
from pathways.io.orientation import load_grid, load_scenarios
from pathways.io.store import Store, is_database_source, open_store
from pathways.model._gc import keep_for_good
from pathways.model.clock import site_now
from pathways.model.errors import InventoryError, ValidationError, display_path
from pathways.model.inventory import Inventory, Service
from pathways.model.orientation import Grid, Scenario
from pathways.model.public import PublicInventory
from views import keys
from views.viewmodels.db import DB_ENV, VIEWER_ENV, StorePool, public_views
from views.viewmodels.downloads import Format, download_bytes, format_named
from views.viewmodels.edit import (
    CLAIM_ENV,
    DOMAIN_ENV,
    USER_HEADER_ENV,
    Powers,
    file_powers,
    login_providers,
    role_powers,
    staff_id,
    user_from_claims,
    user_from_headers,
    user_header,
)
from views.viewmodels.explore import round_time

APP_DIR = Path(__file__).resolve().parent.parent
DATA_ENV = "REFERRAL_ATLAS_DATA"
"""Environment variable naming the folder of inventories (default: data/sites next to app.py)."""

_BY_CONTENT = {
    kind: lambda inventory: inventory.content_key for kind in (Inventory, PublicInventory)
}
"""Cache inventories on their content (an edited file gives a new key), digested once per
inventory: a 10,000-service inventory's JSON is 14 MB, once per cached call and rerun before.
Streamlit looks a hash function up by the argument's exact class, so each class is named: the
app's inventories are public views, which were hashed through their whole JSON until #19."""


def data_folder() -> Path:
    """The folder of site inventories: $REFERRAL_ATLAS_DATA, else data/sites beside app.py."""
    return Path(os.environ.get(DATA_ENV) or APP_DIR / "data" / "sites")


class Loaded(NamedTuple):
    """One inventory file: the inventory, or the problems (one `FILE:LINE: ...` line each)."""

    path: str
    inventory: Inventory | None
    problems: tuple[str, ...]


@st.cache_resource(show_spinner=False, max_entries=512)
def load_file(path: str, mtime_ns: int) -> Loaded:
    """Load one file; `mtime_ns` is part of the cache key only, so an edited file is read again.

    One inventory for every session (`cache_resource`: no copy per session and rerun, which
    cost 0.7 s at 10,000 services); inventories are immutable."""
    try:
        loaded = Loaded(path, load_site(path), ())
        keep_for_good()  # kept for the server's life: out of the collector's sight
        return loaded
    except ValidationError as e:
        return Loaded(path, None, tuple(str(p) for p in e.problems))
    except InventoryError as e:
        return Loaded(path, None, (str(e),))


def load_all() -> tuple[list[Inventory], list[Loaded]]:
    """Every valid inventory of the data folder (or every site of the shared database the user
    may read), and the files (or sites) that could not be loaded."""
    url = db_url()
    if url is not None:
        return _load_database(url)
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


def reload_inventories() -> None:
    """Forget the loaded inventories (after a change through a store): the next run reads the
    files again, whatever their modification times say."""
    load_file.clear()


@contextmanager
def store_of(inventory: Inventory, user: str) -> Iterator[Store]:
    """The store an inventory was read from, acting for `user`, for this block: its file's
    (`pathways.io.store.open_store`), or the shared database's as `user`'s role (lent by the
    server's pool to this session alone; InventoryError when they have no role there)."""
    url = db_url()
    if url is None:
        yield open_store(str(inventory.path))
        return
    with store_pool(url).store(inventory.site.id, user) as store:
        yield store


def powers(inventory: Inventory, user: str, service: Service | None = None) -> Powers:
    """What `user` may do at the inventory's site (and with `service`): the site's named
    coordinators decide with the YAML store, the user's database role with the shared one."""
    url = db_url()
    if url is None:
        return file_powers(inventory.site, user)
    member = store_pool(url).roles(user).get(inventory.site.id)
    if member is None:
        return role_powers(None)
    return role_powers(member.role, member.organisation, service)


# --- the shared database -----------------------------------------------------------------------


def db_url() -> str | None:
    """The shared database's URL ($REFERRAL_ATLAS_DB, without any `#SITE`), or None: the app
    reads the data folder."""
    value = (os.environ.get(DB_ENV) or "").strip()
    return value.partition("#")[0] if value else None


def viewer_role() -> str | None:
    """The role readers who are not signed in read as ($REFERRAL_ATLAS_DB_VIEWER), or None."""
    return staff_id(os.environ.get(VIEWER_ENV))


@st.cache_resource(show_spinner=False, on_release=StorePool.close)
def store_pool(url: str) -> StorePool:
    """The server's one pool of stores of the database at `url`, shared by every session."""
    return StorePool(url)


def close_stores() -> None:
    """Close every pooled database connection (the next run opens what it needs again)."""
    store_pool.clear()


def _load_database(url: str) -> tuple[list[Inventory], list[Loaded]]:
    """The public views of the sites the user (or, not signed in, the viewer role) may read."""
    read = public_views(store_pool(url), user=current_user(), viewer=viewer_role())
    broken = [Loaded(source, None, (problem,)) for source, problem in read.problems]
    return list(read.inventories), broken


# --- identity ----------------------------------------------------------------------------------


def proxy_user() -> str | None:
    """The user the reverse proxy names in its header ($ATLAS_USER_HEADER, default
    X-Forwarded-User; with the shared database only a header so named), or None."""
    header = user_header(os.environ.get(USER_HEADER_ENV), shared=db_url() is not None)
    if header is None:
        return None
    return user_from_headers(dict(st.context.headers or {}), header)


def oidc_user() -> str | None:
    """The staff identifier of the user signed in with OpenID Connect (`st.login`), mapped from
    their claims ($ATLAS_OIDC_CLAIM, $ATLAS_OIDC_DOMAIN: `user_from_claims`), or None."""
    return user_from_claims(
        st.user.to_dict(),
        claim=(os.environ.get(CLAIM_ENV) or "").strip() or None,
        domain=(os.environ.get(DOMAIN_ENV) or "").strip() or None,
    )


def auth_providers() -> list[str | None]:
    """The OpenID Connect providers of `.streamlit/secrets.toml`'s `[auth]` section (None is
    `[auth]`'s own); none without that section, and then no sign-in button is shown."""
    if not st.secrets.load_if_toml_exists() or "auth" not in st.secrets:
        return []
    return login_providers(st.secrets["auth"])


def sign_in_box() -> bool:
    """Is the sidebar's free-text sign-in box offered? Only with the YAML store and no OpenID
    Connect: with the shared database the name is a database role, so it must come from the
    proxy or the identity provider."""
    return db_url() is None and not auth_providers()


def current_user() -> str | None:
    """Who is editing: the proxy's user (`proxy_user`), else the OpenID Connect one
    (`oidc_user`), else (YAML store only) the name signed in with the sidebar's box, else None
    (read-only). The box's name is not a proof: see the README."""
    signed_in: str | None = st.session_state.get(keys.USER) if sign_in_box() else None
    return proxy_user() or oidc_user() or signed_in


def _read_only_sites(where: Any, user: str, language: str) -> None:
    """With the shared database: the sites shown where `user` has no role (read only)."""
    names = [inv.site.name for inv in all_inventories() if not powers(inv, user).member]
    if names:
        where.caption(t("db_read_only_sites", language, sites=md(", ".join(names))))


def _forget_edits() -> None:
    for key in (keys.USER, keys.EDIT_STATE, keys.EDIT_OUTCOME, keys.REVIEW_OUTCOME):
        st.session_state.pop(key, None)


def identity(where: Any) -> None:
    """The sidebar's identity: who is signed in and a way out (unless the proxy names the
    user); else a button per OpenID Connect provider, or (YAML store only) a box to sign in
    with a staff identifier (kept in this session only), or a note on how to sign in."""
    language = lang()
    user = current_user()
    if user is not None:
        where.caption(t("signed_in_as", language, user=md(user)))
        if db_url() is not None:
            _read_only_sites(where, user, language)
        if not proxy_user() and where.button(t("sign_out", language), key=keys.SIGN_OUT):
            _forget_edits()
            if oidc_user():
                st.logout()
            st.rerun()
        return
    if st.user.to_dict().get("is_logged_in") is True:  # signed in, but with no staff identifier
        where.warning(t("oidc_no_staff_id", language))
        if where.button(t("sign_out", language), key=keys.SIGN_OUT):
            st.logout()
        return
    providers = auth_providers()
    for provider in providers:
        label = t("log_in_with", language, provider=provider) if provider else t("log_in", language)
        if where.button(label, key=keys.log_in(provider), type="primary"):
            st.login(provider)
    if providers:
        where.caption(t("log_in_note", language))
    elif db_url() is not None:
        where.caption(t("db_sign_in_note", language))
    if providers or db_url() is not None:
        return
    _sign_in_form(where, language)


def _sign_in_form(where: Any, language: str) -> None:
    """The YAML store's sign-in box: a staff identifier, kept in this session only."""
    with where.form(key=keys.SIGN_IN, border=False):
        name = st.text_input(
            t("sign_in_label", language),
            placeholder=t("sign_in_hint", language),
            key=keys.SIGN_IN_NAME,
        )
        signed = st.form_submit_button(t("sign_in", language), key=keys.SIGN_IN_BUTTON)
        if signed and staff_id(name) is None:
            st.error(t("sign_in_invalid", language))
        elif signed:
            st.session_state[keys.USER] = staff_id(name)
            st.rerun()
    where.caption(t("sign_in_note", language))


# --- cached analyses ---------------------------------------------------------------------------
# Results every session may share are kept once (`cache_resource`: the same object for every
# caller, nothing copied): `st.cache_data` unpickled a 10,000-service site's gaps and what-if
# on every rerun of every session, a fifth of a Workshop page with twenty sessions (issue #19).
# They are frozen dataclasses, and nothing here changes them.


@st.cache_resource(show_spinner=False, max_entries=512, hash_funcs=_BY_CONTENT)
def site_gaps(inventory: Inventory) -> tuple[Gap, ...]:
    """The gaps of one site (cached on the inventory's content)."""
    return tuple(find_gaps(inventory))


def gaps_of(inventories: Sequence[Inventory]) -> list[Gap]:
    """The gaps of these sites, site after site."""
    return [gap for inv in inventories for gap in site_gaps(inv)]


@st.cache_resource(show_spinner=False, max_entries=256, hash_funcs=_BY_CONTENT)
def what_if_diff(inventory: Inventory, closed: tuple[str, ...], interpretation: bool) -> GapDiff:
    """The gaps that appear and disappear if these services close or interpreters are lacking."""
    return what_if(inventory, closed=closed, interpretation=interpretation)


@st.cache_resource(show_spinner=False, max_entries=256, hash_funcs=_BY_CONTENT)
def survivor_route(
    inventory: Inventory, profile: Profile, needs: tuple[str, ...], closed: tuple[str, ...]
) -> Route:
    """The route of a survivor profile to her needs, with these services closed."""
    return route(build_referral_graph(inventory, closed=closed), profile, need=list(needs))


@st.cache_resource(show_spinner=False, max_entries=64, hash_funcs=_BY_CONTENT)
def referral_graph(inventory: Inventory) -> nx.DiGraph:
    """The site's referral graph, shared by every session (the Orientation page's answers are
    not cached: a cache would keep what a frontline worker typed)."""
    return build_referral_graph(inventory)


@st.cache_resource(show_spinner=False, max_entries=64, hash_funcs=_BY_CONTENT)
def scenario_cards(inventory: Inventory) -> tuple[Scenario, ...] | str:
    """The site's scenario cards for workshops, or the problems of its cards' file (one
    `FILE:LINE: ...` line each)."""
    try:
        return load_scenarios(inventory, danger_grid())
    except ValidationError as e:
        return "\n".join(str(p) for p in e.problems)
    except InventoryError as e:
        return str(e)


@st.cache_resource(show_spinner=False, max_entries=256, hash_funcs=_BY_CONTENT)
def scenario_answer(inventory: Inventory, card: Scenario) -> Orientation:
    """`pathways orient`'s answer for a scenario card (a story about nobody: cached)."""
    profile, situation = scenario_question(card)
    return orient(
        inventory,
        profile,
        situation,
        danger_grid(),
        grid_source=GRID_SOURCE,
        G=referral_graph(inventory),
    )


GRID_SOURCE = "data/orientation/grid.yaml"
"""The danger grid the Orientation page uses (the shipped one)."""


@st.cache_resource(show_spinner=False)
def danger_grid() -> Grid:
    """The shipped danger grid (`pathways.io.orientation`), read once per server."""
    return load_grid()


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=_BY_CONTENT)
def site_summary(inventory: Inventory) -> SiteSummary:
    """The comparison row of one site (`pathways.analysis.compare`)."""
    return summarise(inventory)


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=_BY_CONTENT)
def site_coverage(inventory: Inventory) -> Any:
    """The travel-time coverage of a site (`pathways.analysis.coverage`), or the reason there is
    none.

    Returns a `SiteCoverage`, or a string saying why it cannot be computed (no population
    data, or a mapping package without coverage).
    """
    try:
        return compute_coverage(inventory)
    except InventoryError as e:
        return str(e)


MAP_HTML = Format("map_html", "fmt_map_html", ".html", "text/html")
"""The standalone interactive map, a download drawn by `mapping` (not a `pathways` format)."""


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=_BY_CONTENT)
def export_data(
    inventories: list[Inventory],
    sites: list[Inventory],
    fmt: str,
    lang: str,
    severities: tuple[str, ...],
) -> bytes:
    """One download for `inventories` (maybe filtered): an export format, the gaps of the whole
    `sites` (of these severities), the services table, or the standalone map."""
    if fmt == MAP_HTML.name:
        return standalone_html(build_map(inventories, lang=lang)).encode("utf-8")
    gaps = [g for g in gaps_of(sites) if g.severity in severities]
    return download_bytes(inventories, format_named(fmt), gaps=gaps, lang=lang)


# --- maps --------------------------------------------------------------------------------------


def severity_filter(where: Any) -> list[str]:
    """The severities to list (all at first; shared by the Gaps and Export pages), picked in
    `where` (`st` or a column)."""
    language = lang()
    st.session_state.setdefault(keys.SEVERITIES, list(SEVERITY_ORDER))
    chosen: list[str] = where.multiselect(
        t("severity", language),
        list(SEVERITY_ORDER),
        format_func=lambda s: t(f"sev_{s}", language),
        placeholder=t("choose", language),
        key=keys.SEVERITIES,
    )
    return chosen


def show_map(
    m: folium.Map, *, key: str, height: int = 560, returned: Sequence[str] = ()
) -> dict[str, Any] | None:
    """Draw a map built by `mapping` (Leaflet served by this app, no CDN).

    Only the objects named in `returned` come back from the browser, so panning and zooming
    do not rerun the script. A national map's data is fetched from a file this app serves
    (`serve_data`) when the sites are files, which every visitor may see; a shared database's
    sites depend on who signed in, so their maps carry their own data.
    """
    use_served_assets(m)
    if db_url() is None:  # every visitor may see every site: its data may be a served file
        serve_data(m, APP_DIR / "static")
    value: dict[str, Any] | None = st_folium(
        m,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=list(returned),
        render=False,  # st_folium renders the map itself once more; once is enough
    )
    return value


# --- the frame ---------------------------------------------------------------------------------


def _first_visit_defaults(inventories: list[Inventory]) -> None:
    """Session defaults set once: language (?lang=, else the browser's), sites (?site=)."""
    state = st.session_state
    if keys.LANG not in state:
        state[keys.LANG] = pick_lang(st.query_params.get("lang"), st.context.locale)
    if keys.SITES not in state:
        ids = [inv.site.id for inv in inventories]
        asked = [s for s in st.query_params.get("site", "").split(",") if s in ids]
        state[keys.SITES] = asked or ids
    state.setdefault(keys.INTERPRETATION, True)
    if keys.DAY not in state:
        chosen = [inv for inv in inventories if inv.site.id in state[keys.SITES]]
        now = site_now(chosen[0]) if chosen else None
        state[keys.DAY] = now.weekday if now else 0
        state[keys.TIME] = round_time(now.minute) if now else 22 * 60


def keep_valid(key: str, options: Sequence[Any], *, many: bool = False) -> None:
    """Drop a widget's session value that is no longer among its options (a site was left out,
    a file changed), before the widget is drawn."""
    state = st.session_state
    if key not in state:
        return
    if many:
        state[key] = [v for v in state[key] if v in options]
    elif state[key] not in options:
        del state[key]


_STYLE = """<style>
/* Toggle and checkbox labels wrap onto a second line instead of ending in "…" (Streamlit cuts
   them at one line, so "Offline basemap (no map tiles)" read "Offline bas…" in a column). */
[data-testid="stCheckbox"] [data-testid="stWidgetLabel"] .stMarkdownEllipsis,
[data-testid="stCheckbox"] [data-testid="stWidgetLabel"] p {
  white-space: normal; overflow: visible; text-overflow: clip;
}
/* A table cell takes its direction from its own text: a service named in Arabic reads right to
   left on an English page, a French name left to right on an Arabic page. */
td, th { unicode-bidi: plaintext; }
</style>"""

_RTL = """<style>
/* The interface language is written right to left (pathways.i18n.direction). */
[data-testid="stMain"], [data-testid="stSidebar"] { direction: rtl; }
/* A paragraph, heading or label still untranslated (English, the fallback) keeps its own
   direction, so its full stop stays at its end: each takes the direction of its first letter. */
[data-testid="stMain"] :is(p, h1, h2, h3, label, li),
[data-testid="stSidebar"] :is(p, label, li) { unicode-bidi: plaintext; }
</style>"""

_NO_SIDEBAR = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] { display: none; }
</style>"""


def hide_sidebar() -> None:
    """Hide the sidebar and its open button for this run (the Workshop's presentation view: a
    room sees the map and the sentence, not the site picker)."""
    st.html(_NO_SIDEBAR)


def language_switch(where: Any) -> None:
    """The language radio, in `where`: the sidebar (`app.py`), or the page while the sidebar is
    hidden (the Workshop's presentation view: a bilingual room switches language there)."""
    where.radio(
        t("language", lang()),
        list(LANGS),
        format_func=LANGUAGE_NAMES.__getitem__,
        key=keys.LANG,
        horizontal=True,
    )


def presenting() -> bool:
    """True while the Workshop's presentation view is on (its sidebar hidden)."""
    return bool(st.session_state.get(keys.WS_PRESENT))


def frame() -> None:
    """The sidebar's site picker, the notices above every page, and kept filter values (the
    language switch comes after `st.navigation`, see `language_switch`)."""
    st.html(_STYLE)
    inventories, broken = load_all()
    _first_visit_defaults(inventories)
    for key in keys.PERSISTENT:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]  # keep it while another page runs
    names = {inv.site.id: inv.site.name for inv in inventories}
    keep_valid(keys.SITES, list(names), many=True)
    language = lang()
    if direction(language) == "rtl":
        st.html(_RTL)
    st.sidebar.multiselect(
        t("sites", language),
        list(names),
        format_func=names.__getitem__,
        placeholder=t("choose", language),
        key=keys.SITES,
    )
    st.query_params["lang"] = lang()
    for loaded in broken:
        shown = loaded.path if is_database_source(loaded.path) else display_path(loaded.path)
        st.error(t("could_not_load", language, path=md(shown)) + "\n\n" + _fenced(loaded.problems))
    chosen = set(st.session_state.get(keys.SITES, ()))
    illustrative = [
        inv.site.name
        for inv in inventories
        if inv.site.id in chosen and inv.site.data_status == "illustrative"
    ]
    if illustrative:
        st.warning(
            f"{t('illustrative_notice', language)} ({md(', '.join(illustrative))})",
            icon=":material/info:",
        )


def selected_inventories() -> list[Inventory]:
    """The inventories of the sites chosen in the sidebar, in the order of the data folder."""
    chosen = set(st.session_state.get(keys.SITES, ()))
    return [inv for inv in load_all()[0] if inv.site.id in chosen]


def all_inventories() -> list[Inventory]:
    """Every inventory that loaded, chosen or not."""
    return load_all()[0]


def lang() -> str:
    """The language chosen in the sidebar ("en" or "fr")."""
    value = st.session_state.get(keys.LANG, "en")
    return value if value in LANGS else "en"


def need_sites(inventories: Sequence[Inventory]) -> None:
    """Stop the page with a hint when no site is chosen (or, with the shared database, when
    the user may read none: sign in, or ask for a role)."""
    if inventories:
        return
    language = lang()
    if db_url() is not None and not all_inventories():
        user = current_user()
        if user is None:
            st.info(t("db_sign_in_to_read", language))
        else:
            st.info(t("db_no_site", language, user=md(user)))
    else:
        st.info(t("choose_site", language))
    st.stop()


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: str) -> str:
    """Inventory text made safe inside Markdown: every special character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def table(df: pd.DataFrame) -> None:
    """`st.table`, with every text cell, header and index label escaped: st.table renders
    Markdown in them (an inventory's `![x](x)` would load an image, `[a](b)` make a link)."""

    def esc(value: Any) -> Any:
        return md(value) if isinstance(value, str) else value

    shown = df.map(esc)
    shown.index = shown.index.map(esc)
    shown.index.name = esc(df.index.name)
    shown.columns = shown.columns.map(esc)
    st.table(shown)


def _fenced(lines: tuple[str, ...]) -> str:
    """Lines as a Markdown code block, shown verbatim whatever they contain."""
    text = "\n".join(lines)
    fence = "`" * max(3, max(map(len, re.findall("`+", text)), default=0) + 1)
    return f"{fence}\n{text}\n{fence}"
