"""Gap analysis: the care a survivor cannot reach at a site, and the referral network's weak spots.

Each finder is a small pure function of the referral graph (and the inventory where the site's
rules matter); `find_gaps` runs them all. Severity rules are written down once, in `SEVERITY`,
and every gap carries a sentence a workshop facilitator can read out, in English and French.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Any, Literal

import networkx as nx

from pathways.analysis.graph import (
    build_referral_graph,
    dominators,
    entry_points,
    providers,
    reachable_from,
    reachable_providers,
    reaching,
    service,
)
from pathways.analysis.routes import (
    HOURS_PER_WEEK,
    fastest_to,
    hour_ranges,
    serving_routes,
    week_profile,
    within_by_hour,
    within_by_hour_twice,
)
from pathways.i18n import (
    LANGS,
    N_,
    colon,
    hours_text,
    join,
    join_some,
    language_name,
    number,
    semicolon,
    t,
    tn,
)
from pathways.model import clock
from pathways.model._gc import pausing_collector
from pathways.model.inventory import GAP_KINDS, Inventory, PolicyRule, Service, category_label

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
    # post-exposure prophylaxis kit stock not confirmed lately
    "supplies": "major",
    # temporarily closed: major when no open service offers one of its categories, else minor
    "suspended": "minor",
}
"""The severity rules, in one place. A rule is a fixed severity or a function of the category."""


def severity(kind: str, category: str, inventory: Inventory) -> Severity:
    """The severity of a gap of this kind about this category at this site."""
    rule = SEVERITY[kind]
    return rule(category, inventory) if callable(rule) else rule


MESSAGES: dict[str, str] = {
    "missing_category": N_("gap_msg_missing_category"),
    "unreachable": N_("gap_msg_unreachable"),
    "dead_end": N_("gap_msg_dead_end"),
    "orphan": N_("gap_msg_orphan"),
    "time_critical_too_late": N_("gap_msg_time_critical_too_late"),
    "time_critical_no_route": N_("gap_msg_time_critical_no_route"),
    "hours": N_("gap_msg_hours"),
    "single_point_of_failure": N_("gap_msg_single_point_of_failure"),
    "language": N_("gap_msg_language"),
    "eligibility": N_("gap_msg_eligibility"),
    "deterrent": N_("gap_msg_deterrent"),
    "supplies": N_("gap_msg_supplies"),
    "stale_services": N_("gap_msg_stale_services"),
    "stale_routes": N_("gap_msg_stale_routes"),
    "suspended": N_("gap_msg_suspended"),
}
"""The gap sentences' keys in the catalogs (`pathways.i18n`). Lists, numbers and plurals are
filled in by `pathways.i18n` (the language's own rules); services are named by name, never by id."""

ACTIONS: dict[str, str] = {
    "missing_category": N_("gap_action_missing_category"),
    "unreachable": N_("gap_action_unreachable"),
    "dead_end": N_("gap_action_dead_end"),
    "orphan": N_("gap_action_orphan"),
    "time_critical_too_late": N_("gap_action_time_critical_too_late"),
    "time_critical_no_route": N_("gap_action_time_critical_no_route"),
    "hours": N_("gap_action_hours"),
    "single_point_of_failure": N_("gap_action_single_point_of_failure"),
    "language": N_("gap_action_language"),
    "eligibility": N_("gap_action_eligibility"),
    "deterrent": N_("gap_action_deterrent"),
    "supplies": N_("gap_action_supplies"),
    "stale_services": N_("gap_action_stale_services"),
    "stale_routes": N_("gap_action_stale_routes"),
    "suspended": N_("gap_action_suspended"),
}
"""What a referral network usually does about each kind of gap: keys in the catalogs."""

COORDINATION = N_("gap_coordination")
"""The owner of a gap that no single organisation owns, when the site names no coordination."""

GROUP_NAMES = {
    "women": N_("gap_group_women"),
    "men": N_("gap_group_men"),
    "girls": N_("gap_group_girls"),
    "boys": N_("gap_group_boys"),
    "nonbinary": N_("gap_group_nonbinary"),
    "undocumented": N_("gap_group_undocumented"),
}
"""The groups the `eligibility` gap checks, and the keys of their names in a sentence."""

PEP_HOURS = 72.0
"""Post-exposure prophylaxis must start within 72 hours."""
EC_HOURS = 120.0
"""Emergency contraception works up to 120 hours."""
PEP_STOCK_DAYS = 90
"""A post-exposure prophylaxis kit stock confirmed longer ago than this is a gap."""
INTERPRETER_LEAD_LIMIT = PEP_HOURS
"""Interpretation booked further ahead than this does not count for clinical rape care."""

NIGHT_AND_WEEKEND = {
    "at night on a weekday (Wed 02:00)": (2 * 24 + 2.0, N_("gap_when_weekday_night")),
    "on a Saturday night (Sat 23:00)": (5 * 24 + 23.0, N_("gap_when_saturday_night")),
    "on a Sunday afternoon (Sun 15:00)": (6 * 24 + 15.0, N_("gap_when_sunday_afternoon")),
}
"""The arrival times the `hours` gap tries: its `hours` values (kept in English in the gap's data)
-> (hours since Monday 00:00, key of the words in a sentence)."""

Lang = str
Fmt = Callable[[Lang], dict[str, Any]]


@dataclass(frozen=True)
class Gap:
    """One gap: what kind, how bad, where, which services and categories, a sentence, and what
    to do about it (`action`) and who should (`owner`), in English and French.

    `cause` tells apart gaps of one kind with different causes (`too_late` or `no_route` for
    `time_critical`). `policy` is the site's reason when its policy changed the severity.
    """

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
    cause: str = ""
    action: str = ""
    action_fr: str = ""
    owner: str = ""
    owner_fr: str = ""
    policy: str = ""
    policy_fr: str = ""
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    others: dict[str, tuple[str, str, str]] = field(default_factory=dict, compare=False)
    """(sentence, action, owner) in each further interface language (a catalog, not code)."""

    @property
    def key(self) -> tuple[Any, ...]:
        """What identifies a gap across two analyses (for what-if diffs).

        A gap that lists services (entry points too late, stale records, dead ends) stays the
        same gap when its list changes; the diff then says whether it grew or shrank.
        """
        if self.kind == "stale":
            return (self.kind, self.site, "routes" in self.details)
        if self.kind in ("single_point_of_failure", "unreachable", "supplies", "suspended"):
            return (self.kind, self.site, self.services if self.kind != "unreachable" else ())
        if self.kind in ("time_critical", "dead_end", "orphan", "hours"):
            return (self.kind, self.site, self.cause)
        return (self.kind, self.site, self.categories, self.languages, self.groups)

    @property
    def extent(self) -> tuple[float, ...]:
        """How far a gap reaches, to tell a grown gap from a shrunk one in a what-if."""
        if self.kind == "single_point_of_failure":
            n = len({e for es in self.details.get("entry_points", {}).values() for e in es})
            return (n, len(self.categories))
        if self.kind == "time_critical":
            worst = [e.get("worst_hours") or 0.0 for e in self.details.get("entry_points", [])]
            return (len(self.services), max(worst, default=0.0))
        if self.kind == "stale" and "routes" in self.details:
            return (len(self.details["routes"]),)
        return (len(self.services), len(self.categories), len(self.hours))

    def kind_label(self, lang: str = "en") -> str:
        """A short name of the gap's kind ('too late (72 h)', 'no route to rape care')."""
        if self.kind == "time_critical" and self.cause == "no_route":
            return t("gapkind_time_critical_no_route", lang)
        return t(f"gapkind_{self.kind}", lang)

    def text(self, lang: str = "en") -> str:
        """The sentence to read out, in `lang` (English when the catalogs lack it)."""
        if lang in self.others:
            return self.others[lang][0]
        return _pick(self.message, self.message_fr, lang)

    def action_text(self, lang: str = "en") -> str:
        """What to do about it, in `lang`."""
        if lang in self.others:
            return self.others[lang][1]
        return _pick(self.action, self.action_fr, lang)

    def policy_text(self, lang: str = "en") -> str:
        """The site policy's reason for this gap's severity, in English or French."""
        return _pick(self.policy, self.policy_fr, lang)

    def owner_text(self, lang: str = "en") -> str:
        """Who should act, in `lang`."""
        if lang in self.others:
            return self.others[lang][2]
        return _pick(self.owner, self.owner_fr, lang)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the design: empty optional members are left out."""
        d = asdict(self)
        out: dict[str, Any] = {k: d[k] for k in ("kind", "severity", "site", "message")}
        out["services"] = list(self.services)
        out["categories"] = list(self.categories)
        out["message_fr"] = self.message_fr
        for k in ("cause", "languages", "groups", "hours"):
            if d[k]:
                out[k] = list(d[k]) if isinstance(d[k], tuple) else d[k]
        if self.entry_point:
            out["entry_point"] = self.entry_point
        out["action"] = self.action
        out["action_fr"] = self.action_fr
        out["owner"] = self.owner
        out["owner_fr"] = self.owner_fr
        if self.policy:
            out["policy"] = self.policy
            out["policy_fr"] = self.policy_fr
        if self.details:
            out["details"] = self.details
        return out


def _pick(en: str, fr: str, lang: str) -> str:
    """The French text when asked and given, else the English one."""
    return fr if lang == "fr" and fr else en


def _say(table: dict[str, str], key: str, lang: str, values: dict[str, Any]) -> str:
    text = t(table[key], lang, **values)
    return text[:1].upper() + text[1:]


def _names(G: nx.DiGraph, ids: Iterable[str], lang: str, *, limit: int | None = None) -> str:
    names = [service(G, n).name_in(lang) for n in ids]
    return join_some(names, lang, limit) if limit else join(names, lang)


def _cat(category: str, lang: str) -> str:
    return category_label(category, lang).lower()


def _owner(inventory: Inventory, G: nx.DiGraph, services: Iterable[str], lang: str) -> str:
    """The organisation of the services involved when they share one, else the coordination."""
    orgs = set()
    for n in services:
        s = service(G, n) if n in G else inventory.by_id.get(n)
        orgs.add(s.text_in("organisation", lang) if s is not None else None)
    if len(orgs) == 1 and None not in orgs:
        return str(orgs.pop())
    return inventory.site.coordination or t(COORDINATION, lang)


def _gap(
    kind: str,
    inventory: Inventory,
    G: nx.DiGraph,
    *,
    category: str = "",
    services: Iterable[str] = (),
    categories: Iterable[str] = (),
    sev: Severity | None = None,
    template: str | None = None,
    fmt: Fmt | None = None,
    owner_of: Iterable[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Gap:
    services = tuple(services)
    cats = tuple(categories) or ((category,) if category else ())
    key = template or kind

    def values(lang: str) -> dict[str, Any]:
        given = fmt(lang) if fmt else {}
        return {
            "label": _cat(category, lang) if category else "",
            "services": given.get("services") or _names(G, services, lang, limit=4),
            **given,
        }

    en, fr = values("en"), values("fr")
    owners = services if owner_of is None else tuple(owner_of)
    return Gap(
        kind=kind,
        severity=sev or severity(kind, category, inventory),
        site=inventory.site.id,
        services=services,
        categories=cats,
        message=_say(MESSAGES, key, "en", en),
        message_fr=_say(MESSAGES, key, "fr", fr),
        action=_say(ACTIONS, key, "en", en),
        action_fr=_say(ACTIONS, key, "fr", fr),
        owner=_owner(inventory, G, owners, "en"),
        owner_fr=_owner(inventory, G, owners, "fr"),
        others={
            lang: (
                _say(MESSAGES, key, lang, (v := values(lang))),
                _say(ACTIONS, key, lang, v),
                _owner(inventory, G, owners, lang),
            )
            for lang in LANGS
            if lang not in ("en", "fr")
        },
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
    return join((_cat(c, lang) for c in item), lang, style="or")


def _items_label(items: Iterable[tuple[str, ...]], lang: str) -> str:
    return join((_item_label(i, lang) for i in items), lang)


def _hours_value(h: float, lang: str) -> str:
    return t("gap_never", lang) if math.isinf(h) else hours_text(h, lang)


@pausing_collector
def missing_categories(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Minimum-package items no open service offers (an item is met by any of its categories)."""
    gaps = []
    for item in inventory.minimum_package():
        if not any(providers(G, c) for c in item):
            gaps.append(
                _gap(
                    "missing_category",
                    inventory,
                    G,
                    category=item[0],
                    categories=item,
                    fmt=partial(_item_values, item),
                )
            )
    return gaps


@pausing_collector
def unreachable_categories(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Categories offered at the site that no route from any entry point leads to."""
    entries = entry_points(G)
    reached = reachable_from(G, entries)
    gaps = []
    for category in sorted({c for n in G for c in service(G, n).categories}):
        offered = providers(G, category)
        if offered and not reachable_providers(G, category, entries, reached=reached):
            gaps.append(_gap("unreachable", inventory, G, category=category, services=offered))
    return gaps


@pausing_collector
def dead_ends(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Entry points with no referral route out (one gap listing them)."""
    ends = [n for n in entry_points(G) if G.out_degree(n) == 0]
    if not ends:
        return []
    cats = sorted({c for n in ends for c in service(G, n).categories})
    return [_gap("dead_end", inventory, G, services=ends, categories=cats)]


@pausing_collector
def orphans(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Services that are not entry points and that no referral route reaches (one gap)."""
    lonely = [n for n in sorted(G) if not G.nodes[n]["entry_point"] and G.in_degree(n) == 0]
    if not lonely:
        return []
    cats = sorted({c for n in lonely for c in service(G, n).categories})
    return [_gap("orphan", inventory, G, services=lonely, categories=cats)]


EXACT_TIMES_LIMIT = 2000
"""Up to this many services, `time_critical` reports exact worst and typical hours (a forward
search per failing entry point and arrival hour); above it, hours are given in 72/120 h bands."""


@pausing_collector
def time_critical(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Entry points from which clinical rape care takes longer than 72 h, for some arrivals.

    Every arrival hour of the week is tried: referral delays + travel + waiting for opening.
    Which hours fail is decided for all entry points at once by reverse passes (one per
    arrival hour); exact times are then computed for the entry points that fail. Entry points
    with no route at all make one `no_route` gap; those reached too late one `too_late` gap.
    """
    if not providers(G, "health.cmr"):
        return []  # missing_category says it
    entries = entry_points(G)
    ok120: dict[str, list[bool]] | None = None
    if G.number_of_nodes() <= EXACT_TIMES_LIMIT:
        # 72 h passes here; the failing entry points' week profiles give the rest
        ok72 = within_by_hour(G, entries, "health.cmr", PEP_HOURS)
    else:  # one pass per hour answers 72 h and 120 h
        ok72, ok120 = within_by_hour_twice(G, entries, "health.cmr", PEP_HOURS, EC_HOURS)
    late, never, failing_any = _late_entries(G, entries, ok72, ok120)
    gaps = []
    if late:
        late.sort(key=lambda d: (-(d["worst_hours"] or math.inf), d["id"]))
        gaps.append(_too_late(G, inventory, late, sorted(failing_any)))
    if never:
        gaps.append(
            _gap(
                "time_critical",
                inventory,
                G,
                category="health.cmr",
                services=never,
                template="time_critical_no_route",
                fmt=lambda lang: {
                    "entries": tn("gap_n_entry_points", len(never), lang),
                },
                extra={
                    "cause": "no_route",
                    "entry_point": never[0] if len(never) == 1 else None,
                    "details": {"entry_points": [{"id": e} for e in never]},
                },
            )
        )
    return gaps


def _late_entries(
    G: nx.DiGraph,
    entries: list[str],
    ok72: dict[str, list[bool]],
    ok120: dict[str, list[bool]] | None,
) -> tuple[list[dict[str, Any]], list[str], set[int]]:
    """The entry points reached too late at some arrival hours (with their figures), those
    never reached, and every arrival hour too late from some entry point.

    Without `ok120` (120 h answers from the reverse passes), times are exact: each failing
    entry point's week profile gives them.
    """
    late: list[dict[str, Any]] = []
    never: list[str] = []
    failing_any: set[int] = set()
    for e in entries:
        if all(ok72[e]):
            continue
        failing = [h for h, ok in enumerate(ok72[e]) if not ok]
        if ok120 is None:
            wp = week_profile(G, e, "health.cmr")
            worst, typical = wp.worst, wp.typical
            n_ec = len(wp.failing(EC_HOURS))
            if math.isinf(typical) and len(failing) == HOURS_PER_WEEK:
                never.append(e)
                continue
        else:
            n_ec = sum(not ok for ok in ok120[e])
            worst = typical = math.nan
        late.append(
            {
                "id": e,
                "worst_hours": _num(worst),
                "typical_hours": _num(typical),
                "hours": hour_ranges(failing),
                "arrival_hours_failing_pep_72h": len(failing),
                "arrival_hours_failing_ec_120h": n_ec,
            }
        )
        failing_any.update(failing)
    return late, never, failing_any


def _num(x: float) -> float | None:
    return None if math.isinf(x) or math.isnan(x) else round(x, 1)


def _too_late(
    G: nx.DiGraph, inventory: Inventory, late: list[dict[str, Any]], failing_any: list[int]
) -> Gap:
    """One gap for every entry point reached too late, worst first."""

    def item(d: dict[str, Any], lang: str) -> str:
        name = service(G, d["id"]).name_in(lang)
        if d["worst_hours"] is None:  # banded (large inventories)
            return name
        worst = hours_text(d["worst_hours"], lang)
        return t("gap_at_worst", lang, name=name, worst=worst)

    def fmt(lang: str) -> dict[str, Any]:
        return {
            "entries": tn("gap_n_entry_points", len(late), lang),
            "worst_list": join_some((item(d, lang) for d in late), lang, 4),
        }

    ids = [d["id"] for d in late]
    return _gap(
        "time_critical",
        inventory,
        G,
        category="health.cmr",
        services=ids,
        template="time_critical_too_late",
        fmt=fmt,
        extra={
            "cause": "too_late",
            "entry_point": ids[0] if len(ids) == 1 else None,
            "hours": tuple(hour_ranges(failing_any)),
            "details": {
                "worst_hours": max((d["worst_hours"] or 0.0 for d in late), default=None),
                "entry_points": late,
                "travel": G.graph.get("travel"),
            },
        },
    )


@pausing_collector
def night_and_weekend_hours(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """No route to clinical rape care on which every service is open when the survivor arrives."""
    cmr = providers(G, "health.cmr")
    if not cmr:
        return []
    failing_en, failing_keys = [], []
    for label, (at, key) in NIGHT_AND_WEEKEND.items():
        if not any(fastest_to(G, e, at, "health.cmr", no_wait=True) for e in entry_points(G)):
            failing_en.append(label)
            failing_keys.append(key)
    if not failing_en:
        return []
    return [
        _gap(
            "hours",
            inventory,
            G,
            category="health.cmr",
            services=cmr,
            fmt=lambda lang: {
                "when": join((t(key, lang) for key in failing_keys), lang, style="or")
            },
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

        def fmt(
            lang: str, cats: list[str] = cats, affected: list[str] = affected
        ) -> dict[str, Any]:
            return {
                "entries": tn("gap_n_entry_points", len(affected), lang),
                "lose": tn("gap_lose", len(affected), lang),
                "entry_list": _names(G, affected, lang, limit=3),
                "labels": join_some((_cat(c, lang) for c in cats), lang, 3),
            }

        gaps.append(
            _gap(
                "single_point_of_failure",
                inventory,
                G,
                categories=cats,
                services=[node],
                sev=_worst(cats, inventory, "single_point_of_failure"),
                fmt=fmt,
                extra={
                    "entry_point": affected[0] if len(affected) == 1 else None,
                    "details": {"entry_points": {c: sorted(by_cat[c]) for c in cats}},
                },
            )
        )
    return gaps


_FlowNode = str | tuple[str, ...]
"""A node of `_flow_graph`: a service, a sink or a 'via' node."""


def _cut_points(
    G: nx.DiGraph, categories: list[str], entries: list[str]
) -> dict[tuple[str, str], list[str]]:
    """(service, category) -> entry points cut off from the category if it closes: the
    ancestors of each entry point in the dominator tree of `_flow_graph` from the category's
    sink (a provider's 'via' node stands for the provider)."""
    offers = {c: set(providers(G, c)) for c in categories}
    checked = {c: [e for e in entries if e not in offers[c]] for c in categories}
    sinks: dict[_FlowNode, str] = {("sink", c): c for c in categories if checked[c]}
    cut: dict[tuple[str, str], list[str]] = {}
    for sink, ipdom in dominators(_flow_graph(G, categories), sinks).items():
        category = sinks[sink]
        for e in checked[category]:
            if e not in ipdom:
                continue  # no route from e to the category at all
            d = ipdom[e]
            while d != sink:
                node = d[2] if isinstance(d, tuple) else d
                cut.setdefault((node, category), []).append(e)
                d = ipdom[d]
    return cut


def _flow_graph(G: nx.DiGraph, categories: list[str]) -> dict[_FlowNode, list[_FlowNode]]:
    """The successors of each node of the referral graph reversed, plus per category a sink
    ("sink", category) with an edge to a 'via' node ("via", category, provider) per provider
    reached through a route serving the category, and from it to the services those routes
    leave from. No edge leads into a sink or a 'via' node but from its own category's sink:
    what a sink reaches is the graph of its category alone."""
    F: dict[_FlowNode, list[_FlowNode]] = {v: list(G.predecessors(v)) for v in G}
    for category in categories:
        vias: list[_FlowNode] = []
        for v, serving in serving_routes(G, category).items():
            if serving:
                via = ("via", category, v)
                vias.append(via)
                F[via] = list(serving)
        F["sink", category] = vias
    return F


@pausing_collector
def language_gaps(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Site languages that no provider of a minimum-package category speaks or interprets.

    Interpretation booked further ahead than 72 h does not count for clinical rape care."""
    gaps = []
    items = _package_items(G, inventory)
    for code in inventory.site.languages:
        lacking = [
            item
            for item in items
            if not any(
                _speaks(service(G, n), code, opts.interpretation, c)
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
                G,
                categories=cats,
                sev=_worst(cats, inventory, "language"),
                fmt=partial(_language_values, code, lacking),
                owner_of=(),
                extra={"languages": (code,)},
            )
        )
    return gaps


def _speaks(s: Service, lang: str, interpretation: bool, category: str = "") -> bool:
    if lang in s.languages:
        return True
    if not (interpretation and s.interpretation):
        return False
    lead = s.interpreter_lead_hours
    return not (category in LIFE_SAVING and lead is not None and lead > INTERPRETER_LEAD_LIMIT)


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
    for group, names in GROUP_NAMES.items():
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
                G,
                categories=cats,
                sev=_worst(cats, inventory, "eligibility"),
                fmt=partial(_group_values, names, lacking),
                owner_of=(),
                extra={"groups": (group,)},
            )
        )
    return gaps


def _item_values(item: tuple[str, ...], lang: str) -> dict[str, Any]:
    return {"label": _item_label(item, lang)}


def _language_values(code: str, lacking: list[tuple[str, ...]], lang: str) -> dict[str, Any]:
    return {"language_name": language_name(code, lang), "labels": _items_label(lacking, lang)}


def _group_values(key: str, lacking: list[tuple[str, ...]], lang: str) -> dict[str, Any]:
    name = t(key, lang)
    return {
        "group_name": name,
        "group_lower": _lower_first(name),
        "labels": _items_label(lacking, lang),
    }


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


CONDITION_TEXT = {
    "police_report": N_("gap_cond_police_report"),
    "mandatory_reporting": N_("gap_cond_mandatory_reporting"),
    "documents": N_("gap_cond_documents"),
    "referral_letter": N_("gap_cond_referral_letter"),
    "fee": N_("gap_cond_fee"),
    "no_female_staff": N_("gap_cond_no_female_staff"),
    "appointment": N_("gap_cond_appointment"),
}
"""Deterring conditions: the keys of their names in a sentence."""


INHERENT_CONDITIONS = frozenset({"safety.police"})
"""Categories where a report is the service itself: going to the police means reporting."""


def _deterring(s: Service) -> tuple[str, ...]:
    conds: tuple[str, ...] = tuple(s.requires)
    if s.cost == "fee" and "fee" not in conds:
        conds += ("fee",)
    if s.female_staff is False:
        conds += ("no_female_staff",)
    if s.appointment:
        conds += ("appointment",)
    return conds


@pausing_collector
def deterrents(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Categories reachable today only through a service with a deterring condition."""
    entries = entry_points(G)
    deterring = {n for n in G if _deterring(service(G, n))}
    if not deterring:
        return []
    free_entries = [e for e in entries if e not in deterring]
    reached = reachable_from(G, entries)
    reached_free: set[str] | None = None
    gaps = []
    for category in sorted({c for item in _package_items(G, inventory) for c in item}):
        if category in INHERENT_CONDITIONS:
            continue
        today = reachable_providers(G, category, entries, reached=reached)
        if not today:
            continue
        if reached_free is None:
            reached_free = reachable_from(G, free_entries, allowed=lambda n: n not in deterring)
        if _reachable_avoiding(G, category, free_entries, reached_free, deterring):
            continue
        on_routes = reaching(G, today)
        blocking = sorted(n for n in deterring if n in on_routes)

        def fmt(lang: str, blocking: list[str] = blocking) -> dict[str, Any]:
            parts = [
                service(G, n).name_in(lang)
                + colon(lang)
                + join((t(CONDITION_TEXT[c], lang) for c in _deterring(service(G, n))), lang)
                for n in blocking
            ]
            return {"conditions": semicolon(lang).join(parts)}

        gaps.append(_gap("deterrent", inventory, G, category=category, services=blocking, fmt=fmt))
    return gaps


def _reachable_avoiding(
    G: nx.DiGraph, category: str, sources: list[str], reached: set[str], avoided: set[str]
) -> bool:
    """Is any provider of `category` reachable without passing the `avoided` services?

    `bool(reachable_providers(G without avoided, category, sources))`, where `reached` is
    `reachable_from(G, sources, allowed=lambda n: n not in avoided)`.
    """
    if any(service(G, s).has(category) for s in sources):
        return True
    sub = category + "."
    pred = G.pred
    for v in providers(G, category):
        if v in avoided:
            continue
        for u, e in pred[v].items():
            if u in reached and any(n == category or n.startswith(sub) for n in e["needs"]):
                return True
    return False


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
        gaps.append(_stale_services(G, inventory, old_services, months, opts.as_of))
    if old_routes:
        gaps.append(_stale_routes(G, inventory, old_routes, months, opts.as_of))
    return gaps


def _stale_services(
    G: nx.DiGraph, inventory: Inventory, old_services: list[str], months: int, as_of: dt.date
) -> Gap:
    """One gap for the services not verified within `months` of `as_of`."""
    return _gap(
        "stale",
        inventory,
        G,
        services=old_services,
        template="stale_services",
        fmt=lambda lang: {
            "count": tn("gap_n_services", len(old_services), lang),
            "verified": tn("gap_verified", len(old_services), lang),
            "months": tn("gap_n_months", months, lang),
            "services": _names(G, old_services, lang, limit=4),
        },
        extra={
            "cause": "services",
            "details": {
                "as_of": as_of.isoformat(),
                "never_verified": [n for n in old_services if service(G, n).last_verified is None],
            },
        },
    )


def _stale_routes(
    G: nx.DiGraph,
    inventory: Inventory,
    old_routes: list[tuple[str, str]],
    months: int,
    as_of: dt.date,
) -> Gap:
    """One gap for the routes not tested within `months` of `as_of`."""

    def routes(lang: str) -> str:
        return join_some(
            (
                f"{service(G, u).name_in(lang)} → {service(G, v).name_in(lang)}"
                for u, v in old_routes
            ),
            lang,
            3,
        )

    return _gap(
        "stale",
        inventory,
        G,
        services=sorted({n for r in old_routes for n in r}),
        template="stale_routes",
        fmt=lambda lang: {
            "count": tn("gap_n_routes", len(old_routes), lang),
            "tested": tn("gap_tested", len(old_routes), lang),
            "months": tn("gap_n_months", months, lang),
            "routes": routes(lang),
        },
        owner_of=(),
        extra={
            "cause": "routes",
            "details": {
                "as_of": as_of.isoformat(),
                "routes": [f"{u}->{v}" for u, v in old_routes],
            },
        },
    )


@pausing_collector
def supplies(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Providers of clinical rape care whose post-exposure prophylaxis kit stock was confirmed
    longer than `PEP_STOCK_DAYS` ago (services that do not record it are not judged)."""
    limit = opts.as_of - dt.timedelta(days=PEP_STOCK_DAYS)
    old = [
        n
        for n in providers(G, "health.cmr")
        if (d := service(G, n).pep_stock_confirmed) is not None and d < limit
    ]
    if not old:
        return []
    return [
        _gap(
            "supplies",
            inventory,
            G,
            category="health.cmr",
            services=old,
            fmt=lambda lang: {"days": number(PEP_STOCK_DAYS, lang, 0)},
            extra={
                "details": {
                    "as_of": opts.as_of.isoformat(),
                    "confirmed": {n: str(service(G, n).pep_stock_confirmed) for n in old},
                }
            },
        )
    ]


def suspended(G: nx.DiGraph, inventory: Inventory, opts: Options) -> list[Gap]:
    """Services suspended on `as_of` (`Service.suspended`), one gap each: they are out of the
    graph, so routes avoid them. Major when no open service offers one of their categories
    (the other gaps say what that leaves uncovered), else minor."""
    gaps = []
    for s in inventory.services:
        if s.suspended is None or not s.suspended_on(opts.as_of):
            continue
        alone = [c for c in s.categories if not providers(G, c)]
        gaps.append(
            _gap(
                "suspended",
                inventory,
                G,
                services=(s.id,),
                categories=s.categories,
                sev="major" if alone else "minor",
                fmt=partial(_suspended_values, s),
                extra={
                    "details": {
                        "as_of": opts.as_of.isoformat(),
                        "until": s.suspended.until.isoformat(),
                        "reason": s.suspended.reason,
                        "no_other_provider": alone,
                    }
                },
            )
        )
    return gaps


def _suspended_values(s: Service, lang: str) -> dict[str, Any]:
    """The sentence's values: the service named by its record (it is not in the graph)."""
    assert s.suspended is not None
    return {
        "services": s.name_in(lang),
        "until": s.suspended.until.isoformat(),
        "reason": s.suspended.reason,
    }


FINDERS: dict[str, Callable[[nx.DiGraph, Inventory, Options], list[Gap]]] = {
    "missing_category": missing_categories,
    "unreachable": unreachable_categories,
    "time_critical": time_critical,
    "hours": night_and_weekend_hours,
    "single_point_of_failure": single_points_of_failure,
    "language": language_gaps,
    "eligibility": eligibility_gaps,
    "deterrent": deterrents,
    "supplies": supplies,
    "dead_end": dead_ends,
    "orphan": orphans,
    "stale": stale,
    "suspended": suspended,
}
"""Every gap kind this version finds, in the order they are reported."""
assert tuple(FINDERS) == GAP_KINDS


# --- the site's policy -------------------------------------------------------------------------


def _rule_for(gap: Gap, rules: Iterable[PolicyRule]) -> PolicyRule | None:
    """The last of the site's rules that applies to this gap."""
    found = None
    for r in rules:
        if (
            r.kind == gap.kind
            and (r.category is None or any(c == r.category for c in gap.categories))
            and (r.group is None or r.group in gap.groups)
            and (r.language is None or r.language in gap.languages)
        ):
            found = r
    return found


def apply_policy(gaps: Iterable[Gap], inventory: Inventory) -> list[Gap]:
    """The gaps as the site's policy wants them: severities changed (with the reason kept on
    the gap), gaps a rule switches `off` left out."""
    rules = inventory.site.policy
    if not rules:
        return list(gaps)
    out = []
    for g in gaps:
        rule = _rule_for(g, rules)
        if rule is None:
            out.append(g)
        elif rule.severity != "off":
            out.append(
                replace(
                    g,
                    severity=rule.severity,
                    policy=rule.reason,
                    policy_fr=rule.reason_in("fr"),
                )
            )
    return out


def policy_lines(inventory: Inventory, lang: str = "en") -> list[str]:
    """The site's policy, one sentence per rule, for pages and the protocol."""
    lines = []
    for r in inventory.site.policy:
        scope = [t(f"gapkind_{r.kind}", lang)]
        if r.category:
            scope.append(category_label(r.category, lang).lower())
        if r.group:
            scope.append(t(GROUP_NAMES[r.group], lang).lower())
        if r.language:
            scope.append(language_name(r.language, lang))
        what = t("policy_off", lang) if r.severity == "off" else t(f"sev_{r.severity}", lang)
        lines.append(
            t("policy_line", lang, scope=" · ".join(scope), what=what, reason=r.reason_in(lang))
        )
    return lines


@pausing_collector
def find_gaps(
    inventory: Inventory,
    *,
    G: nx.DiGraph | None = None,
    kinds: Iterable[str] | None = None,
    closed: Iterable[str] = (),
    interpretation: bool = True,
    as_of: dt.date | None = None,
    policy: bool = True,
) -> list[Gap]:
    """All gaps of one site, most severe first, as the site's policy wants them.

    What-if options: `closed` services are treated as shut; `interpretation=False` assumes no
    interpreter can be found. `as_of` is the date `stale` counts from (default today).
    `policy=False` gives the gaps before the site's policy is applied.
    """
    opts = Options(as_of=as_of or clock.today(), interpretation=interpretation)
    if G is None:
        G = build_referral_graph(inventory, closed=closed, as_of=opts.as_of)
    selected = list(kinds) if kinds is not None else list(FINDERS)
    unknown = [k for k in selected if k not in FINDERS]
    if unknown:
        raise ValueError(f"unknown gap kind(s): {', '.join(unknown)} (known: {', '.join(FINDERS)})")
    gaps = [g for kind in selected for g in FINDERS[kind](G, inventory, opts)]
    return sort_gaps(apply_policy(gaps, inventory) if policy else gaps)


def sort_gaps(gaps: Iterable[Gap]) -> list[Gap]:
    """A stable order: site, severity, kind, then the services and categories involved."""
    kind_rank = {k: i for i, k in enumerate(FINDERS)}
    return sorted(
        gaps,
        key=lambda g: (
            g.site,
            SEVERITY_ORDER[g.severity],
            kind_rank.get(g.kind, 99),
            g.cause,
            g.services,
            g.categories,
        ),
    )


# --- from a gap to the Workshop ----------------------------------------------------------------


@dataclass(frozen=True)
class Focus:
    """The Workshop scenario that shows a gap: where the survivor arrives, what she needs,
    which service is closed, which language she speaks."""

    entry: str | None
    needs: tuple[str, ...]
    closed: tuple[str, ...] = ()
    language: str | None = None


def focus(gap: Gap, inventory: Inventory) -> Focus:
    """Where to look at a gap: an entry point it affects, its categories, and for a single
    point of failure that service closed."""
    entries = [e for e in _entries(gap) if e in inventory.by_id and inventory.by_id[e].entry_point]
    entry = gap.entry_point or (entries[0] if entries else None)
    if gap.kind in ("dead_end", "orphan", "stale", "supplies") and gap.services:
        entry = entry or gap.services[0]
    closed = gap.services if gap.kind == "single_point_of_failure" else ()
    needs = tuple(c for c in gap.categories if c != "interpretation")[:3]
    language = gap.languages[0] if gap.languages else None
    return Focus(entry=entry, needs=needs, closed=closed, language=language)


# --- what-if -----------------------------------------------------------------------------------

Effect = Literal["worse", "better"]


@dataclass(frozen=True)
class Change:
    """One gap that a what-if changes, and whether that is `worse` or `better`.

    A gap that vanishes because a graver gap took its place is `worse`, and `replaced_by`
    names that gap (a fragile route that is simply gone; a route too slow that no longer
    exists at all).
    """

    gap: Gap
    change: Literal["new", "gone", "changed"]
    effect: Effect
    replaced_by: Gap | None = None
    before: Gap | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {**self.gap.to_dict(), "change": self.change, "effect": self.effect}
        if self.replaced_by is not None:
            r = self.replaced_by
            out["replaced_by"] = {
                "kind": r.kind,
                "severity": r.severity,
                "message": r.message,
                "message_fr": r.message_fr,
            }
        if self.before is not None:
            out["before"] = {"severity": self.before.severity, "message": self.before.message}
        return out


@dataclass(frozen=True)
class GapDiff:
    """What a what-if changes: every change with its effect, and the gaps that stay."""

    changes: tuple[Change, ...]
    unchanged: tuple[Gap, ...]

    @property
    def appeared(self) -> tuple[Gap, ...]:
        return tuple(c.gap for c in self.changes if c.change == "new")

    @property
    def disappeared(self) -> tuple[Gap, ...]:
        return tuple(c.gap for c in self.changes if c.change == "gone")

    @property
    def worse(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.effect == "worse")

    @property
    def better(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.effect == "better")

    def to_list(self) -> list[dict[str, Any]]:
        """One JSON array: every change (`change` new | gone | changed, `effect` worse |
        better, `replaced_by` when a graver gap took a gap's place), then the gaps that stay
        (`change` unchanged)."""
        return [c.to_dict() for c in self.changes] + [
            {**g.to_dict(), "change": "unchanged"} for g in self.unchanged
        ]


def _graver(old: Gap, new: Gap) -> bool:
    """Does `new` (a gap after the what-if) take the place of `old` by being graver?"""
    shared = set(old.categories) & set(new.categories)
    if new.kind in ("missing_category", "unreachable"):
        return bool(shared) or (
            old.kind in ("time_critical", "hours") and "health.cmr" in new.categories
        )
    if new.kind == "time_critical" and new.cause == "no_route":
        return (
            old.kind in ("time_critical", "hours", "single_point_of_failure")
            and ("health.cmr" in old.categories)
            and bool(set(_entries(old)) & set(new.services) or old.kind == "hours")
        )
    if new.kind == "dead_end":
        return bool(set(_entries(old)) & set(new.services))
    return False


def _left(old: Gap, new: Gap) -> Gap:
    """The part of `old` that is no longer in `new` (the entry points that left the gap)."""
    gone = tuple(sorted(set(_entries(old)) - set(_entries(new))))
    if old.kind == "single_point_of_failure":
        cats = tuple(old.details.get("entry_points", {}))
        return replace(old, kind="_left", services=gone, categories=cats, details={})
    return replace(old, services=gone)


def _route_ends(g: Gap) -> set[str]:
    """The services at either end of the routes a stale-routes gap lists."""
    return {n for r in g.details.get("routes", ()) for n in r.split("->")}


def _entries(g: Gap) -> list[str]:
    if g.kind == "single_point_of_failure":
        return sorted({e for es in g.details.get("entry_points", {}).values() for e in es})
    return list(g.services)


def _lost_reach(old: Gap, G_after: nx.DiGraph) -> bool:
    """Did the what-if cut an entry point that `old` was about off from its categories?"""
    if not old.categories:
        return False
    for e in _entries(old):
        if e not in G_after:
            return True
        if not G_after.nodes[e]["entry_point"]:
            continue
        reached = reachable_from(G_after, [e])
        if not all(reachable_providers(G_after, c, [e], reached=reached) for c in old.categories):
            return True
    return False


def diff_gaps(
    before: Iterable[Gap],
    after: Iterable[Gap],
    *,
    closed: Iterable[str] = (),
    G_after: nx.DiGraph | None = None,
) -> GapDiff:
    """Compare two gap lists by what identifies a gap, and judge every change.

    New gaps are `worse`. A gap that grew (more entry points, longer worst time) or got more
    severe is `worse`; one that shrank is `better`. A gap that vanished is `better` unless a
    graver gap replaced it (`replaced_by`), a service it is about was closed, or the what-if
    cut its entry points off from its care altogether (`G_after`, the graph after).
    """
    closed = set(closed)
    b = {g.key: g for g in before}
    a = {g.key: g for g in after}
    after_sorted = sort_gaps(a.values())
    changes: list[Change] = []
    unchanged: list[Gap] = []
    for k, g in a.items():
        old = b.get(k)
        if old is None:
            changes.append(Change(g, "new", "worse"))
        elif old.message == g.message and old.severity == g.severity:
            unchanged.append(g)
        else:
            changes.append(_changed(old, g, after_sorted, closed, G_after))
    changes += [_gone(g, after_sorted, closed, G_after) for k, g in b.items() if k not in a]
    order = {"worse": 0, "better": 1}
    ranked = sort_gaps(c.gap for c in changes)
    position = {id(g): i for i, g in enumerate(ranked)}
    changes.sort(key=lambda c: (order[c.effect], position[id(c.gap)]))
    return GapDiff(changes=tuple(changes), unchanged=tuple(sort_gaps(unchanged)))


def _changed(
    old: Gap, g: Gap, after_sorted: list[Gap], closed: set[str], G_after: nx.DiGraph | None
) -> Change:
    """A gap found before and after, told differently: worse if it grew (more entry points,
    longer times) or got more severe; if it shrank, better only if what left it is really
    better off (no graver gap took it, none of its services closed, not cut off)."""
    rank_old, rank_new = SEVERITY_ORDER[old.severity], SEVERITY_ORDER[g.severity]
    grew = (rank_new, tuple(-x for x in g.extent)) < (rank_old, tuple(-x for x in old.extent))
    replacement = None
    if not grew:
        left = _left(old, g)
        replacement = next((h for h in after_sorted if h is not g and _graver(left, h)), None)
        grew = (
            replacement is not None
            or bool(closed & (set(old.services) - set(g.services)))
            or bool(closed & _route_ends(old))
            or (G_after is not None and _lost_reach(left, G_after))
        )
    return Change(g, "changed", "worse" if grew else "better", replacement, before=old)


def _gone(g: Gap, after_sorted: list[Gap], closed: set[str], G_after: nx.DiGraph | None) -> Change:
    """A gap found before only: better, unless a graver gap replaced it, a service it is
    about closed, or its entry points were cut off from its care."""
    replacement = next((h for h in after_sorted if _graver(g, h)), None)
    worse = (
        replacement is not None
        or bool(closed & set(g.services))
        or bool(closed & _route_ends(g))
        or (G_after is not None and _lost_reach(g, G_after))
    )
    return Change(g, "gone", "worse" if worse else "better", replacement)


def scenario_services(inventory: Inventory, limits: Iterable[str]) -> list[str]:
    """The services an access limit (`site.access_limits`: a rainy season, a road closed)
    cuts off; ValueError naming the known limits for an unknown id."""
    known = {lim.id: lim for lim in inventory.site.access_limits}
    out: list[str] = []
    for lid in limits:
        if lid not in known:
            names = ", ".join(known) or "none"
            raise ValueError(
                f"'{lid}' is not an access limit of {inventory.site.id} (known: {names})"
            )
        out += [s for s in known[lid].services if s not in out]
    return out


def what_if(
    inventory: Inventory,
    *,
    closed: Iterable[str] = (),
    interpretation: bool = True,
    as_of: dt.date | None = None,
    limits: Iterable[str] = (),
) -> GapDiff:
    """The gaps that change if services close, an access limit holds (`limits`: ids of the
    site's `access_limits`) or no interpreter is available, each judged worse or better."""
    shut = [*closed, *scenario_services(inventory, limits)]
    today = find_gaps(inventory, as_of=as_of)
    G_after = build_referral_graph(inventory, closed=shut, as_of=as_of)
    then = find_gaps(inventory, G=G_after, interpretation=interpretation, as_of=as_of)
    return diff_gaps(today, then, closed=shut, G_after=G_after)
