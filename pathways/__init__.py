"""Referral Atlas: the referral model (inventories, referral graph, routes, gaps, exports).

The layers are folders, lowest first (docs/ARCHITECTURE.md):
`i18n` (words), `model` (records), `public` (the privacy gate), `analysis` (graph, routes, gaps,
coverage), `io` (load, save, imports, exports), `cli` (the command line). Nothing here imports
Streamlit or folium; maps live in `mapping`, the app in `app.py` and `views`.

The most used names are importable from here (`from pathways import load_site`); they are
resolved on first use, so importing a lower layer never drags the upper ones in.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Inventory": "pathways.model.inventory",
    "Referral": "pathways.model.inventory",
    "Service": "pathways.model.inventory",
    "Site": "pathways.model.inventory",
    "InventoryError": "pathways.model.errors",
    "Problem": "pathways.model.errors",
    "ValidationError": "pathways.model.errors",
    "load_site": "pathways.io.load",
    "load_sites": "pathways.io.load",
    "find_gaps": "pathways.analysis.gaps",
    "build_referral_graph": "pathways.analysis.graph",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Resolve a re-exported name from its layer on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'pathways' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
