"""Map: the services of the chosen sites on a map, and their public details in a table."""

import streamlit as st
from streamlit_folium import st_folium

from mapping.assets import use_served_assets
from mapping.build import build_map
from pages import _common, keys
from pathways.inventory import category_label
from pathways.table import categories_present, services_table

inventories = _common.selected_inventories()
lang = _common.lang()
st.title("Service map")
if not inventories:
    st.info("Choose at least one site in the sidebar.")
    st.stop()

chosen = st.multiselect(
    "Categories",
    categories_present(inventories),
    format_func=lambda c: category_label(c, lang),
    placeholder="All categories",
    key=keys.CATEGORIES,
)
left, right = st.columns(2)
show_gaps = left.toggle("Show gaps on the map", key=keys.MAP_GAPS)
offline = right.toggle("Offline basemap (no map tiles)", key=keys.OFFLINE)

categories = chosen or None
m = build_map(
    inventories,
    gaps=_common.gaps_of(inventories) if show_gaps else None,
    categories=categories,
    lang=lang,
    tiles=None if offline else "OpenStreetMap",
)
use_served_assets(m)
st.caption("Confidential services (shelters, safe houses) are shown only at area level.")
st_folium(m, returned_objects=[], use_container_width=True, height=600)

st.subheader("Services")
st.dataframe(services_table(inventories, categories=categories), hide_index=True, width="stretch")
