"""Sites side by side: the category matrix and a few headline figures per site."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from pathways.analysis.gaps import PEP_HOURS, find_gaps
from pathways.analysis.graph import (
    build_referral_graph,
    entry_points,
    providers,
    reachable_from,
    reachable_providers,
)
from pathways.analysis.routes import fastest_to, week_profile
from pathways.model.inventory import TAXONOMY, Inventory

REFERENCE_ARRIVAL = 10.0
"""Monday 10:00: the arrival used to count hand-offs (hours since Monday 00:00)."""


@dataclass(frozen=True)
class SiteSummary:
    """One site's row: services and reach per category, and the headline figures."""

    site: str
    name: str
    data_status: str
    services: int
    referrals: int
    entry_points: int
    by_category: dict[str, tuple[int, int]]  # category -> (services, entry points reaching it)
    share_pep_72h_always: float | None  # entry points reaching health.cmr within 72 h at every hour
    median_handoffs_to_care: float | None
    single_points_of_failure: int
    gaps_by_severity: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["by_category"] = {
            c: {"services": n, "entry_points_reaching": r} for c, (n, r) in self.by_category.items()
        }
        return d


def summarise(inventory: Inventory, *, categories: Sequence[str] = tuple(TAXONOMY)) -> SiteSummary:
    """The comparison row of one site."""
    G = build_referral_graph(inventory)
    entries = entry_points(G)
    by_category = _reach_by_category(G, entries, categories)
    share = None
    handoffs: list[int] = []
    if entries and providers(G, "health.cmr"):
        ok = sum(1 for e in entries if week_profile(G, e, "health.cmr").worst <= PEP_HOURS)
        share = ok / len(entries)
        for e in entries:
            leg = fastest_to(G, e, REFERENCE_ARRIVAL, "health.cmr")
            if leg:
                handoffs.append(len(leg[1]) - 1)
    gaps = find_gaps(inventory, G=G)
    sev = {s: sum(1 for g in gaps if g.severity == s) for s in ("critical", "major", "minor")}
    return SiteSummary(
        site=inventory.site.id,
        name=inventory.site.name,
        data_status=inventory.site.data_status,
        services=len(inventory.services),
        referrals=len(inventory.referrals),
        entry_points=len(entries),
        by_category=by_category,
        share_pep_72h_always=None if share is None else round(share, 3),
        median_handoffs_to_care=statistics.median(handoffs) if handoffs else None,
        single_points_of_failure=sum(1 for g in gaps if g.kind == "single_point_of_failure"),
        gaps_by_severity=sev,
    )


def _reach_by_category(
    G: nx.DiGraph, entries: Sequence[str], categories: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Per category: its providers, and the entry points from which one can be reached (one
    search per entry point answers for every category)."""
    offered = {c: len(providers(G, c)) for c in categories}
    reaching = dict.fromkeys(categories, 0)
    searched = [c for c in categories if offered[c]]
    for e in entries if searched else ():
        reached = reachable_from(G, [e])
        for c in searched:
            reaching[c] += bool(reachable_providers(G, c, [e], reached=reached))
    return {c: (offered[c], reaching[c]) for c in categories}


def compare_sites(inventories: Iterable[Inventory]) -> list[SiteSummary]:
    """One summary per site, in the order given."""
    return [summarise(inv) for inv in inventories]


def matrix_rows(summaries: Sequence[SiteSummary]) -> list[dict[str, Any]]:
    """Flat rows for a table or CSV: one per site, a services/reach column pair per category."""
    rows = []
    for s in summaries:
        row: dict[str, Any] = {
            "site": s.site,
            "services": s.services,
            "referrals": s.referrals,
            "entry_points": s.entry_points,
            "share_pep_72h_always": s.share_pep_72h_always,
            "median_handoffs_to_care": s.median_handoffs_to_care,
            "single_points_of_failure": s.single_points_of_failure,
            **{f"gaps_{k}": v for k, v in s.gaps_by_severity.items()},
        }
        for c, (n, r) in s.by_category.items():
            row[f"{c}:services"] = n
            row[f"{c}:entry_points_reaching"] = r
        rows.append(row)
    return rows
