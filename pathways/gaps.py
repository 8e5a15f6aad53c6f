"""Gap analysis: the care a survivor cannot reach at a site, and the referral network's weak spots.

Each finder is a small pure function of the referral graph (and the inventory where the site's
rules matter); `find_gaps` runs them all. Severity rules are written down once, in `SEVERITY`,
and every gap carries a sentence a workshop facilitator can read out, in English and French.
"""

from __future__ import annotations

import calendar
import datetime as dt
import gettext
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

import networkx as nx
import pycountry

from pathways import clock
from pathways._gc import pausing_collector
from pathways.graph import (
    build_referral_graph,
    entry_points,
    graph_backend,
    immediate_dominators,
    providers,
    reachable_providers,
    reached_from,
    reaching,
    rustworkx_dominators,
    rustworkx_graph,
    serves_need,
    service,
)
from pathways.inventory import Inventory, Service, category_label
from pathways.routes import (
    fastest_to,
    hour_ranges,
    serving_routes,
    week_profile,
    within_by_hour,
    within_by_hour_twice,
)

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
    # clinical rape care later than 72 h (PEP) from an entry point: always critical
    "time_critical": "critical",
    # no route to clinical rape care open at night and at weekends
    "hours": "major",
    # one closure cuts entry points off from a category: scale of the category
    "single_point_of_failure": _by_category,
    # no service in a category speaks a site language, nor brings an interpreter
    "language": _by_category,
    # a group (girls, boys, men, undocumented people...) cannot use a category
    "eligibility": _by_category,
    # the only routes to a category pass a condition that deters survivors
    "deterrent": _by_category,
    # not verified or tested within the site's review period
    "stale": "minor",
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
    "time_critical": {
        "en": "{site}: from {entry}, clinical care after rape takes {worst} at worst "
        "(typically {typical}); beyond 72 h for post-exposure prophylaxis for arrivals {when}.",
        "fr": "{site} : depuis {entry}, la prise en charge clinique du viol prend jusqu'à "
        "{worst_fr} (en général {typical_fr}) ; au-delà de 72 h pour la prophylaxie "
        "post-exposition pour une arrivée {when_fr}.",
    },
    "time_critical_never": {
        "en": "{site}: from {entry}, no referral route leads to clinical care after rape at all.",
        "fr": "{site} : depuis {entry}, aucune voie de référencement ne mène à la prise en "
        "charge clinique du viol.",
    },
    "hours": {
        "en": "{site}: a survivor arriving {when} cannot be seen for clinical care after rape "
        "without waiting for a service to open: no route is open then.",
        "fr": "{site} : une survivante qui arrive {when_fr} ne peut pas recevoir de soins "
        "cliniques après un viol sans attendre l'ouverture d'un service : aucune voie n'est "
        "ouverte à ce moment.",
    },
    "single_point_of_failure": {
        "en": "{site}: if {name} closes, {n_entries} entry point(s) lose every route to {label} "
        "({entries}).",
        "fr": "{site} : si {name} ferme, {n_entries} point(s) d'entrée perdent toute voie vers "
        "{label_fr} ({entries}).",
    },
    "language": {
        "en": "{site}: no service speaks {language_name} or brings an interpreter for {labels}.",
        "fr": "{site} : aucun service ne parle {language_name} ni ne fait venir d'interprète "
        "pour {labels_fr}.",
    },
    "eligibility": {
        "en": "{site}: {group_name} cannot use any service for {labels}.",
        "fr": "{site} : {group_name_fr} ne peuvent utiliser aucun service pour {labels_fr}.",
    },
    "deterrent": {
        "en": "{site}: every route to {label} passes a condition that deters survivors: "
        "{conditions}.",
        "fr": "{site} : toutes les voies vers {label_fr} passent par une condition qui dissuade "
        "les survivant·es : {conditions}.",
    },
    "stale_services": {
        "en": "{site}: {count} service(s) not verified in the last {months} months: {name}.",
        "fr": "{site} : {count} service(s) non vérifié(s) depuis {months} mois : {name}.",
    },
    "stale_routes": {
        "en": "{site}: {count} referral route(s) not tested in the last {months} months: {routes}.",
        "fr": "{site} : {count} voie(s) de référencement non testée(s) depuis {months} mois : "
        "{routes}.",
    },
}

