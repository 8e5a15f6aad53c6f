"""How the maps look: one colour and short code per category, line and ring styles, UI text.

Everything visual that more than one layer needs is written down here once, so the legend and
the layers cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "legend": "Legend",
        "entry_point": "Entry point (survivors can arrive directly)",
        "confidential": "Confidential: area level, exact location withheld",
        "withheld": "area level, exact location withheld",
        "intake_short": "public intake point, service location withheld",
        "referral": "Referral, escorted or accompanied call",
        "referral_dashed": "Referral by phone, form or self-referral",
        "gap": "Named in a gap: critical, major, minor",
        "gaps": "Gaps",
        "boundaries": "Site boundary and areas",
        "referrals": "Referral routes",
        "gaps_layer": "Gaps",
        "organisation": "Organisation",
        "categories": "Services",
        "hours": "Hours",
        "languages": "Languages",
        "interpretation": "interpretation available",
        "serves": "Serves",
        "ages": "ages",
        "requires": "Requires",
        "contact": "Contact",
        "last_verified": "Last verified",
        "place": "Place",
        "address": "Address",
        "cost": "Cost",
        "legal_status": "Legal status",
        "for": "for",
        "not_on_map": "Not on the map (location hidden)",
        "site": "Site",
        "route": "Survivor route",
        "route_for": "Route for",
        "route_step": "Numbered hand-off of the survivor route",
        "route_none": "No route",
        "route_seen": "seen {h} after arrival ({clock})",
        "route_rounded": "times rounded to the hour: the route passes a confidential service",
        "arrival": "arrival",
        "via": "via",
        "cluster": "Several services close together (click to zoom in)",
        "coverage": "Coverage",
        "coverage_title": "Travel time to the nearest service: {category}",
        "coverage_no_service": "no service",
        "coverage_from_centre": "from the area's centre",
        "minutes": "min",
        "people": "people",
        "population_source": "Population",
        "places": "Populated places",
        "dispersed": "rest of the area, spread evenly",
        "basemap": "Base map (towns, water, borders)",
        "basemap_credit": "Base map",
        "gaps_ringed": "Ringed on the map: {n}",
        "sev_critical": "critical",
        "sev_major": "major",
        "sev_minor": "minor",
    },
    "fr": {
        "legend": "Légende",
        "entry_point": "Point d'entrée (accès direct des survivant·es)",
        "confidential": "Confidentiel : niveau zone, adresse exacte masquée",
        "withheld": "niveau zone, adresse exacte masquée",
        "intake_short": "point d'accueil public, adresse du service masquée",
        "referral": "Référencement accompagné ou appel accompagné",
        "referral_dashed": "Référencement par téléphone, formulaire ou démarche seule",
        "gap": "Cité dans un manque : critique, majeur, mineur",
        "gaps": "Manques",
        "boundaries": "Limites du site et zones",
        "referrals": "Voies de référencement",
        "gaps_layer": "Manques",
        "organisation": "Organisation",
        "categories": "Services",
        "hours": "Horaires",
        "languages": "Langues",
        "interpretation": "interprétariat disponible",
        "serves": "Public",
        "ages": "âges",
        "requires": "Exige",
        "contact": "Contact",
        "last_verified": "Dernière vérification",
        "place": "Lieu",
        "address": "Adresse",
        "cost": "Coût",
        "legal_status": "Statut légal",
        "for": "pour",
        "not_on_map": "Absent de la carte (lieu masqué)",
        "site": "Site",
        "route": "Parcours de la survivante",
        "route_for": "Parcours pour",
        "route_step": "Étape numérotée du parcours de la survivante",
        "route_none": "Pas de parcours",
        "route_seen": "reçue {h} après l'arrivée ({clock})",
        "route_rounded": "heures arrondies : le parcours passe par un service confidentiel",
        "arrival": "arrivée",
        "via": "via",
        "cluster": "Plusieurs services proches (cliquer pour zoomer)",
        "coverage": "Couverture",
        "coverage_title": "Temps de trajet jusqu'au service le plus proche : {category}",
        "coverage_no_service": "aucun service",
        "coverage_from_centre": "depuis le centre de la zone",
        "minutes": "min",
        "people": "habitants",
        "population_source": "Population",
        "places": "Lieux habités",
        "dispersed": "reste de la zone, réparti uniformément",
        "basemap": "Fond de carte (localités, eau, frontières)",
        "basemap_credit": "Fond de carte",
        "gaps_ringed": "Cerclés sur la carte : {n}",
        "sev_critical": "critique",
        "sev_major": "majeur",
        "sev_minor": "mineur",
    },
}
"""Interface text of the maps, in English and French."""

MODES: dict[str, dict[str, str]] = {
    "en": {
        "escorted": "escorted",
        "accompanied-call": "accompanied call",
        "phone": "phone",
        "form": "form",
        "self": "self-referral",
    },
    "fr": {
        "escorted": "accompagnement physique",
        "accompanied-call": "appel accompagné",
        "phone": "téléphone",
        "form": "formulaire",
        "self": "démarche seule",
    },
}


def text(key: str, lang: str = "en") -> str:
    """An interface string in `lang` (English when the language or key is missing)."""
    return TEXT.get(lang, TEXT["en"]).get(key) or TEXT["en"][key]


def mode_label(mode: str, lang: str = "en") -> str:
    """A referral mode in words."""
    return MODES.get(lang, MODES["en"]).get(mode, mode)
