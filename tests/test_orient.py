"""`pathways orient`: the danger grid (data, validated), the orientation analysis (hand-worked
answers on the shipped sites) and the command line (every site, bad input, writes nothing)."""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.analysis.orient import Orientation, Situation, orient
from pathways.analysis.routes import Profile
from pathways.cli import main
from pathways.io.load import load_site, read_site
from pathways.io.orientation import GRID_PATH, load_grid
from pathways.model.errors import InventoryError, ValidationError
from pathways.model.inventory import TAXONOMY, Inventory
from pathways.model.public import PublicInventory

ROOT = Path(__file__).resolve().parents[1]
SITES = sorted((ROOT / "data" / "sites").glob("*.yaml"))
BRUSSELS = ROOT / "data" / "sites" / "brussels.yaml"
KORO = ROOT / "data" / "sites" / "koro.yaml"
ARRIVAL = "bxl-fedasil-arrival"  # Brussels: an entry point with no clinical rape care of its own


@cache
def _site(path: Path) -> PublicInventory:
    return load_site(path)


def _orient(
    inventory: Inventory,
    situation: Situation | None = None,
    **profile: object,
) -> Orientation:
    defaults: dict[str, object] = {"entry": ARRIVAL, "weekday": 2, "hour": 10.0}
    who = Profile(**{**defaults, **profile})  # type: ignore[arg-type]
    return orient(inventory, who, situation or Situation(), load_grid())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as e:  # argparse's usage errors (exit 1, see pathways.cli._Parser)
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --- the grid -----------------------------------------------------------------------------------


def test_the_shipped_grid_is_valid_says_it_is_no_score_and_names_its_sources() -> None:
    grid = load_grid(GRID_PATH)
    assert "not a risk score" in grid.notice.en and "pas un score de risque" in grid.notice.fr
    titles = " ".join(s.title for s in grid.sources)
    assert "Danger Assessment" in titles and "Pocket Guide" in titles
    for needed in ("threat_to_kill", "strangulation", "weapon", "escalation", "separation"):
        assert needed in grid.sign_ids
    for sign in grid.signs:
        assert sign.question.en.endswith("?") and sign.question.fr.endswith("?")
        assert all(c in TAXONOMY for c in sign.categories)
    assert {w.id: w.hours for w in grid.windows} == {"pep": 72, "ec": 120}


def test_grid_problems_name_file_line_and_field(tmp_path: Path) -> None:
    text = GRID_PATH.read_text(encoding="utf-8")
    text = text.replace("weight: immediate", "weight: high", 1)
    text = text.replace(
        "categories: [safety.police, safety.shelter]", "categories: [safety.polise]", 1
    )
    text = text.replace("sources: [campbell-da]", "sources: [campbel-da]", 1)
    bad = tmp_path / "grid.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        load_grid(bad)
    lines = [str(p) for p in e.value.problems]
    line_of = {w: text[: text.index(w)].count("\n") + 1 for w in ("weight: high", "safety.polise")}
    assert any(
        line.startswith(f"{bad}:{line_of['weight: high']}: signs[0].weight: 'high'")
        for line in lines
    ), lines
    assert any(
        f":{line_of['safety.polise']}: signs[0].categories[0]: 'safety.polise' is not a category"
        in line
        for line in lines
    ), lines


def test_a_grid_naming_an_undeclared_source_is_refused_at_its_line(tmp_path: Path) -> None:
    text = GRID_PATH.read_text(encoding="utf-8").replace(
        "sources: [campbell-da]", "sources: [campbel-da]", 1
    )
    bad = tmp_path / "grid.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        load_grid(bad)
    (problem,) = e.value.problems
    assert problem.line == text[: text.index("[campbel-da]")].count("\n") + 1
    assert problem.field == "signs[0].sources[0]" and "'campbel-da' is not a source" in str(problem)


def test_a_grid_that_is_not_a_mapping_is_one_problem(tmp_path: Path) -> None:
    bad = tmp_path / "grid.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="expected a mapping with id, notice, signs"):
        load_grid(bad)


# --- the analysis: hand-worked answers ----------------------------------------------------------


def test_deadlines_ten_hours_after_a_sexual_assault_are_62_and_110_hours() -> None:
    answer = _orient(_site(BRUSSELS), Situation("sexual", 10), gender="female")
    cmr = next(a for a in answer.actions if a.category == "health.cmr")
    left = {d.window: d.hours_left for d in cmr.deadlines}
    assert left == {"pep": 62, "ec": 110}
    assert cmr.deadline_hours == 62
    # the clinical centre is an entry point: send or accompany the person straight there
    assert (cmr.service, cmr.access, cmr.route) == (
        "bxl-cpvs-centre",
        "direct",
        ("bxl-cpvs-centre",),
    )
    assert cmr.seen_hours is not None and cmr.seen_hours < 1
    assert answer.urgency == "immediate"
    assert {r.code for r in answer.reasons} == {"window_running"}
    assert answer.actions[0].category == "health.cmr"  # nothing comes before a running window


