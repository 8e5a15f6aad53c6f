"""views.viewmodels.workshop: routes as rows, reasons in words, the PEP verdict, stepping through
gaps."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pathways.analysis.gaps import what_if
from pathways.analysis.graph import build_referral_graph
from pathways.analysis.reasons import is_known_reason, reason_text
from pathways.analysis.routes import Profile, route
from pathways.io.load import load_site
from views.viewmodels.workshop import (
    care_verdict,
    default_entry,
    entry_options,
    excluded_rows,
    for_display,
    gap_sentences,
    route_rows,
    route_summary,
    step_index,
)

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "data" / "tiny.yaml"
SITES = ROOT / "data" / "sites"


@pytest.fixture(scope="module")
def tiny():
    return load_site(TINY)


@pytest.fixture(scope="module")
def koro():
    return load_site(SITES / "koro.yaml")


NAMES = {"bxl-ngo": "Women's NGO", "bxl-cpvs": "Care centre"}


@pytest.mark.parametrize(
    ("reason", "fr"),
    [
        ("serves women, girls only, not men", "ne reçoit que : Femmes, Filles (moins de 18 ans) ;"),
        ("from age 18 only", "à partir de 18 ans seulement"),
        ("up to age 17 only", "jusqu'à 17 ans seulement"),
        ("documented people only", "personnes avec papiers seulement"),
        ("does not speak 'ar' and has no interpretation", "ne parle pas arabe"),
        ("does not speak 'ar' and interpretation is unavailable", "l'interprétariat est indisp"),
        ("requires police_report, documents", "exige un dépôt de plainte, des papiers d'identité"),
        ("closed", "fermé"),
        ("no referral route leads there from bxl-ngo", "depuis Women's NGO"),
        ("no referral route to it serves health.cmr", "Prise en charge clinique du viol"),
        ("reachable only through services this profile cannot use", "accessible seulement"),
        ("reachable, but not sooner than bxl-cpvs", "pas plus tôt que Care centre"),
        ("'bxl-cpvs' is closed", "Care centre est fermé"),
        ("no entry point this survivor can use", "aucun point d'entrée"),
        (
            "no route from bxl-ngo to Clinical management of rape for this profile",
            "aucun parcours de Women's NGO jusqu'à « Prise en charge clinique du viol »",
        ),
        (
            "the entry point bxl-ngo serves women only, not men; counted as arrival only",
            "le point d'entrée Women's NGO : ne reçoit que : Femmes ;",
        ),
    ],
)
def test_reasons_in_french_with_names(reason: str, fr: str) -> None:
    assert is_known_reason(reason)
    assert fr in reason_text(reason, "fr", NAMES)
    english = reason_text(reason, "en", NAMES)
    assert "bxl-" not in english  # ids become names


def test_an_unknown_reason_is_kept_as_written() -> None:
    assert not is_known_reason("the moon is full")
    assert reason_text("the moon is full", "fr") == "the moon is full"


@pytest.mark.parametrize("site", ["koro", "brussels"])
def test_every_reason_routes_give_is_known(site: str) -> None:
    """Catches a new or reworded reason in pathways.analysis.routes that the app cannot
    translate."""
    inv = load_site(SITES / f"{site}.yaml")
    closed = [s.id for s in inv.services if s.has("health.cmr")][:1]
    graphs = [build_referral_graph(inv), build_referral_graph(inv, closed=closed)]
    profiles = [
        dict(language="ar", interpretation=False, age=15, gender="female"),
        dict(gender="male", legal_status="undocumented", avoid=("police_report", "fee")),
        dict(age=8, gender="nonbinary", language="ps", weekday=5, hour=23.0),
    ]
    reasons: set[str] = set()
    for G, entry, p in itertools.product(graphs, entry_options(inv) + closed, profiles):
        r = route(G, Profile(entry=entry, **p), need=["health.cmr", "mhpss", "legal"])
        reasons |= {e["reason"] for e in r.excluded} | set(r.warnings)
        reasons |= {r.reason} if r.reason else set()
    assert reasons
    assert {x for x in reasons if not is_known_reason(x)} == set()


def test_koro_saturday_night_is_too_late_for_pep(koro) -> None:
    G = build_referral_graph(koro)
    r = route(G, Profile(entry="koro-cscom-dinagourou", weekday=5, hour=23.0), need="health.cmr")
    verdict = care_verdict(r, "en")
    assert verdict is not None and not verdict.in_time
    assert "too late for post-exposure prophylaxis" in verdict.text
    assert "trop tard" in care_verdict(r, "fr").text  # type: ignore[union-attr]
    rows = route_rows(r, koro, "fr")
    assert [row["quoi"] for row in rows] == ["arrivée", "Prise en charge clinique du viol"]
    assert rows[-1]["vu à"].startswith("jeu.")


def test_pep_in_time_unreachable_and_not_asked(tiny) -> None:
    G = build_referral_graph(tiny)
    r = route(G, Profile(entry="police"), need="health.cmr")
    assert care_verdict(r).in_time  # type: ignore[union-attr]
    closed = route(
        build_referral_graph(tiny, closed=["hospital"]), Profile(entry="police"), need="health.cmr"
    )
    assert not care_verdict(closed).in_time  # type: ignore[union-attr]
    assert "cannot be reached" in care_verdict(closed).text  # type: ignore[union-attr]
    assert care_verdict(route(G, Profile(entry="police"), need="legal")) is None
    assert route_summary(closed, tiny, "en").startswith("No route: no route from Police station")


def test_excluded_rows_name_services(tiny) -> None:
    r = route(
        build_referral_graph(tiny, closed=["lawyer"]), Profile(entry="hospital"), need="legal"
    )
    rows = excluded_rows(r, tiny, "fr")
    assert {row["service"]: row["pourquoi pas"] for row in rows} == {
        "Legal clinic": "fermé",
        "Women's NGO": "aucune voie de référencement vers lui ne couvre : Aide juridique",
    }


def test_times_after_a_confidential_service_are_rounded(tiny) -> None:
    r = route(
        build_referral_graph(tiny),
        Profile(entry="hospital", gender="female"),
        need=["case_management", "safety.shelter"],
    )
    rows = route_rows(r, tiny, "en")
    assert rows[-1]["service"] == "Safe house"
    assert rows[-1]["seen after (h)"].startswith("≈ ")
    assert rows[-1]["seen at"].endswith("h") and ":" not in rows[-1]["seen at"]
    assert not rows[0]["seen after (h)"].startswith("≈")


def test_gap_sentences_worse_then_better_then_the_rest_most_severe_first(tiny, koro) -> None:
    rank = {"critical": 0, "major": 1, "minor": 2}
    for inv, closed in ((tiny, ["hospital"]), (koro, ["koro-csref"])):
        diff = what_if(inv, closed=closed)
        sentences = gap_sentences(diff, "fr")
        order = [
            ({"worse": 0, "better": 1, "same": 2}[s.effect], rank[s.severity]) for s in sentences
        ]
        assert order == sorted(order)
        assert len(sentences) == len(diff.appeared) + len(diff.disappeared) + len(
            diff.unchanged
        ) + sum(c.change == "changed" for c in getattr(diff, "changes", ()))
        assert sentences[0].effect == "worse" and sentences[-1].effect == "same"
        assert {s.text for s in sentences if s.change == "new"} == {
            g.text("fr") for g in diff.appeared
        }
        assert all(s.text for s in sentences)
    # no what-if: the gaps of the site, most severe first
    plain = gap_sentences(what_if(koro), "en")
    assert {s.effect for s in plain} == {"same"}
    severities = [rank[s.severity] for s in plain]
    assert severities == sorted(severities) and severities[0] == 0


def test_gap_sentences_read_each_changes_effect_when_the_diff_gives_it(tiny) -> None:
    """A gap gone because a graver one took its place is worse, not better (the hook for
    `GapDiff.changes`)."""
    diff = what_if(tiny, closed=["hospital"])
    changes = getattr(diff, "changes", None)
    if changes is None:
        pytest.skip("pathways.analysis.gaps.GapDiff has no per-change effect yet")
    worse_gone = [c for c in changes if c.change == "gone" and c.effect == "worse"]
    sentences = gap_sentences(diff, "en")
    for c in worse_gone:
        s = next(s for s in sentences if s.text == c.gap.text("en") and s.change == "gone")
        assert s.effect == "worse"
        assert s.replaced_by == (c.replaced_by.text("en") if c.replaced_by else "")
    assert [s.effect for s in sentences[: len(diff.worse)]] == ["worse"] * len(diff.worse)


def test_step_index_stays_within_the_list() -> None:
    assert step_index(0, 3, 1) == 1
    assert step_index(2, 3, 1) == 2
    assert step_index(0, 3, -1) == 0
    assert step_index(7, 3, 0) == 2  # the list got shorter
    assert step_index(4, 0, 1) == 0


def test_a_route_for_a_french_map(tiny) -> None:
    closed = route(
        build_referral_graph(tiny, closed=["hospital"]), Profile(entry="police"), need="health.cmr"
    )
    shown = for_display(closed, tiny, "fr")
    assert shown.reason.startswith("aucun parcours de Police station jusqu")
    assert shown.steps[0].clock.startswith("lun. ")
    assert (shown.found, shown.needs, shown.excluded) == (
        closed.found,
        closed.needs,
        closed.excluded,
    )


def test_a_click_on_a_service_marker_closes_that_service(koro) -> None:
    from views.viewmodels.explore import tooltip_text
    from views.viewmodels.workshop import clicked_service, close_one_more

    ids = [s.id for s in koro.services]
    for lang in ("en", "fr"):
        for s in koro.services:  # the tooltip text as streamlit-folium returns it
            assert clicked_service(koro, tooltip_text(s, lang) + " · open 24/7", lang) == s.id
    assert clicked_service(koro, None) is None
    assert clicked_service(koro, "3 services") is None  # a cluster, a line, a gap ring
    first, second = ids[0], ids[1]
    assert close_one_more([], first, ids) == [first]
    assert close_one_more([first], first, ids) == [first]  # once
    assert close_one_more([first], second, ids) == [first, second]
    assert close_one_more([first], "elsewhere", ids) == [first]
    assert close_one_more([first], None, ids) == [first]


# --- the default survivor ---------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SITES.glob("*.yaml")), ids=lambda p: p.stem)
def test_default_entry_is_not_the_service_she_needs_on_every_shipped_site(path: Path) -> None:
    inv = load_site(path)
    entry = default_entry(inv)
    assert entry in entry_options(inv)
    assert not any(c.split(".")[:2] == ["health", "cmr"] for c in inv.by_id[entry].categories)
    r = route(build_referral_graph(inv), Profile(entry=entry), need="health.cmr")
    assert r.found and r.start == entry
    assert r.total_hours is not None and r.total_hours > 0
    assert r.steps[0].service == entry and len(r.steps) >= 2  # a real hand-off


def test_default_entry_prefers_a_route_and_falls_back(tiny) -> None:
    from tests.factories import make_inventory, referral, service

    assert entry_options(tiny) == ["hospital", "police"]
    assert default_entry(tiny) == "police"  # the hospital offers clinical care itself
    assert default_entry(tiny, ["legal"]) == "hospital"  # neither offers it; hospital refers
    assert default_entry(tiny, []) == "hospital"  # no need: the first entry point
    services = [
        service("a", ["health.cmr"], entry=True),
        service("b", ["mhpss"], entry=True, i=1),  # no route on from here
        service("d", ["community"], entry=True, i=2),
    ]
    with_route = make_inventory(services, [referral("d", "a", ["health.cmr"])])
    assert default_entry(with_route) == "d"  # b comes first, but leads nowhere
    assert default_entry(make_inventory(services)) == "b"  # no route anywhere: first not "a"
    only = make_inventory([service("a", ["health.cmr"], entry=True)])
    assert default_entry(only) == "a"  # every entry point offers it: the first
    assert default_entry(make_inventory([service("a", ["legal"])])) is None
