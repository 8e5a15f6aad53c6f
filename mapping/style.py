"""How the maps look: one colour and short code per category, line and ring styles, UI text
(the words are the gettext catalogs' `map_*` keys).

Everything visual that more than one layer needs is written down here once, so the legend and
the layers cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pathways.i18n import N_, t
from pathways.model.inventory import TAXONOMY, base_category


@dataclass(frozen=True)
class CategoryStyle:
    """The colour, text colour and short code (2-3 letters) a category is drawn with."""

    color: str
    text_color: str
    code: str


def _text_on(color: str) -> str:
    """Black or white, whichever reads better on `color` (WCAG relative luminance)."""
    rgb = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#111111" if luminance > 0.25 else "#ffffff"


_PALETTE: dict[str, tuple[str, str]] = {
    "health.cmr": ("#d62728", "CMR"),
    "health.general": ("#ff9896", "GH"),
    "health.srh": ("#e377c2", "SRH"),
    "mhpss": ("#9467bd", "MH"),
    "case_management": ("#1f77b4", "CM"),
    "safety.police": ("#2b2f77", "POL"),
    "safety.shelter": ("#2ca02c", "SH"),
    "legal": ("#8c564b", "LEG"),
    "child_protection": ("#ff7f0e", "CP"),
    "hotline": ("#17becf", "HL"),
    "interpretation": ("#bcbd22", "INT"),
    "basic_needs": ("#7f7f7f", "BN"),
    "livelihoods": ("#98df8a", "LIV"),
    "community": ("#ffbb78", "COM"),
}

CATEGORY_STYLES: dict[str, CategoryStyle] = {
    cat: CategoryStyle(color, _text_on(color), code) for cat, (color, code) in _PALETTE.items()
}
"""One distinct colour per taxonomy category (14), with a readable text colour and a code."""

assert set(CATEGORY_STYLES) == set(TAXONOMY), "every taxonomy category needs a style"


def category_style(category: str) -> CategoryStyle:
    """The style of a category or of the taxonomy category a sub-category belongs to."""
    return CATEGORY_STYLES[base_category(category)]


MARKER_SIZE = 26
"""Diameter in pixels of a service marker (its SVG box is a little larger for the ring)."""

ENTRY_RING = "#111111"
"""The ring colour of an entry point (survivors can arrive there directly)."""

REFERRAL_COLOR = "#333333"
REFERRAL_DASHED_MODES = frozenset({"phone", "form", "self"})
"""Referrals without a person accompanying the survivor are drawn dashed."""

GAP_COLOR = "#e41a1c"
GAP_RADIUS = 19
GAP_RING: dict[str, dict[str, Any]] = {
    "critical": {"weight": 4.5},
    "major": {"weight": 2.5},
    "minor": {"weight": 2, "dash_array": "5 4"},
}
"""How a service named in a gap is ringed, by the most severe of its gaps."""

BOUNDARY_STYLE = {
    "color": "#5f6b73",
    "weight": 2,
    "fill": True,
    "fillColor": "#fbfaf6",
    "fillOpacity": 0.85,
}
AREA_STYLE = {
    "color": "#8a969e",
    "weight": 1,
    "dashArray": "4 3",
    "fill": True,
    "fillColor": "#fbfaf6",
    "fillOpacity": 0.0,
}
ROUTE_COLOR = "#6a3d9a"
"""The survivor route: a thick purple line with numbered hand-offs."""

CLUSTER_COLOR = "#3d4a54"
"""A cluster of services of several categories (one category: its own colour)."""

COVERAGE_CLASSES: tuple[tuple[float, str], ...] = (
    (30, "#2c7bb6"),
    (60, "#abd9e9"),
    (120, "#fdae61"),
    (float("inf"), "#d7191c"),
)
"""(upper bound in minutes, colour) of the travel-time classes; blue is near, red is far
(a ColorBrewer RdYlBu sequence, readable with the common colour-vision deficiencies)."""
COVERAGE_NONE = "#8c8c8c"
"""No service of the category at all."""


def coverage_color(minutes: float | None) -> str:
    """The colour of a travel time in minutes (grey when there is no service)."""
    if minutes is None:
        return COVERAGE_NONE
    return next(color for bound, color in COVERAGE_CLASSES if minutes <= bound)


OFFLINE_BACKGROUND = "#e8e6e1"
"""The map's background when there are no tiles: neutral land; the base map draws water blue
and the site boundaries as lighter land on it."""

WATER_COLOR = "#a9cfe3"
BASEMAP_STYLES: dict[str, dict[str, Any]] = {
    "ocean": {"stroke": False, "fill": True, "fillColor": WATER_COLOR, "fillOpacity": 1},
    "lake": {
        "color": "#7fb1cf",
        "weight": 0.8,
        "fill": True,
        "fillColor": WATER_COLOR,
        "fillOpacity": 1,
    },
    "coastline": {"color": "#7fb1cf", "weight": 1.2, "fill": False},
    "river": {"color": "#6aa6cd", "weight": 2, "fill": False, "opacity": 0.9},
    "border": {"color": "#8e6c8a", "weight": 2, "dashArray": "8 4 2 4", "fill": False},
    "admin1": {"color": "#9a9a9a", "weight": 1, "dashArray": "4 4", "fill": False},
    "road": {"color": "#d08a3c", "fill": False, "opacity": 0.85, "lineCap": "round"},
}
"""How the offline base map's features are drawn, by kind (see `pathways.io.basemap.KINDS`)."""
ROAD_WEIGHTS = {0: 3.5, 1: 2.8, 2: 2, 3: 1.3}
"""Road line widths by rank (0: motorway/trunk ... 3: tertiary)."""