def test_windows_that_have_passed_are_said_so_and_the_answer_is_urgent_not_immediate() -> None:
    answer = _orient(_site(BRUSSELS), Situation("sexual", 130), gender="female")
    assert answer.urgency == "urgent"
    assert [r.code for r in answer.reasons] == ["window_passed", "window_passed"]
    assert "has passed" in answer.reasons[0].text("en")
    assert "dépassé" in answer.reasons[0].text("fr")
    data = answer.to_dict()
    cmr = next(a for a in data["actions"] if a["category"] == "health.cmr")
    assert cmr["deadline_hours"] is None
    assert all(d["passed"] for d in cmr["deadlines"])


def test_emergency_contraception_is_not_offered_to_a_man() -> None:
    answer = _orient(_site(BRUSSELS), Situation("sexual", 10), gender="male")
    cmr = next(a for a in answer.actions if a.category == "health.cmr")
    assert [d.window for d in cmr.deadlines] == ["pep"]


def test_no_sign_and_no_window_is_routine() -> None:
    answer = _orient(_site(BRUSSELS), Situation("psychological"), gender="female", age=30)
    assert answer.urgency == "routine"
    assert [r.code for r in answer.reasons] == ["routine"]
    assert [a.category for a in answer.actions] == ["mhpss", "case_management"]


def test_a_danger_sign_is_immediate_and_puts_safety_first() -> None:
    answer = _orient(_site(BRUSSELS), Situation("sexual", 10, ("threat_to_kill",)), gender="female")
    assert answer.urgency == "immediate"
    assert answer.reasons[0].code == "sign_immediate"
    assert [a.category for a in answer.actions[:3]] == [
        "safety.police",
        "safety.shelter",
        "health.cmr",
    ]
    assert answer.actions[0].because == ("threat_to_kill",)
    shelter = answer.actions[1]  # confidential, not an entry point: only through referrals
    assert shelter.access == "referral" and shelter.route[0] == ARRIVAL and len(shelter.route) > 1
    case = next(a for a in answer.actions if a.category == "case_management")
    assert (case.service, case.access) == (ARRIVAL, "here")


def test_an_urgent_sign_alone_is_urgent() -> None:
    answer = _orient(_site(BRUSSELS), Situation("psychological", None, ("isolation",)))
    assert answer.urgency == "urgent"
    assert answer.actions[0].category == "case_management"


def test_a_site_without_child_protection_shows_the_gap_for_a_girl() -> None:
    """No shipped site lacks a minimum-package category: Koro without its child protection
    (the same file, the category struck out of its services) stands in for one."""
    koro = _site(KORO)
    services = tuple(
        s.model_copy(
            update={"categories": tuple(c for c in s.categories if c != "child_protection")}
        )
        for s in koro.services
    )
    without = koro.model_copy(update={"services": services})
    answer = _orient(
        without, Situation("sexual", 10), entry="koro-wgss-koro", gender="female", age=14
    )
    child = next(a for a in answer.actions if a.category == "child_protection")
    assert child.service is None and child.because == ("child",)
    missing = [g for g in answer.gaps if g.kind == "missing_category"]
    assert missing and all("child_protection" in g.categories for g in missing)
    with_it = _orient(
        koro, Situation("sexual", 10), entry="koro-wgss-koro", gender="female", age=14
    )
    assert next(a for a in with_it.actions if a.category == "child_protection").service
    assert not [g for g in with_it.gaps if g.kind == "missing_category"]


def test_a_language_no_service_speaks_is_a_gap_of_this_person() -> None:
    answer = _orient(_site(BRUSSELS), Situation("psychological"), language="ja")
    gaps = [g for g in answer.gaps if g.kind == "language"]
    assert gaps and all(g.languages == ("ja",) for g in gaps)
    assert "Japanese" in " ".join(g.text("en") for g in gaps)
    assert "japonais" in " ".join(g.text("fr") for g in gaps)
    french = _orient(_site(BRUSSELS), Situation("psychological"), language="fr")
    assert not [g for g in french.gaps if g.kind == "language"]


def _keys(data: object) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys(v)}
    return set()


