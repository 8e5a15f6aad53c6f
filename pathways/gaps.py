"""Gap analysis: the care a survivor cannot reach at a site, and the referral network's weak spots.

Each finder is a small pure function of the referral graph (and the inventory where the site's
rules matter); `find_gaps` runs them all. Severity rules are written down once, in `SEVERITY`,
and every gap carries a sentence a workshop facilitator can read out, in English and French.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import networkx as nx

from pathways.graph import (
    build_referral_graph,
    entry_points,
    providers,
    reachable_providers,
    service,
)
from pathways.inventory import Inventory, category_label

Severity = Literal["critical", "major", "minor"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "major": 1, "minor": 2}

LIFE_SAVING = frozenset({"health.cmr"})
"""Categories whose absence is always critical: post-exposure prophylaxis cannot wait."""


def _by_category(category: str, inventory: Inventory) -> Severity:
    if category in LIFE_SAVING:
        return "critical"
    in_package = any(category in item for item in inventory.minimum_package())
    return "major" if in_package else "minor"


SEVERITY: dict[str, Callable[[str, Inventory], Severity] | Severity] = {
    # a minimum-package category nobody offers: critical for clinical rape care, else major
    "missing_category": _by_category,
    # offered but no route leads there: same scale as missing (the survivor cannot get it)
    "unreachable": _by_category,
    # an entry point that cannot refer anyone anywhere: survivors who arrive there stop there
    "dead_end": "major",
    # a service no route reaches and that survivors cannot walk into: wasted capacity
    "orphan": "minor",
}
"""The severity rules, in one place. A rule is a fixed severity or a function of the category."""


def severity(kind: str, category: str, inventory: Inventory) -> Severity:
    """The severity of a gap of this kind about this category at this site."""
    rule = SEVERITY[kind]
    return rule(category, inventory) if callable(rule) else rule


MESSAGES: dict[str, dict[str, str]] = {
    "missing_category": {
        "en": "{site}: no service offers {label}, which every site must provide.",
        "fr": "{site} : aucun service n'offre {label_fr}, que chaque site doit assurer.",
    },
    "unreachable": {
        "en": "{site}: {label} exists ({services}) but no referral route leads there from an "
        "entry point.",
        "fr": "{site} : {label_fr} existe ({services}) mais aucune voie de référencement n'y "
        "mène depuis un point d'entrée.",
    },
    "dead_end": {
        "en": "{site}: survivors who arrive at {name} cannot be referred anywhere: it has no "
        "referral route out.",
        "fr": "{site} : les survivant·es qui arrivent à {name} ne peuvent être orienté·es nulle "
        "part : aucune voie de référencement n'en part.",
    },
    "orphan": {
        "en": "{site}: {name} is not an entry point and no referral route leads to it.",
        "fr": "{site} : {name} n'est pas un point d'entrée et aucune voie de référencement n'y "
        "mène.",
    },
}


@dataclass(frozen=True)
class Gap:
    """One gap: what kind, how bad, where, which services and categories, and a sentence."""

    kind: str
    severity: Severity
    site: str
    services: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    message: str = ""
    message_fr: str = ""
    languages: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    entry_point: str | None = None
    hours: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> tuple[str, str, tuple[str, ...], tuple[str, ...], str | None]:
        """What identifies a gap across two analyses (for what-if diffs)."""
        return (self.kind, self.site, self.services, self.categories, self.entry_point)

    def text(self, lang: str = "en") -> str:
        """The sentence to read out, in English or French."""
        return self.message_fr if lang == "fr" and self.message_fr else self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the design: empty optional members are left out."""
        d = asdict(self)
        out: dict[str, Any] = {k: d[k] for k in ("kind", "severity", "site", "message")}
        out["services"] = list(self.services)
        out["categories"] = list(self.categories)
        out["message_fr"] = self.message_fr
        for k in ("languages", "groups", "hours"):
            if d[k]:
                out[k] = list(d[k])
        if self.entry_point:
            out["entry_point"] = self.entry_point
        if self.details:
            out["details"] = self.details
        return out


