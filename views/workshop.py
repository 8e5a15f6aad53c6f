"""Workshop (facilitators): a survivor profile's route drawn hand-off by hand-off, what was left
out and why, and "what if" services close or interpreters are lacking; a presentation view reads
the gap sentences out one at a time."""

import html

import pandas as pd
import streamlit as st

from mapping.build import build_map
from pathways.analysis.gaps import scenario_services
from pathways.analysis.reasons import reason_text
from pathways.analysis.routes import Profile
from pathways.i18n import colon as i18n_colon
from pathways.i18n import day_name, language_name, t
from pathways.model.clock import site_now
from pathways.model.inventory import REQUIREMENTS, category_label
from views import _common, keys
from views.viewmodels.explore import (
    day_options,
    languages_present,
    round_time,
    time_label,
    time_options,
)
from views.viewmodels.orientation import cards as orientation_cards
from views.viewmodels.orientation import urgency_text
from views.viewmodels.table import categories_present
from views.viewmodels.workshop import (
    Sentence,
    care_verdict,
    clicked_service,
    close_one_more,
    default_entry,
    entry_options,
    excluded_rows,
    for_display,
    gap_sentences,
    route_rows,
    route_summary,
    step_index,
)

COLORS = {"new": "#c62828", "gone": "#2e7d32", "unchanged": "#222222"}
# More rows than this go in a scrolling grid, not a table: a national site's route leaves
# hundreds of services out, and a table of 600 rows took a second to draw (issue #19).
LONG_TABLE = 30
EFFECT_COLORS = {"worse": COLORS["new"], "better": COLORS["gone"], "same": COLORS["unchanged"]}

inventories = _common.selected_inventories()
lang = _common.lang()
st.title(t("workshop_title", lang))
_common.need_sites(inventories)

by_id = {inv.site.id: inv for inv in inventories}
_common.keep_valid(keys.WS_SITE, list(by_id))
top = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
site_id = top[0].selectbox(
    t("site_one", lang), list(by_id), format_func=lambda s: by_id[s].site.name, key=keys.WS_SITE
)
inv = by_id[site_id]
names = {s.id: s.name for s in inv.services}
entries = entry_options(inv)
if not entries:
    st.warning(t("no_entry_points", lang))
    st.stop()

# --- the profile and the what-if ----------------------------------------------------------------
cats = categories_present([inv])
_common.keep_valid(keys.WS_ENTRY, entries)
_common.keep_valid(keys.WS_NEEDS, cats, many=True)
_common.keep_valid(keys.WS_CLOSED, list(names), many=True)
if keys.WS_CLOSE_NEXT in st.session_state:  # a service clicked on the map in the last run
    st.session_state[keys.WS_CLOSED] = close_one_more(
        st.session_state.get(keys.WS_CLOSED, []), st.session_state.pop(keys.WS_CLOSE_NEXT), names
    )
_common.keep_valid(keys.WS_LANGUAGE, [None, *languages_present([inv])])
st.session_state.setdefault(keys.WS_NEEDS, [c for c in ("health.cmr",) if c in cats])
if keys.WS_ENTRY not in st.session_state:  # not at the very service she needs (a 0 h route)
    st.session_state[keys.WS_ENTRY] = default_entry(inv, st.session_state[keys.WS_NEEDS])
now = site_now(inv)
st.session_state.setdefault(keys.WS_DAY, now.weekday)
st.session_state.setdefault(keys.WS_TIME, round_time(now.minute))
present = top[1].toggle(t("presentation", lang), key=keys.WS_PRESENT)
offline = top[2].toggle(t("offline", lang), key=keys.OFFLINE)
if present:  # for a room: the map and one sentence, not the site picker
    _common.hide_sidebar()
    _common.language_switch(top[3])