FOCUS_COLOR = "#ffbf00"
"""The ring around the service picked in a table."""

TEXT: dict[str, str] = {
    "legend": N_("map_legend"),
    "entry_point": N_("map_entry_point"),
    "confidential": N_("map_confidential"),
    "withheld": N_("map_withheld"),
    "intake_short": N_("map_intake_short"),
    "referral": N_("map_referral"),
    "referral_dashed": N_("map_referral_dashed"),
    "gap": N_("map_gap"),
    "gaps": N_("map_gaps"),
    "boundaries": N_("map_boundaries"),
    "referrals": N_("map_referrals"),
    "gaps_layer": N_("map_gaps_layer"),
    "organisation": N_("map_organisation"),
    "categories": N_("map_categories"),
    "hours": N_("map_hours"),
    "languages": N_("map_languages"),
    "interpretation": N_("map_interpretation"),
    "serves": N_("map_serves"),
    "ages": N_("map_ages"),
    "requires": N_("map_requires"),
    "contact": N_("map_contact"),
    "last_verified": N_("map_last_verified"),
    "place": N_("map_place"),
    "address": N_("map_address"),
    "cost": N_("map_cost"),
    "legal_status": N_("map_legal_status"),
    "for": N_("map_for"),
    "not_on_map": N_("map_not_on_map"),
    "site": N_("map_site"),
    "route": N_("map_route"),
    "route_for": N_("map_route_for"),
    "route_step": N_("map_route_step"),
    "route_none": N_("map_route_none"),
    "route_seen": N_("map_route_seen"),
    "route_rounded": N_("map_route_rounded"),
    "arrival": N_("map_arrival"),
    "via": N_("map_via"),
    "cluster": N_("map_cluster"),
    "coverage": N_("map_coverage"),
    "coverage_title": N_("map_coverage_title"),
    "coverage_no_service": N_("map_coverage_no_service"),
    "coverage_from_centre": N_("map_coverage_from_centre"),
    "minutes": N_("map_minutes"),
    "people": N_("map_people"),
    "population_source": N_("map_population_source"),
    "places": N_("map_places"),
    "dispersed": N_("map_dispersed"),
    "basemap": N_("map_basemap"),
    "basemap_credit": N_("map_basemap_credit"),
    "gaps_ringed": N_("map_gaps_ringed"),
    "sev_critical": N_("map_sev_critical"),
    "sev_major": N_("map_sev_major"),
    "sev_minor": N_("map_sev_minor"),
}
"""The maps' interface words: the name the layers use -> its catalog key (`text`)."""

MODES: dict[str, str] = {
    "escorted": N_("map_mode_escorted"),
    "accompanied-call": N_("map_mode_accompanied-call"),
    "phone": N_("map_mode_phone"),
    "form": N_("map_mode_form"),
    "self": N_("map_mode_self"),
}
"""A referral mode as the maps say it (catalog keys, `mode_label`)."""


def text(key: str, lang: str = "en") -> str:
    """An interface string of the maps in `lang` (English where the catalog has no text)."""
    return t(TEXT[key], lang)


def mode_label(mode: str, lang: str = "en") -> str:
    """A referral mode in words."""
    return t(MODES[mode], lang) if mode in MODES else mode
