"""Sites: every loaded inventory, its data status, what it maps and how many gaps it has."""

import streamlit as st

from pages import _common
from pathways.table import sites_table

inventories = _common.all_inventories()
st.title("Sites")
st.dataframe(
    sites_table(inventories, gaps=_common.gaps_of(inventories)), hide_index=True, width="stretch"
)
st.caption(
    "data_status 'illustrative': an example inventory, not a field-verified mapping. "
    "Gap counts are by severity; the Gaps page lists them."
)
