"""Survivor routes: the fastest sequence of hand-offs to the care a survivor needs.

Time is counted in hours from the survivor's arrival. A hand-off u -> v takes the referral's
delay, plus the travel time between the services, plus the wait until v is open. Waiting makes
the arrival time at v non-decreasing in the departure time from u (first in, first out), so a
time-dependent Dijkstra gives the earliest time each service can see the survivor.

A service the survivor cannot use (eligibility, language, a deterring condition she wants to
avoid, closed in a what-if) is left out of the search; every provider of the need that is not
chosen is listed in `excluded` with the reason.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import networkx as nx
import numpy as np

from pathways import i18n
from pathways.analysis.graph import (
    distance_km,
    providers,
    reachable_from,
    serves_need,
    service,
    strong_components,
)
from pathways.analysis.travel import travel_model
from pathways.model._gc import pausing_collector
from pathways.model.inventory import DAYS, Group, Hours, Inventory, Point, Service, category_label

Gender = Literal["female", "male", "nonbinary"]
HOURS_PER_WEEK = 168

SEQUENCE_FIRST = ("health.cmr",)
"""Needs handled first whatever order they are asked in: post-exposure prophylaxis cannot wait."""


@dataclass(frozen=True)
class Profile:
    """Who arrives where and when. No name, no case data: only what eligibility depends on."""

    entry: str | None = None
    location: tuple[float, float] | None = None  # (lat, lon), to start at the nearest entry point
    language: str | None = None
    age: int | None = None
    gender: Gender | None = None
    legal_status: Literal["documented", "undocumented"] | None = None
    weekday: int = 0  # 0 = Monday
    hour: float = 10.0
    avoid: tuple[str, ...] = ()  # conditions she will not accept: police_report, documents, ...
    interpretation: bool = True  # False: no interpreter can be found ("what if")

    @property
    def group(self) -> Group | None:
        """The `serves` group this profile belongs to (girls and boys are under 18)."""
        if self.gender is None:
            return None
        if self.gender == "nonbinary":
            return "nonbinary"
        child = self.age is not None and self.age < 18
        if self.gender == "female":
            return "girls" if child else "women"
        return "boys" if child else "men"

    @property
    def start_time(self) -> float:
        """Arrival, in hours since Monday 00:00."""
        return (self.weekday % 7) * 24 + self.hour


def exclusion_reason(s: Service, profile: Profile) -> str | None:
    """Why this profile cannot use this service, or None if she can."""
    group = profile.group
    if group is not None and group not in s.serves:
        return f"serves {', '.join(s.serves)} only, not {group}"
    if profile.age is not None:
        if profile.age < s.age_min:
            return f"from age {s.age_min} only"
        if s.age_max is not None and profile.age > s.age_max:
            return f"up to age {s.age_max} only"
    if profile.legal_status == "undocumented" and s.legal_status == "documented-only":
        return "documented people only"
    if profile.language and profile.language not in s.languages:
        if not s.interpretation:
            return f"does not speak '{profile.language}' and has no interpretation"
        if not profile.interpretation:
            return f"does not speak '{profile.language}' and interpretation is unavailable"
    blocking = [r for r in s.requires if r in profile.avoid]
    if blocking:
        return "requires " + ", ".join(blocking)
    return None


# --- time ---------------------------------------------------------------------------------------


def wait_hours(s: Service, t: float) -> float:
    """Hours from time `t` (hours since Monday 00:00) until the service is open."""
    t_week = t % HOURS_PER_WEEK
    weekday = int(t_week // 24)
    minute = t_week % 24 * 60
    minute_floor = math.floor(minute)
    wait = s.hours.wait_minutes(weekday, minute_floor)
    if wait == 0:
        return 0.0
    return (wait - (minute - minute_floor)) / 60.0


DAYS_FR = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def format_time(t: float, lang: str = "en") -> str:
    """'Sun 23:00' ('dim. 23:00' in French) for a time in hours since Monday 00:00."""
    t_week = t % HOURS_PER_WEEK
    minutes = round(t_week * 60) % (HOURS_PER_WEEK * 60)
    day, minute = divmod(minutes, 1440)
    name = DAYS_FR[day] if lang == "fr" else DAYS[day].title()
    return f"{name} {minute // 60:02d}:{minute % 60:02d}"


def earliest_seen(
    G: nx.DiGraph,
    start: str,
    t0: float,
    *,
    usable: set[str] | None = None,
    no_wait: bool = False,
) -> tuple[dict[str, float], dict[str, str]]:
    """Earliest time each service can see a survivor who arrives at `start` at time `t0`.

    Returns (seen, parent): absolute times in hours since Monday 00:00 and the predecessor of
    each service on its fastest route. Only services in `usable` are entered (all if None);
    with `no_wait`, only services open at the moment the survivor gets there.
    """
    first_wait = wait_hours(service(G, start), t0)
    if no_wait and first_wait > 0:
        return {}, {}
    seen = {start: t0 + first_wait}
    parent: dict[str, str] = {}
    done: set[str] = set()
    heap = [(seen[start], start)]
    while heap:
        t, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        for v, e in G.adj[u].items():
            if v in done or (usable is not None and v not in usable):
                continue
            arrive = t + e["delay"] + e["travel"]
            w = wait_hours(service(G, v), arrive)
            if no_wait and w > 0:
                continue
            tv = arrive + w
            if tv < seen.get(v, math.inf) - 1e-9 or (
                abs(tv - seen.get(v, math.inf)) <= 1e-9 and u < parent.get(v, "\uffff")
            ):
                seen[v] = tv
                parent[v] = u
                heapq.heappush(heap, (tv, v))
    return seen, parent


def _path(parent: dict[str, str], start: str, end: str) -> list[str]:
    path = [end]
    while path[-1] != start:
        path.append(parent[path[-1]])
    return path[::-1]


class Usable:
    """Which services a profile can use, decided lazily and remembered (big graphs)."""

    def __init__(self, G: nx.DiGraph, profile: Profile, *, always: Iterable[str] = ()) -> None:
        self.G = G
        self.profile = profile
        self.always = set(always)
        # shared by every query with the same eligibility-relevant profile (not start or time)
        key = (
            profile.group,
            profile.age,
            profile.legal_status,
            profile.language,
            profile.avoid,
            profile.interpretation,
        )
        cache = G.graph.setdefault("_usable", {})
        if len(cache) > 64:
            cache.clear()
        self.key = key
        self.memo: dict[str, bool] = cache.setdefault(key, {})

    def __contains__(self, node: object) -> bool:
        if node in self.always:
            return True
        ok: bool | None = self.memo.get(node)  # type: ignore[call-overload]
        if ok is None:
            ok = self.allows(node)  # type: ignore[arg-type]
        return ok

    @property
    def restricts(self) -> bool:
        """False when `exclusion_reason` is None for every service (nothing is asked)."""
        p = self.profile
        return bool(
            p.group is not None
            or p.age is not None
            or p.legal_status == "undocumented"
            or p.language
            or p.avoid
        )

    def allows(self, node: str) -> bool:
        """Can the profile use this service? (`always` aside: `exclusion_reason` is None.)"""
        ok = self.memo.get(node)
        if ok is None:
            ok = self.memo[node] = exclusion_reason(service(self.G, node), self.profile) is None
        return ok


class _SearchIndex:
    """What the time-dependent searches read, taken out of networkx once per graph.

    Plain dicts and lists instead of networkx's views: the successors of each service with the
    hand-off's delay, travel and needs (in the graph's order), each service record, the services
    that never make anyone wait (24/7 or unknown hours: `wait_hours` is 0 for them), and per
    category the set of its providers and the routes that serve it into each provider.
    """

    def __init__(self, G: nx.DiGraph) -> None:
        self.key = G.number_of_nodes()
        self.services: dict[str, Service] = dict(G.nodes(data="service"))
        self.succ: dict[str, list[tuple[str, float, float, tuple[str, ...]]]] = {
            u: [(v, e["delay"], e["travel"], e["needs"]) for v, e in nbrs.items()]
            for u, nbrs in G.adjacency()
        }
        self.no_wait = {n for n, s in self.services.items() if not s.hours.known or s.hours.is_24_7}
        spans: dict[Hours, tuple[list[int], list[int]]] = {}
        self.spans = {
            n: spans.get(s.hours) or spans.setdefault(s.hours, _open_spans(s.hours))
            for n, s in self.services.items()
            if n not in self.no_wait
        }
        self._G = G
        self._providers: dict[str, set[str]] = {}
        self._serving: dict[str, dict[str, tuple[str, ...]]] = {}
        self._reach: dict[Any, _Reachability] = {}

    def providers(self, category: str) -> set[str]:
        """Services offering the category (or a sub-category): `Service.has`, as a set."""
        found = self._providers.get(category)
        if found is None:
            found = self._providers[category] = set(providers(self._G, category))
        return found

    def reachability(self, usable: Usable | None = None) -> _Reachability:
        """Who reaches whom, through any service or (with `usable`) through those a profile
        can use; kept for the last few profiles."""
        key = None if usable is None else usable.key
        found = self._reach.get(key)
        if found is None:
            if len(self._reach) > 16:
                self._reach.clear()
            allowed = None if usable is None else usable.allows
            found = self._reach[key] = _Reachability(self._G, allowed)
        return found

    def serving(self, category: str) -> dict[str, tuple[str, ...]]:
        """Per provider of the category, its predecessors whose route serves the category."""
        found = self._serving.get(category)
        if found is None:
            pred = self._G.pred
            found = {
                v: tuple(u for u, e in pred[v].items() if _serves(e["needs"], category))
                for v in providers(self._G, category)
            }
            self._serving[category] = found
        return found


BIG_COMPONENT = 32
"""Strongly connected components at least this large keep their reach set, for all queries."""


class _Reached:
    """A set of services held as a few sets: a reach shared by many queries is not copied."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[set[str] | frozenset[str]]) -> None:
        self.parts = parts

    def __contains__(self, node: object) -> bool:
        for part in self.parts:  # noqa: SIM110 - faster than any() on a generator
            if node in part:
                return True
        return False


