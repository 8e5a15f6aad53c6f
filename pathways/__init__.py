"""Referral Atlas: the referral model (inventories, referral graph, routes, gaps, exports).

Nothing here imports Streamlit or folium; maps live in `mapping`, the app in `app.py`.
"""

from pathways import errors, gaps, graph, inventory, load
from pathways.errors import InventoryError, Problem, ValidationError
from pathways.inventory import Inventory, Referral, Service, Site
from pathways.load import load_site, load_sites

__all__ = [
    "Inventory",
    "InventoryError",
    "Problem",
    "Referral",
    "Service",
    "Site",
    "ValidationError",
    "errors",
    "gaps",
    "graph",
    "inventory",
    "load",
    "load_site",
    "load_sites",
]
