"""Survivor routes: times worked out by hand, eligibility, and a brute-force cross-check."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.analysis.gaps import find_gaps
from pathways.analysis.graph import build_referral_graph
from pathways.analysis.routes import (
    Profile,
    fastest_to,
    format_time,
    hour_ranges,
    route,
    wait_hours,
)
from tests.factories import make_inventory, referral, service

OFFICE = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}


def no_travel(a, b):
    return 0.0


def graph(services, refs, **site):
    return build_referral_graph(make_inventory(services, refs, **site), travel_hours=no_travel)


def test_times_add_delay_travel_and_waiting():
    # police (24/7) --escorted 1 h--> hospital (24/7) --phone 24 h--> ngo (office hours)
    G = graph(
        [
            service("police", ["safety.police"], entry=True, hours="24/7"),
            service("hosp", ["health.cmr"], hours="24/7"),
            service("ngo", ["case_management"], hours=OFFICE),
        ],
        [referral("police", "hosp", delay_hours=1), referral("hosp", "ngo", delay_hours=24)],
    )
    # Friday 20:00: hospital at 21:00; NGO reached Saturday 21:00, open Monday 09:00
    r = route(
        G, Profile(entry="police", weekday=4, hour=20), need=["case_management", "health.cmr"]
    )
    assert r.found and r.needs == ("health.cmr", "case_management")
    assert [s.service for s in r.steps] == ["police", "hosp", "ngo"]
    assert r.steps[1].seen_hours == pytest.approx(1)
    assert r.steps[2].arrive_hours == pytest.approx(25)
    assert r.steps[2].wait_hours == pytest.approx(36)
    assert r.total_hours == pytest.approx(61)
    assert r.steps[2].clock == "Mon 09:00"


def test_travel_time_uses_distance_circuity_and_speed():
    inv = make_inventory(
        [
            service(
                "a",
                ["safety.police"],
                entry=True,
                hours="24/7",
                location={"lat": 50.80, "lon": 4.35},
            ),
            service("b", ["health.cmr"], hours="24/7", location={"lat": 50.90, "lon": 4.35}),
        ],
        [referral("a", "b", delay_hours=0)],
        travel={"mode": "custom", "speed_kmh": 20, "circuity": 1.5},
    )
    G = build_referral_graph(inv)
    # 0.1 degree of latitude at 50.85 N is 11.13 km on the ellipsoid
    assert G.edges["a", "b"]["travel"] == pytest.approx(11.13 * 1.5 / 20, rel=1e-3)


def test_helpline_hand_offs_have_no_travel():
    inv = make_inventory(
        [service("line", ["hotline"], entry=True), service("b", ["health.cmr"], i=30)],
        [referral("line", "b")],
    )
    assert build_referral_graph(inv).edges["line", "b"]["travel"] == 0


def test_eligibility_language_and_exclusions():
    G = graph(
        [
            service("entry", ["community"], entry=True, hours="24/7", languages=["ar"]),
            service("fast", ["health.cmr"], hours="24/7", languages=["fr"], serves=["women"]),
            service("slow", ["health.cmr"], hours="24/7", languages=["fr"], interpretation=True),
            service(
                "paper", ["health.cmr"], hours="24/7", languages=["ar"], requires=["documents"]
            ),
        ],
        [
            referral("entry", "fast", delay_hours=1),
            referral("entry", "slow", delay_hours=5),
            referral("entry", "paper", delay_hours=2),
        ],
    )
    girl = Profile(entry="entry", gender="female", age=15, language="ar", avoid=("documents",))
    r = route(G, girl, need="health.cmr")
    assert r.found and r.steps[-1].service == "slow" and r.total_hours == pytest.approx(5)
    reasons = {e["service"]: e["reason"] for e in r.excluded}
    assert "not girls" in reasons["fast"]
    assert reasons["paper"] == "requires documents"
    # without an interpreter nobody can see her
    no_interp = Profile(entry="entry", language="ar", interpretation=False, avoid=("documents",))
    r = route(G, no_interp, need="health.cmr")
    assert not r.found and "no route" in r.reason
    assert (
        "interpretation is unavailable" in {e["service"]: e["reason"] for e in r.excluded}["slow"]
    )
    # a woman who speaks French takes the fast one
    r = route(G, Profile(entry="entry", gender="female", age=30, language="fr"), need="health.cmr")
    assert r.steps[-1].service == "fast"


def test_route_needs_a_serving_last_hand_off():
    G = graph(
        [service("a", ["community"], entry=True), service("b", ["mhpss", "legal"])],
        [referral("a", "b", ["mhpss"])],
    )
    assert route(G, Profile(entry="a"), need="mhpss").found
    r = route(G, Profile(entry="a"), need="legal")
    assert not r.found
    assert r.excluded == ({"service": "b", "reason": "no referral route to it serves legal"},)


def test_closed_entry_and_unknown_entry():
    inv = make_inventory([service("hosp", ["health.cmr"], entry=True)])
    G = build_referral_graph(inv, closed=["hosp"])
    assert route(G, Profile(entry="hosp"), need="health.cmr").reason == "'hosp' is closed"
    with pytest.raises(KeyError, match="did you mean 'hosp'"):
        route(build_referral_graph(inv), Profile(entry="hops"), need="health.cmr")


def test_start_from_a_location_picks_the_nearest_usable_entry():
    G = graph(
        [
            service("near", ["health.cmr"], entry=True, serves=["men"], i=0),
            service("far", ["health.cmr"], entry=True, i=10),
        ],
        [],
    )
    r = route(G, Profile(location=(50.84, 4.35), gender="female", age=30), need="health.cmr")
    assert r.start == "far" and r.steps[0].travel_hours > 0


def test_wait_hours_and_time_formats():
    s = make_inventory([service("x", ["legal"], hours={"mon": "09:00-17:00"})]).services[0]
    assert wait_hours(s, 8.5) == pytest.approx(0.5)
    assert wait_hours(s, 10) == 0
    assert wait_hours(s, 17) == pytest.approx(7 * 24 - 8)
    assert format_time(24 * 6 + 23.5) == "Sun 23:30"
    assert hour_ranges([0, 1, 2, 167]) == ["Sun 23:00–Mon 02:00"]
    assert hour_ranges(list(range(168))) == ["every hour of the week"]


# --- brute force -------------------------------------------------------------------------------

HOURS = ["24/7", OFFICE, {"sat": "10:00-14:00", "sun": "10:00-14:00"}, {"wed": "20:00-04:00"}]


@st.composite
def small_graph(draw, most=6, routes=12, odds=1):
    """Up to `most` services (about one in `odds` + 1 a provider) and `routes` routes."""
    n = draw(st.integers(2, most))
    services = [
        service(
            f"s{i}",
            ["health.cmr"] if draw(st.integers(0, odds)) == 0 else ["community"],
            entry=(i == 0),
            hours=draw(st.sampled_from(HOURS)),
            i=i,
        )
        for i in range(n)
    ]
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=routes, unique=True
        )
    )
    refs = [
        referral(f"s{a}", f"s{b}", delay_hours=draw(st.sampled_from([0.5, 1, 3, 7, 20])))
        for a, b in pairs
        if a != b
    ]
    return services, refs


def brute_force(G, start, t0, category):
    """Try every simple path and simulate it."""
    best = math.inf
    targets = [n for n in G if category in G.nodes[n]["categories"]]
    for v in targets:
        paths = [[start]] if v == start else nx.all_simple_paths(G, start, v)
        for path in paths:
            t = t0 + wait_hours(G.nodes[start]["service"], t0)
            for a, b in itertools.pairwise(path):
                arrive = t + G.edges[a, b]["delay"] + G.edges[a, b]["travel"]
                t = arrive + wait_hours(G.nodes[b]["service"], arrive)
            best = min(best, t)
    return best


@settings(max_examples=150, deadline=None)
@given(small_graph(), st.integers(0, 167))
def test_route_times_match_brute_force_over_simple_paths(site, hour):
    services, refs = site
    G = graph(services, refs)
    leg = fastest_to(G, "s0", float(hour), "health.cmr")
    expected = brute_force(G, "s0", float(hour), "health.cmr")
    if math.isinf(expected):
        assert leg is None
    else:
        assert leg is not None and leg[0] == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(small_graph(), st.integers(0, 167))
def test_a_route_without_its_explanation_is_the_same_route(site, hour):
    """`explain=False` (the protocol's route from each entry point) leaves out only why the
    other providers were not chosen."""
    services, refs = site
    G = graph(services, refs)
    profile = Profile(entry="s0", weekday=hour // 24, hour=float(hour % 24))
    explained = route(G, profile, need="health.cmr")
    assert route(G, profile, need="health.cmr", explain=False) == replace(explained, excluded=())


def test_times_through_a_confidential_service_are_rounded_and_travel_withheld():
    inv = make_inventory(
        [
            service("police", ["safety.police"], entry=True, hours="24/7"),
            service("shelter", ["safety.shelter"], hours="24/7", confidential=True, i=7),
            service("lawyer", ["legal"], hours="24/7", i=3),
        ],
        [
            referral("police", "shelter", delay_hours=1),
            referral("shelter", "lawyer", delay_hours=2),
        ],
    )
    r = route(build_referral_graph(inv), Profile(entry="police"), need=["safety.shelter", "legal"])
    police, shelter, lawyer = r.steps
    assert not police.withheld and police.travel_hours == 0
    for step in (shelter, lawyer):
        assert step.withheld and step.travel_hours is None
        assert step.seen_hours == round(step.seen_hours)
        assert step.arrive_hours == round(step.arrive_hours)
    assert r.total_hours == round(r.total_hours)
    assert "about" in r.describe() and '"travel_hours": null' in __import__("json").dumps(
        r.to_dict()
    )


@st.composite
def graph_with_entries(draw):
    services, refs = draw(small_graph())
    services[1]["entry_point"] = draw(st.booleans())  # a second entry point, sometimes
    return services, refs


@settings(max_examples=100, deadline=None)
@given(graph_with_entries(), st.sampled_from([72.0, 120.0]))
def test_reverse_passes_match_forward_searches_for_every_hour(site, limit):
    """`within_by_hour` (one reverse pass per arrival hour, for every entry at once) answers as
    a forward search from each entry point at each hour of the week does."""
    from pathways.analysis.graph import entry_points
    from pathways.analysis.routes import within_by_hour

    services, refs = site
    G = graph(services, refs)
    entries = entry_points(G)
    got = within_by_hour(G, entries, "health.cmr", limit)
    for e in entries:
        for h in range(168):
            leg = fastest_to(G, e, float(h), "health.cmr")
            expected = leg is not None and leg[0] - h <= limit + 1e-9
            assert got[e][h] == expected, (e, h, leg)


@settings(max_examples=100, deadline=None)
@given(graph_with_entries())
def test_one_pass_per_hour_answers_both_limits(site):
    """`within_by_hour_twice` (shared passes) gives `within_by_hour` for 72 h and for 120 h."""
    from pathways.analysis.graph import entry_points
    from pathways.analysis.routes import within_by_hour, within_by_hour_twice

    services, refs = site
    G = graph(services, refs)
    entries = entry_points(G)
    assert within_by_hour_twice(G, entries, "health.cmr", 72.0, 120.0) == (
        within_by_hour(G, entries, "health.cmr", 72.0),
        within_by_hour(G, entries, "health.cmr", 120.0),
    )


def test_a_service_closed_every_day_is_never_reached_and_says_why():
    """A provider whose hours are known and empty (`off`, or every day closed) is no route,
    explained in words; gaps and the route's text do not break on its endless wait."""
    inv = make_inventory(
        [
            service("entry", ["health.general"], entry=True, i=0),
            service("cmr", ["health.cmr"], i=1, hours="off"),
        ],
        [referral("entry", "cmr", ["health.cmr"])],
    )
    result = route(build_referral_graph(inv), Profile(entry="entry"), need=["health.cmr"])
    assert not result.found
    reasons = {e["service"]: e["reason"] for e in result.excluded}
    assert reasons["cmr"] == "closed every day of the week"
    assert "No route" in result.describe("en")
    kinds = {g.kind for g in find_gaps(inv)}
    assert "time_critical" in kinds


@st.composite
def wider_graph(draw):
    """Up to 14 services and 40 routes: many routes into each service, long chains."""
    return draw(small_graph(most=14, routes=40, odds=3))


hour_or_any = st.one_of(
    st.integers(-200, 400).map(float), st.floats(-200.0, 400.0, allow_nan=False)
)


@settings(max_examples=400, deadline=None)
@given(
    wider_graph(),
    st.lists(hour_or_any, min_size=1, max_size=12),
    st.one_of(  # depths that route delays add up to, so that times land on the floor
        st.sampled_from([0.5, 1.0, 3.0, 4.0, 7.0, 20.0, 48.0, 72.0, 120.0]),
        st.floats(0.0, 200.0, allow_nan=False),
    ),
)
def test_all_deadlines_at_once_give_each_pass_exactly(site, deadlines, depth):
    """`_Reverse.latest_many` (every deadline at once, in numpy, routes relaxed until no time
    rises) gives, to the bit, what one `latest` pass per deadline (Dijkstra) gives."""
    import numpy as np

    from pathways.analysis.routes import _Reverse

    services, refs = site
    G = graph(services, refs)
    rev = _Reverse(G, "health.cmr")
    floors = [d - depth for d in deadlines]
    many = rev.latest_many(np.array(deadlines), np.array(floors))
    for j, (d, f) in enumerate(zip(deadlines, floors, strict=True)):
        assert many[:, j].tolist() == rev.latest(d, f)


@pytest.mark.parametrize("seed", range(12))
def test_all_deadlines_at_once_on_every_hour_of_the_week(seed):
    """As above, on seeded random graphs and every whole hour of the week as the deadline
    (closing times are whole hours: the boundaries are all met), at the depths the
    time-critical gaps use and at depths equal to route delays (a time on the floor itself)."""
    import random

    import numpy as np

    from pathways.analysis.routes import _Reverse

    rng = random.Random(seed)
    n = 12
    services = [
        service(
            f"s{i}",
            ["health.cmr"] if rng.random() < 0.25 else ["community"],
            entry=(i == 0),
            hours=rng.choice(HOURS),
            i=i,
        )
        for i in range(n)
    ]
    pairs = {(rng.randrange(n), rng.randrange(n)) for _ in range(30)}
    refs = [
        referral(f"s{a}", f"s{b}", delay_hours=rng.choice([0.5, 1, 3, 7, 20]))
        for a, b in sorted(pairs)
        if a != b
    ]
    rev = _Reverse(graph(services, refs), "health.cmr")
    for depth in (1.0, 7.0, 20.0, 48.0, 72.0, 120.0):
        deadlines = np.arange(168.0) + 72.0
        many = rev.latest_many(deadlines, deadlines - depth)
        for j, d in enumerate(deadlines):
            assert many[:, j].tolist() == rev.latest(float(d), float(d) - depth)