GROUP_NAMES = {
    "women": ("Women", "Les femmes"),
    "men": ("Men", "Les hommes"),
    "girls": ("Girls (under 18)", "Les filles (moins de 18 ans)"),
    "boys": ("Boys (under 18)", "Les garçons (moins de 18 ans)"),
    "nonbinary": ("Non-binary people", "Les personnes non binaires"),
    "undocumented": ("Undocumented people", "Les personnes sans papiers"),
}

PEP_HOURS = 72.0
"""Post-exposure prophylaxis must start within 72 hours."""
EC_HOURS = 120.0
"""Emergency contraception works up to 120 hours."""

NIGHT_AND_WEEKEND = {
    "at night on a weekday (Wed 02:00)": (2 * 24 + 2.0, "la nuit en semaine (mer. 02:00)"),
    "on a Saturday night (Sat 23:00)": (5 * 24 + 23.0, "un samedi soir (sam. 23:00)"),
    "on a Sunday afternoon (Sun 15:00)": (6 * 24 + 15.0, "un dimanche après-midi (dim. 15:00)"),
}
"""The arrival times the `hours` gap tries (hours since Monday 00:00, French label)."""


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
    def key(self) -> tuple[Any, ...]:
        """What identifies a gap across two analyses (for what-if diffs).

        A stale list or a fragile service stays the same gap when its details change.
        """
        if self.kind == "stale":
            return (self.kind, self.site, "routes" in self.details)
        if self.kind == "single_point_of_failure":
            return (self.kind, self.site, self.services, (), None)
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
    template: str | None = None,
    extra: dict[str, Any] | None = None,
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
    texts = MESSAGES[template or kind]
    return Gap(
        kind=kind,
        severity=sev or severity(kind, category, inventory),
        site=inventory.site.id,
        services=services,
        categories=cats,
        message=texts["en"].format(**values),
        message_fr=texts["fr"].format(**values),
        **(extra or {}),
    )


# --- the finders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What-if and reference settings shared by the finders."""

    as_of: dt.date
    interpretation: bool = True


def _worst(categories: Iterable[str], inventory: Inventory, kind: str) -> Severity:
    sevs = [severity(kind, c, inventory) for c in categories]
    return min(sevs, key=SEVERITY_ORDER.__getitem__) if sevs else "minor"


def _package_items(G: nx.DiGraph, inventory: Inventory) -> list[tuple[str, ...]]:
    """Minimum-package items that some open service offers (the others are missing)."""
    return [item for item in inventory.minimum_package() if any(providers(G, c) for c in item)]


def _item_label(item: tuple[str, ...], lang: str) -> str:
    sep = " ou " if lang == "fr" else " or "
    return sep.join(
        category_label(c, lang).lower() if i else category_label(c, lang)
        for i, c in enumerate(item)
    )


_FR_HOURS = {
    "never": "jamais",
    "more than 120 h": "plus de 120 h",
    "72 to 120 h": "72 à 120 h",
    "72 h or less": "72 h ou moins",
}


def _hours_text(h: float) -> str:
    return "never" if math.isinf(h) else f"{h:.0f} h"


