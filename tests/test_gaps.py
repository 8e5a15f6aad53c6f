"""Gap analysis on small hand-built sites, each answer worked out by hand."""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.gaps import find_gaps, severity
from pathways.graph import build_referral_graph, reachable_providers
from tests.factories import make_inventory, referral, service

ADULTS = ["women", "men"]


def kinds(gaps):
    return sorted((g.kind, g.services, g.categories) for g in gaps)


def full_site(**site):
    """Every minimum-package category, all reachable from one entry point, adults only."""
    services = [
        service("hosp", ["health.cmr", "mhpss"], entry=True, serves=ADULTS),
        service("cm", ["case_management", "legal"], serves=ADULTS),
        service("police", ["safety.police"], serves=ADULTS),
    ]
    refs = [referral("hosp", "cm"), referral("cm", "police"), referral("police", "hosp")]
    return services, refs


def test_a_complete_site_has_no_gap():
    services, refs = full_site()
    assert find_gaps(make_inventory(services, refs)) == []


def test_missing_category_minimum_package():
    # a hospital alone: mhpss is there, the rest of the package is missing
    inv = make_inventory([service("hosp", ["health.cmr", "mhpss"], entry=True, serves=ADULTS)])
    missing = [g for g in find_gaps(inv) if g.kind == "missing_category"]
    assert [g.categories for g in missing] == [
        ("case_management",),
        ("legal",),
        ("safety.shelter", "safety.police"),
    ]
    assert all(g.severity == "major" for g in missing)
    # child protection is required only where the site serves children
    inv = make_inventory([service("hosp", ["health.cmr"], entry=True)])
    assert ("child_protection",) in [
        g.categories for g in find_gaps(inv, kinds=["missing_category"])
    ]


def test_missing_clinical_care_is_critical():
    inv = make_inventory([service("ngo", ["mhpss"], entry=True, serves=ADULTS)])
    cmr = [g for g in find_gaps(inv) if g.categories == ("health.cmr",)]
    assert cmr[0].kind == "missing_category" and cmr[0].severity == "critical"
    assert "Clinical management of rape" in cmr[0].message
    assert "Prise en charge clinique du viol" in cmr[0].text("fr")


def test_unreachable_when_route_serves_another_need():
    services, refs = full_site()
    # hosp -> cm only for case management: legal at cm is not reached through it
    refs[0] = referral("hosp", "cm", ["case_management"])
    gaps = find_gaps(make_inventory(services, refs))
    assert kinds(gaps) == [("unreachable", ("cm",), ("legal",))]
    assert gaps[0].severity == "major"


def test_unreachable_when_only_route_comes_from_non_entry():
    services, refs = full_site()
    services.append(service("shelter", ["safety.shelter"], serves=ADULTS, confidential=True))
    services.append(service("outreach", ["community"], serves=ADULTS))
    refs.append(referral("outreach", "shelter"))
    gaps = find_gaps(make_inventory(services, refs))
    # shelter is reached only from 'outreach', which nobody reaches and survivors can't walk into
    assert ("unreachable", ("shelter",), ("safety.shelter",)) in kinds(gaps)
    assert ("unreachable", ("outreach",), ("community",)) in kinds(gaps)
    assert ("orphan", ("outreach",), ("community",)) in kinds(gaps)
    assert severity("unreachable", "community", make_inventory(services, refs)) == "minor"


def test_dead_end_and_orphan():
    services, refs = full_site()
    services.append(service("hotline", ["hotline"], entry=True, serves=ADULTS))
    services.append(service("lawyer", ["legal"], serves=ADULTS))
    gaps = find_gaps(make_inventory(services, refs))
    assert kinds(gaps) == [
        ("dead_end", ("hotline",), ("hotline",)),
        ("orphan", ("lawyer",), ("legal",)),
    ]
    dead = gaps[0]
    assert dead.severity == "major" and "Hotline" in dead.message


def test_closing_a_service_what_if():
    services, refs = full_site()
    inv = make_inventory(services, refs)
    gaps = find_gaps(inv, closed=["cm"])
    assert ("missing_category", (), ("case_management",)) in kinds(gaps)
    assert ("missing_category", (), ("legal",)) in kinds(gaps)
    # the police station is no longer reached by any route
    assert ("orphan", ("police",), ("safety.police",)) in kinds(gaps)


def test_entry_point_offering_a_category_reaches_it():
    inv = make_inventory([service("a", ["health.cmr"], entry=True), service("b", ["mhpss"])])
    G = build_referral_graph(inv)
    assert reachable_providers(G, "health.cmr", ["a"]) == {"a"}
    assert reachable_providers(G, "mhpss", ["a"]) == set()


def test_gap_json_form():
    inv = make_inventory([service("ngo", ["mhpss"], entry=True, serves=ADULTS)])
    data = json.loads(json.dumps([g.to_dict() for g in find_gaps(inv)]))
    for d in data:
        assert {"kind", "severity", "site", "services", "categories", "message"} <= d.keys()
        assert d["site"] == "t" and isinstance(d["services"], list)


# --- invariants --------------------------------------------------------------------------------

CATS = ["health.cmr", "mhpss", "case_management", "legal", "safety.shelter", "community"]


@st.composite
def random_site(draw):
    n = draw(st.integers(2, 7))
    services = [
        service(
            f"s{i}",
            draw(st.lists(st.sampled_from(CATS), min_size=1, max_size=2, unique=True)),
            entry=draw(st.booleans()),
            i=i,
        )
        for i in range(n)
    ]
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=10, unique=True)
    )
    refs = [referral(f"s{a}", f"s{b}") for a, b in pairs if a != b]
    return services, refs


def unreachable_keys(gaps):
    return {g.key for g in gaps if g.kind in ("unreachable", "missing_category")}


@settings(max_examples=60, deadline=None)
@given(random_site(), st.data())
def test_adding_a_referral_never_adds_an_unreachable_gap(site, data):
    services, refs = site
    before = unreachable_keys(find_gaps(make_inventory(services, refs)))
    a, b = data.draw(
        st.sampled_from(
            [(s["id"], t["id"]) for s in services for t in services if s["id"] != t["id"]]
        )
    )
    if any(r["from"] == a and r["to"] == b for r in refs):
        return
    after = unreachable_keys(find_gaps(make_inventory(services, [*refs, referral(a, b)])))
    assert after <= before


@settings(max_examples=60, deadline=None)
@given(random_site(), st.data())
def test_closing_a_service_never_makes_anything_newly_reachable(site, data):
    services, refs = site
    inv = make_inventory(services, refs)
    closed = data.draw(st.sampled_from([s["id"] for s in services]))
    G0, G1 = build_referral_graph(inv), build_referral_graph(inv, closed=[closed])
    for cat in CATS:
        entries = [n for n in G1 if G1.nodes[n]["entry_point"]]
        assert reachable_providers(G1, cat, entries) <= reachable_providers(G0, cat, entries)


@settings(max_examples=40, deadline=None)
@given(random_site(), st.randoms())
def test_results_do_not_depend_on_file_order(site, rnd: random.Random):
    services, refs = site
    a = [g.to_dict() for g in find_gaps(make_inventory(services, refs))]
    services2, refs2 = list(services), list(refs)
    rnd.shuffle(services2)
    rnd.shuffle(refs2)
    b = [g.to_dict() for g in find_gaps(make_inventory(services2, refs2))]
    assert a == b
