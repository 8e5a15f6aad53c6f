"""Orientation (frontline staff, issue #20): a few questions about what happened, then what to do
now, in order: the services, why, whether they are open, how to get there, the deadlines, the
gaps this person meets. Nothing typed is stored, logged, put in the address or sent anywhere:
the answers live in this browser session only (no cache holds them), and "Clear" wipes them."""

import streamlit as st

from mapping.build import build_map
from pathways.analysis.orient import Situation, orient
from pathways.analysis.routes import Profile
from pathways.i18n import language_name, t
from pathways.model.clock import site_now
from pathways.model.orientation import INCIDENTS
from views import _common, keys
from views.viewmodels.explore import languages_present
from views.viewmodels.orientation import cards, sheet_html, urgency_text
from views.viewmodels.workshop import entry_options, service_names


def _clear() -> None:
    """Forget every answer of the page (its widgets' values)."""
    for key in [k for k in st.session_state if str(k).startswith(keys.OR_PREFIX)]:
        del st.session_state[key]


inventories = _common.selected_inventories()
lang = _common.lang()
st.title(t("orpage_title", lang))
st.info(t("orpage_privacy", lang), icon=":material/lock:")
_common.need_sites(inventories)
by_id = {inv.site.id: inv for inv in inventories}
_common.keep_valid(keys.OR_SITE, list(by_id))
site_id = st.selectbox(
    t("site_one", lang), list(by_id), format_func=lambda s: by_id[s].site.name, key=keys.OR_SITE
)
inv = by_id[site_id]
entries = entry_options(inv)
if not entries:
    st.warning(t("no_entry_points", lang))
    st.stop()
grid = _common.danger_grid()
names = service_names(inv, lang)
_common.keep_valid(keys.OR_FROM, entries)
where = st.selectbox(
    t("orpage_where", lang), entries, format_func=names.__getitem__, key=keys.OR_FROM
)
incident = st.radio(
    t("orpage_incident", lang),
    INCIDENTS,
    format_func=lambda i: t(f"orpage_incident_{i}", lang),
    horizontal=True,
    key=keys.OR_INCIDENT,
)
hours = st.number_input(
    t("orpage_hours_since", lang),
    min_value=0,
    max_value=24 * 365,
    value=None,
    placeholder=t("not_asked", lang),
    key=keys.OR_HOURS,
)
st.markdown(f"**{t('orpage_signs', lang)}**")
signs = [
    s.id for s in grid.signs if st.checkbox(s.question.in_lang(lang), key=f"{keys.OR_SIGN}_{s.id}")
]
c = st.columns(2)
age = c[0].number_input(
    t("age", lang), min_value=0, max_value=120, value=None, placeholder="–", key=keys.OR_AGE
)
gender = c[1].selectbox(
    t("gender", lang),
    [None, "female", "male", "nonbinary"],
    format_func=lambda g: t("not_asked", lang) if g is None else t(f"gender_{g}", lang),
    placeholder=t("not_asked", lang),
    key=keys.OR_GENDER,
)
_common.keep_valid(keys.OR_LANGUAGE, [None, *languages_present([inv])])
language = st.selectbox(
    t("speaks_only", lang),
    [None, *languages_present([inv])],
    format_func=lambda x: t("not_asked", lang) if x is None else language_name(x, lang),
    placeholder=t("not_asked", lang),
    key=keys.OR_LANGUAGE,
)
st.button(t("orpage_clear", lang), on_click=_clear, key=keys.OR_CLEAR, type="secondary")

now = site_now(inv)
profile = Profile(
    entry=where,
    language=language,
    age=None if age is None else int(age),
    gender=gender,
    weekday=now.weekday,
    hour=now.minute / 60,
)
situation = Situation(incident, None if hours is None else float(hours), tuple(signs))
# Not cached: a cache would keep what was typed. Only the site's graph is shared.
answer = orient(
    inv, profile, situation, grid, grid_source=_common.GRID_SOURCE, G=_common.referral_graph(inv)
)

st.divider()
show = {"immediate": st.error, "urgent": st.warning, "routine": st.info}[answer.urgency]
show(urgency_text(answer, lang))
for reason in answer.reasons:
    st.markdown(f"- {_common.md(reason.text(lang))}")
for card in cards(answer, inv, lang):
    with st.container(border=True):
        st.markdown(f"**{_common.md(card.heading)}**")
        for line in card.lines:
            st.markdown(_common.md(line))
if answer.gaps:
    st.subheader(t("orient_gaps_title", lang))
    for gap in answer.gaps:
        st.warning(_common.md(gap.text(lang)))
st.download_button(
    t("orpage_sheet", lang),
    sheet_html(answer, inv, lang),
    file_name="orientation.html",
    mime="text/html",
    key=keys.OR_SHEET,
    icon=":material/print:",
)
categories = list(dict.fromkeys(a.category for a in answer.actions if a.service))
m = build_map([inv], categories=categories or None, lang=lang, tiles=None, legend_open=False)
_common.show_map(m, key=keys.OR_MAP, height=380)
st.caption(answer.grid.notice.in_lang(lang))
