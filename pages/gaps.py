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
    st.subheader(inv.site.name)
    counts = table["severity"].value_counts()
    for col, sev in zip(st.columns(len(SEVERITY_ORDER)), SEVERITY_ORDER, strict=True):
        col.metric(sev.capitalize(), int(counts.get(sev, 0)))
    if table.empty:
        st.success("No gaps of the chosen severities.")
    else:
        st.table(table[["severity", "kind", "message"]].set_index("severity"))