@pausing_collector
def missing_categories(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Minimum-package items no open service offers (an item is met by any of its categories)."""
    gaps = []
    for item in inventory.minimum_package():
        if not any(providers(G, c) for c in item):
            gaps.append(_gap("missing_category", inventory, category=item[0], categories=item))
    return gaps


@pausing_collector
def unreachable_categories(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Categories offered at the site that no route from any entry point leads to."""
    entries = entry_points(G)
    reached = reached_from(G, entries)
    gaps = []
    for category in sorted({c for n in G for c in service(G, n).categories}):
        offered = providers(G, category)
        if offered and not reachable_providers(G, category, entries, reached=reached):
            gaps.append(_gap("unreachable", inventory, category=category, services=offered))
    return gaps


@pausing_collector
def dead_ends(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Entry points with no referral route out."""
    return [
        _gap("dead_end", inventory, services=[n], categories=service(G, n).categories)
        for n in entry_points(G)
        if G.out_degree(n) == 0
    ]


@pausing_collector
def orphans(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Services that are not entry points and that no referral route reaches."""
    return [
        _gap("orphan", inventory, services=[n], categories=service(G, n).categories)
        for n in sorted(G)
        if not G.nodes[n]["entry_point"] and G.in_degree(n) == 0
    ]


EXACT_TIMES_LIMIT = 2000
"""Up to this many services, `time_critical` reports exact worst and typical hours (a forward
search per failing entry point and arrival hour); above it, hours are given in 72/120 h bands."""


@pausing_collector
def time_critical(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Entry points from which clinical rape care takes longer than 72 h, for some arrivals.

    Every arrival hour of the week is tried: referral delays + travel + waiting for opening.
    Which hours fail is decided for all entry points at once by reverse passes (one per
    arrival hour); exact times are then computed for the entry points that fail.
    """
    if not providers(G, "health.cmr"):
        return []  # missing_category says it
    entries = entry_points(G)
    exact = G.number_of_nodes() <= EXACT_TIMES_LIMIT
    if exact:  # 72 h passes here; the failing entry points' week profiles give the rest
        ok120: dict[str, list[bool]] = {}
        ok72 = within_by_hour(G, entries, "health.cmr", PEP_HOURS)
    else:  # one pass per hour answers 72 h and 120 h
        ok72, ok120 = within_by_hour_twice(G, entries, "health.cmr", PEP_HOURS, EC_HOURS)
    failing_entries = [e for e in entries if not all(ok72[e])]
    gaps = []
    for e in failing_entries:
        failing = [h for h, ok in enumerate(ok72[e]) if not ok]
        if exact:
            wp = week_profile(G, e, "health.cmr")
            worst, typical = wp.worst, wp.typical
            n_ec = len(wp.failing(EC_HOURS))
            worst_text, typical_text = _hours_text(worst), _hours_text(typical)
        else:
            n_ec = sum(not ok for ok in ok120[e])
            worst = typical = math.nan
            worst_text = "more than 120 h" if n_ec else "72 to 120 h"
            typical_text = (
                "72 h or less"
                if len(failing) < 84
                else "72 to 120 h"
                if n_ec < 84
                else "more than 120 h"
            )
        gaps.append(
            _time_gap(G, inventory, e, failing, n_ec, worst, typical, worst_text, typical_text)
        )
    return gaps


def _time_gap(
    G: nx.DiGraph,
    inventory: Inventory,
    e: str,
    failing: list[int],
    n_ec: int,
    worst: float,
    typical: float,
    worst_text: str,
    typical_text: str,
) -> Gap:
    def num(x: float) -> float | None:
        return None if math.isinf(x) or math.isnan(x) else round(x, 1)

    extra: dict[str, Any] = {
        "entry_point": e,
        "hours": tuple(hour_ranges(failing)),
        "details": {
            "worst_hours": num(worst),
            "typical_hours": num(typical),
            "arrival_hours_failing_pep_72h": len(failing),
            "arrival_hours_failing_ec_120h": n_ec,
        },
    }
    name = service(G, e).name
    never = math.isinf(typical) and len(failing) == 168
    if never:
        return _gap(
            "time_critical",
            inventory,
            category="health.cmr",
            services=[e],
            template="time_critical_never",
            entry=name,
            extra=extra,
        )
    when = ", ".join(extra["hours"])
    return _gap(
        "time_critical",
        inventory,
        category="health.cmr",
        services=[e],
        entry=name,
        worst=worst_text,
        typical=typical_text,
        worst_fr=_FR_HOURS.get(worst_text, worst_text),
        typical_fr=_FR_HOURS.get(typical_text, typical_text),
        when=when if when != "every hour of the week" else "at every hour of the week",
        when_fr=", ".join(hour_ranges(failing, "fr")),
        extra=extra,
    )


@pausing_collector
def night_and_weekend_hours(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """No route to clinical rape care on which every service is open when the survivor arrives."""
    cmr = providers(G, "health.cmr")
    if not cmr:
        return []
    failing_en, failing_fr = [], []
    for label, (t, label_fr) in NIGHT_AND_WEEKEND.items():
        if not any(fastest_to(G, e, t, "health.cmr", no_wait=True) for e in entry_points(G)):
            failing_en.append(label)
            failing_fr.append(label_fr)
    if not failing_en:
        return []
    return [
        _gap(
            "hours",
            inventory,
            category="health.cmr",
            services=cmr,
            when=" or ".join(failing_en),
            when_fr=" ou ".join(failing_fr),
            extra={"hours": tuple(failing_en)},
        )
    ]


@pausing_collector
def single_points_of_failure(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Services every route from an entry point to a category passes through.

    For each category the graph gets a sink, reached from each provider through a route that
    serves the category. The services on every path from an entry point to the sink are its
    post-dominators: the ancestors of the entry point in the dominator tree of the reversed
    graph rooted at the sink. One dominator tree per category answers for all entry points.
    Entry points that offer the category themselves cannot be cut off from it.
    """
    entries = entry_points(G)
    categories = sorted({c for n in G for c in service(G, n).categories})
    if graph_backend() == "networkx":
        cut = _cut_points_networkx(G, categories, entries)
    else:
        cut = _cut_points(G, categories, entries)
    per_service: dict[str, dict[str, set[str]]] = {}
    for (node, category), affected in cut.items():
        per_service.setdefault(node, {})[category] = set(affected)
    gaps = []
    for node, by_cat in sorted(per_service.items()):
        cats = sorted(
            by_cat, key=lambda c: (SEVERITY_ORDER[severity("unreachable", c, inventory)], c)
        )
        affected = sorted(set().union(*by_cat.values()))
        names = ", ".join(service(G, a).name for a in affected[:3])
        names += f" and {len(affected) - 3} more" if len(affected) > 3 else ""
        gaps.append(
            _gap(
                "single_point_of_failure",
                inventory,
                categories=cats,
                services=[node],
                sev=_worst(cats, inventory, "single_point_of_failure"),
                n_entries=len(affected),
                entries=names,
                label=", ".join(category_label(c, "en").lower() for c in cats),
                label_fr=", ".join(category_label(c, "fr").lower() for c in cats),
                extra={
                    "entry_point": affected[0] if len(affected) == 1 else None,
                    "details": {"entry_points": {c: sorted(by_cat[c]) for c in cats}},
                },
            )
        )
    return gaps


def _cut_points_networkx(
    G: nx.DiGraph, categories: list[str], entries: list[str]
) -> dict[tuple[str, str], list[str]]:
    """(service, category) -> entry points cut off from the category if it closes (the
    reference: networkx's dominators on the reversed graph)."""
    cut: dict[tuple[str, str], list[str]] = {}
    R = nx.DiGraph()
    R.add_nodes_from(G)
    R.add_edges_from((v, u) for u, v in G.edges)
    for category in categories:
        added = _add_sink(R, G, category)
        ipdom = nx.immediate_dominators(R, _SINK)
        R.remove_nodes_from(added)
        for e in entries:
            if service(G, e).has(category) or e not in ipdom:
                continue
            d = ipdom[e]
            while d != _SINK:
                node = d[1] if isinstance(d, tuple) else d
                cut.setdefault((node, category), []).append(e)
                d = ipdom[d]
    return cut


def _cut_points(
    G: nx.DiGraph, categories: list[str], entries: list[str]
) -> dict[tuple[str, str], list[str]]:
    """`_cut_points_networkx` on integer lists (python or rustworkx backend).

    Nodes are numbered in the graph's order; per category the sink comes next, then one
    'via' node per provider reached through a route serving the category.
    """
    nodes = list(G)
    n = len(nodes)
    number = {v: i for i, v in enumerate(nodes)}
    rsucc = [[number[u] for u in G._pred[v]] for v in nodes]  # the reversed graph
    rpred = [[number[w] for w in G._succ[v]] for v in nodes]
    fast = graph_backend() == "rustworkx"
    base = rustworkx_graph(rsucc) if fast else None
    cut: dict[tuple[str, str], list[str]] = {}
    for category in categories:
        offering = providers(G, category)
        offers = set(offering)
        checked = [(e, number[e]) for e in entries if e not in offers]
        if not checked:
            continue
        sink = n
        succ: list[list[int]] = [*rsucc, []]
        pred = [*rpred, []]
        provider_of: dict[int, str] = {}
        serving_of = serving_routes(G, category)
        for v in offering:
            serving = [number[u] for u in serving_of[v]]
            if not serving:
                continue
            via = len(succ)
            provider_of[via] = v
            succ.append(serving)
            pred.append([sink])
            succ[sink].append(via)
            for u in serving:
                pred[u] = [*pred[u], via]
        if fast:
            idom: dict[int, int] | list[int] = rustworkx_dominators(succ, sink, base)
        else:
            idom = immediate_dominators(succ, pred, sink)
        for e, i in checked:
            if (i not in idom) if fast else (idom[i] == -1):  # type: ignore[operator]
                continue  # no route from e to the category at all
            d = idom[i]
            while d != sink:
                node = provider_of[d] if d > sink else nodes[d]
                cut.setdefault((node, category), []).append(e)
                d = idom[d]
    return cut


_SINK = ("sink", "")


def _add_sink(R: nx.DiGraph, G: nx.DiGraph, category: str) -> list[Any]:
    """Add to the reversed graph R a sink and a 'via' node per provider reached through a
    route serving the category; return the nodes added (to remove them afterwards)."""
    added: list[Any] = [_SINK]
    R.add_node(_SINK)
    for v in providers(G, category):
        via = ("via", v)
        for u in G.predecessors(v):
            if serves_need(G, u, v, category):
                R.add_edge(via, u)
        if R.has_node(via):
            R.add_edge(_SINK, via)
            added.append(via)
    return added


@pausing_collector
def language_gaps(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Site languages that no provider of a minimum-package category speaks or interprets."""
    gaps = []
    items = _package_items(G, inventory)
    for lang in inventory.site.languages:
        lacking = [
            item
            for item in items
            if not any(
                _speaks(service(G, n), lang, opts.interpretation)
                for c in item
                for n in providers(G, c)
            )
        ]
        if not lacking:
            continue
        cats = [c for item in lacking for c in item]
        gaps.append(
            _gap(
                "language",
                inventory,
                categories=cats,
                sev=_worst(cats, inventory, "language"),
                language_name=_language_name(lang, "en"),
                labels=", ".join(_item_label(i, "en").lower() for i in lacking),
                labels_fr=", ".join(_item_label(i, "fr").lower() for i in lacking),
                extra={"languages": (lang,)},
            )
        )
    return [
        _with_fr(
            g,
            "language_name",
            _language_name(g.languages[0], "fr"),
            _language_name(g.languages[0], "en"),
        )
        for g in gaps
    ]


def _speaks(s: Service, lang: str, interpretation: bool) -> bool:
    return lang in s.languages or (interpretation and s.interpretation)


@lru_cache(maxsize=256)
def _language_name(code: str, lang: str) -> str:
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    found = found or pycountry.languages.get(alpha_3=code)
    name = found.name if found else code
    if lang == "fr" and found:
        try:
            tr = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["fr"])
            name = tr.gettext(found.name)
        except OSError:
            pass
        return name[0].lower() + name[1:] if name else name
    return name


def _with_fr(g: Gap, _key: str, fr: str, en: str) -> Gap:
    """Use the French language name in the French sentence."""
    return replace(g, message_fr=g.message_fr.replace(en, fr, 1))


def _usable_by(s: Service, group: str) -> bool:
    if group == "undocumented":
        return s.legal_status == "any"
    if group not in s.serves:
        return False
    if group in ("girls", "boys"):
        return s.age_min < 18
    return s.age_max is None or s.age_max >= 18


@pausing_collector
def eligibility_gaps(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Groups (girls, boys, men, non-binary or undocumented people...) left without a category."""
    gaps = []
    items = _package_items(G, inventory)
    for group, (name_en, name_fr) in GROUP_NAMES.items():
        adult = group in ("women", "men")
        lacking = [
            item
            for item in items
            if not (adult and set(item) <= {"child_protection"})
            and not any(_usable_by(service(G, n), group) for c in item for n in providers(G, c))
        ]
        if not lacking:
            continue
        cats = [c for item in lacking for c in item]
        gaps.append(
            _gap(
                "eligibility",
                inventory,
                categories=cats,
                sev=_worst(cats, inventory, "eligibility"),
                group_name=name_en,
                group_name_fr=name_fr,
                labels=", ".join(_item_label(i, "en").lower() for i in lacking),
                labels_fr=", ".join(_item_label(i, "fr").lower() for i in lacking),
                extra={"groups": (group,)},
            )
        )
    return gaps


_CONDITION_TEXT = {
    "police_report": "a police report",
    "mandatory_reporting": "mandatory reporting",
    "documents": "identity papers",
    "referral_letter": "a referral letter",
    "fee": "a fee",
}


INHERENT_CONDITIONS = frozenset({"safety.police"})
"""Categories where a report is the service itself: going to the police means reporting."""


def _deterring(s: Service) -> tuple[str, ...]:
    conds = tuple(s.requires)
    if s.cost == "fee" and "fee" not in conds:
        conds += ("fee",)
    return conds


@pausing_collector
def deterrents(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Categories reachable today only through a service with a deterring condition."""
    entries = entry_points(G)
    deterring = {n for n in G if _deterring(service(G, n))}
    if not deterring:
        return []
    free_entries = [e for e in entries if e not in deterring]
    reached = reached_from(G, entries)
    reached_free: set[str] | None = None
    gaps = []
    for category in sorted({c for item in _package_items(G, inventory) for c in item}):
        if category in INHERENT_CONDITIONS:
            continue
        today = reachable_providers(G, category, entries, reached=reached)
        if not today:
            continue
        if reached_free is None:
            reached_free = _reached_avoiding(G, free_entries, deterring)
        if _reachable_avoiding(G, category, free_entries, reached_free, deterring):
            continue
        on_routes = reaching(G, today)
        blocking = sorted(n for n in deterring if n in on_routes)
        conditions = "; ".join(
            f"{service(G, n).name} requires "
            + ", ".join(_CONDITION_TEXT.get(c, c) for c in _deterring(service(G, n)))
            for n in blocking
        )
        gaps.append(
            _gap(
                "deterrent", inventory, category=category, services=blocking, conditions=conditions
            )
        )
    return gaps


def _reachable_avoiding(
    G: nx.DiGraph, category: str, sources: list[str], reached: set[str], avoided: set[str]
) -> bool:
    """Is any provider of `category` reachable without passing the `avoided` services?

    `bool(reachable_providers(G without avoided, category, sources))`, where `reached` is
    `_reached_avoiding(G, sources, avoided)`.
    """
    if any(service(G, s).has(category) for s in sources):
        return True
    sub = category + "."
    pred = G._pred
    for v in providers(G, category):
        if v in avoided:
            continue
        for u, e in pred[v].items():
            if u in reached and any(n == category or n.startswith(sub) for n in e["needs"]):
                return True
    return False


def _reached_avoiding(G: nx.DiGraph, sources: list[str], avoided: set[str]) -> set[str]:
    """`reached_from` in the graph without the `avoided` services (no subgraph view)."""
    succ = G._succ
    seen = {s for s in sources if s not in avoided}
    frontier = list(seen)
    while frontier:
        nxt = []
        for u in frontier:
            for v in succ[u]:
                if v not in seen and v not in avoided:
                    seen.add(v)
                    nxt.append(v)
        frontier = nxt
    return seen


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


@pausing_collector
def stale(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Services not verified, and routes not tested, within the site's review period."""
    months = inventory.site.review_months
    limit = _months_before(opts.as_of, months)
    old_services = sorted(n for n in G if (d := service(G, n).last_verified) is None or d < limit)
    old_routes = sorted(
        (u, v)
        for u, v, e in G.edges(data=True)
        if (d := e["referral"].last_tested) is None or d < limit
    )
    gaps = []
    if old_services:
        gaps.append(
            _gap(
                "stale",
                inventory,
                services=old_services,
                template="stale_services",
                count=len(old_services),
                months=months,
                extra={
                    "details": {
                        "as_of": opts.as_of.isoformat(),
                        "never_verified": [
                            n for n in old_services if service(G, n).last_verified is None
                        ],
                    }
                },
            )
        )
    if old_routes:
        shown = ", ".join(f"{u} → {v}" for u, v in old_routes[:8])
        more = f" and {len(old_routes) - 8} more" if len(old_routes) > 8 else ""
        gaps.append(
            _gap(
                "stale",
                inventory,
                services=sorted({n for r in old_routes for n in r}),
                template="stale_routes",
                count=len(old_routes),
                months=months,
                routes=shown + more,
                extra={
                    "details": {
                        "as_of": opts.as_of.isoformat(),
                        "routes": [f"{u}->{v}" for u, v in old_routes],
                    }
                },
            )
        )
    return gaps


FINDERS: dict[str, Callable[[nx.DiGraph, Inventory, Options], list[Gap]]] = {
    "missing_category": missing_categories,
    "unreachable": unreachable_categories,
    "time_critical": time_critical,
    "hours": night_and_weekend_hours,
    "single_point_of_failure": single_points_of_failure,
    "language": language_gaps,
    "eligibility": eligibility_gaps,
    "deterrent": deterrents,
    "dead_end": dead_ends,
    "orphan": orphans,
    "stale": stale,
}
"""Every gap kind this version finds, in the order they are reported."""


@pausing_collector
def find_gaps(
    inventory: Inventory,
    *,
    G: nx.DiGraph | None = None,
    kinds: Iterable[str] | None = None,
    closed: Iterable[str] = (),
    interpretation: bool = True,
    as_of: dt.date | None = None,
) -> list[Gap]:
    """All gaps of one site, most severe first.

    What-if options: `closed` services are treated as shut; `interpretation=False` assumes no
    interpreter can be found. `as_of` is the date `stale` counts from (default today).
    """
    if G is None:
        G = build_referral_graph(inventory, closed=closed)
    opts = Options(as_of=as_of or clock.today(), interpretation=interpretation)
    selected = list(kinds) if kinds is not None else list(FINDERS)
    unknown = [k for k in selected if k not in FINDERS]
    if unknown:
        raise ValueError(f"unknown gap kind(s): {', '.join(unknown)} (known: {', '.join(FINDERS)})")
    gaps = [g for kind in selected for g in FINDERS[kind](G, inventory, opts)]
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


@dataclass(frozen=True)
class GapDiff:
    """What a what-if changes: gaps that appear, gaps that disappear, gaps that stay."""

    appeared: tuple[Gap, ...]
    disappeared: tuple[Gap, ...]
    unchanged: tuple[Gap, ...]

    def to_list(self) -> list[dict[str, Any]]:
        """One JSON array: every gap with `change` = new | gone | unchanged."""
        out = []
        for change, gaps in (
            ("new", self.appeared),
            ("gone", self.disappeared),
            ("unchanged", self.unchanged),
        ):
            out += [{**g.to_dict(), "change": change} for g in gaps]
        return out


def diff_gaps(before: Iterable[Gap], after: Iterable[Gap]) -> GapDiff:
    """Compare two gap lists by what identifies a gap (kind, site, services, categories, entry)."""
    b = {g.key: g for g in before}
    a = {g.key: g for g in after}
    return GapDiff(
        appeared=tuple(sort_gaps(g for k, g in a.items() if k not in b)),
        disappeared=tuple(sort_gaps(g for k, g in b.items() if k not in a)),
        unchanged=tuple(sort_gaps(g for k, g in a.items() if k in b)),
    )


def what_if(
    inventory: Inventory,
    *,
    closed: Iterable[str] = (),
    interpretation: bool = True,
    as_of: dt.date | None = None,
) -> GapDiff:
    """The gaps that appear and disappear if services close or no interpreter is available."""
    today = find_gaps(inventory, as_of=as_of)
    then = find_gaps(inventory, closed=closed, interpretation=interpretation, as_of=as_of)
    return diff_gaps(today, then)