class _Reachability:
    """Reach sets in a graph, moving only through `allowed` services (all if None).

    Every service of a strongly connected component reaches the same services, so the reach
    of each large component (most of a national network is one) is computed once; a search
    from elsewhere walks `approach` (the allowed services outside large components, each
    large component one node it stops at) and borrows the reach of the components it enters.
    """

    def __init__(self, G: nx.DiGraph, allowed: Callable[[str], bool] | None) -> None:
        self.G = G
        self.allowed = allowed
        self.component: dict[str, int] = {}
        self.member: dict[int, str] = {}  # one service of each large component
        for c, members in enumerate(strong_components(G, allowed=allowed)):
            for v in members:
                self.component[v] = c
            if len(members) >= BIG_COMPONENT:
                self.member[c] = next(iter(members))
        self.approach = self._approach_graph()
        self.reach_of: dict[int, frozenset[str]] = {}

    def _in_approach(self, v: str) -> str | int:
        """`v` in `approach`: itself, or the number of the large component it belongs to."""
        c = self.component[v]
        return c if c in self.member else v

    def _approach_graph(self) -> nx.DiGraph:
        """The allowed services outside large components and the routes between them; a
        route into a large component ends at the component's number, which leads nowhere."""
        component, node = self.component, self._in_approach
        small = [v for v, c in component.items() if c not in self.member]
        H = nx.DiGraph()
        H.add_nodes_from(small)
        H.add_nodes_from(self.member)
        H.add_edges_from(
            (u, node(v)) for u in small for v in self.G.successors(u) if v in component
        )
        return H

    def beyond(self, start: str) -> _Reached:
        """`start` and every service reachable from it through allowed services (`start`
        itself need not be allowed)."""
        if start in self.component:
            first = [self._in_approach(start)]
        else:
            first = [self._in_approach(v) for v in self.G.successors(start) if v in self.component]
        reached = reachable_from(self.approach, first)
        seen: set[str] = {start}
        parts: list[set[str] | frozenset[str]] = [seen]
        for v in reached:
            if isinstance(v, int):
                parts.append(self._component_reach(v))
            else:
                seen.add(v)
        return _Reached(parts)

    def _component_reach(self, c: int) -> frozenset[str]:
        found = self.reach_of.get(c)
        if found is None:
            reach = reachable_from(self.G, [self.member[c]], allowed=self.allowed)
            found = self.reach_of[c] = frozenset(reach)
        return found