def _gap(
    kind: str,
    inventory: Inventory,
    *,
    category: str = "",
    services: Iterable[str] = (),
    categories: Iterable[str] = (),
    sev: Severity | None = None,
    **fmt: Any,
) -> Gap:
    services = tuple(services)
    cats = tuple(categories) or ((category,) if category else ())
    names = ", ".join(inventory.by_id[s].name for s in services)
    values = {
        "site": inventory.site.name,
        "label": category_label(category, "en") if category else "",
        "label_fr": category_label(category, "fr") if category else "",
        "services": names,
        "name": names,
        **fmt,
    }
    return Gap(
        kind=kind,
        severity=sev or severity(kind, category, inventory),
        site=inventory.site.id,
        services=services,
        categories=cats,
        message=MESSAGES[kind]["en"].format(**values),
        message_fr=MESSAGES[kind]["fr"].format(**values),
    )


# --- the finders -------------------------------------------------------------------------------


def missing_categories(G: nx.DiGraph, inventory: Inventory) -> list[Gap]:
    """Minimum-package items no open service offers (an item is met by any of its categories)."""
    gaps = []
    for item in inventory.minimum_package():
        if not any(providers(G, c) for c in item):
            gaps.append(_gap("missing_category", inventory, category=item[0], categories=item))
    return gaps


def unreachable_categories(G: nx.DiGraph, inventory: Inventory) -> list[Gap]:
    """Categories offered at the site that no route from any entry point leads to."""
    entries = entry_points(G)
    gaps = []
    for category in sorted({c for n in G for c in service(G, n).categories}):
        offered = providers(G, category)
        if offered and not reachable_providers(G, category, entries):
            gaps.append(_gap("unreachable", inventory, category=category, services=offered))
    return gaps


def dead_ends(G: nx.DiGraph, inventory: Inventory) -> list[Gap]:
    """Entry points with no referral route out."""
    return [
        _gap("dead_end", inventory, services=[n], categories=service(G, n).categories)
        for n in entry_points(G)
        if G.out_degree(n) == 0
    ]


def orphans(G: nx.DiGraph, inventory: Inventory) -> list[Gap]:
    """Services that are not entry points and that no referral route reaches."""
    return [
        _gap("orphan", inventory, services=[n], categories=service(G, n).categories)
        for n in sorted(G)
        if not G.nodes[n]["entry_point"] and G.in_degree(n) == 0
    ]


FINDERS: dict[str, Callable[[nx.DiGraph, Inventory], list[Gap]]] = {
    "missing_category": missing_categories,
    "unreachable": unreachable_categories,
    "dead_end": dead_ends,
    "orphan": orphans,
}
"""Every gap kind this version finds, in the order they are reported."""


def find_gaps(
    inventory: Inventory,
    *,
    G: nx.DiGraph | None = None,
    kinds: Iterable[str] | None = None,
    closed: Iterable[str] = (),
) -> list[Gap]:
    """All gaps of one site, most severe first; `closed` services are treated as shut."""
    if G is None:
        G = build_referral_graph(inventory, closed=closed)
    selected = list(kinds) if kinds is not None else list(FINDERS)
    unknown = [k for k in selected if k not in FINDERS]
    if unknown:
        raise ValueError(f"unknown gap kind(s): {', '.join(unknown)} (known: {', '.join(FINDERS)})")
    gaps = [g for kind in selected for g in FINDERS[kind](G, inventory)]
    return sort_gaps(gaps)


def sort_gaps(gaps: Iterable[Gap]) -> list[Gap]:
    """A stable order: site, severity, kind, then the services and categories involved."""
    kind_rank = {k: i for i, k in enumerate(FINDERS)}
    return sorted(
        gaps,
        key=lambda g: (
            g.site,
            SEVERITY_ORDER[g.severity],
            kind_rank.get(g.kind, 99),
            g.services,
            g.categories,
        ),
    )