with st.expander(t("profile", lang), expanded=not present):
    c = st.columns(4)
    entry = c[0].selectbox(
        t("entry", lang), entries, format_func=names.__getitem__, key=keys.WS_ENTRY
    )
    needs = c[1].multiselect(
        t("needs", lang),
        cats,
        format_func=lambda x: category_label(x, lang),
        placeholder=t("choose", lang),
        key=keys.WS_NEEDS,
    )
    day = c[2].selectbox(
        t("arrival_day", lang),
        day_options(),
        format_func=lambda d: day_name(d, lang),
        key=keys.WS_DAY,
    )
    arrival = c[3].selectbox(
        t("arrival_time", lang), time_options(), format_func=time_label, key=keys.WS_TIME
    )
    c = st.columns(5)
    language = c[0].selectbox(
        t("speaks_only", lang),
        [None, *languages_present([inv])],
        format_func=lambda x: t("not_asked", lang) if x is None else language_name(x, lang),
        placeholder=t("not_asked", lang),
        key=keys.WS_LANGUAGE,
    )
    age = c[1].number_input(
        t("age", lang), min_value=0, max_value=120, value=None, placeholder="–", key=keys.WS_AGE
    )
    gender = c[2].selectbox(
        t("gender", lang),
        [None, "female", "male", "nonbinary"],
        format_func=lambda g: t("not_asked", lang) if g is None else t(f"gender_{g}", lang),
        placeholder=t("not_asked", lang),
        key=keys.WS_GENDER,
    )
    legal = c[3].selectbox(
        t("legal", lang),
        [None, "documented", "undocumented"],
        format_func=lambda x: t("not_asked", lang) if x is None else t(f"legal_{x}", lang),
        placeholder=t("not_asked", lang),
        key=keys.WS_LEGAL,
    )
    avoid = c[4].multiselect(
        t("avoid", lang),
        REQUIREMENTS,
        format_func=lambda r: t(f"req_{r}", lang),
        placeholder=t("accepts_all", lang),
        key=keys.WS_AVOID,
    )
with st.expander(t("what_if", lang), expanded=not present):
    c = st.columns([4, 1], vertical_alignment="bottom")
    closed = c[0].multiselect(
        t("close_services", lang),
        list(names),
        format_func=names.__getitem__,
        placeholder=t("none_closed", lang),
        key=keys.WS_CLOSED,
    )
    st.session_state.setdefault(keys.WS_INTERP, True)  # kept across pages: no `value=` here
    interpreters = c[1].toggle(t("interpreters", lang), key=keys.WS_INTERP)
    st.caption(t("click_to_close", lang))
    limits_by_id = {lim.id: lim for lim in inv.site.access_limits}
    _common.keep_valid(keys.WS_LIMITS, list(limits_by_id), many=True)
    limits = (
        st.multiselect(
            t("access_limits", lang),
            list(limits_by_id),
            format_func=lambda i: (
                limits_by_id[i].name_fr
                if lang == "fr" and limits_by_id[i].name_fr
                else limits_by_id[i].name
            ),
            placeholder=t("none_limits", lang),
            key=keys.WS_LIMITS,
        )
        if limits_by_id
        else []
    )
# an access limit (a rainy season, a road closed) cuts its services off: closed for the route
closed = list(dict.fromkeys([*closed, *scenario_services(inv, limits)]))

profile = Profile(
    entry=entry,
    language=language,
    age=None if age is None else int(age),
    gender=gender,
    legal_status=legal,
    weekday=day,
    hour=arrival / 60,
    avoid=tuple(avoid),
    interpretation=interpreters,
)
route = _common.survivor_route(inv, profile, tuple(needs), tuple(closed)) if needs else None
diff = _common.what_if_diff(inv, tuple(closed), interpreters)


def _big(text: str, color: str, size: str) -> None:
    """Large type for a room (the text is escaped: it may hold service names)."""
    st.markdown(
        f'<div style="font-size:{size};line-height:1.3;color:{color}">{html.escape(text)}</div>',
        unsafe_allow_html=True,
    )


# --- the route ----------------------------------------------------------------------------------
verdict = care_verdict(route, lang) if route else None
if verdict and present:
    _big(verdict.text, COLORS["gone" if verdict.in_time else "new"], "1.8rem")
elif verdict:
    (st.success if verdict.in_time else st.error)(verdict.text)

m = build_map(  # legend folded: between it and the route's box, little of the site shows
    [inv],
    route=for_display(route, inv, lang) if route else None,
    gaps=list(diff.appeared) or None,
    lang=lang,
    tiles=None if offline else "OpenStreetMap",
    legend_open=False,
)
# A key per size: a new height needs a new map (st_folium keeps the first one's size).
height = 720 if present else 520
clicked = _common.show_map(
    m, key=f"{keys.WS_MAP}_{height}", height=height, returned=["last_object_clicked_tooltip"]
)
tooltip = (clicked or {}).get("last_object_clicked_tooltip")
if tooltip != st.session_state.get(keys.WS_CLICK):  # a new click: close that service
    st.session_state[keys.WS_CLICK] = tooltip
    hit = clicked_service(inv, tooltip, lang)
    if hit is not None and hit not in closed:
        st.session_state[keys.WS_CLOSE_NEXT] = hit
        st.rerun()


def _move(delta: int, count: int) -> None:
    st.session_state[keys.WS_INDEX] = step_index(
        st.session_state.get(keys.WS_INDEX, 0), count, delta
    )