def serving_routes(G: nx.DiGraph, category: str) -> dict[str, tuple[str, ...]]:
    """Per provider of `category`, the services whose route to it serves the category
    (`serves_need`), in the graph's order; computed once per graph and category."""
    return _search_index(G).serving(category)


def _search_index(G: nx.DiGraph) -> _SearchIndex:
    """The graph's `_SearchIndex`, built on first use (graphs are not changed once built)."""
    index = G.graph.get("_search")
    if index is None or index.key != G.number_of_nodes():
        index = G.graph["_search"] = _SearchIndex(G)
    return index  # type: ignore[no-any-return]


def _open_spans(hours: Hours) -> tuple[list[int], list[int]]:
    """Opening ranges as (starts, ends) in minutes since Monday 00:00, over two weeks."""
    starts, ends = [], []
    for week in (0, 1):
        for day, ranges in enumerate(hours.week):
            base = week * MINUTES_PER_WEEK + day * 1440
            for a, b in ranges:
                starts.append(base + a)
                ends.append(base + b)
    return starts, ends


MINUTES_PER_WEEK = HOURS_PER_WEEK * 60


def _wait(spans: tuple[list[int], list[int]], t: float) -> float:
    """`wait_hours` from a service's `_open_spans` (the same arithmetic, so the same value).

    `Hours.wait_minutes` is 0 inside a range, else the minutes from the (whole) minute to the
    next start, which is the first start after it in the two-week list.
    """
    t_week = t % HOURS_PER_WEEK
    weekday = int(t_week // 24)
    minute = t_week % 24 * 60
    minute_floor = math.floor(minute)
    now = weekday * 1440 + minute_floor
    starts, ends = spans
    i = bisect.bisect_right(starts, now) - 1
    if i >= 0 and now < ends[i]:
        return 0.0
    wait = starts[i + 1] - now if i + 1 < len(starts) else math.inf
    return (wait - (minute - minute_floor)) / 60.0


def _never_open(hours: Hours) -> bool:
    """Known hours with no opening on any day: the service is never seen there."""
    return hours.known and not any(hours.week)


def _serves(needs: Iterable[str], category: str) -> bool:
    """`serves_need` on an edge's needs."""
    return any(n == category or n.startswith(category + ".") for n in needs)


def _on_path(parent: dict[str, str], start: str, end: str, node: str) -> bool:
    """Is `node` on the route `_path(parent, start, end)`? (Without building the list.)"""
    x = end
    while True:
        if x == node:
            return True
        if x == start:
            return False
        x = parent[x]


def fastest_to(
    G: nx.DiGraph,
    start: str,
    t0: float,
    category: str,
    *,
    usable: set[str] | Usable | None = None,
    no_wait: bool = False,
) -> tuple[float, list[str]] | None:
    """The earliest time (and route) at which a provider of `category` sees the survivor.

    The last hand-off must be a route that serves the category (its `for`), unless the start
    itself offers it. Ties go to fewer hand-offs, then to the smaller service id. The search
    stops as soon as nothing left in it can be earlier than the best provider found.
    """
    index = _search_index(G)
    if isinstance(usable, Usable) and not usable.restricts:
        usable = None  # the profile can use every service
    w0 = wait_hours(index.services[start], t0)
    if no_wait and w0 > 0:
        return None
    best, best_from, parent = _first_provider(
        index, start, t0 + w0, category, usable=usable, no_wait=no_wait
    )
    if best is None:
        return None
    if best_from is None:
        return best[0], [start]
    return best[0], [*_path(parent, start, best_from), best[2]]


def _first_provider(
    index: _SearchIndex,
    start: str,
    t_start: float,
    category: str,
    *,
    usable: set[str] | Usable | None,
    no_wait: bool,
) -> tuple[tuple[float, int, str] | None, str | None, dict[str, str]]:
    """The time-dependent Dijkstra of `fastest_to`, from `start` seen at `t_start`.

    Returns the best (time, hand-offs, provider), the service it is referred from (None when
    `start` itself is the provider) and the predecessor of every service on its fastest route.
    One loop, kept whole: it is the inner loop of every route and time-critical query.
    """
    never_waits, succ, spans = index.no_wait, index.succ, index.spans
    offers = index.providers(category)
    seen = {start: t_start}
    parent: dict[str, str] = {}
    best = (t_start, 0, start) if start in offers else None
    best_from: str | None = None
    done: set[str] = set()
    heap = [(t_start, 0, start)]
    pop, push, inf = heapq.heappop, heapq.heappush, math.inf
    while heap:
        t, h, u = pop(heap)
        if u in done:
            continue
        if best is not None and t > best[0] + 1e-9:
            break
        done.add(u)
        for v, delay, travel, needs in succ[u]:
            if usable is not None and v not in usable:
                continue
            arrive = t + delay + travel
            if v in never_waits:
                tv = arrive
            else:
                wait = _wait(spans[v], arrive)
                if no_wait and wait > 0:
                    continue
                tv = arrive + wait
            if tv == inf:  # closed all week: never seen there
                continue
            if (
                v in offers
                and (best is None or (tv, h + 1, v) < best)
                and _serves(needs, category)
                and not _on_path(parent, start, u, v)
            ):
                best, best_from = (tv, h + 1, v), u
            if v in done:
                continue
            old = seen.get(v, inf)
            if tv < old - 1e-9 or (abs(tv - old) <= 1e-9 and u < parent.get(v, "\uffff")):
                seen[v], parent[v] = tv, u
                push(heap, (tv, h + 1, v))
    return best, best_from, parent


# --- the route query ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One service on a route: when the survivor gets there and is seen, and for what."""

    service: str
    name: str
    category: str  # the need met here, or "entry" / "via"
    arrive_hours: float  # hours after arrival at the first service
    seen_hours: float  # after waiting for opening hours
    wait_hours: float
    delay_hours: float = 0.0  # referral delay of the hand-off into this service
    travel_hours: float | None = 0.0  # None when it would reveal a confidential location
    mode: str | None = None
    clock: str = ""  # local day and time the survivor is seen, e.g. "Sat 03:00"
    withheld: bool = False  # times rounded to the hour: a confidential service is on the way

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Route:
    """The answer to a route query. `found` is False (with `reason`) when no route exists."""

    found: bool
    site: str
    needs: tuple[str, ...]
    steps: tuple[Step, ...] = ()
    total_hours: float | None = None
    excluded: tuple[dict[str, str], ...] = ()
    reason: str = ""
    unmet: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    start: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the design: found, steps, total_hours, excluded (+ reason)."""
        return {
            "found": self.found,
            "site": self.site,
            "needs": list(self.needs),
            "start": self.start,
            "steps": [s.to_dict() for s in self.steps],
            "total_hours": None if self.total_hours is None else round(self.total_hours, 2),
            "excluded": list(self.excluded),
            "unmet": list(self.unmet),
            "reason": self.reason,
            "warnings": list(self.warnings),
        }

    def describe(
        self,
        lang: str = "en",
        *,
        names: Mapping[str, str] | None = None,
        reason: Callable[[str], str] | None = None,
    ) -> str:
        """A few lines a person can read: the steps with their times, or why there is none.

        Every word and number in `lang`; `names` (service id -> name in `lang`) names the
        services, and `reason` puts the route's English reasons into `lang` (the Workshop's
        `reason_text`); without them the inventory's names and the reasons are printed as is.
        """

        def name(sid: str, default: str) -> str:
            return names.get(sid, default) if names else default

        def why(text: str) -> str:
            return reason(text) if reason else text

        steps = enumerate(self.steps, 1)
        lines = [_step_line(i, s, name(s.service, s.name), lang) for i, s in steps]
        lines.append(self._outcome_line(lang, why(self.reason)))
        if self.excluded:
            lines.append(i18n.t("route_excluded_title", lang))
            colon = i18n.t("colon", lang)
            lines += [
                f"  - {name(e['service'], e['service'])}{colon} {why(e['reason'])}"
                for e in self.excluded
            ]
        return "\n".join(lines)

    def _outcome_line(self, lang: str, reason: str) -> str:
        """The total time (in whole hours when a confidential service is on the way), or why
        there is no route."""
        if not self.found or self.total_hours is None:
            return i18n.t("route_none", lang, reason=reason)
        if any(s.withheld for s in self.steps):
            return i18n.t("route_total_about", lang, h=i18n.number(self.total_hours, lang, 0))
        return i18n.t("route_total_line", lang, h=i18n.number(self.total_hours, lang, 1))


def _step_line(i: int, s: Step, name: str, lang: str) -> str:
    """One numbered line of `Route.describe`: where, for what, by which hand-off, when."""
    if s.category in ("entry", "via"):
        what = i18n.t("arrival" if s.category == "entry" else "via", lang)
    else:
        what = category_label(s.category, lang)
    wait = (
        i18n.t("route_wait", lang, h=i18n.number(s.wait_hours, lang, 1))
        if s.wait_hours > 0.01
        else ""
    )
    return i18n.t(
        "route_step",
        lang,
        i=i,
        name=name,
        id=s.service,
        what=what,
        how=_hand_off_text(s, lang),
        h=i18n.number(s.seen_hours, lang, 1),
        clock=_clock_in(s.clock, lang),
        wait=wait,
    )


def _hand_off_text(s: Step, lang: str) -> str:
    """How the survivor was handed over to this step and how long it took ("" at the start)."""
    if not s.mode:
        return ""
    hours = s.delay_hours + (s.travel_hours or 0.0)
    mode = i18n.t("mode_" + s.mode, lang)
    if s.withheld:
        return i18n.t("route_how_about", lang, mode=mode, h=i18n.number(round(hours), lang, 0))
    return i18n.t("route_how", lang, mode=mode, h=i18n.number(hours, lang, 1))


def _clock_in(clock: str, lang: str) -> str:
    """'Sat 03:00' (as `format_time` writes it) with the day in `lang`."""
    day, _, rest = clock.partition(" ")
    days = [d.title() for d in DAYS]
    if lang == "fr" and day in days:
        return f"{DAYS_FR[days.index(day)]} {rest}"
    return clock


def order_needs(needs: Iterable[str]) -> tuple[str, ...]:
    """Needs in the order they are met: clinical rape care first, then as asked, no repeats."""
    needs = list(dict.fromkeys(needs))
    first = [n for n in SEQUENCE_FIRST if n in needs]
    return tuple(first + [n for n in needs if n not in first])


def nearest_entry(
    G: nx.DiGraph, location: tuple[float, float], profile: Profile
) -> tuple[str, float] | None:
    """The usable entry point fastest to reach from a location, with the hours to get there.

    On the public view (what every caller holds) a confidential entry point's location is its
    public place, so answers for a grid of locations cannot trace where it really is; a hidden
    one (no place to walk to) is not offered.
    """
    inventory: Inventory = G.graph["inventory"]
    travel = travel_model(inventory)
    here = Point(lat=location[0], lon=location[1])
    best: tuple[float, str] | None = None
    for n in sorted(G):
        s = service(G, n)
        if not s.entry_point or s.tier == "hidden" or exclusion_reason(s, profile):
            continue
        there = s.location
        hours = travel.hours(distance_km(here, there))
        if best is None or hours < best[0]:
            best = (hours, n)
    return (best[1], best[0]) if best else None


@pausing_collector
def route(
    G: nx.DiGraph,
    profile: Profile,
    *,
    need: str | Sequence[str],
    explain: bool = True,
) -> Route:
    """The fastest sequence of hand-offs that meets the need(s) of a survivor profile.

    Needs are met one after the other (clinical rape care first), each leg starting where the
    previous need was met. Raises KeyError for an unknown entry point; no route is an answer.
    `explain=False` leaves `excluded` empty (saying why is most of the time at national size).
    """
    inventory: Inventory = G.graph["inventory"]
    needs = order_needs([need] if isinstance(need, str) else need)
    found = _start_of(G, inventory, profile, needs)
    if isinstance(found, Route):
        return found
    start, lead_in = found
    if _never_open(service(G, start).hours):  # never seen there: as good as closed
        return Route(
            False, inventory.site.id, needs, reason=f"'{start}' is closed", start=start, unmet=needs
        )
    answer = partial(Route, site=inventory.site.id, needs=needs, start=start)
    entry_reason = exclusion_reason(service(G, start), profile)
    warnings = (
        (f"the entry point {start} {entry_reason}; counted as arrival only",)
        if entry_reason
        else ()
    )
    usable = Usable(G, profile, always=[start])
    t0 = profile.start_time + lead_in  # at the first service
    origin = t0 - lead_in  # setting off: step times count from here
    steps = [_entry_step(G, start, t0, lead_in)]
    here, t = start, t0 + steps[0].wait_hours
    excluded: dict[str, str] = {}
    for n in needs:
        leg = fastest_to(G, here, t, n, usable=usable)
        _explain(G, inventory, profile, n, here, t, leg, excluded if explain else None)
        if leg is None:
            steps, _ = _withhold(G, steps, 0.0)
            return answer(
                found=False,
                steps=tuple(steps),
                excluded=_excluded(excluded),
                reason=f"no route from {here} to {category_label(n)} for this profile",
                unmet=needs[needs.index(n) :],
                warnings=warnings,
            )
        t_end, path = leg
        steps = _arrival_merged(steps + _leg_steps(G, path, t, origin, n), start, lead_in)
        here, t = path[-1], t_end
    steps, total = _withhold(G, steps, t - origin)
    return answer(
        found=True,
        steps=tuple(steps),
        total_hours=total,
        excluded=_excluded(excluded),
        warnings=warnings,
    )


def _start_of(
    G: nx.DiGraph, inventory: Inventory, profile: Profile, needs: tuple[str, ...]
) -> tuple[str, float] | Route:
    """Where the profile's route starts and the hours to get there, or the `Route` that says
    there is none (a closed entry point, no usable one near the location)."""
    site = inventory.site.id
    if profile.entry is not None:
        if profile.entry not in G:
            if profile.entry in inventory.by_id:
                reason = f"'{profile.entry}' is closed"
                return Route(False, site, needs, reason=reason, start=profile.entry, unmet=needs)
            inventory.service(profile.entry)  # raises KeyError with a suggestion
        return profile.entry, 0.0
    if profile.location is not None:
        found = nearest_entry(G, profile.location, profile)
        if found is None:
            reason = "no entry point this survivor can use"
            return Route(False, site, needs, reason=reason, unmet=needs)
        return found
    raise ValueError("a profile needs an entry point or a location")


def _entry_step(G: nx.DiGraph, start: str, t: float, lead_in: float) -> Step:
    """The arrival at the first service, `lead_in` hours after setting off, at time `t`."""
    s = service(G, start)
    wait = wait_hours(s, t)
    return Step(
        start,
        s.name,
        "entry",
        lead_in,
        lead_in + wait,
        wait,
        travel_hours=lead_in,
        clock=format_time(t + wait),
    )


def _arrival_merged(steps: list[Step], start: str, lead_in: float) -> list[Step]:
    """The steps with the arrival folded into the first leg's first step when that leg's
    need is met at the entry point itself."""
    if len(steps) > 1 and steps[0].category == "entry" and steps[1].service == start:
        first = replace(
            steps[1],
            arrive_hours=steps[0].arrive_hours,
            wait_hours=steps[0].wait_hours,
            travel_hours=lead_in,
        )
        return [first, *steps[2:]]
    return steps


def _excluded(excluded: dict[str, str]) -> tuple[dict[str, str], ...]:
    """`Route.excluded`: the services left out and why, by service id."""
    return tuple({"service": k, "reason": v} for k, v in sorted(excluded.items()))


def _withhold(G: nx.DiGraph, steps: list[Step], total: float) -> tuple[list[Step], float]:
    """Round times to the hour from the first confidential service on, and drop the travel
    times of hand-offs into or out of it.

    Not what keeps the location secret: the graph is built on the public view, so these times
    are measured to the service's public place and depend on nothing else. They are rounded
    because that place is only area level: minutes would claim a precision they do not have."""
    first = next((i for i, st in enumerate(steps) if service(G, st.service).confidential), None)
    if first is None:
        return steps, total
    out = steps[:first]
    for st in steps[first:]:
        out.append(
            replace(
                st,
                arrive_hours=float(round(st.arrive_hours)),
                seen_hours=float(round(st.seen_hours)),
                wait_hours=float(round(st.wait_hours)),
                travel_hours=None,
                clock=st.clock[:-2] + "00" if st.clock else st.clock,
                withheld=True,
            )
        )
    return out, float(round(total))


def _leg_steps(G: nx.DiGraph, path: list[str], t: float, origin: float, need: str) -> list[Step]:
    steps = []
    if len(path) == 1:  # the need is met where the survivor already is
        s = service(G, path[0])
        return [Step(path[0], s.name, need, t - origin, t - origin, 0.0, clock=format_time(t))]
    for u, v in itertools.pairwise(path):
        e = G.edges[u, v]
        arrive = t + e["delay"] + e["travel"]
        s = service(G, v)
        w = wait_hours(s, arrive)
        t = arrive + w
        steps.append(
            Step(
                v,
                s.name,
                need if v == path[-1] else "via",
                arrive - origin,
                t - origin,
                w,
                e["delay"],
                e["travel"],
                e["mode"],
                format_time(t),
            )
        )
    return steps


def _explain(
    G: nx.DiGraph,
    inventory: Inventory,
    profile: Profile,
    need: str,
    here: str,
    t: float,
    leg: tuple[float, list[str]] | None,
    excluded: dict[str, str] | None,
) -> None:
    """Say why each provider of `need` that is not on the chosen route was left out (not when
    `excluded` is None: the caller does not ask)."""
    if excluded is None:
        return
    chosen = leg[1][-1] if leg else None
    index = _search_index(G)
    usable = Usable(G, profile, always=[here])
    reached = index.reachability().beyond(here)
    reached_usable = index.reachability(usable).beyond(here)
    if G.graph.get("closed"):
        for s in inventory.services:
            if s.id not in G and s.has(need):
                excluded.setdefault(s.id, "closed")
    serving_of = index.serving(need)
    for v in providers(G, need):
        if v == chosen or v in excluded:
            continue
        reason = None if usable.allows(v) else exclusion_reason(index.services[v], profile)
        serving = serving_of[v]
        if reason:
            excluded[v] = reason
        elif v not in reached:
            excluded[v] = f"no referral route leads there from {here}"
        elif not any(u in reached for u in serving):
            excluded[v] = f"no referral route to it serves {need}"
        elif not any(u in reached_usable for u in serving):
            excluded[v] = "reachable only through services this profile cannot use"
        elif _never_open(index.services[v].hours):
            excluded[v] = "closed every day of the week"
        else:
            excluded[v] = f"reachable, but not sooner than {chosen}"


@dataclass(frozen=True)
class WeekProfile:
    """Hours to reach a category from one entry point, for an arrival at each hour of the week."""

    entry: str
    category: str
    hours: tuple[float, ...] = field(default=())  # 168 values; inf where unreachable

    @property
    def worst(self) -> float:
        return max(self.hours)

    @property
    def typical(self) -> float:
        finite = sorted(self.hours)
        return finite[len(finite) // 2]

    def failing(self, limit: float) -> list[int]:
        """Arrival hours (0 = Monday 00:00) from which the category takes longer than `limit`."""
        return [h for h, v in enumerate(self.hours) if v > limit]


def week_profile(
    G: nx.DiGraph, entry: str, category: str, *, profile: Profile | None = None
) -> WeekProfile:
    """Time to the first provider of `category` from `entry`, for each of the 168 arrival hours."""
    profile = profile or Profile()
    usable = Usable(G, profile, always=[entry])
    out = []
    for h in range(HOURS_PER_WEEK):
        leg = fastest_to(G, entry, float(h), category, usable=usable)
        out.append(leg[0] - h if leg else math.inf)
    return WeekProfile(entry, category, tuple(out))


def hour_ranges(hours: Sequence[int], lang: str = "en") -> list[str]:
    """Compress arrival hours into readable ranges: ['Fri 18:00–Mon 07:00', 'Wed 02:00']."""
    if not hours:
        return []
    hs = sorted(set(hours))
    runs: list[list[int]] = [[hs[0], hs[0]]]
    for h in hs[1:]:
        if h == runs[-1][1] + 1:
            runs[-1][1] = h
        else:
            runs.append([h, h])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == HOURS_PER_WEEK - 1:
        runs[0][0] = runs.pop()[0] - HOURS_PER_WEEK
    if len(runs) == 1 and runs[0][1] - runs[0][0] >= HOURS_PER_WEEK - 1:
        return ["à toute heure de la semaine" if lang == "fr" else "every hour of the week"]
    return [
        format_time(a % HOURS_PER_WEEK, lang)
        if a == b
        else f"{format_time(a % HOURS_PER_WEEK, lang)}–{format_time(b % HOURS_PER_WEEK, lang)}"
        for a, b in runs
    ]


# --- reverse: latest times, for every service at once ------------------------------------------


class _OpenTimes:
    """A service's opening intervals over three weeks, for 'latest arrival' look-ups."""

    def __init__(self, s: Service) -> None:
        self.always = not s.hours.known or s.hours.is_24_7
        spans: list[tuple[float, float]] = []
        for week in (-1, 0, 1):
            for day, ranges in enumerate(s.hours.week):
                base = week * HOURS_PER_WEEK + day * 24
                spans += [(base + a / 60, base + b / 60) for a, b in ranges]
        spans.sort()
        self.starts = [a for a, _ in spans]
        self.spans = spans

    def next_open(self, t: float) -> float:
        """The first moment at or after `t` when the service is open (inf if never)."""
        if self.always:
            return t
        week = math.floor(t / HOURS_PER_WEEK) * HOURS_PER_WEEK
        local = t - week
        i = bisect.bisect_right(self.starts, local) - 1
        if i >= 0 and local < self.spans[i][1]:
            return t
        if i + 1 < len(self.spans):
            return week + self.spans[i + 1][0]
        return math.inf

    def latest_arrival(self, deadline: float) -> float:
        """The latest time one can arrive and be seen no later than `deadline`."""
        if self.always:
            return deadline
        week = math.floor(deadline / HOURS_PER_WEEK) * HOURS_PER_WEEK
        local = deadline - week
        i = bisect.bisect_right(self.starts, local) - 1
        if i < 0:
            return -math.inf
        _, b = self.spans[i]
        if local < b:
            return deadline  # open at the deadline
        return week + b - BEFORE_CLOSING  # just before the last opening ends


