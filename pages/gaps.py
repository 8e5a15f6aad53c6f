"""Gaps: what survivors cannot reach at each chosen site, most severe first."""

import streamlit as st

from pages import _common, keys
from pathways.gaps import SEVERITY_ORDER
from pathways.table import gaps_table

inventories = _common.selected_inventories()
lang = _common.lang()
st.title("Referral gaps")
if not inventories:
    st.info("Choose at least one site in the sidebar.")
    st.stop()

severities = st.multiselect(
    "Severity", list(SEVERITY_ORDER), default=list(SEVERITY_ORDER), key=keys.SEVERITIES
)
for inv in inventories:
    table = gaps_table(_common.site_gaps(inv), severities=severities, lang=lang)
    counts = table["severity"].value_counts()
    summary = " · ".join(f"{int(counts.get(s, 0))} {s}" for s in SEVERITY_ORDER if s in severities)
    with st.expander(f"**{inv.site.name}**: {summary or 'no severity chosen'}", expanded=True):
        if table.empty:
            st.success("No gaps of the chosen severities.")
        else:
            st.table(table[["severity", "kind", "message"]].set_index("severity"))
