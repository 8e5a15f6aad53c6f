"""Sites: every loaded inventory, its data status and what it maps."""

import streamlit as st

from pages import _common
from pathways.table import sites_table

st.title("Sites")
st.dataframe(sites_table(_common.all_inventories()), hide_index=True, width="stretch")
st.caption(
    "data_status 'illustrative' means the inventory is an example, not a field-verified mapping."
)
