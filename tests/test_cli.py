"""The command line: exit codes, one line per problem, JSON forms, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pathways.cli import main

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny.yaml"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_ok(capsys):
    code, _, err = run(capsys, "validate", str(TINY))
    assert code == 0 and "1 inventories valid: 5 services, 3 referrals" in err


def test_validate_folder(capsys):
    code, _, _ = run(capsys, "validate", str(DATA))
    assert code == 0


def test_validate_bad_file_one_line_per_problem(tmp_path, capsys):
    text = TINY.read_text(encoding="utf-8")
    text = text.replace("[safety.police]", "[safety.polise]").replace(
        "to: shelter,", "to: shelterr,"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "validate", str(bad))
    lines = err.strip().splitlines()
    assert code == 1 and out == ""
    assert len(lines) == 2
    assert all(line.startswith(f"{bad}:") for line in lines)
    assert "services[1].categories[0]: 'safety.polise' is not a category" in lines[0]
    assert "referrals[2].to: 'shelterr' is not a service id (did you mean 'shelter'?)" in lines[1]


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "no/such/file.yaml"],
        ["gaps", str(TINY), "--close", "hospitl"],
        ["gaps"],
        ["frobnicate"],
        ["map", str(TINY)],
    ],
)
def test_user_mistakes_exit_1_with_one_line(capsys, args):
    try:
        code = main(args)
    except SystemExit as e:  # argparse usage errors
        code = e.code
    _, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_gaps_text_and_json(capsys):
    code, out, _ = run(capsys, "gaps", str(TINY), "--brief")
    assert code == 0
    header, *lines = out.splitlines()
    assert header == f"Tiny Town [tiny] (illustrative data): {len(lines)} gap(s)"
    _, out, _ = run(capsys, "gaps", str(TINY))  # each gap, then what to do (and who)
    actions = [line for line in out.splitlines() if line.startswith("      what to do: ")]
    assert len(actions) == len(lines)
    code, out, _ = run(capsys, "gaps", str(TINY), "--json")
    gaps = json.loads(out)
    assert code == 0 and isinstance(gaps, list) and len(gaps) == len(lines)
    for g in gaps:
        assert {"kind", "severity", "site", "services", "categories", "message"} <= g.keys()
    assert {"missing_category", "unreachable", "orphan", "stale"} <= {g["kind"] for g in gaps}
    _, out, _ = run(capsys, "gaps", str(TINY), "--json", "--kind", "orphan", "--kind", "dead_end")
    assert [g["services"] for g in json.loads(out)] == [["lawyer"]]


def test_gaps_close_what_if(capsys):
    _, out, _ = run(capsys, "gaps", str(TINY), "--json", "--close", "ngo")
    gaps = json.loads(out)
    new = {(g["kind"], tuple(g["categories"])) for g in gaps if g["change"] == "new"}
    assert ("missing_category", ("case_management",)) in new
    orphans = [g for g in gaps if g["kind"] == "orphan"]  # one row, now with the shelter too
    assert [(g["change"], g["effect"]) for g in orphans] == [("changed", "worse")]
    assert "safety.shelter" in orphans[0]["categories"]
    assert {g["change"] for g in gaps} <= {"new", "gone", "changed", "unchanged"}
    assert all(g["effect"] in ("worse", "better") for g in gaps if g["change"] != "unchanged")
    code, out, _ = run(capsys, "gaps", str(TINY), "--close", "ngo", "--without-interpretation")
    assert code == 0 and "what if closing ngo and no interpretation" in out


def test_route_text_and_json(capsys):
    args = [
        "route",
        str(TINY),
        "--from",
        "police",
        "--need",
        "health.cmr,case_management",
        "--day",
        "sat",
        "--hour",
        "23",
        "--gender",
        "female",
        "--age",
        "30",
        "--language",
        "fr",
    ]
    code, out, _ = run(capsys, *args)
    assert code == 0 and "Total:" in out
    code, out, _ = run(capsys, *args, "--json")
    r = json.loads(out)
    assert r["found"] is True
    assert [s["service"] for s in r["steps"]] == ["police", "hospital", "ngo"]
    assert all({"service", "category", "arrive_hours"} <= s.keys() for s in r["steps"])
    assert r["total_hours"] == r["steps"][-1]["seen_hours"]
    assert isinstance(r["excluded"], list)


def test_route_answers_for_every_entry_point_of_every_site(capsys):
    from pathways.io.load import load_sites

    sites = Path(__file__).parents[1] / "data" / "sites"
    for inv in load_sites([sites]):
        for s in inv.services:
            if s.entry_point:
                code, out, _ = run(
                    capsys, "route", str(inv.path), "--from", s.id, "--need", "health.cmr", "--json"
                )
                assert code == 0 and "found" in json.loads(out)


def test_route_user_mistakes(capsys):
    for args in (
        ["--from", "nope", "--need", "health.cmr"],
        ["--from", "police", "--need", "health.cmx"],
        ["--from", "police", "--need", "mhpss", "--language", "zz"],
    ):
        code, _, err = run(capsys, "route", str(TINY), *args)
        assert code == 1 and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    ("args", "option", "hint"),
    [
        (["--from", "polise"], "--from", "did you mean 'police'?"),
        (["--from", "nope"], "--from", "entry points: hospital and police"),
        (["--from", "police", "--close", "hospitl"], "--close", "did you mean 'hospital'?"),
    ],
)
def test_route_unknown_id_names_its_own_option(capsys, args, option, hint):
    code, out, err = run(capsys, "route", str(TINY), *args, "--need", "health.cmr")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, err
    assert f"{option}: '{args[-1]}' is not a service id of tiny" in err
    assert hint in err
    other = {"--from", "--close"} - {option}
    assert not any(o in err for o in other), err


def _pin_clock(monkeypatch, when: dt.datetime) -> None:
    from pathways.model import clock

    monkeypatch.setattr(clock, "now", lambda: when)


def test_route_prints_the_illustrative_notice_and_each_services_phone(capsys, monkeypatch):
    from pathways.io.load import load_site

    _pin_clock(monkeypatch, dt.datetime(2026, 11, 21, 22, 40, tzinfo=dt.UTC))
    inventory = load_site(TINY)
    args = ["route", str(TINY), "--from", "police", "--need", "health.cmr,case_management"]
    code, out, _ = run(capsys, *args, "--json")
    r = json.loads(out)
    assert code == 0 and r["data_status"] == "illustrative"
    assert r["notice"].startswith("Illustrative data: not field-verified")
    for step in r["steps"]:
        contact = inventory.by_id[step["service"]].contact
        assert step["phone"] == (contact.phone if contact else None)
    assert any(step["phone"] for step in r["steps"])
    code, out, _ = run(capsys, *args)
    header, notice, *rest = out.splitlines()
    assert code == 0 and header.startswith("Tiny Town [tiny] (illustrative data): route for")
    assert notice.startswith("Illustrative data: not field-verified")
    phones = rest[rest.index("Phone numbers on this route:") + 1 :]
    assert len(phones) == len({s["service"] for s in r["steps"]})
    for step, line in zip(r["steps"], phones, strict=True):
        name = inventory.by_id[step["service"]].name
        assert line == f"  {name}: {step['phone'] or 'no phone listed'}"


def test_route_arrival_is_now_at_the_site_unless_given_and_always_said(capsys, monkeypatch):
    # Saturday 22:40 UTC is Saturday 23:40 in Brussels (winter time)
    _pin_clock(monkeypatch, dt.datetime(2026, 11, 21, 22, 40, tzinfo=dt.UTC))
    base = ["route", str(TINY), "--from", "police", "--need", "health.cmr"]
    _, out, _ = run(capsys, *base)
    assert "arriving Sat 23:40 (now at the site)" in out.splitlines()[0]
    _, out, _ = run(capsys, *base, "--json")
    r = json.loads(out)
    assert r["arrival"] == {
        "day": "sat",
        "hour": round(23 + 40 / 60, 2),
        "clock": "Sat 23:40",
        "from_clock": ["day", "hour"],
    }
    assert r["steps"][0]["clock"] == "Sat 23:40"
    _, out, _ = run(capsys, *base, "--day", "mon", "--hour", "10")
    assert out.splitlines()[0].endswith("from Police station, arriving Mon 10:00")
    _, out, _ = run(capsys, *base, "--day", "tue")
    assert "arriving Tue 23:40 (time: now at the site)" in out
    _, out, _ = run(capsys, *base, "--hour", "8", "--lang", "fr")
    assert "arrivée sam. 08:00 (jour : aujourd'hui sur le site)" in out
    code, _, err = run(capsys, *base, "--hour", "25")
    assert (
        code == 1 and err.strip() == "pathways: error: --hour: 25 is not an hour of the day (0-24)"
    )


def test_compare_table_json_csv(capsys):
    code, out, _ = run(capsys, "compare", str(TINY))
    assert code == 0 and out.splitlines()[1].startswith("tiny")
    _, out, _ = run(capsys, "compare", str(TINY), "--json")
    row = json.loads(out)[0]
    assert row["by_category"]["health.cmr"] == {"services": 1, "entry_points_reaching": 2}
    assert row["services"] == 5
    _, out, _ = run(capsys, "compare", str(TINY), "--csv")
    assert out.splitlines()[0].startswith("site,services,referrals,entry_points")


def test_gaps_french(capsys):
    _, out, _ = run(capsys, "gaps", str(TINY), "--lang", "fr")
    assert "Aucun service n'offre" in out and "que faire : " in out


def test_python_dash_m_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "pathways", "validate", str(TINY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "pathways", "validate", "missing.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
