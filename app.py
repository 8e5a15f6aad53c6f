"""Referral Atlas, the Streamlit app: page config, static assets, the shared frame and routing.

Run with `streamlit run app.py`. Inventories are read from data/sites, or from the folder named by
$REFERRAL_ATLAS_DATA. Everything shown is computed in `pathways` and `mapping`.
"""

from pathlib import Path

import streamlit as st

from mapping.assets import publish_static
from pages import _common
from pathways.i18n import t

APP_DIR = Path(__file__).resolve().parent


@st.cache_resource(show_spinner=False)
def _publish_static(folder: str) -> None:
    """Copy Leaflet under ./static once per server process (served at /app/static/), and make
    map rendering cheap (see `_common.speed_up_map_rendering`)."""
    publish_static(Path(folder))
    _common.speed_up_map_rendering()


# An emoji favicon (drawn inline): without page_icon, the browser would turn the page's Material
# icon into a favicon fetched from fonts.gstatic.com, and the app must work offline.
st.set_page_config(page_title="Referral Atlas", page_icon="🗺️", layout="wide")
_publish_static(str(APP_DIR / "static"))
_common.frame()
lang = _common.lang()
# URL paths differ from the file names on purpose: while a pages/ folder exists, Streamlit's first
# run (and every AppTest run) goes through its legacy pages/ router, which would run a page whose
# name matches the URL *without* this file, i.e. without the sidebar and the notices.
page = st.navigation(
    [
        st.Page(
            "pages/explore.py",
            title=t("nav_explore", lang),
            icon=":material/map:",
            url_path="services",
            default=True,
        ),
        st.Page(
            "pages/workshop.py",
            title=t("nav_workshop", lang),
            icon=":material/route:",
            url_path="what-if",
        ),
        st.Page(
            "pages/gaps.py",
            title=t("nav_gaps", lang),
            icon=":material/report:",
            url_path="referral-gaps",
        ),
        st.Page(
            "pages/compare.py",
            title=t("nav_compare", lang),
            icon=":material/compare:",
            url_path="site-comparison",
        ),
        st.Page(
            "pages/export.py",
            title=t("nav_export", lang),
            icon=":material/download:",
            url_path="downloads",
        ),
        st.Page(
            "pages/sites.py",
            title=t("nav_sites", lang),
            icon=":material/table_view:",
            url_path="site-overview",
        ),
    ]
)
page.run()
