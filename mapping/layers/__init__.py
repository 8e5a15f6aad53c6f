"""Folium layers of a site: boundaries, base map, services, referrals, gaps, a survivor route,
coverage, and the legend; one module per layer, their Leaflet elements in `_elements`.

Every function draws; none computes analyses (gaps, routes and coverage come in as arguments).
Places come from `pathways.public.privacy` only, so a confidential service is never drawn where
it is. Every string taken from an inventory or a boundary file is HTML-escaped before it reaches
a popup, tooltip or legend, and passed to JavaScript as JSON (never inside a template literal).
Only Leaflet core is used: no awesome-markers, Font Awesome, jQuery or Bootstrap (see
`mapping.assets`). The names below are the layers' public ones, so `layers.services_layer(...)`
reads as before the split.
"""

from mapping.layers._elements import (
    DETAIL_ZOOM,
    FOLD_BELOW_PX,
    LARGE_MAP,
    NATIONAL_MAP,
    OPEN_ZOOM,
    PLACE_CSS,
    POPUP_CSS,
    ArrowHead,
    Attribution,
    Background,
    Bind,
    CanvasLines,
    CanvasPoints,
    Clusterer,
    DivMarker,
    FitSites,
    Focus,
    MapControl,
    NationalPoints,
    NationalRoutes,
    PageStyle,
    PlaceLabels,
    TileFallback,
    is_national,
    point_feature,
)
from mapping.layers.basemap import BasemapGroup, attribution_html, basemap_group, basemap_layer
from mapping.layers.boundaries import boundaries_layer, bounds
from mapping.layers.coverage import coverage_layer
from mapping.layers.gaps import GAP_BOX_OPEN_MAX, gap_box, gaps_layer
from mapping.layers.legend import legend
from mapping.layers.referrals import referral_text, referrals_layer
from mapping.layers.route import route_layer, route_stops
from mapping.layers.services import (
    ServiceGroup,
    cluster_services,
    focus_layer,
    service_groups,
    service_icon,
    service_popup,
    service_tooltip,
    services_layer,
)

__all__ = [
    "DETAIL_ZOOM",
    "FOLD_BELOW_PX",
    "GAP_BOX_OPEN_MAX",
    "LARGE_MAP",
    "NATIONAL_MAP",
    "OPEN_ZOOM",
    "PLACE_CSS",
    "POPUP_CSS",
    "ArrowHead",
    "Attribution",
    "Background",
    "BasemapGroup",
    "Bind",
    "CanvasLines",
    "CanvasPoints",
    "Clusterer",
    "DivMarker",
    "FitSites",
    "Focus",
    "MapControl",
    "NationalPoints",
    "NationalRoutes",
    "PageStyle",
    "PlaceLabels",
    "ServiceGroup",
    "TileFallback",
    "attribution_html",
    "basemap_group",
    "basemap_layer",
    "boundaries_layer",
    "bounds",
    "cluster_services",
    "coverage_layer",
    "focus_layer",
    "gap_box",
    "gaps_layer",
    "is_national",
    "legend",
    "point_feature",
    "referral_text",
    "referrals_layer",
    "route_layer",
    "route_stops",
    "service_groups",
    "service_icon",
    "service_popup",
    "service_tooltip",
    "services_layer",
]
