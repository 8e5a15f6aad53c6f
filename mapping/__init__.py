"""Referral Atlas geography: travel time, population coverage and the maps (Folium, static PNG).

Modules are exposed so calls read `mapping.layers.services_layer(inventory, m=m)`. Nothing here
imports Streamlit; Leaflet is linked or inlined from a local copy (`mapping.assets`).
"""

from mapping import (
    assets,
    build,
    coverage,
    layers,
    population,
    rendering,
    static,
    style,
    travel,
)
from mapping.build import build_map, save_map

__all__ = [
    "assets",
    "build",
    "build_map",
    "coverage",
    "layers",
    "population",
    "rendering",
    "save_map",
    "static",
    "style",
    "travel",
]
