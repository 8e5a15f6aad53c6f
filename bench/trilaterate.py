"""Locate confidential services from public outputs only: the trilateration attack of issue 14.

    python -m bench.trilaterate                       # every inventory in data/sites, full sweep
    python -m bench.trilaterate data/sites/brussels.yaml --quick --json
    python -m bench.trilaterate --control             # the same attack on the shelters moved to
                                                      # their public places (what a fixed gate
                                                      # should make indistinguishable)

What the attacker holds (everything public): the published inventory *without* the true
locations (and intake addresses) of confidential services: services' ids, categories, hours,
entry points, the referral routes with their needs and delays (all in the GeoJSON export), the
site's travel model (`site.travel`: speed and circuity), the public code (how a route's times are
computed: `pathways.analysis.graph` / `pathways.analysis.routes`), and the public outputs of the
command line. Each
confidential service's shown place is read from the GeoJSON export. The true location is read
only to score the result (`Score`), never by the attack.

What it tries, per confidential service S (all through `pathways.cli.main`, in-process):

1. **Route clocks** (`route --from E --need C --day D --hour H --json`). Times are counted in
   hours since Monday 00:00: a hand-off u -> v takes the referral's delay, the travel time
   (geodesic distance x circuity / speed; none out of a helpline) and the wait until v opens.
   For every entry point E and every need C that leads to S, and for forcing variants (`--close`
   the other providers of C and the other predecessors of S, so that the route comes into S
   through each of its predecessors in turn; ask a second need met by one of S's successors, so
   that it leaves S along each of its routes out), the arrival hour is swept over days and hours
   and, wherever a rounded figure of a withheld step (its `clock`, `arrive_hours`, `seen_hours`
   or `wait_hours`) flips, the flip is bisected on the float `--hour` down to `eps` hours. At the
   flip the unrounded figure equals a known boundary (the clock rounds to the minute, so it turns
   to hour k at k - 1/120 h; the others turn at m + 0.5): one exact equation in the unknown
   position of S, whatever the waits and hand-offs before it (they are simulated from public
   hours and delays along the route the answer shows).
2. **Nearest entry** (`route --at LAT,LON` on a grid): the entry point chosen for each place is
   compared with the one the public places predict; a disagreement would mean the choice reads
   a location that is not public (counted as anomalies).
3. **Coverage** (`coverage --json --units`): minutes from each population unit (its point is
   public data, `pathways.analysis.population`) to the nearest provider of each of S's categories,
   compared
   with the minutes the public places give; a unit reached sooner than any public place allows
   is a distance to a hidden provider (an equation when S is the only confidential provider).
4. **Export geometry** (GeoJSON, with referral lines): any coordinate attached to S other than
   its shown place is a direct position.

The equations are then solved by least squares (`scipy.optimize.least_squares`, soft-L1 loss,
from a grid of starting points around S's public neighbours) for S's latitude and longitude,
with a negligible pull towards S's shown place that only decides directions the data leave
free. Every distinct solution that fits the data about as well as the best one is kept as a
candidate: with two anchors (public services whose hand-off to or from S is timed) there are
two mirror points, and an attacker would visit both. With one anchor the data give a ring, not
a point: the fit is marked undetermined and only its estimate (the point of the ring nearest
the shown place) counts. S is *located* when the estimate or a candidate lies within
`MIN_DISTANCE_M` of its true location.

`--control` checks the attack against a gate that works: each site is copied with its
confidential services moved to the places its exports show (hidden ones to a grid-cell centre
at least 1 km away), attacked, and scored against the real file. It must locate nothing.

Sweeps: the full one (the default) tries every hour interval of every day and bisects each
flip to 1e-9 h (a few millimetres of travel), keeping 3 equations per route prefix and figure;
`--quick` (the test suite's) tries 4 intervals on Monday and Saturday, bisects to 1e-4 h (a
metre or two) and keeps one.

Assumed: the default profile (every service usable), the published travel model and delays, the
default straight-line travel times (no `--roads`). Not tried: ordering constraints from the
`excluded` reasons (inequalities, and here they only compare times through the same anchors);
routes whose prefix holds two confidential services (a joint fit); intersecting a ring with the
admin area named by an area-level place (it would turn a one-anchor ring into an arc a few
kilometres long, and makes the estimate a guess that a correct gate could fail by chance);
`gaps --json` (whole hours, about clinical rape care, which no shelter offers); the app and the
map, which show the same places as the GeoJSON export.

Speed: by default the command line's inventory loading and parser are memoised per file
(`fast_cli`): the same bytes are printed (checked against an unmemoised call at the start of each
site), as a long-running server answering queries would.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Geod

from pathways.model.inventory import DAYS, DEFAULT_DELAY_HOURS, Hours, parse_hours

ROOT = Path(__file__).resolve().parents[1]
SITES = ROOT / "data" / "sites"
HOURS_PER_WEEK = 168
MIN_DISTANCE_M = 1000.0
"""The promise under test: no estimate within this distance of a confidential service."""

_GEOD = Geod(ellps="WGS84")


def geodesic_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in metres between two (lat, lon) points on the WGS84 ellipsoid."""
    return float(_GEOD.inv(a[1], a[0], b[1], b[0])[2])


# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """How hard to try: which arrival days and hours, how fine, how many repeats."""

    days: tuple[int, ...] = tuple(range(7))
    intervals: tuple[tuple[float, float], ...] = tuple(
        (float(h), float(h + 1) if h < 23 else 23.999) for h in range(24)
    )
    eps: float = 1e-9  # bisection stops at this width (hours)
    repeats: int = 3  # equations kept per (route prefix, figure)
    entries_per_predecessor: int = 3
    depth: int = 3  # an hour interval with an ambiguous change is halved this many times
    at_grid: int = 7  # `route --at` grid is at_grid x at_grid places
    coverage: bool = True
    probe_points: tuple[tuple[int, float], ...] = ((0, 10.0), (0, 21.0), (2, 14.5), (5, 3.0))
    patience: int = 24  # hour intervals in a row with nothing left to measure before giving up

    @classmethod
    def quick(cls) -> Sweep:
        """A coarse sweep for the test suite: enough for a leak of metres to show."""
        return cls(
            days=(0, 5),
            intervals=((10.0, 11.0), (14.0, 15.0), (21.0, 22.0), (2.0, 3.0)),
            eps=1e-4,
            repeats=1,
            entries_per_predecessor=2,
            depth=2,
            at_grid=4,
            coverage=True,
            probe_points=((0, 10.0), (0, 21.0)),
            patience=1,
        )


# --- the command line, in-process ---------------------------------------------------------------


