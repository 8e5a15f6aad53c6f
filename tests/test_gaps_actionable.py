"""Gaps a room can act on: grouped, named by name, with what to do and who; what-if changes
judged worse or better; the site's policy; the domain fields coordinators asked for."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from pathways.analysis.gaps import Gap, diff_gaps, find_gaps, what_if
from pathways.cli import main
from pathways.i18n import catalogs
from pathways.io.load import load_site
from tests.factories import make_inventory, referral, service
from tests.french import english_pieces, untranslated_texts

SITES = sorted(Path("data/sites").glob("*.yaml"))
ADULTS = ["women", "men"]


@pytest.fixture(scope="module", params=SITES, ids=lambda p: p.stem)
def site_gaps(request: pytest.FixtureRequest) -> tuple[object, list[Gap]]:
    inv = load_site(request.param)
    return inv, find_gaps(inv)


def test_every_gap_says_what_to_do_and_who(site_gaps) -> None:
    _inv, gaps = site_gaps
    for g in gaps:
        assert g.action and g.action_fr and g.owner and g.owner_fr, g.kind
        d = g.to_dict()
        assert {"action", "action_fr", "owner"} <= set(d)


def test_no_gap_sentence_shows_an_internal_id(site_gaps) -> None:
    inv, gaps = site_gaps
    ids = {s.id for s in inv.services}
    for g in gaps:
        for text in (g.message, g.message_fr, g.action, g.action_fr):
            shown = set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", text))
            assert not shown & ids, text
            assert not text.startswith(inv.site.name + ":"), text


def test_french_gaps_have_no_english_piece(site_gaps) -> None:
    inv, gaps = site_gaps
    allowed = untranslated_texts(inv)
    allowed += [inv.site.coordination or ""] + [r.reason for r in inv.site.policy]
    for g in gaps:
        for text in (g.text("fr"), g.action_text("fr"), g.owner_text("fr"), g.kind_label("fr")):
            assert english_pieces(text, allowed) == [], text


def test_similar_gaps_are_one_row() -> None:
    inv = load_site("data/sites/koro.yaml")
    late = [g for g in find_gaps(inv) if g.kind == "time_critical"]
    assert [g.cause for g in late] == ["too_late"]  # six entry points, one row
    (g,) = late
    assert len(g.services) == len(g.details["entry_points"]) >= 5
    worst = [e["worst_hours"] for e in g.details["entry_points"]]
    assert worst == sorted(worst, reverse=True)  # worst first
    assert g.kind_label() == "too late (72 h)"


def test_no_route_is_not_called_too_late() -> None:
    services = [
        service("hosp", ["health.cmr", "mhpss"], entry=True, serves=ADULTS, hours="24/7"),
        service("line", ["hotline"], entry=True, serves=ADULTS),
        service("cm", ["case_management", "legal"], serves=ADULTS),
    ]
    inv = make_inventory(services, [referral("line", "cm"), referral("hosp", "cm")])
    (g,) = find_gaps(inv, kinds=["time_critical"])
    assert g.cause == "no_route" and g.services == ("line",)
    assert g.kind_label() != Gap("time_critical", "critical", "t").kind_label()
    assert "no referral route" in g.message and "72 h" not in g.message


def test_closing_the_koro_csref_is_worse_not_better() -> None:
    inv = load_site("data/sites/koro.yaml")
    d = what_if(inv, closed=["koro-csref"])
    assert d.changes and all(c.effect in ("worse", "better") for c in d.changes)
    assert not d.better  # nothing gets better when the reference health centre closes
    gone = [c for c in d.changes if c.change == "gone"]
    assert gone and all(c.effect == "worse" for c in gone)
    csref = next(c for c in gone if c.gap.services == ("koro-csref",))
    assert csref.replaced_by is not None and csref.replaced_by.cause == "no_route"
    assert csref.to_dict()["replaced_by"]["kind"] == "time_critical"


def test_a_gap_that_goes_because_a_route_was_added_is_better() -> None:
    services = [
        service("hosp", ["health.cmr", "mhpss"], entry=True, serves=ADULTS, hours="24/7"),
        service("cm", ["case_management", "legal"], serves=ADULTS),
        service("cm2", ["case_management", "legal"], serves=ADULTS),
    ]
    before = make_inventory(services, [referral("hosp", "cm")])
    after = make_inventory(services, [referral("hosp", "cm"), referral("hosp", "cm2")])
    d = diff_gaps(find_gaps(before), find_gaps(after))
    spof = [c for c in d.changes if c.gap.kind == "single_point_of_failure"]
    assert spof and all(c.change == "gone" and c.effect == "better" for c in spof)


def test_gaps_close_json_marks_every_change(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gaps", "data/sites/koro.yaml", "--close", "koro-csref", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    changed = [g for g in out if g["change"] != "unchanged"]
    assert changed and all(g["effect"] in ("worse", "better") for g in changed)
    assert any("replaced_by" in g for g in changed)


def test_site_policy_switches_a_rule_off_with_its_reason(capsys) -> None:
    inv = load_site("data/sites/koro.yaml")
    assert not [g for g in find_gaps(inv) if "nonbinary" in g.groups]
    assert [g for g in find_gaps(inv, policy=False) if "nonbinary" in g.groups]
    assert main(["gaps", "data/sites/koro.yaml"]) == 0
    assert "working group follows this up in confidence" in capsys.readouterr().out


def test_site_policy_changes_a_severity_and_says_why() -> None:
    services = [service("hosp", ["health.cmr", "mhpss"], entry=True, serves=ADULTS)]
    reason = "Legal aid comes from the capital by agreement; tracked by the ministry."
    rule = {"kind": "missing_category", "category": "legal", "severity": "minor", "reason": reason}
    inv = make_inventory(services, policy=[rule])
    legal = [g for g in find_gaps(inv) if g.categories == ("legal",)]
    assert legal and legal[0].severity == "minor" and legal[0].policy == reason


def test_policy_off_written_bare_in_yaml(tmp_path: Path) -> None:
    text = Path("data/sites/koro.yaml").read_text(encoding="utf-8")
    assert 'severity: "off"' in text
    (tmp_path / "sites").mkdir()  # beside the shipped boundaries, as ../boundaries/ expects
    (tmp_path / "boundaries").symlink_to(Path("data/boundaries").resolve())
    bare = tmp_path / "sites" / "koro.yaml"
    bare.write_text(text.replace('severity: "off"', "severity: off"), encoding="utf-8")
    assert load_site(bare).site.policy[0].severity == "off"


def test_pep_stock_not_confirmed_lately_is_a_gap() -> None:
    inv = load_site("data/sites/koro.yaml")
    (g,) = find_gaps(inv, kinds=["supplies"])
    assert g.services == ("koro-cscom-diankabou",) and g.severity == "major"
    assert "CSCOM de Diankabou" in g.message
    import datetime as dt

    assert find_gaps(inv, kinds=["supplies"], as_of=dt.date(2026, 7, 1)) == []


def test_no_phone_network_cuts_phone_referrals() -> None:
    services = [
        service("hosp", ["health.cmr", "mhpss"], serves=ADULTS, hours="24/7"),
        service("post", ["community"], entry=True, serves=ADULTS, phone_network="none"),
    ]
    by_phone = make_inventory(services, [referral("post", "hosp", mode="phone")])
    assert [g.cause for g in find_gaps(by_phone, kinds=["time_critical"])] == ["no_route"]
    escorted = make_inventory(services, [referral("post", "hosp", mode="escorted")])
    assert find_gaps(escorted, kinds=["time_critical"]) == []


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [("female_staff", False, "no woman on the staff"), ("appointment", True, "an appointment")],
)
def test_conditions_that_deter(field: str, value: object, words: str) -> None:
    services = [
        service("hosp", ["health.cmr", "mhpss"], entry=True, serves=ADULTS, hours="24/7"),
        service("cm", ["case_management", "legal"], serves=ADULTS, **{field: value}),
    ]
    inv = make_inventory(services, [referral("hosp", "cm")])
    gaps = find_gaps(inv, kinds=["deterrent"])
    assert gaps and words in gaps[0].message


def test_interpreter_booked_too_far_ahead_does_not_count_for_rape_care() -> None:
    def inv(lead: float) -> object:
        return make_inventory(
            [
                service(
                    "hosp",
                    ["health.cmr", "mhpss"],
                    entry=True,
                    serves=ADULTS,
                    languages=["fr"],
                    interpretation=True,
                    interpreter_lead_hours=lead,
                )
            ],
            languages=["fr", "ar"],
        )

    def cats(lead: float) -> set[str]:
        return {c for g in find_gaps(inv(lead), kinds=["language"]) for c in g.categories}

    assert "health.cmr" in cats(96) and "health.cmr" not in cats(24)


def test_access_limit_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    inv = load_site("data/sites/koro.yaml")
    d = what_if(inv, limits=["rainy-season"])
    assert d.worse
    assert main(["gaps", "data/sites/koro.yaml", "--scenario", "dry"]) == 1
    err = capsys.readouterr().err
    assert "--scenario" in err and "rainy-season" in err and "Traceback" not in err


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_protocol_says_what_to_do_and_the_site_policy(lang: str) -> None:
    from pathways.io.export.protocol import build_protocol, protocol_html

    inv = load_site("data/sites/koro.yaml")
    html = protocol_html([build_protocol(inv, lang=lang)])
    todo = {"en": "What to do", "fr": "Que faire"}[lang]
    shown = [g for g in find_gaps(inv) if g.severity != "minor"]
    assert html.count(f"<i>{todo}</i>") == len(shown)
    assert shown[0].action_text(lang).replace("'", "&#39;") in html
    assert inv.site.policy[0].reason_in(lang).split(";")[0].replace("'", "&#39;") in html


def test_the_card_shows_what_coordinators_record() -> None:
    from pathways.public.card import service_card

    inv = load_site("data/sites/koro.yaml")
    keys = {f.key: f.value for f in service_card(inv, "koro-cscom-diankabou", "fr").fields}
    assert keys["pep_stock_confirmed"] == "2026-06-15" and keys["female_staff"] == "oui"
    poor = {f.key: f.value for f in service_card(inv, "koro-wgss-dinagourou").fields}
    assert poor["phone_network"] == "poor"


def test_a_third_language_gets_gap_sentences_from_its_catalog(tmp_path, monkeypatch):
    """Gap sentences come from the catalogs in every interface language: a translator's
    Arabic sentence is used with no code change, and what the catalog lacks stays English."""
    folder = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, folder)
    po = folder / "ar" / "LC_MESSAGES" / "atlas.po"
    with po.open("rb") as fp:
        catalog = read_po(fp, locale="ar")
    catalog["gap_msg_dead_end"].string = "لا يمكن إحالة الناجيات اللواتي يصلن إلى {services}"
    with (po.parent / "atlas.mo").open("wb") as fp:
        write_mo(fp, catalog)
    monkeypatch.setattr(catalogs, "LOCALE_DIR", folder)
    catalogs.clear_caches()
    try:
        inv = make_inventory(
            [service("a", ["health.cmr"], entry=True, i=0), service("b", ["legal"], i=1)],
            [referral("b", "a")],
        )
        dead_end = next(g for g in find_gaps(inv) if g.kind == "dead_end")
    finally:
        catalogs.clear_caches()
    assert dead_end.text("ar").startswith("لا يمكن إحالة الناجيات")
    assert dead_end.text("en").startswith("Survivors who arrive at")
    assert dead_end.action_text("ar") == dead_end.action_text("en")  # untranslated: English
