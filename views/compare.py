"""Compare (coordinators and funders): the chosen sites side by side: headline figures, the
category matrix as a heatmap, and travel-time coverage where population data exists."""

import altair as alt
import pandas as pd
import streamlit as st

from pathways.i18n import t
from pathways.model.inventory import TAXONOMY, category_label
from views import _common, keys
from views.viewmodels.compare import (
    coverage_rows,
    headline_table,
    matrix_long,
    not_charted,
    people_table,
)

inventories = _common.selected_inventories()
lang = _common.lang()
st.title(t("compare_title", lang))
_common.need_sites(inventories)
summaries = [_common.site_summary(inv) for inv in inventories]

st.subheader(t("headlines", lang))
_common.table(headline_table(summaries, lang))

st.subheader(t("matrix", lang))
cells = pd.DataFrame(matrix_long(summaries, lang))
heat = alt.Chart(cells, height=alt.Step(26)).encode(
    x=alt.X("site:N", sort=None, title=None, axis=alt.Axis(orient="top", labelAngle=0)),
    y=alt.Y("category:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
    tooltip=[
        alt.Tooltip("site:N", title=t("site", lang)),
        alt.Tooltip("category:N", title=t("col_category", lang)),
        alt.Tooltip("services:Q", title=t("h_services", lang)),
        alt.Tooltip("reaching:Q", title=t("col_reaching", lang)),
    ],
)
chart = heat.mark_rect().encode(
    color=alt.Color("services:Q", scale=alt.Scale(scheme="blues"), title=t("h_services", lang))
) + heat.mark_text(fontSize=12).encode(
    text="label:N",
    color=alt.condition(alt.datum.services > 5, alt.value("white"), alt.value("black")),
)
st.altair_chart(chart, width="stretch")
st.caption(t("matrix_caption", lang))

st.subheader(t("coverage", lang))
coverages = {inv.site.id: _common.site_coverage(inv) for inv in inventories}
if all(c is None for c in coverages.values()):
    st.info(t("coverage_unavailable", lang))
else:
    category = st.selectbox(
        t("coverage_category", lang),
        list(TAXONOMY),
        format_func=lambda c: category_label(c, lang),
        key=keys.COVERAGE_CATEGORY,
    )
    for inv in inventories:
        if isinstance(coverages[inv.site.id], str):
            why = t("coverage_missing", lang, site=inv.site.name, reason=coverages[inv.site.id])
            st.caption(_common.md(why))
    people = people_table(coverages.values(), lang)
    if not people.empty:
        st.markdown(f"**{t('cov_people_title', lang)}**")
        _common.table(people)
    for note in not_charted(coverages.values(), category, lang, escape=_common.md):
        st.warning(note)
    rows = pd.DataFrame(coverage_rows(list(coverages.values()), category, lang))
    if not rows.empty:
        bars = (
            alt.Chart(rows)
            .mark_bar()
            .encode(
                x=alt.X(
                    "share:Q",
                    axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1]),
                    title=t("col_share", lang),
                ),
                y=alt.Y("site:N", sort=None, title=None),
                yOffset=alt.YOffset("within:N", sort=None),
                color=alt.Color(
                    "within:N",
                    sort=None,
                    title=t("col_within", lang),
                    scale=alt.Scale(scheme="blues"),
                ),
                tooltip=[
                    alt.Tooltip("site:N", title=t("site", lang)),
                    alt.Tooltip("within:N", title=t("col_within", lang)),
                    alt.Tooltip("share:Q", format=".0%", title=t("col_share", lang)),
                ],
            )
        )
        st.altair_chart(bars, width="stretch")
    st.caption(t("coverage_caption", lang))
