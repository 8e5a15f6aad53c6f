"""Explore (coordinators): filter the services of the chosen sites; map and table show the same
services; a click on the map or a row of the table opens the service's card, and the table's
selected row is found on the map. On a phone the filters fold behind one toggle, so the map is
on the first screen."""

import pandas as pd
import streamlit as st

from mapping.build import build_map
from pathways.i18n import clock_text, day_name, language_name, t
from pathways.model.clock import OpenAt
from pathways.model.inventory import category_label
from pathways.public.card import service_card
from views import _common, _edit, keys
from views.viewmodels.explore import (
    GROUP_CHOICES,
    Selection,
    day_options,
    filter_services,
    languages_present,
    map_focus,
    match_click,
    select,
    service_key,
    subsets,
    time_label,
    time_options,
)
from views.viewmodels.table import categories_present, found_table, localize_columns

inventories = _common.selected_inventories()
lang = _common.lang()
st.title(t("explore_title", lang))
_common.need_sites(inventories)

# (comments, not docstrings: Streamlit's magic would print a bare string on the page)
FILTERS = "explore_filters"  # the filters' container, folded on a phone until FILTERS_OPEN is on
FILTERS_OPEN = "explore_filters_open"  # the toggle unfolding them, shown on narrow screens only
PHONE = 640  # screens up to this many CSS pixels wide are phones: their filters fold

# --- filters ------------------------------------------------------------------------------------
unfolded = st.toggle(t("show_filters", lang), key=FILTERS_OPEN)
st.html(  # CSS only: narrow screens hide the filters unless the toggle is on
    f"<style>.st-key-{FILTERS_OPEN}{{display:none}}"
    f"@media (max-width:{PHONE}px){{.st-key-{FILTERS_OPEN}{{display:flex}}"
    + ("" if unfolded else f".st-key-{FILTERS}{{display:none}}")
    + "}</style>"
)
filters = st.container(key=FILTERS)
_common.keep_valid(keys.CATEGORIES, categories_present(inventories), many=True)
_common.keep_valid(keys.LANGUAGE, [None, *languages_present(inventories)])
c1, c2, c3, c4 = filters.columns([3, 2, 2, 1])
chosen = c1.multiselect(
    t("categories", lang),
    categories_present(inventories),
    format_func=lambda c: category_label(c, lang),
    placeholder=t("all_categories", lang),
    key=keys.CATEGORIES,
)
language = c2.selectbox(
    t("speaks", lang),
    [None, *languages_present(inventories)],
    format_func=lambda c: t("any_language", lang) if c is None else language_name(c, lang),
    placeholder=t("any_language", lang),
    key=keys.LANGUAGE,
)
group = c3.selectbox(
    t("serves_group", lang),
    [None, *GROUP_CHOICES],
    format_func=lambda g: t("anyone", lang) if g is None else t(f"group_{g}", lang),
    placeholder=t("anyone", lang),
    key=keys.GROUP,
)
age = c4.number_input(
    t("age", lang), min_value=0, max_value=120, value=None, placeholder="–", key=keys.AGE
)
c1, c2, c3, c4, c5 = filters.columns([3, 2, 1, 1, 1], vertical_alignment="bottom")
query = c1.text_input(t("search", lang), placeholder=t("search_hint", lang), key=keys.QUERY)
interpretation = c2.checkbox(t("count_interpretation", lang), key=keys.INTERPRETATION)
open_on = c3.toggle(t("open_at", lang), key=keys.OPEN)
day = c4.selectbox(
    t("day", lang), day_options(), format_func=lambda d: day_name(d, lang), key=keys.DAY
)
when = c5.selectbox(t("time", lang), time_options(), format_func=time_label, key=keys.TIME)
c1, c2, c3 = filters.columns(3)
entry_only = c1.toggle(t("entry_only", lang), key=keys.ENTRY_ONLY)
show_gaps = c2.toggle(t("show_gaps", lang), key=keys.MAP_GAPS)
offline = c3.toggle(t("offline", lang), key=keys.OFFLINE)

open_at = OpenAt(day, when) if open_on else None
found = filter_services(
    inventories,
    categories=chosen or None,
    language=language,
    interpretation=interpretation,
    group=group,
    age=age,
    entry_only=entry_only,
    open_at=open_at,
    query=query,
)
caption = t("found", lang, n=len(found), total=sum(len(inv.services) for inv in inventories))
if open_at is not None:
    caption += " " + t(
        "open_at_caption", lang, when=clock_text(open_at.weekday, open_at.minute, lang)
    )
st.caption(caption + " " + t("confidential_note", lang))

# --- map, card and table ------------------------------------------------------------------------
table = found_table(found, lang=lang)
found_keys = [service_key(inv, s) for inv, s in found]


def _row_picked(state: object) -> str | None:
    # the service key of the table's selected row (the table's state, read before the map)
    try:
        picked_rows = state["selection"]["rows"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    return table.index[picked_rows[0]] if picked_rows and picked_rows[0] < len(table) else None


left, right = st.columns([2, 1])
with left:
    m = build_map(  # legend folded: open, it would cover part of a map this size
        subsets(inventories, found),
        gaps=_common.gaps_of(inventories) if show_gaps else None,
        lang=lang,
        tiles=None if offline else "OpenStreetMap",
        legend_open=False,
        focus=map_focus(_row_picked(st.session_state.get(keys.TABLE)), found_keys),
    )
    clicked = _common.show_map(m, key=keys.MAP, returned=["last_object_clicked_tooltip"])
editing = st.container()  # the card's Edit mode, full width under the map (drawn with the card)

st.subheader(t("services", lang))
if table.empty:
    st.info(t("no_match", lang))
event = st.dataframe(
    localize_columns(table, lang),
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key=keys.TABLE,
)
picked = select(
    st.session_state.get(keys.PICKED, Selection()),
    click=match_click(found, (clicked or {}).get("last_object_clicked_tooltip"), lang),
    row=_row_picked(event),
    keys=found_keys,
)
st.session_state[keys.PICKED] = picked

with right:
    if picked.current is None:
        st.info(t("pick_hint", lang))
    else:
        site_id, service_id = picked.current.split("/", 1)
        inventory = next(inv for inv in inventories if inv.site.id == site_id)
        card = service_card(inventory, service_id, lang)
        with st.container(border=True, key=keys.CARD):
            st.subheader(_common.md(card.name), anchor=False)
            st.markdown("  \n".join(f"**{f.label}**: {_common.md(f.value)}" for f in card.fields))
            for title, routes in (
                (t("routes_in", lang), card.routes_in),
                (t("routes_out", lang), card.routes_out),
            ):
                st.markdown(f"**{title}**")
                if routes:
                    rows = [r.labelled(lang) for r in routes]
                    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
                else:
                    st.caption(t("no_routes", lang))
            _edit.edit_panel(inventory, service_id, lang, where=editing)  # signed-in users