def test_confidential_services_are_never_shown_with_a_place(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shelters = [s for s in read_site(BRUSSELS).services if s.confidential]
    assert shelters
    args = ["orient", str(BRUSSELS), "--from", ARRIVAL, "--sign", "threat_to_kill", "separation"]
    _, text, _ = run(capsys, *args)
    _, out, _ = run(capsys, *args, "--json")
    shown = [a["service"] for a in json.loads(out)["actions"]]
    assert {s.id for s in shelters} & set(shown)  # a shelter is proposed...
    assert not {"location", "lat", "lon", "address", "intake"} & _keys(json.loads(out))
    for s in shelters:  # ...but never where it is
        for value in (s.location.lat, s.location.lon):
            assert f"{value}" not in text + out


def test_an_unknown_sign_incident_or_hours_is_refused_with_the_valid_values() -> None:
    with pytest.raises(InventoryError, match="valid: threat_to_kill, strangulation"):
        _orient(_site(BRUSSELS), Situation("sexual", 1, ("threat_to_kil",)))
    with pytest.raises(InventoryError, match="valid: sexual, physical"):
        _orient(_site(BRUSSELS), Situation("sexuel"))
    with pytest.raises(InventoryError, match=r"out of range \(0-8760\)"):
        _orient(_site(BRUSSELS), Situation("sexual", -1))


@settings(max_examples=25, deadline=None)
@given(hours=st.integers(min_value=0, max_value=200))
def test_windows_count_down_from_72_and_120_hours(hours: int) -> None:
    answer = _orient(_site(BRUSSELS), Situation("sexual", hours), gender="female")
    cmr = next(a for a in answer.actions if a.category == "health.cmr")
    left = {d.window: d.hours_left for d in cmr.deadlines}
    assert left == {"pep": max(0, 72 - hours), "ec": max(0, 120 - hours)}
    assert (answer.urgency == "immediate") == (hours < 120)
    assert cmr.deadline_hours == (None if hours >= 120 else min(v for v in left.values() if v))


@settings(max_examples=15, deadline=None)
@given(signs=st.lists(st.sampled_from(load_grid().sign_ids), unique=True, max_size=4))
def test_any_sign_makes_the_answer_at_least_urgent_and_lists_its_categories(
    signs: list[str],
) -> None:
    answer = _orient(_site(BRUSSELS), Situation("psychological", None, tuple(signs)))
    assert (answer.urgency == "routine") == (not signs)
    grid = load_grid()
    wanted = {c for s in signs for c in grid.sign(s).categories}
    assert wanted <= {a.category for a in answer.actions}


# --- the command line ---------------------------------------------------------------------------


def _first_entry(inventory: Inventory) -> str:
    return next(s.id for s in inventory.services if s.entry_point)


@pytest.mark.parametrize("path", SITES, ids=lambda p: p.stem)
def test_orient_answers_on_every_shipped_site(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    entry = _first_entry(_site(path))
    common = [str(path), "--from", entry, "--incident", "sexual", "--hours-since", "10"]
    common += [
        "--sign",
        "weapon",
        "--age",
        "16",
        "--gender",
        "female",
        "--day",
        "sun",
        "--hour",
        "2",
    ]
    for lang in ("en", "fr"):
        code, out, err = run(capsys, "orient", *common, "--lang", lang)
        assert code == 0, err
        assert ("Urgency: IMMEDIATE" if lang == "en" else "Urgence : IMMÉDIATE") in out
        assert "Traceback" not in err
    code, out, err = run(capsys, "orient", *common, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["urgency"] == "immediate"
    assert set(data) >= {"urgency", "reasons", "actions", "gaps", "grid"}
    assert data["grid"]["file"] == "data/orientation/grid.yaml" and data["grid"]["sources"]
    for action in data["actions"]:
        assert set(action) >= {"service", "category", "why", "open", "deadline_hours", "route"}
    cmr = next(a for a in data["actions"] if a["category"] == "health.cmr")
    assert cmr["deadline_hours"] == 62
    for gap in data["gaps"]:
        assert set(gap) >= {"kind", "severity", "site", "services", "categories", "message"}


def test_orient_from_a_place(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "orient", str(KORO), "--at", "14.06,-3.08", "--incident", "physical", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["start"]


def test_orient_with_a_grid_of_its_own(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    own = tmp_path / "network-grid.yaml"
    own.write_text(
        GRID_PATH.read_text(encoding="utf-8").replace("id: threat_to_kill", "id: death_threat"),
        encoding="utf-8",
    )
    args = ["orient", str(BRUSSELS), "--from", ARRIVAL, "--grid", str(own), "--json"]
    code, out, err = run(capsys, *args, "--sign", "death_threat")
    assert code == 0, err
    assert json.loads(out)["grid"]["file"] == str(own)
    code, _, err = run(capsys, *args, "--sign", "threat_to_kill")
    assert code == 1 and "death_threat" in err


@pytest.mark.parametrize(
    ("args", "listed"),
    [
        (["--sign", "threat_to_kil"], "valid: threat_to_kill, strangulation, weapon"),
        (["--incident", "sexuel"], "'sexual', 'physical', 'psychological'"),
        (["--language", "xx"], "this site's languages: fr, nl"),
        (["--hours-since", "-3"], "(0-8760)"),
        (["--hours-since", "99999"], "(0-8760)"),
        (["--hour", "25"], "(0-24)"),
        (["--age", "200"], "(0-120)"),
        (["--avoid", "police"], "'police_report', 'mandatory_reporting'"),
    ],
)
def test_bad_input_exits_1_with_one_line_listing_the_valid_values(
    capsys: pytest.CaptureFixture[str], args: list[str], listed: str
) -> None:
    code, out, err = run(capsys, "orient", str(BRUSSELS), "--from", ARRIVAL, *args)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert listed in err


def test_an_unknown_service_exits_1_with_the_entry_points(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "orient", str(BRUSSELS), "--from", "bxl-nowhere")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "--from: 'bxl-nowhere' is not a service id of brussels" in err


def test_a_bad_grid_file_exits_1_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "grid.yaml"
    text = GRID_PATH.read_text(encoding="utf-8").replace("weight: urgent", "weight: 3", 1)
    bad.write_text(text, encoding="utf-8")
    line = text[: text.index("weight: 3")].count("\n") + 1
    code, _, err = run(capsys, "orient", str(BRUSSELS), "--from", ARRIVAL, "--grid", str(bad))
    assert code == 1 and len(err.splitlines()) == 1
    assert err.startswith(f"{bad}:{line}: signs[3].weight: 3: input should be 'immediate'")


# --- nothing is written -------------------------------------------------------------------------

_WRITES: list[tuple[str, object]] = []
_WATCHING: list[bool] = []
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple[object, ...]) -> None:
    if not _WATCHING:
        return
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writing:
            _WRITES.append((event, path))
    elif event in ("os.rename", "os.remove", "os.mkdir", "os.replace", "shutil.copyfile"):
        _WRITES.append((event, args[0]))


sys.addaudithook(_audit)


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_a_run_writes_nothing_to_disk(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(home))
    args = ["orient", str(BRUSSELS), "--from", ARRIVAL, "--incident", "sexual", "--hours-since"]
    args += ["10", "--sign", "strangulation", "--age", "15", "--gender", "female"]
    args += ["--language", "ar", "--day", "sat", "--hour", "3"]
    run(capsys, *args)  # once, so that every module is imported before looking
    data_before, tmp_before = _tree(ROOT / "data"), _tree(tmp_path)
    _WRITES.clear()
    _WATCHING.append(True)
    try:
        for extra in ([], ["--json"], ["--lang", "fr"]):
            code, out, _ = run(capsys, *args, *extra)
            assert code == 0 and out
    finally:
        _WATCHING.clear()
    assert _WRITES == []
    assert _tree(tmp_path) == tmp_before and _tree(ROOT / "data") == data_before


def test_the_watch_sees_a_write(tmp_path: Path) -> None:
    """The test above is not vacuous: a write while watching is caught."""
    _WRITES.clear()
    _WATCHING.append(True)
    try:
        (tmp_path / "typed.txt").write_text("a name", encoding="utf-8")
    finally:
        _WATCHING.clear()
    assert _WRITES and str(_WRITES[0][1]).endswith("typed.txt")
    _WRITES.clear()


def test_a_helpline_is_called_not_visited() -> None:
    """A helpline proposed directly: the person calls it from where they are."""
    from pathways.analysis.orient import Action
    from pathways.model.orientation import Text
    from pathways.public.orientation import action_lines

    inv = load_site(BRUSSELS)
    line = next(s for s in inv.services if set(s.categories) <= {"hotline"})
    why = Text(en="Someone listens.", fr="Quelqu'un écoute.")
    names = {s.id: s.name for s in inv.services}
    call = Action(category="hotline", why=why, because=(), service=line.id, access="direct")
    text = "\n".join(action_lines(1, call, inv, names, "en"))
    assert "call it now" in text and "go there" not in text
    visit = Action(
        category="health.cmr", why=why, because=(), service="bxl-cpvs-centre", access="direct"
    )
    assert "go there directly" in "\n".join(action_lines(1, visit, inv, names, "en"))