def latest_seen(
    G: nx.DiGraph,
    category: str,
    deadline: float,
    *,
    usable: set[str] | None = None,
    floor: float = -math.inf,
    _reverse: _Reverse | None = None,
) -> dict[str, float]:
    """For every service, the latest time it can see a survivor who must then reach a provider
    of `category` (through a route serving it) no later than `deadline`.

    The reverse of `earliest_seen`: one pass answers for every starting service. A survivor
    arriving at service u at time t makes it iff t + wait(u, t) <= result[u] (or u itself
    offers the category and is open by the deadline). Services absent cannot make it. Times
    below `floor` are not explored (no survivor is seen before she arrives).
    """
    rev = _reverse or _Reverse(G, category, usable)
    best = rev.latest(deadline, floor)
    return {rev.ids[i]: t for i, t in enumerate(best) if t > -math.inf}


BEFORE_CLOSING = 1e-6
"""Hours before a closing time that count as "just before it" in reverse passes. Larger than the
1e-9 tolerance of the comparisons, so that a hand-off arriving exactly at closing time (closed,
as a forward search says) is not let through by the two cancelling out."""


class _Reverse:
    """Reverse adjacency (integer-indexed) with hand-off costs, prepared once for many passes."""

    def __init__(self, G: nx.DiGraph, category: str, usable: set[str] | None = None) -> None:
        self.ids = [n for n in G if usable is None or n in usable]
        index = {n: i for i, n in enumerate(self.ids)}
        shared: dict[Hours, _OpenTimes] = {}  # one per distinct opening hours
        self.times = [
            shared.get(s.hours) or shared.setdefault(s.hours, _OpenTimes(s))
            for s in (service(G, n) for n in self.ids)
        ]
        self.always = [t.always for t in self.times]
        # `_OpenTimes.latest_arrival`, unrolled in `latest`: opening starts and ends
        self.starts: list[list[float] | None] = [None if t.always else t.starts for t in self.times]
        self.ends: list[list[float] | None] = [
            None if t.always else [b for _, b in t.spans] for t in self.times
        ]
        self.pred: list[list[tuple[int, float]]] = [
            [(index[w], e["delay"] + e["travel"]) for w, e in G.pred[u].items() if w in index]
            for u in self.ids
        ]
        self.terminal = [
            (index[u], index[v], G.edges[u, v]["delay"] + G.edges[u, v]["travel"])
            for v in providers(G, category)
            if v in index
            for u in G.pred[v]
            if u in index and serves_need(G, u, v, category)
        ]
        self._packed: _ReverseArrays | None = None

    def latest_many(
        self, deadlines: np.ndarray, floors: np.ndarray, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """`latest` for many deadlines at once: an array (service, deadline) of latest seen
        times (-inf if none), of the services `rows` (default all).

        The same numbers as `latest` gives for each deadline, found another way: relaxing
        every route from the services whose time rose, all deadlines at once in numpy, until
        none rises. Waiting for opening hours only ever moves a later arrival later, so the
        latest times are the best over all routes whichever order finds them (the order of
        `latest` is Dijkstra's); each candidate is computed with the same arithmetic.
        Deadlines go in chunks, so the arrays stay near `_CELLS` numbers.
        """
        deadlines = np.asarray(deadlines, dtype=float)
        floors = np.asarray(floors, dtype=float)
        picked = np.arange(len(self.ids)) if rows is None else np.asarray(rows, dtype=np.intp)
        out = np.full((len(picked), len(deadlines)), -math.inf)
        arrays = self._arrays()
        step = max(1, min(len(deadlines), _CELLS // max(1, len(arrays.cost), len(self.ids))))
        for a in range(0, len(deadlines), step):
            best = self._latest_chunk(arrays, deadlines[a : a + step], floors[a : a + step])
            out[:, a : a + step] = best[picked]
        return out

    def _arrays(self) -> _ReverseArrays:
        if self._packed is None:
            self._packed = _ReverseArrays(self)
        return self._packed

    def _latest_chunk(
        self, arrays: _ReverseArrays, deadlines: np.ndarray, floors: np.ndarray
    ) -> np.ndarray:
        n, k = len(self.ids), len(deadlines)
        best = np.full((n, k), -math.inf)
        if len(arrays.term_u):
            at = np.broadcast_to(deadlines, (len(arrays.term_u), k))
            seen = arrays.arrival(arrays.term_v, at)
            cand = seen - arrays.term_cost[:, None]
            cand[cand < floors] = -math.inf
            np.maximum.at(best, arrays.term_u, cand)
        rising = np.flatnonzero(np.isfinite(best).any(axis=1))
        while len(rising):
            arrive = arrays.arrival(rising, best[rising])
            first, count = arrays.indptr[rising], np.diff(arrays.indptr)[rising]
            total = int(count.sum())
            if total == 0:
                break
            source = np.repeat(np.arange(len(rising)), count)
            edge = np.arange(total) - np.repeat(np.cumsum(count) - count - first, count)
            cand = arrive[source] - arrays.cost[edge][:, None]
            cand[cand < floors] = -math.inf
            target = arrays.pred[edge]
            before = best[target]
            np.maximum.at(best, target, cand)
            rose = (best[target] > before).any(axis=1)
            rising = np.unique(target[rose])
        return best

    def latest(self, deadline: float, floor: float) -> list[float]:
        """Latest seen time of every service (by index) for this deadline; -inf if none."""
        n = len(self.ids)
        best = [-math.inf] * n
        done = bytearray(n)
        heap: list[tuple[float, int]] = []
        push, pop, times, pred = heapq.heappush, heapq.heappop, self.times, self.pred
        starts_of, ends_of = self.starts, self.ends
        right, floor_of, week_hours = bisect.bisect_right, math.floor, HOURS_PER_WEEK
        for u, v, cost in self.terminal:
            t = times[v].latest_arrival(deadline) - cost
            if t >= floor and t > best[u]:
                best[u] = t
                push(heap, (-t, u))
        while heap:
            neg, u = pop(heap)
            if done[u]:
                continue
            done[u] = 1
            starts = starts_of[u]
            if starts is None:  # always open
                arrive_by = -neg
            else:  # times[u].latest_arrival(-neg), the same arithmetic
                t = -neg
                week = floor_of(t / week_hours) * week_hours
                local = t - week
                i = right(starts, local) - 1
                if i < 0:
                    continue  # -inf: nobody gets there in time
                end = ends_of[u][i]  # type: ignore[index]
                arrive_by = t if local < end else week + end - BEFORE_CLOSING
            for w, cost in pred[u]:
                t = arrive_by - cost
                if t > best[w] and t >= floor and not done[w]:
                    best[w] = t
                    push(heap, (-t, w))
        return best


_CELLS = 8_000_000
"""About how many numbers (routes or services x deadlines) one chunk of `latest_many` holds."""


class _ReverseArrays:
    """A `_Reverse` as numpy arrays: the routes into each service (by service, CSR), the last
    hand-offs to a provider, and each service's opening hours as one of a few patterns."""

    def __init__(self, rev: _Reverse) -> None:
        self.indptr = np.zeros(len(rev.ids) + 1, dtype=np.intp)
        self.indptr[1:] = np.cumsum([len(p) for p in rev.pred])
        self.pred = np.array([w for p in rev.pred for w, _ in p], dtype=np.intp)
        self.cost = np.array([c for p in rev.pred for _, c in p], dtype=float)
        self.term_u = np.array([u for u, _, _ in rev.terminal], dtype=np.intp)
        self.term_v = np.array([v for _, v, _ in rev.terminal], dtype=np.intp)
        self.term_cost = np.array([c for _, _, c in rev.terminal], dtype=float)
        patterns: dict[int, int] = {}
        self.times: list[_OpenTimes] = []
        for t in rev.times:
            if id(t) not in patterns:
                patterns[id(t)] = len(self.times)
                self.times.append(t)
        self.pattern = np.array([patterns[id(t)] for t in rev.times], dtype=np.intp)

    def arrival(self, nodes: np.ndarray, t: np.ndarray) -> np.ndarray:
        """`_OpenTimes.latest_arrival` of each service `nodes[i]` at each time of row `t[i]`,
        with the same arithmetic (-inf stays -inf)."""
        out = np.array(t, dtype=float, copy=True)
        pattern = self.pattern[nodes]
        for p in np.unique(pattern):
            times = self.times[p]
            if times.always:
                continue
            rows = pattern == p
            out[rows] = _latest_arrivals(times, out[rows])
        return out


def _latest_arrivals(times: _OpenTimes, t: np.ndarray) -> np.ndarray:
    """`times.latest_arrival` of every number of `t` (not always open)."""
    out = np.full(t.shape, -math.inf)
    if not times.starts:
        return out
    ok = np.isfinite(t)
    tt = t[ok]
    week = np.floor(tt / HOURS_PER_WEEK) * HOURS_PER_WEEK
    local = tt - week
    i = np.searchsorted(np.asarray(times.starts), local, side="right") - 1
    ends = np.array([b for _, b in times.spans])
    end = ends[np.maximum(i, 0)]
    found = np.where(local < end, tt, week + end - BEFORE_CLOSING)
    found[i < 0] = -math.inf
    out[ok] = found
    return out


def open_times(G: nx.DiGraph) -> dict[str, _OpenTimes]:
    """Opening intervals of every service of a graph, to share across `latest_seen` calls."""
    return {n: _OpenTimes(service(G, n)) for n in G}


def within_by_hour(
    G: nx.DiGraph,
    entries: Sequence[str],
    category: str,
    limit: float,
    *,
    hours: Iterable[int] = range(HOURS_PER_WEEK),
) -> dict[str, list[bool]]:
    """For each entry point and each arrival hour of the week: is `category` reached in time?

    Reverse passes (deadline = hour + limit, all hours at once: `_Reverse.latest_many`)
    answer for every entry point together, instead of a forward search per entry point and
    hour. Hours not asked for count as reached.
    """
    answers = _Answers(G, entries, category)
    out = answers.blank()
    arrivals = np.array(list(hours), dtype=float)
    if len(arrivals):
        deadlines = arrivals + limit
        latest = answers.rev.latest_many(deadlines, arrivals, answers.index)
        answers.fill(out, arrivals, deadlines, latest)
    return answers.as_dict(out)


def within_by_hour_twice(
    G: nx.DiGraph, entries: Sequence[str], category: str, short: float, long: float
) -> tuple[dict[str, list[bool]], dict[str, list[bool]]]:
    """`within_by_hour` for two limits (72 h and 120 h), with one reverse pass per hour.

    A pass towards deadline D explored down to D - `long` answers two arrival hours at once:
    D - `short` within `short`, and D - `long` within `long` (what the pass finds above a
    later floor does not change when it goes lower; the week repeats, so an arrival before
    Monday 00:00 is the same hour a week later). At national size, where most hours fail
    somewhere, this halves the passes.
    """
    answers = _Answers(G, entries, category)
    within = (answers.blank(), answers.blank())
    arrivals = np.arange(HOURS_PER_WEEK, dtype=float)
    deadlines = arrivals + short
    latest = answers.rev.latest_many(deadlines, deadlines - long, answers.index)
    answers.fill(within[0], arrivals, deadlines, latest)
    answers.fill(within[1], deadlines - long, deadlines, latest)
    return answers.as_dict(within[0]), answers.as_dict(within[1])


class _Answers:
    """Entry points' answers from reverse passes: reached in time, per arrival hour."""

    def __init__(self, G: nx.DiGraph, entries: Sequence[str], category: str) -> None:
        self.rev = _Reverse(G, category)
        self.entries = list(entries)
        position = {n: i for i, n in enumerate(self.rev.ids)}
        self.index = np.array([position[e] for e in self.entries], dtype=np.intp)
        self.offers = np.array([service(G, e).has(category) for e in self.entries], dtype=bool)
        arrays = self.rev._arrays()  # each entry point's opening hours, as one of a few patterns
        self.times: list[_OpenTimes] = arrays.times
        self.pattern = arrays.pattern[self.index]

    def blank(self) -> np.ndarray:
        """Every entry point reached at every hour (hours not asked for stay so)."""
        return np.ones((len(self.entries), HOURS_PER_WEEK), dtype=bool)

    def as_dict(self, out: np.ndarray) -> dict[str, list[bool]]:
        """Each entry point's answers, hour by hour."""
        return dict(zip(self.entries, out.tolist(), strict=True))

    def fill(
        self, out: np.ndarray, arrivals: np.ndarray, deadlines: np.ndarray, latest: np.ndarray
    ) -> None:
        """Answer for arrivals (hours of this week, or the week before) by their deadlines,
        from the reverse passes' `latest` times (entry points x arrivals).

        A latest time before the arrival counts as never, as if the pass had stopped there:
        a hand-off as a service closes is too late.
        """
        if not self.entries:
            return
        # next_open(arrival) per distinct opening hours: a few patterns x the arrivals
        opens = np.array([[t.next_open(float(a)) for a in arrivals] for t in self.times])
        seen = opens[self.pattern]
        found = (latest >= arrivals) & (seen <= latest + 1e-9)
        reached = found | (self.offers[:, None] & (seen <= deadlines + 1e-9))
        slots = np.floor(arrivals).astype(np.intp) % HOURS_PER_WEEK  # the week repeats
        out[:, slots] = reached
