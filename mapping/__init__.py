"""Referral Atlas geography: what confidential places become, and the Folium maps.

Modules are exposed so calls read `mapping.layers.services_layer(inventory, m=m)`. Nothing here
imports Streamlit; Leaflet is linked or inlined from a local copy (`mapping.assets`).
"""

from mapping import assets, build, layers, privacy, style
from mapping.build import build_map, save_map
from mapping.privacy import PublicPlace, public_place

__all__ = [
    "PublicPlace",
    "assets",
    "build",
    "build_map",
    "layers",
    "privacy",
    "public_place",
    "save_map",
    "style",
]
