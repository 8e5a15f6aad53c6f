"""Referral Atlas, the Streamlit app: page config, static assets, the shared frame and routing.

Run with `streamlit run app.py`. Inventories are read from data/sites, or from the folder named by
$REFERRAL_ATLAS_DATA. Everything shown is computed in `pathways` and `mapping`.
"""

from pathlib import Path

import streamlit as st

from mapping.assets import publish_static
from pages import _common

APP_DIR = Path(__file__).resolve().parent


@st.cache_resource(show_spinner=False)
def _publish_static(folder: str) -> None:
    """Copy Leaflet under ./static once per server process (served at /app/static/)."""
    publish_static(Path(folder))


st.set_page_config(page_title="Referral Atlas", page_icon=":material/map:", layout="wide")
_publish_static(str(APP_DIR / "static"))
page = st.navigation(
    [
        st.Page("pages/map.py", title="Map", icon=":material/map:", default=True),
        st.Page("pages/gaps.py", title="Gaps", icon=":material/report:"),
        st.Page("pages/sites.py", title="Sites", icon=":material/table_view:"),
    ]
)
_common.frame()
page.run()
