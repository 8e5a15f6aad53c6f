"""Referral Atlas geography: travel time, population coverage, what confidential places become,
and the maps (Folium, and static PNGs).

Modules are exposed so calls read `mapping.layers.services_layer(inventory, m=m)`. Nothing here
imports Streamlit; Leaflet is linked or inlined from a local copy (`mapping.assets`).
"""

from mapping import (
    assets,
    build,
    coverage,
    layers,
    population,
    privacy,
    rendering,
    static,
    style,
    travel,
)
from mapping.build import build_map, save_map
from mapping.privacy import PublicPlace, public_place

__all__ = [
    "PublicPlace",
    "assets",
    "build",
    "build_map",
    "coverage",
    "layers",
    "population",
    "privacy",
    "public_place",
    "rendering",
    "save_map",
    "static",
    "style",
    "travel",
]
