"""The referral network as GraphML or GEXF, for network tools (Gephi, Cytoscape, networkx).

Every attribute is a scalar (GraphML and GEXF writers reject None, lists and dicts): lists are
comma-separated text, empty values are left out. Positions are public places only, and travel
hours are measured between public places, so no edge length points at a confidential location.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from pathways.analysis.travel import travel_model
from pathways.io.export._write import atomic_output
from pathways.io.export.options import ExportOptions
from pathways.io.export.public import join, public_services, service_row
from pathways.model.inventory import Inventory
from pathways.public.privacy import distance_m


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != ""}


def to_network(inventories: Sequence[Inventory], *, lang: str = "en") -> nx.DiGraph:
    """A DiGraph of every site's services and referrals with scalar attributes only.

    Nodes are service ids (`site:id` when there are several sites); lat/lon are the public
    place (absent for a hidden service).
    """
    several = len(inventories) > 1
    G = nx.DiGraph(
        sites=join(inv.site.id for inv in inventories),
        data_status=join(sorted({inv.site.data_status for inv in inventories})),
    )
    for inv in inventories:
        key = (lambda sid, site=inv.site.id: f"{site}:{sid}") if several else (lambda sid: sid)
        places = {}
        for ps in public_services(inv):
            places[ps.service.id] = ps.place
            row = service_row(ps, inv, lang=lang)
            G.add_node(key(ps.service.id), label=ps.service.name, **_scalars(row))
        model = travel_model(inv)
        for r in inv.referrals:
            a, b = places[r.source_id], places[r.target_id]
            travel = (
                None
                if a is None or b is None
                else round(model.hours(distance_m(a.lat, a.lon, b.lat, b.lon) / 1000), 3)
            )
            attrs = {
                "site": inv.site.id,
                "needs": join(inv.referral_targets(r)),
                "mode": r.mode,
                "consent": r.consent,
                "delay_hours": r.delay,
                "travel_hours": travel,
                "source": r.source,
                "last_tested": r.last_tested.isoformat() if r.last_tested else None,
                "notes": r.notes,
            }
            G.add_edge(key(r.source_id), key(r.target_id), **_scalars(attrs))
    return G


def write_graphml(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write the referral network as GraphML."""
    G = to_network(inventories, lang=options.lang)
    with atomic_output(path) as tmp:
        nx.write_graphml(G, tmp, encoding="utf-8")


def write_gexf(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write the referral network as GEXF, with the public places as Gephi positions."""
    G = to_network(inventories, lang=options.lang)
    for _, data in G.nodes(data=True):
        if "lon" in data:
            data["viz"] = {"position": {"x": data["lon"], "y": data["lat"], "z": 0.0}}
    with atomic_output(path) as tmp:
        nx.write_gexf(G, tmp, encoding="utf-8")