@st.fragment
def _read_out(sentences: list[Sentence]) -> None:
    """One gap sentence at a time, large, with Previous and Next (reruns only this part): what
    got worse first, then what got better, then the rest, the most severe first."""
    n = len(sentences)
    if not n:
        st.info(t("no_gaps_to_read", lang))
        return
    i = step_index(st.session_state.get(keys.WS_INDEX, 0), n, 0)
    s = sentences[i]
    st.caption(
        f"{t('gap_of', lang, i=i + 1, n=n)} · {t('sev_' + s.severity, lang)} · "
        f"{t('change_' + s.change, lang)}"
    )
    _big(s.text, EFFECT_COLORS[s.effect], "2.2rem")
    if s.replaced_by:
        st.caption(f"{t('replaced_by', lang)}{t('colon', lang)} {_common.md(s.replaced_by)}")
    b = st.columns([1, 1, 6])
    b[0].button(
        t("previous", lang), key=keys.WS_PREV, on_click=_move, args=(-1, n), disabled=i == 0
    )
    b[1].button(t("next", lang), key=keys.WS_NEXT, on_click=_move, args=(1, n), disabled=i >= n - 1)


if present:
    _read_out(gap_sentences(diff, lang))

st.subheader(t("route", lang))
if route is None:
    st.info(t("needs", lang) + ": –")
else:
    st.markdown(_common.md(route_summary(route, inv, lang)))  # it names services
    for warning in route.warnings:
        st.warning(_common.md(t("route_warning", lang, text=reason_text(warning, lang, names))))
    st.dataframe(pd.DataFrame(route_rows(route, inv, lang)), hide_index=True, width="stretch")
    if route.excluded:
        st.markdown(f"**{t('route_excluded', lang)}**")
        excluded = pd.DataFrame(excluded_rows(route, inv, lang))
        if len(excluded) <= LONG_TABLE:
            _common.table(excluded.set_index(t("col_service", lang)))
        else:  # hundreds on a national site: a scrolling grid draws only the rows in view
            st.dataframe(excluded, hide_index=True, width="stretch")

if not present:
    st.subheader(t("gap_changes", lang))
    if not closed and interpreters:
        st.caption(t("no_change", lang))
    colon = i18n_colon(lang)
    worse, better = st.columns(2)
    for column, changes, key, show, icon, none in (
        (worse, diff.worse, "gaps_worse", worse.error, ":material/trending_down:", "none_worse"),
        (
            better,
            diff.better,
            "gaps_better",
            better.success,
            ":material/trending_up:",
            "none_better",
        ),
    ):
        column.markdown(f"**{t(key, lang, n=len(changes))}**")
        for c in changes:
            text = f"*{t(f'change_{c.change}', lang)}* · {_common.md(c.gap.text(lang))}"
            if c.replaced_by is not None:
                text += (
                    f"  \n*{t('replaced_by', lang)}*{colon}{_common.md(c.replaced_by.text(lang))}"
                )
            show(text, icon=icon)
        if not changes:
            column.caption(t(none, lang))
    st.caption(t("gaps_same", lang, n=len(diff.unchanged)))


# --- scenario cards: the room decides where to orient, then the answer is revealed -------------
deck = _common.scenario_cards(inv)
if isinstance(deck, str):
    st.error(t("cards_broken", lang))
    st.code(deck, language=None)
elif deck:
    st.subheader(t("cards_title", lang))
    by_card = {c.id: c for c in deck}
    _common.keep_valid(keys.WS_CARD, list(by_card))
    card_id = st.selectbox(
        t("cards_pick", lang),
        list(by_card),
        format_func=lambda c: by_card[c].title.in_lang(lang),
        key=keys.WS_CARD,
    )
    card = by_card[card_id]
    _big(card.story.in_lang(lang), COLORS["unchanged"], "1.5rem")
    st.caption(t("cards_where", lang, entry=names.get(card.entry, card.entry)))
    if st.toggle(t("cards_reveal", lang), key=keys.WS_REVEAL):
        answer = _common.scenario_answer(inv, card)
        show = {"immediate": st.error, "urgent": st.warning, "routine": st.info}
        show[answer.urgency](urgency_text(answer, lang))
        for reason in answer.reasons:
            st.markdown(f"- {_common.md(reason.text(lang))}")
        for item in orientation_cards(answer, inv, lang):
            with st.container(border=True):
                st.markdown(f"**{_common.md(item.heading)}**")
                for line in item.lines:
                    st.markdown(_common.md(line))
        for gap in answer.gaps:
            st.warning(_common.md(gap.text(lang)))