@contextlib.contextmanager
def fast_cli() -> Iterator[None]:
    """Memoise the command line's inventory loading and its parser for a block.

    `load_site` / `load_sites` are replaced, in every loaded module of the project that holds
    them, by versions that keep each file's result until the file changes (path, size and
    modification time); `pathways.cli.build_parser` builds the parser once.
    """
    import pathways.cli as cli
    import pathways.io.load as load

    patched: list[tuple[Any, str, Any]] = []
    memo: dict[Any, Any] = {}

    def key(paths: Any) -> Any:
        out = []
        for p in [paths] if isinstance(paths, str | os.PathLike) else list(paths):
            path = Path(p).resolve()
            st = path.stat() if path.exists() else None
            out.append((str(path), st and (st.st_size, st.st_mtime_ns)))
        return tuple(out)

    def memoised(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(paths: Any, *args: Any, **kwargs: Any) -> Any:
            k = (name, key(paths), args, tuple(sorted(kwargs.items())))
            if k not in memo:
                memo[k] = func(paths, *args, **kwargs)
            found = memo[k]
            return list(found) if isinstance(found, list) else found

        return wrapper

    for name in ("load_site", "load_sites"):
        original = getattr(load, name, None)
        if original is None:
            continue
        replacement = memoised(name, original)
        for mod in list(sys.modules.values()):
            modname = getattr(mod, "__name__", "") or ""
            if modname.split(".")[0] in ("pathways", "mapping", "views") and (
                getattr(mod, name, None) is original
            ):
                patched.append((mod, name, original))
                setattr(mod, name, replacement)
    parser = cli.build_parser()
    patched.append((cli, "build_parser", cli.build_parser))
    cli.build_parser = lambda: parser  # type: ignore[assignment]
    try:
        yield
    finally:
        for mod, name, original in reversed(patched):
            setattr(mod, name, original)


class Oracle:
    """Runs `pathways` commands in-process and counts them (each distinct call is one query)."""

    def __init__(self) -> None:
        self.queries = 0
        self._cache: dict[tuple[str, ...], tuple[int, str]] = {}

    def run(self, argv: Sequence[str]) -> tuple[int, str]:
        """Exit code and standard output of `pathways ARGV` (cached: a repeat is free)."""
        key = tuple(argv)
        found = self._cache.get(key)
        if found is None:
            from pathways.cli import main

            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    rc = main(list(argv))
                except SystemExit as e:
                    rc = int(e.code or 0)
            self.queries += 1
            found = self._cache[key] = (rc, out.getvalue())
        return found

    def route(self, path: Path, query: Query, day: int, hour: float) -> Observation | None:
        """The `route --json` answer for a query at an arrival time, parsed (None on error)."""
        argv = ["route", str(path), "--json", "--day", DAYS[day], "--hour", repr(float(hour))]
        if query.at is not None:
            argv += ["--at", f"{query.at[0]!r},{query.at[1]!r}"]
        else:
            argv += ["--from", query.entry]
        for need in query.needs:
            argv += ["--need", need]
        if query.closed:
            argv += ["--close", *query.closed]
        rc, out = self.run(argv)
        if rc != 0:
            return None
        try:
            return Observation.parse(json.loads(out))
        except (ValueError, KeyError, TypeError):
            return None


# --- what the attacker knows --------------------------------------------------------------------


@dataclass(frozen=True)
class PublicService:
    """A service as published: no true location for a confidential one, only its shown place."""

    id: str
    categories: tuple[str, ...]
    entry_point: bool
    confidential: bool
    hours: Hours
    place: tuple[float, float] | None  # exact if not confidential; else the shown place or None

    @property
    def remote(self) -> bool:
        """A helpline: no travel starts from it (`pathways.analysis.graph.is_remote`)."""
        return set(self.categories) <= {"hotline"}

    def has(self, category: str) -> bool:
        return any(c == category or c.startswith(category + ".") for c in self.categories)


@dataclass(frozen=True)
class PublicReferral:
    source: str
    target: str
    needs: tuple[str, ...]
    delay: float


@dataclass
class PublicSite:
    """One site as the attacker sees it."""

    id: str
    path: Path
    speed_kmh: float
    circuity: float
    services: dict[str, PublicService]
    referrals: dict[tuple[str, str], PublicReferral]
    extra_points: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @property
    def km_per_hour(self) -> float:
        """Straight-line kilometres per hour of travel."""
        return self.speed_kmh / self.circuity

    def confidential(self) -> list[str]:
        return [s.id for s in self.services.values() if s.confidential]

    def entries(self) -> list[str]:
        return sorted(s.id for s in self.services.values() if s.entry_point and not s.confidential)

    def providers(self, category: str) -> list[str]:
        return sorted(s.id for s in self.services.values() if s.has(category))

    def successors(self, u: str) -> list[PublicReferral]:
        return [r for (a, _), r in self.referrals.items() if a == u]

    def predecessors(self, v: str) -> list[PublicReferral]:
        return [r for (_, b), r in self.referrals.items() if b == v]

    def hops_from(self, start: str) -> dict[str, list[str]]:
        """Shortest hand-off chain (by count) from `start` to every service it reaches."""
        chains = {start: [start]}
        frontier = [start]
        while frontier:
            nxt = []
            for u in frontier:
                for r in self.successors(u):
                    if r.target not in chains:
                        chains[r.target] = [*chains[u], r.target]
                        nxt.append(r.target)
            frontier = nxt
        return chains


def read_public_site(path: Path, oracle: Oracle) -> PublicSite:
    """The attacker's view of a site: the GeoJSON export plus the inventory's `site.travel`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site.geojson"
        rc, _ = oracle.run(["export", str(path), "--format", "geojson", "--out", str(out)])
        if rc != 0:
            raise RuntimeError(f"{path}: the GeoJSON export failed")
        data = json.loads(out.read_text(encoding="utf-8"))
    services: dict[str, PublicService] = {}
    extra: dict[str, list[tuple[float, float]]] = {}
    for f in data["features"]:
        props = f.get("properties") or {}
        geom = f.get("geometry")
        if props.get("feature") == "referral" or "from" in props:
            if geom and geom.get("type") == "LineString":
                ends = geom["coordinates"]
                for sid, (lon, lat) in ((props.get("from"), ends[0]), (props.get("to"), ends[-1])):
                    extra.setdefault(str(sid), []).append((float(lat), float(lon)))
            continue
        place = None
        if geom and geom.get("type") == "Point":
            lon, lat = geom["coordinates"][:2]
            place = (float(lat), float(lon))
        hours = props.get("hours")
        services[props["id"]] = PublicService(
            id=props["id"],
            categories=tuple(props.get("categories") or ()),
            entry_point=bool(props.get("entry_point", False)),
            confidential=bool(props.get("confidential", False)),
            hours=parse_hours(hours) if hours is not None else Hours.unknown(),
            place=place,
        )
    referrals = {}
    for r in data.get("referrals", []):
        needs = tuple(r.get("for") or services[r["to"]].categories)
        delay = r.get("delay_hours")
        if delay is None:
            delay = DEFAULT_DELAY_HOURS[r.get("mode") or "phone"]
        referrals[(r["from"], r["to"])] = PublicReferral(r["from"], r["to"], needs, float(delay))
    travel = _site_travel(path)
    return PublicSite(
        id=str(data.get("site", {}).get("id") or path.stem),
        path=path,
        speed_kmh=travel[0],
        circuity=travel[1],
        services=services,
        referrals=referrals,
        extra_points=extra,
    )


def _site_travel(path: Path) -> tuple[float, float]:
    """`site.travel` (speed, circuity) of an inventory: the published travel model."""
    from pathways.io.load import load_site

    travel = load_site(path).site.travel
    return float(travel.speed_kmh), float(travel.circuity)


# --- the public time model ----------------------------------------------------------------------


def wait_hours(hours: Hours, t: float) -> float:
    """Hours from `t` (since Monday 00:00) until open: `pathways.analysis.routes.wait_hours`'
    arithmetic."""
    t_week = t % HOURS_PER_WEEK
    weekday = int(t_week // 24)
    minute = t_week % 24 * 60
    minute_floor = math.floor(minute)
    wait = hours.wait_minutes(weekday, minute_floor)
    if wait == 0:
        return 0.0
    return (wait - (minute - minute_floor)) / 60.0


def simulate(
    site: PublicSite,
    prefix: Sequence[str],
    origin: float,
    lead_in: float,
    where: Callable[[str], tuple[float, float] | None],
    resume: tuple[float, float, float] | None = None,
) -> tuple[float, float, float] | None:
    """(arrive, seen, wait) at the last service of a route prefix, in hours since Monday 00:00.

    `origin` is the survivor's arrival time, `lead_in` the hours to walk to the first service,
    `where` gives each service's position (None: unknown, the prefix cannot be simulated).
    With `resume`, the (arrive, seen, wait) at the prefix's first service are taken as given.
    """
    services = site.services
    if resume is None:
        t0 = origin + lead_in
        w = wait_hours(services[prefix[0]].hours, t0)
        arrive, seen = t0, t0 + w
    else:
        arrive, seen, w = resume
    for u, v in itertools.pairwise(prefix):
        if u == v:  # the need is met where she already is
            arrive, w = seen, 0.0
            continue
        ref = site.referrals.get((u, v))
        if ref is None:
            return None
        travel = 0.0
        if not services[u].remote:
            a, b = where(u), where(v)
            if a is None or b is None:
                return None
            travel = geodesic_m(a, b) / 1000.0 / site.km_per_hour
        arrive = seen + ref.delay + travel
        w = wait_hours(services[v].hours, arrive)
        seen = arrive + w
    return arrive, seen, w


# --- observations and equations -----------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A route question without its arrival time."""

    entry: str = ""
    needs: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()
    at: tuple[float, float] | None = None


KINDS = ("clock", "arrive", "seen", "wait")


@dataclass(frozen=True)
class Observation:
    """The parts of a `route --json` answer the attack reads."""

    found: bool
    start: str
    services: tuple[str, ...]
    withheld: tuple[bool, ...]
    figures: tuple[dict[str, float], ...]  # per step: clock (minutes of the week), arrive, ...
    lead_in: float

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Observation:
        steps = data.get("steps") or []
        figures = []
        for st in steps:
            figures.append(
                {
                    "clock": _clock_minutes(st.get("clock") or ""),
                    "arrive": float(st["arrive_hours"]),
                    "seen": float(st["seen_hours"]),
                    "wait": float(st["wait_hours"]),
                }
            )
        lead = steps[0].get("travel_hours") if steps else 0.0
        return cls(
            bool(data.get("found")),
            str(data.get("start") or ""),
            tuple(st["service"] for st in steps),
            tuple(bool(st.get("withheld")) for st in steps),
            tuple(figures),
            float(lead or 0.0),
        )


def _clock_minutes(text: str) -> float:
    """'Mon 16:00' -> minutes since Monday 00:00 (nan if not a clock)."""
    try:
        day, hm = text.split()
        hh, mm = hm.split(":")
        return DAYS.index(day.lower()[:3]) * 1440 + int(hh) * 60 + int(mm)
    except ValueError:
        return math.nan


@dataclass(frozen=True)
class Equation:
    """At arrival time `origin` the unrounded figure `kind` of the route prefix's last step
    equals `value` (for the clock, in hours since Monday 00:00; else hours after arrival)."""

    target: str
    prefix: tuple[str, ...]
    kind: str
    origin: float
    lead_in: float
    value: float
    width: float  # hours: how finely the flip was bisected

    def residual_hours(
        self,
        site: PublicSite,
        where: Callable[[str], tuple[float, float] | None],
        head: tuple[int, tuple[float, float, float]] | None = None,
    ) -> float:
        """Model minus observation, in hours (nan if the prefix cannot be simulated).

        `head` (from `head`) resumes the simulation after the part that does not depend on
        the target's position."""
        if head is None:
            sim = simulate(site, self.prefix, self.origin, self.lead_in, where)
        else:
            sim = simulate(site, self.prefix[head[0] :], self.origin, self.lead_in, where, head[1])
        if sim is None:
            return math.nan
        arrive, seen, wait = sim
        if self.kind == "clock":
            return (seen - self.value + HOURS_PER_WEEK / 2) % HOURS_PER_WEEK - HOURS_PER_WEEK / 2
        rel = {"arrive": arrive - self.origin, "seen": seen - self.origin, "wait": wait}
        return rel[self.kind] - self.value

    def head(
        self, site: PublicSite, where: Callable[[str], tuple[float, float] | None]
    ) -> tuple[int, tuple[float, float, float]] | None:
        """Where the target's position starts to matter, and the times there (computed once)."""
        i = self.prefix.index(self.target)
        if i < 2:
            return None
        state = simulate(site, self.prefix[:i], self.origin, self.lead_in, where)
        return None if state is None else (i - 1, state)


def _flip(kind: str, before: float, after: float) -> float | None:
    """The boundary a figure crossed when it went from `before` to `after` (None: not one step).

    The clock shows the minute rounded, withheld to the hour: it turns to hour k when the time
    reaches k - 1/120 h. The other withheld figures are rounded to whole hours: m + 0.5.
    """
    if math.isnan(before) or math.isnan(after):
        return None
    if kind == "clock":
        if (after - before) % (HOURS_PER_WEEK * 60) == 60:
            return (after / 60.0 - 1 / 120) % HOURS_PER_WEEK
        return None
    if abs(after - before) == 1:
        return min(before, after) + 0.5
    return None


class Measurer:
    """Finds the flips of one site's withheld route figures and turns them into equations."""

    def __init__(self, site: PublicSite, oracle: Oracle, sweep: Sweep) -> None:
        self.site = site
        self.oracle = oracle
        self.sweep = sweep
        self.equations: list[Equation] = []
        self.count: dict[tuple[tuple[str, ...], str], int] = {}
        self.queries_for: dict[str, int] = {}

    def unknown_in(self, prefix: Sequence[str]) -> list[str]:
        return sorted({s for s in prefix if self.site.services[s].confidential})

    def wanted(self, obs: Observation) -> list[tuple[int, str]]:
        """Withheld steps with one confidential service on their prefix, and not yet measured."""
        out = []
        for j, held in enumerate(obs.withheld):
            if not held:
                continue
            prefix = obs.services[: j + 1]
            if len(self.unknown_in(prefix)) != 1:
                continue
            if sum(self.count.get((prefix, k), 0) for k in KINDS) < self.sweep.repeats:
                out.append((j, obs.services[j]))
        return out

    def measure(self, query: Query, target: str) -> None:
        """Sweep one query over the days and hours; record every flip found."""
        before = self.oracle.queries
        probe, path = self.oracle.route, self.site.path
        if any(
            (obs := probe(path, query, day, hour)) is not None
            and obs.found
            and target in obs.services
            and self.wanted(obs)
            for day, hour in self.sweep.probe_points
        ):
            idle = 0
            for day in self.sweep.days:
                for a, b in self.sweep.intervals:
                    self._interval(query, day, a, b, self.sweep.depth)
                    obs = probe(path, query, day, b)
                    idle = idle + 1 if obs is None or not self.wanted(obs) else 0
                    if idle >= self.sweep.patience:
                        break
                if idle >= self.sweep.patience:
                    break
        self.queries_for[target] = self.queries_for.get(target, 0) + self.oracle.queries - before

    def _interval(self, query: Query, day: int, a: float, b: float, depth: int) -> None:
        probe, path = self.oracle.route, self.site.path
        lo, hi = probe(path, query, day, a), probe(path, query, day, b)
        if lo is None or hi is None or not lo.found:
            return
        ambiguous = False
        for j, _ in self.wanted(lo):
            prefix = lo.services[: j + 1]
            if hi.services[: j + 1] != prefix:
                ambiguous = True
                continue
            for kind in KINDS:
                va, vb = lo.figures[j][kind], hi.figures[j][kind]
                if va == vb or (math.isnan(va) and math.isnan(vb)):
                    continue
                if _flip(kind, va, vb) is None:
                    ambiguous = True
                    continue
                if self.count.get((prefix, kind), 0) >= self.sweep.repeats:
                    continue
                self._bisect(query, day, a, b, j, prefix, kind, va, vb)
        if ambiguous and depth > 0:
            mid = (a + b) / 2
            self._interval(query, day, a, mid, depth - 1)
            self._interval(query, day, mid, b, depth - 1)

    def _bisect(
        self,
        query: Query,
        day: int,
        a: float,
        b: float,
        j: int,
        prefix: tuple[str, ...],
        kind: str,
        va: float,
        vb: float,
    ) -> None:
        probe, path = self.oracle.route, self.site.path
        lo, hi = a, b
        lead_lo = probe(path, query, day, a)
        while hi - lo > self.sweep.eps:
            mid = (lo + hi) / 2
            if mid in (lo, hi):
                break
            obs = probe(path, query, day, mid)
            if obs is None or obs.services[: j + 1] != prefix:
                return
            v = obs.figures[j][kind]
            if v == va:
                lo, lead_lo = mid, obs
            elif v == vb:
                hi = mid
            else:
                return
        value = _flip(kind, va, vb)
        if value is None or lead_lo is None:
            return
        (target,) = self.unknown_in(prefix)
        self.equations.append(
            Equation(
                target, prefix, kind, day * 24 + (lo + hi) / 2, lead_lo.lead_in, value, hi - lo
            )
        )
        self.count[(prefix, kind)] = self.count.get((prefix, kind), 0) + 1


# --- which questions to ask ---------------------------------------------------------------------


def queries_for(site: PublicSite, target: str, sweep: Sweep) -> list[Query]:
    """Route questions likely to pass through `target`: plain ones from every entry point, then
    ones that force each route into it and each route out of it (see the module docstring)."""
    s = site.services[target]
    entries = site.entries()
    out: list[Query] = []
    into = site.predecessors(target)
    needs_in = list(
        dict.fromkeys([c for r in into for c in r.needs if s.has(c)] + list(s.categories))
    )
    for c in needs_in:
        out += [Query(e, (c,)) for e in entries if not site.services[e].has(c)]
    forced_in: list[tuple[Query, list[str]]] = []
    for r in into:
        u = r.source
        for c in [n for n in r.needs if s.has(n)][:2]:
            starts = [u] if u in entries else []
            chains = []
            for e in entries:
                chain = site.hops_from(e).get(u)
                if chain and e != u:
                    chains.append((len(chain), e, chain))
            chains.sort()
            picks = [(u, [u])] if starts else []
            picks += [(e, ch) for _, e, ch in chains[: sweep.entries_per_predecessor]]
            for e, chain in picks:
                others = set(site.providers(c)) | {p.source for p in into}
                closed = sorted(others - {target, u, e} - set(chain))
                q = Query(e, (c,), tuple(closed))
                out.append(q)
                forced_in.append((q, [*chain, target]))
    for r in site.successors(target):
        v = r.target
        for c_out in [n for n in r.needs if not s.has(n)][:2]:
            for q, chain in forced_in[: 2 * sweep.entries_per_predecessor] or [
                (Query(e, (needs_in[0],)), [e]) for e in entries[:3] if needs_in
            ]:
                others = set(site.providers(c_out)) - {v}
                closed = sorted((set(q.closed) | others) - set(chain) - {target, v})
                out.append(Query(q.entry, (*q.needs, c_out), tuple(closed)))
    return list(dict.fromkeys(out))


# --- other public channels ----------------------------------------------------------------------


def nearest_entry_anomalies(site: PublicSite, oracle: Oracle, sweep: Sweep) -> int:
    """`route --at` on a grid of places: how often the chosen entry point is not the one the
    public places predict (a sign that the choice reads a location that is not public)."""
    if sweep.at_grid < 2:
        return 0
    places = [s.place for s in site.services.values() if s.place]
    lats, lons = [p[0] for p in places], [p[1] for p in places]
    entries = [s for s in site.services.values() if s.entry_point]
    need = next(iter(site.services[site.confidential()[0]].categories), "safety.shelter")
    anomalies = 0
    for lat in np.linspace(min(lats), max(lats), sweep.at_grid):
        for lon in np.linspace(min(lons), max(lons), sweep.at_grid):
            here = (float(lat), float(lon))
            obs = oracle.route(site.path, Query(needs=(need,), at=here), 0, 10.0)
            if obs is None or not obs.start:
                continue
            timed = [(geodesic_m(here, e.place), e.id) for e in entries if e.place]
            if timed and min(timed)[1] != obs.start:
                best = min(timed)[0]
                chosen = site.services.get(obs.start)
                if chosen and chosen.place and geodesic_m(here, chosen.place) - best > 1.0:
                    anomalies += 1
    return anomalies


@dataclass(frozen=True)
class Ring:
    """A public point at a known travel time from a hidden provider (coverage)."""

    target: str
    point: tuple[float, float]
    km: float


def coverage_rings(site: PublicSite, oracle: Oracle) -> tuple[list[Ring], int]:
    """Units whose coverage minutes are shorter than every public place allows: rings around
    them (for a target that is its category's only confidential provider), and their count."""
    from pathways.analysis.population import load_population
    from pathways.io.load import load_site

    confidential = site.confidential()
    cats = sorted({c for sid in confidential for c in site.services[sid].categories})
    argv = ["coverage", str(site.path), "--json", "--units"]
    for c in cats:
        argv += ["--category", c]
    rc, out = oracle.run(argv)
    if rc != 0:
        return [], 0
    population = load_population(load_site(site.path))  # public data: points of the units
    if population is None:
        return [], 0
    points = {u.name: (u.lat, u.lon) for u in population.units if u.kind != "dispersed"}
    rings, anomalies = [], 0
    for row in json.loads(out)[0].get("units", []):
        here = points.get(row["name"])
        if here is None:
            continue
        for c, minutes in row["minutes"].items():
            if minutes is None:
                continue
            known = [
                geodesic_m(here, s.place) / 1000.0 / site.km_per_hour * 60
                for s in site.services.values()
                if s.has(c) and s.place and not s.remote
            ]
            if known and minutes >= min(known) - 0.2:
                continue
            anomalies += 1
            holders = [sid for sid in confidential if site.services[sid].has(c)]
            if len(holders) == 1:
                rings.append(Ring(holders[0], here, minutes / 60 * site.km_per_hour))
    return rings, anomalies


# --- the fit ------------------------------------------------------------------------------------


@dataclass
class Fit:
    """Where the attack puts one confidential service."""

    estimate: tuple[float, float] | None
    candidates: list[tuple[float, float]]
    rms_m: float | None
    anchors: list[str]
    determined: bool = True  # False: the data leave a curve (a ring), the estimate is a guess


def trilaterate(
    site: PublicSite,
    target: str,
    equations: Sequence[Equation],
    rings: Sequence[Ring] = (),
    points: Sequence[tuple[float, float]] = (),
) -> Fit:
    """Least-squares position of `target` from its equations (and rings, and direct points)."""
    from scipy.optimize import least_squares

    eqs = [e for e in equations if e.target == target]
    rings = [r for r in rings if r.target == target]
    services = site.services
    anchors = sorted(
        {
            x
            for e in eqs
            for a, b in itertools.pairwise(e.prefix)
            if target in (a, b) and a != b
            for x in (a, b)
            if x != target and not (x == a and services[a].remote)
        }
    )
    shown = services[target].place
    anchor_points = [p for a in anchors if (p := services[a].place) is not None]
    anchor_points += [r.point for r in rings] + list(points)
    if not anchor_points and not eqs:
        return Fit(shown, [shown] if shown else [], None, anchors, False)
    ref_pts = anchor_points or ([shown] if shown is not None else [])
    if not ref_pts:
        return Fit(None, [], None, anchors, False)
    lat0 = float(np.mean([p[0] for p in ref_pts]))
    lon0 = float(np.mean([p[1] for p in ref_pts]))
    ky, kx = 110.574, 111.320 * math.cos(math.radians(lat0))

    def to_ll(x: Any) -> tuple[float, float]:
        return float(lat0 + x[1] / ky), float(lon0 + x[0] / kx)

    def to_xy(p: tuple[float, float]) -> tuple[float, float]:
        return (p[1] - lon0) * kx, (p[0] - lat0) * ky

    prior = np.array(to_xy(shown or (lat0, lon0)))
    scale = site.km_per_hour

    def public(sid: str) -> tuple[float, float] | None:
        return services[sid].place

    heads = [e.head(site, public) for e in eqs]

    def data_residuals(x: Sequence[float]) -> np.ndarray:
        here = to_ll(x)

        def where(sid: str) -> tuple[float, float] | None:
            return here if sid == target else services[sid].place

        r = [e.residual_hours(site, where, h) * scale for e, h in zip(eqs, heads, strict=True)]
        r += [geodesic_m(here, ring.point) / 1000.0 - ring.km for ring in rings]
        r += [geodesic_m(here, p) / 1000.0 for p in points]
        return np.nan_to_num(np.array(r, dtype=float), nan=0.0)

    def residuals(x: Sequence[float]) -> np.ndarray:
        return np.concatenate([data_residuals(x), 1e-3 * (np.asarray(x) - prior)])

    span = max([2.0] + [math.hypot(*to_xy(p)) + 2.0 for p in ref_pts])
    grid = np.linspace(-span, span, 5)
    starts = [prior, np.zeros(2)] + [np.array([x, y]) for x in grid for y in grid]
    solutions = []
    for x0 in starts:
        res = least_squares(residuals, x0, loss="soft_l1", f_scale=0.05, method="trf", max_nfev=200)
        data = data_residuals(res.x)
        rms = float(np.sqrt(np.mean(data**2))) if len(data) else 0.0
        solutions.append((float(res.cost), rms, res.x))
    solutions.sort(key=lambda s: s[0])
    _, best_rms, best_x = solutions[0]
    tol = max(3 * best_rms, 0.02)
    candidates: list[np.ndarray] = []
    for _, rms, x in sorted(solutions, key=lambda s: s[1]):
        if rms <= tol and all(np.hypot(*(x - c)) > 0.1 for c in candidates):
            candidates.append(x)
    determined = len(candidates) <= 2 and (len(set(anchor_points)) >= 2 or bool(points))
    if not determined:  # a curve of solutions (one anchor: a ring), not points
        candidates = [best_x]
    return Fit(
        to_ll(best_x), [to_ll(c) for c in candidates], best_rms * 1000.0, anchors, determined
    )


# --- the attack and its score -------------------------------------------------------------------


@dataclass
class Score:
    """One confidential service: where the attack put it, and how far that is from the truth."""

    site: str
    id: str
    tier: str
    error_m: float | None  # estimate to the true location
    nearest_candidate_m: float | None  # the closest of the equally good candidates
    public_place_m: float | None  # estimate to the place the map and exports show
    queries: int
    equations: int
    anchors: int
    rms_m: float | None
    candidates: int
    determined: bool = True  # False: too few anchors for a point (a ring at best)
    estimate: tuple[float, float] | None = None

    @property
    def located(self) -> bool:
        """True when some candidate lies within `MIN_DISTANCE_M` of the true location."""
        near = self.nearest_candidate_m
        return near is not None and near < MIN_DISTANCE_M


@dataclass
class SiteReport:
    site: str
    scores: list[Score]
    queries: int
    seconds: float
    at_anomalies: int = 0
    coverage_anomalies: int = 0
    notes: list[str] = field(default_factory=list)


def truth(path: Path) -> dict[str, tuple[tuple[float, float], str]]:
    """True location and tier of every confidential service: for scoring only."""
    import pathways.io.load as load

    reader = getattr(load, "read_site", None) or load.load_site
    inv = reader(path)
    return {
        s.id: (
            (s.location.lat, s.location.lon),
            "intake" if s.intake is not None else (s.location_precision or "area"),
        )
        for s in inv.services
        if s.confidential
    }


def attack_site(
    path: Path,
    sweep: Sweep,
    *,
    scored_against: Path | None = None,
    shown_from: Path | None = None,
) -> SiteReport:
    """Run every channel against one inventory and score each confidential service.

    `scored_against` (default `path`) is the inventory holding the true locations;
    `shown_from` (default `path`) the one whose GeoJSON export gives the shown places.
    """
    started = time.perf_counter()
    oracle = Oracle()
    site = read_public_site(path, oracle)
    if shown_from is not None:  # a control run: what the real file's exports show
        shown = read_public_site(shown_from, Oracle())
        for sid in site.confidential():
            site.services[sid] = shown.services[sid]
            site.extra_points[sid] = shown.extra_points.get(sid, [])
    measurer = Measurer(site, oracle, sweep)
    at_anomalies = nearest_entry_anomalies(site, oracle, sweep) if site.confidential() else 0
    rings, cov_anomalies = (
        coverage_rings(site, oracle)
        if sweep.coverage and site.confidential() and shown_from is None
        else ([], 0)
    )
    for target in site.confidential():
        for q in queries_for(site, target, sweep):
            measurer.measure(q, target)
    actual = truth(scored_against or path)
    scores = []
    for target in site.confidential():
        shown_place = site.services[target].place
        direct = [
            p
            for p in site.extra_points.get(target, [])
            if shown_place is None or geodesic_m(p, shown_place) > 1.0
        ]
        fit = trilaterate(site, target, measurer.equations, rings, direct)
        true_loc, tier = actual[target]
        err = geodesic_m(fit.estimate, true_loc) if fit.estimate else None
        near = min((geodesic_m(c, true_loc) for c in fit.candidates), default=err)
        scores.append(
            Score(
                site=site.id,
                id=target,
                tier=tier,
                error_m=err,
                nearest_candidate_m=near,
                public_place_m=(
                    geodesic_m(fit.estimate, shown_place) if fit.estimate and shown_place else None
                ),
                queries=measurer.queries_for.get(target, 0),
                equations=sum(1 for e in measurer.equations if e.target == target)
                + sum(1 for r in rings if r.target == target)
                + len(direct),
                anchors=len(fit.anchors),
                rms_m=fit.rms_m,
                candidates=len(fit.candidates),
                determined=fit.determined,
                estimate=fit.estimate,
            )
        )
    return SiteReport(
        site.id,
        scores,
        oracle.queries,
        time.perf_counter() - started,
        at_anomalies,
        cov_anomalies,
    )


def _check_fast(path: Path) -> None:
    """The memoised command line prints the same bytes as the plain one (for one route)."""
    oracle_plain, oracle_fast = Oracle(), Oracle()
    site = read_public_site(path, oracle_plain)
    entries = site.entries()
    if not entries:
        return
    argv = ["route", str(path), "--from", entries[0], "--need", "safety.shelter", "--json"]
    plain = oracle_plain.run([*argv, "--hour", "10.123"])
    with fast_cli():
        oracle_fast.run([*argv, "--hour", "9.5"])  # warm the memo
        fast = oracle_fast.run([*argv, "--hour", "10.123"])
    if plain != fast:
        raise RuntimeError(f"{path}: the memoised command line answers differently")


def attack(
    paths: Sequence[Path],
    sweep: Sweep | None = None,
    *,
    fast: bool = True,
    control: bool = False,
) -> list[SiteReport]:
    """Attack every inventory under `paths` (files or folders); one report per site.

    With `control`, each site is first copied with its confidential services moved to their
    shown places (what a gate that works must make indistinguishable from the real file), the
    attack runs on the copy, and it is scored against the real locations.
    """
    from pathways.io.load import find_inventories

    sweep = sweep or Sweep()
    files = find_inventories([str(p) for p in paths])
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            target = moved_copy(path, Path(tmp)) if control else path
            if fast:
                _check_fast(target)
            ctx = fast_cli() if fast else contextlib.nullcontext()
            with ctx:
                has_confidential = bool(truth(path))
                if not has_confidential:
                    continue
                reports.append(
                    attack_site(
                        target,
                        sweep,
                        scored_against=path if control else None,
                        shown_from=path if control else None,
                    )
                )
    return reports


def moved_copy(path: Path, folder: Path) -> Path:
    """A copy of an inventory with each confidential service at its shown place (hidden ones,
    with no shown place, at the centre of their 0.05° grid cell) and no intake point."""
    import yaml

    site = read_public_site(path, Oracle())
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = path.parent
    for key in ("boundary",):
        if key in data["site"]:
            data["site"][key] = str((base / data["site"][key]).resolve())
    if isinstance(data["site"].get("areas"), dict):
        data["site"]["areas"]["path"] = str((base / data["site"]["areas"]["path"]).resolve())
    for s in data["services"]:
        if not s.get("confidential"):
            continue
        place = site.services[s["id"]].place
        if place is None:
            place = _grid_place(s["location"]["lat"], s["location"]["lon"])
        s["location"] = {"lat": round(place[0], 6), "lon": round(place[1], 6)}
        s.pop("intake", None)
    out = folder / path.name
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _grid_place(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the 0.05° cell holding a point, or of the first neighbouring cell whose
    centre is at least `MIN_DISTANCE_M` away (as `pathways.public.privacy.snap_to_grid`)."""
    i, j = math.floor(lat / 0.05), math.floor(lon / 0.05)
    for di, dj in ((0, 0), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)):
        centre = ((i + di + 0.5) * 0.05, (j + dj + 0.5) * 0.05)
        if geodesic_m(centre, (lat, lon)) >= MIN_DISTANCE_M:
            return centre
    raise AssertionError("unreachable: a neighbouring cell centre is always far enough")


# --- command line -------------------------------------------------------------------------------


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" if v < 10 else f"{v:,.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bench.trilaterate [PATH ...] [--quick] [--control] [--json]`."""
    parser = argparse.ArgumentParser(prog="python -m bench.trilaterate", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, default=[SITES], metavar="PATH")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="the coarse sweep of the test")
    parser.add_argument(
        "--control", action="store_true", help="attack copies with shelters at their shown places"
    )
    parser.add_argument("--slow", action="store_true", help="no memoised loading (slower)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sweep = Sweep.quick() if args.quick else Sweep()
    reports = attack(args.paths, sweep, fast=not args.slow, control=args.control)
    elapsed = time.perf_counter() - started
    scores = [s for r in reports for s in r.scores]
    located = [s for s in scores if s.located]
    if args.json:
        json.dump(
            {
                "sweep": "quick" if args.quick else "full",
                "control": args.control,
                "seconds": round(elapsed, 1),
                "queries": sum(r.queries for r in reports),
                "located": len(located),
                "sites": [asdict(r) for r in reports],
            },
            sys.stdout,
            indent=2,
        )
        print()
    else:
        print(
            f"{'site':<10} {'service':<26} {'tier':<7} {'err m':>9} {'cand m':>9} "
            f"{'shown m':>9} {'rms m':>7} {'eqs':>4} {'anch':>4} {'cand':>4} {'queries':>8}"
        )
        for s in scores:
            print(
                f"{s.site:<10} {s.id:<26} {s.tier:<7} {_fmt(s.error_m):>9} "
                f"{_fmt(s.nearest_candidate_m):>9} {_fmt(s.public_place_m):>9} "
                f"{_fmt(s.rms_m):>7} {s.equations:>4} {s.anchors:>4} {s.candidates:>4} "
                f"{s.queries:>8}"
            )
        for r in reports:
            print(
                f"{r.site}: {r.queries} queries in {r.seconds:.1f} s; route --at anomalies "
                f"{r.at_anomalies}, coverage anomalies {r.coverage_anomalies}"
            )
        print(
            f"{len(located)} of {len(scores)} confidential services located within "
            f"{MIN_DISTANCE_M:,.0f} m ({elapsed:.0f} s)"
        )
    return 1 if located else 0


if __name__ == "__main__":
    raise SystemExit(main())
