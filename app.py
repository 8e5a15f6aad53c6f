"""Referral Atlas, the Streamlit app: page config, static assets, the shared frame and routing.

Run with `streamlit run app.py`. Inventories are read from data/sites, or from the folder named by
$REFERRAL_ATLAS_DATA. Everything shown is computed in `pathways` and `mapping`.
"""

from pathlib import Path

import streamlit as st

from mapping.assets import publish_static
from mapping.rendering import speed_up_map_rendering
from pathways.i18n import t
from views import _common

APP_DIR = Path(__file__).resolve().parent


@st.cache_resource(show_spinner=False)
def _publish_static(folder: str) -> None:
    """Copy Leaflet under ./static once per server process (served at /app/static/), and make
    map rendering cheap (`mapping.rendering.speed_up_map_rendering`)."""
    publish_static(Path(folder))
    speed_up_map_rendering()


# An emoji favicon (drawn inline): without page_icon, the browser would turn the page's Material
# icon into a favicon fetched from fonts.gstatic.com, and the app must work offline.
st.set_page_config(page_title="Referral Atlas", page_icon="🗺️", layout="wide")
_publish_static(str(APP_DIR / "static"))
_common.frame()
lang = _common.lang()
# Page files live in views/, not pages/: a pages/ folder switches on Streamlit's legacy router for
# a session's first run, which answered a deep link after a restart with "Page not found" (and
# would run a page whose name matched the URL without this file's sidebar and notices).
# Every page has its own url path, Explore's included: Streamlit serves its default page at "/"
# only, so a default Explore answered /services with "Page not found" before drawing itself. The
# default page is a hidden one that opens Explore at /services (keeping ?site= and ?lang=).
explore = st.Page(
    "views/explore.py", title=t("nav_explore", lang), icon=":material/map:", url_path="services"
)
workshop = st.Page(
    "views/workshop.py", title=t("nav_workshop", lang), icon=":material/route:", url_path="what-if"
)


def _open_explore() -> None:
    """The app's root: open Explore at its own url path."""
    st.switch_page(explore, query_params=st.query_params.to_dict())


page = st.navigation(
    [
        explore,
        workshop,
        st.Page(
            "views/orientation.py",
            title=t("nav_orientation", lang),
            icon=":material/explore:",
            url_path="orientation",
        ),
        st.Page(
            "views/gaps.py",
            title=t("nav_gaps", lang),
            icon=":material/report:",
            url_path="referral-gaps",
        ),
        st.Page(
            "views/compare.py",
            title=t("nav_compare", lang),
            icon=":material/compare:",
            url_path="site-comparison",
        ),
        st.Page(
            "views/export.py",
            title=t("nav_export", lang),
            icon=":material/download:",
            url_path="downloads",
        ),
        st.Page(
            "views/review.py",
            title=t("nav_review", lang),
            icon=":material/rate_review:",
            url_path="review",
        ),
        st.Page(
            "views/sites.py",
            title=t("nav_sites", lang),
            icon=":material/table_view:",
            url_path="site-overview",
        ),
        st.Page(_open_explore, url_path="start", default=True, visibility="hidden"),
    ]
)
if not (page is workshop and _common.presenting()):  # else on the page: the sidebar is hidden
    _common.language_switch(st.sidebar)
    _common.identity(st.sidebar)  # who edits: the proxy's header or a sign-in box (no password)
page.run()
