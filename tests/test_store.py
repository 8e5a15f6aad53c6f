"""The YAML store (issue #17): round trip, validation before writing, no lost update, crash
safety, history, verify / suspend / resume, add / remove, proposals, confidentiality, and the
incremental validation deciding as the full one (Hypothesis)."""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.analysis.gaps import find_gaps
from pathways.analysis.graph import build_referral_graph
from pathways.io import load
from pathways.io.load import load_site, read_site, validate_text
from pathways.io.store import Change, Conflict, YamlStore, open_store
from pathways.io.store import yaml_store as store_module
from pathways.io.store.fields import WITHHELD, field_spec, parse_value
from pathways.model import clock
from pathways.model.errors import InventoryError, ValidationError
from pathways.public.card import service_card

ROOT = Path(__file__).resolve().parent.parent
KORO = ROOT / "data" / "sites" / "koro.yaml"
TINY = ROOT / "tests" / "data" / "tiny.yaml"
SECRET = "koro-host-family"


@pytest.fixture
def koro(tmp_path: Path) -> Path:
    """data/sites/koro.yaml copied with its boundary and areas files (same relative paths)."""
    (tmp_path / "sites").mkdir()
    shutil.copytree(ROOT / "data" / "boundaries" / "koro", tmp_path / "boundaries" / "koro")
    path = tmp_path / "sites" / "koro.yaml"
    shutil.copy(KORO, path)
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    shutil.copy(TINY, path)
    return path


def _diff(a: str, b: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _edit(path: Path, service: str, **changes: str) -> Change:
    store = YamlStore(path)
    fields = {k.replace("__", "."): v for k, v in changes.items()}
    return store.edit(service, fields, user="amina", base=store.version(service))


# --- round trip -----------------------------------------------------------------------------


def test_an_edit_changes_only_its_line_and_keeps_comments(koro: Path) -> None:
    before = koro.read_text(encoding="utf-8")
    _edit(koro, "koro-csref", contact__phone="+223 00 00 00 99")
    after = koro.read_text(encoding="utf-8")
    assert _diff(before, after) == [
        '-    contact: {phone: "+223 00 00 00 01", email: "csref-koro@example.org"}',
        '+    contact: {phone: "+223 00 00 00 99", email: "csref-koro@example.org"}',
    ]
    assert after.count("#") == before.count("#")
    assert read_site(koro).by_id["koro-csref"].contact.phone == "+223 00 00 00 99"  # type: ignore[union-attr]


def test_dotted_fields_are_typed_by_the_model(koro: Path) -> None:
    before = koro.read_text(encoding="utf-8")
    _edit(
        koro,
        "koro-csref-psy",
        hours__mon="09:00-17:00",
        languages="fr,ar",
        entry_point="yes",
        age_min="18",
        notes="",
        name__fr="Unité psy",
    )
    s = read_site(koro).by_id["koro-csref-psy"]
    assert s.hours.week[0] == ((540, 1020),) and s.languages == ("fr", "ar")
    assert s.entry_point is True and s.age_min == 18 and s.name_in("fr") == "Unité psy"
    changed = _diff(before, koro.read_text(encoding="utf-8"))
    assert "+    languages: [fr, ar]" in changed and "+    entry_point: true" in changed
    assert len([line for line in changed if line.startswith("-")]) == 3  # hours, fr, languages


def test_osm_hours_and_a_new_nested_field(koro: Path) -> None:
    _edit(koro, "koro-csref", hours="Mo-Fr 08:00-18:00; Sa 09:00-12:00")
    _edit(koro, "koro-cfs", contact__website="https://example.org/cfs")
    inv = read_site(koro)
    assert inv.by_id["koro-csref"].hours.osm == "Mo-Fr 08:00-18:00; Sa 09:00-12:00"
    assert inv.by_id["koro-cfs"].contact.website == "https://example.org/cfs"  # type: ignore[union-attr]


def test_texts_yaml_1_1_would_misread_are_quoted(tiny: Path) -> None:
    _edit(tiny, "ngo", languages="no,fr", notes="yes")
    s = read_site(tiny).by_id["ngo"]
    assert s.languages == ("no", "fr") and s.notes == "yes"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("hourz", "'hourz' is not a field of a service (did you mean 'hours'?)"),
        ("id", "id: a service's id cannot change"),
        ("location", "location: set its parts"),
        ("hours.mo", "hours has one part per day"),
        ("notes.xx", "'xx' is not an ISO 639-1"),
    ],
)
def test_unknown_fields_are_refused_by_name(field: str, message: str) -> None:
    with pytest.raises(InventoryError, match=re.escape(message)):
        field_spec(field)


def test_values_are_read_by_type_and_left_as_text_otherwise() -> None:
    assert parse_value(field_spec("age_max"), "40") == 40
    assert parse_value(field_spec("age_max"), "forty") == "forty"
    assert parse_value(field_spec("last_verified"), "2026-11-02") == dt.date(2026, 11, 2)
    assert parse_value(field_spec("female_staff"), "no") is False
    assert parse_value(field_spec("requires"), "fee, documents") == ["fee", "documents"]
    assert parse_value(field_spec("location.lat"), "14.1") == 14.1


# --- refused before writing -----------------------------------------------------------------


def test_an_invalid_value_is_refused_with_the_loaders_message_and_nothing_written(
    koro: Path,
) -> None:
    before = koro.read_bytes()
    with pytest.raises(ValidationError) as e:
        _edit(koro, "koro-csref", categories="health.cmr,helth")
    assert "services[0].categories[1]: 'helth' is not a category (did you mean" in str(e.value)
    assert str(e.value).count("\n") == 0 and ":82:" in str(e.value)
    assert koro.read_bytes() == before
    assert not (koro.parent / "koro.yaml.history.jsonl").exists()
    assert sorted(p.name for p in koro.parent.iterdir()) == ["koro.yaml", "koro.yaml.lock"]


def test_a_stale_base_is_a_conflict_naming_who_and_when(koro: Path) -> None:
    store = YamlStore(koro)
    base = store.version("koro-csref")
    store.edit("koro-csref", {"notes": "first"}, user="amina", base=base)
    before = koro.read_bytes()
    with pytest.raises(Conflict) as e:
        YamlStore(koro).edit("koro-csref", {"notes": "second"}, user="bob", base=base)
    assert "by amina at " in str(e.value) and e.value.by is not None
    assert koro.read_bytes() == before and len(store.history()) == 1


def test_a_failed_replace_leaves_the_original(koro: Path, monkeypatch) -> None:
    before = koro.read_bytes()

    def fail(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(InventoryError, match="cannot write: No space left on device"):
        _edit(koro, "koro-csref", notes="x")
    assert koro.read_bytes() == before
    assert not [p for p in koro.parent.iterdir() if p.name.endswith(".saving")]
    assert not (koro.parent / "koro.yaml.history.jsonl").exists()


def test_a_failed_history_write_puts_the_file_back(koro: Path, monkeypatch) -> None:
    before = koro.read_bytes()

    def fail(*args: Any) -> None:
        raise InventoryError("koro.yaml.history.jsonl: cannot write: disk full")

    monkeypatch.setattr(store_module, "append_line", fail)
    with pytest.raises(InventoryError, match="disk full"):
        _edit(koro, "koro-csref", notes="x")
    assert koro.read_bytes() == before


def test_the_file_keeps_its_permissions(koro: Path) -> None:
    koro.chmod(0o640)
    _edit(koro, "koro-csref", notes="x")
    assert koro.stat().st_mode & 0o777 == 0o640


# --- verify, suspend, resume ------------------------------------------------------------------


def test_verify_clears_the_stale_gap(koro: Path) -> None:
    def stale() -> set[str]:
        gaps = find_gaps(load_site(koro), kinds=["stale"])
        return {s for g in gaps if g.cause == "services" for s in g.services}

    old = sorted(stale())
    assert old
    change = YamlStore(koro).verify(old[0], user="bob")
    assert old[0] not in stale()
    assert change.fields[0].after == clock.today().isoformat()
    with pytest.raises(InventoryError, match="in the future"):
        YamlStore(koro).verify(old[0], user="bob", on=clock.today() + dt.timedelta(days=2))


def test_suspend_drops_the_service_from_routes_and_shows_a_gap_until_resumed(koro: Path) -> None:
    store = YamlStore(koro)
    until = clock.today() + dt.timedelta(days=30)
    store.suspend("koro-csref", user="bob", until=until, reason="PEP kits out of stock")
    inv = load_site(koro)
    assert inv.by_id["koro-csref"].suspended_on(clock.today())
    G = build_referral_graph(inv)
    assert "koro-csref" not in G and G.graph["suspended"] == ("koro-csref",)
    gaps = [g for g in find_gaps(inv) if g.kind == "suspended"]
    assert [g.services for g in gaps] == [("koro-csref",)]
    assert "PEP kits out of stock" in gaps[0].message and until.isoformat() in gaps[0].message_fr
    assert "koro-csref" in build_referral_graph(inv, as_of=until + dt.timedelta(days=1))
    store.resume("koro-csref", user="bob")
    inv = load_site(koro)
    assert "koro-csref" in build_referral_graph(inv)
    assert not [g for g in find_gaps(inv) if g.kind == "suspended"]
    with pytest.raises(InventoryError, match="is not suspended"):
        store.resume("koro-csref", user="bob")


def test_a_suspension_is_refused_without_a_reason_or_in_the_past(koro: Path) -> None:
    store = YamlStore(koro)
    with pytest.raises(InventoryError, match="already past"):
        store.suspend("koro-csref", user="bob", until=dt.date(2020, 1, 1), reason="x")
    with pytest.raises(InventoryError, match="give a reason"):
        store.suspend("koro-csref", user="bob", until=clock.today(), reason=" ")


# --- add and remove ------------------------------------------------------------------------


def test_add_and_remove_a_service_and_a_route(koro: Path) -> None:
    before = koro.read_text(encoding="utf-8")
    store = YamlStore(koro)
    record = {
        "id": "koro-new-clinic",
        "name": "New clinic",
        "categories": ["health.general"],
        "location": {"lat": 14.06, "lon": -3.08},
    }
    store.add_service(record, user="bob")
    store.add_referral({"from": "koro-csref", "to": "koro-new-clinic"}, user="bob")
    assert "koro-new-clinic" in build_referral_graph(load_site(koro))["koro-csref"]
    with pytest.raises(InventoryError, match=r"still used by 1 referral route\(s\): koro-csref"):
        store.remove_service("koro-new-clinic", user="bob", base=store.version("koro-new-clinic"))
    store.remove_referral("koro-csref", "koro-new-clinic", user="bob")
    store.remove_service("koro-new-clinic", user="bob", base=store.version("koro-new-clinic"))
    assert koro.read_text(encoding="utf-8") == before
    assert [c.action for c in store.history()] == [
        "add",
        "add_referral",
        "remove_referral",
        "remove",
    ]
    assert [c.action for c in store.history("koro-new-clinic")] == [
        "add",
        "add_referral",
        "remove_referral",
        "remove",
    ]


def test_a_route_is_refused_by_the_loaders_rules(koro: Path) -> None:
    before = koro.read_bytes()
    store = YamlStore(koro)
    with pytest.raises(ValidationError, match="'koro-csrf' is not a service id"):
        store.add_referral({"from": "koro-cfs", "to": "koro-csrf"}, user="bob")
    with pytest.raises(ValidationError, match="a second referral from 'koro-cfs' to 'koro-csref'"):
        store.add_referral({"from": "koro-cfs", "to": "koro-csref"}, user="bob")
    with pytest.raises(InventoryError, match="no referral route from koro-csref to koro-cfs"):
        store.remove_referral("koro-csref", "koro-cfs", user="bob")
    assert koro.read_bytes() == before


def test_a_new_route_takes_the_files_flow_style(koro: Path) -> None:
    before = koro.read_text(encoding="utf-8")
    route = {"from": "koro-csref", "to": "koro-cfs", "needs": ["child_protection"]}
    YamlStore(koro).add_referral(route, user="bob")
    added = [line for line in _diff(before, koro.read_text(encoding="utf-8"))]
    assert added == ["+  - {from: koro-csref, to: koro-cfs, for: [child_protection]}"]


# --- history ---------------------------------------------------------------------------------


def test_history_is_every_applied_change_oldest_first(koro: Path) -> None:
    store = YamlStore(koro)
    store.edit("koro-csref", {"notes": "a"}, user="amina", base=store.version("koro-csref"))
    with pytest.raises(ValidationError):
        store.edit("koro-csref", {"age_min": "-3"}, user="bob", base=store.version("koro-csref"))
    store.verify("koro-cfs", user="bob", on=dt.date(2026, 1, 2))
    history = store.history()
    assert [(c.user, c.action, c.service) for c in history] == [
        ("amina", "edit", "koro-csref"),
        ("bob", "verify", "koro-cfs"),
    ]
    assert history[0].fields[0].field == "notes" and history[0].fields[0].after == "a"
    assert history[0].version == store.version("koro-csref")
    assert [c.service for c in store.history("koro-cfs")] == ["koro-cfs"]
    lines = (koro.parent / "koro.yaml.history.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["edit", "verify"]
    assert Change.from_dict(json.loads(lines[0])) == history[0]


def test_the_version_is_the_one_pathways_show_prints(koro: Path) -> None:
    store = YamlStore(koro)
    for sid in ("koro-csref", SECRET):
        assert store.version(sid) == service_card(load_site(koro), sid).version
    store.edit(SECRET, {"location.lat": "14.071"}, user="coord", base=store.version(SECRET))
    assert store.version(SECRET) == service_card(load_site(koro), SECRET).version


# --- confidentiality -------------------------------------------------------------------------


def test_a_confidential_place_never_reaches_the_history_or_a_message(koro: Path) -> None:
    store = YamlStore(koro)
    change = store.edit(
        SECRET,
        {"location.lat": "14.0712345", "location.address": "rue 12, porte bleue"},
        user="coord",
        base=store.version(SECRET),
    )
    history = (koro.parent / "koro.yaml.history.jsonl").read_text(encoding="utf-8")
    for secret in ("14.0712345", "14.07", "porte bleue", "-3.09"):
        assert secret not in history and secret not in str(change.to_dict())
    assert [f.after for f in change.fields] == [WITHHELD, WITHHELD]
    with pytest.raises(ValidationError) as e:
        store.edit(SECRET, {"location.lat": "14,0799"}, user="coord", base=store.version(SECRET))
    assert "14,0799" not in str(e.value) and "confidential" in str(e.value)
    with pytest.raises(InventoryError, match="never through the review queue"):
        store.propose(SECRET, {"location.lat": "14.08"}, user="field", base=store.version(SECRET))


def test_an_added_confidential_service_is_withheld_in_the_history(koro: Path) -> None:
    record = {
        "id": "koro-safe-room",
        "name": "Safe room",
        "categories": ["safety.shelter"],
        "confidential": True,
        "location": {"lat": 14.0933, "lon": -3.0611, "address": "behind the market"},
    }
    change = YamlStore(koro).add_service(record, user="coord")
    text = (koro.parent / "koro.yaml.history.jsonl").read_text(encoding="utf-8")
    assert "14.0933" not in text and "behind the market" not in text
    assert dict((f.field, f.after) for f in change.fields)["location"] == WITHHELD


# --- proposals -------------------------------------------------------------------------------


def _with_coordinators(path: Path, *names: str) -> None:
    text = path.read_text(encoding="utf-8")
    listed = f"  coordinators: [{', '.join(names)}]\n"
    text = text.replace("  review_months: 12\n", "  review_months: 12\n" + listed)
    path.write_text(text, encoding="utf-8")


def test_a_proposal_waits_for_a_coordinator_who_accepts_it(koro: Path) -> None:
    _with_coordinators(koro, "coord")
    store = YamlStore(koro)
    before = koro.read_bytes()
    base = store.version("koro-csref")
    with pytest.raises(ValidationError):
        store.propose("koro-csref", {"age_min": "old"}, user="field", base=base)
    with pytest.raises(Conflict):
        store.propose("koro-csref", {"notes": "Kits restocked"}, user="field", base="0" * 16)
    p = store.propose("koro-csref", {"notes": "Kits restocked"}, user="field", base=base)
    assert koro.read_bytes() == before and [q.id for q in store.proposals()] == [p.id]
    with pytest.raises(InventoryError, match="field is not a coordinator of koro"):
        store.accept(p.id, user="field")
    change = store.accept(p.id, user="coord")
    assert change.user == "coord" and change.reason == f"proposal {p.id} by field"
    assert read_site(koro).by_id["koro-csref"].notes == "Kits restocked"
    assert store.proposals() == [] and store.proposals("accepted")[0].decided_by == "coord"
    with pytest.raises(InventoryError, match="already accepted"):
        store.accept(p.id, user="coord")


def test_a_rejected_proposal_changes_nothing(koro: Path) -> None:
    store = YamlStore(koro)
    before = koro.read_bytes()
    p = store.propose("koro-cfs", {"cost": "fee"}, user="field", base=store.version("koro-cfs"))
    rejected = store.reject(p.id, user="anyone", note="still free")
    assert rejected.status == "rejected" and rejected.note == "still free"
    assert koro.read_bytes() == before and store.history() == []


def test_accepting_a_proposal_on_an_old_version_is_a_conflict(koro: Path) -> None:
    store = YamlStore(koro)
    p = store.propose("koro-cfs", {"cost": "low"}, user="field", base=store.version("koro-cfs"))
    store.edit("koro-cfs", {"notes": "moved"}, user="amina", base=store.version("koro-cfs"))
    with pytest.raises(Conflict, match="by amina"):
        store.accept(p.id, user="coord")
    assert [q.id for q in store.proposals()] == [p.id]


def test_users_are_staff_identifiers(koro: Path) -> None:
    store = YamlStore(koro)
    with pytest.raises(InventoryError, match="not a staff identifier"):
        store.verify("koro-cfs", user="Jane Doe")
    with pytest.raises(InventoryError, match="is not a service of koro"):
        store.verify("koro-cf", user="bob")


def test_open_store_gives_the_yaml_store(koro: Path) -> None:
    assert isinstance(open_store(str(koro)), YamlStore)


# --- the incremental validation decides as the full one -------------------------------------

_FIELDS = {
    "hours.mon": ["09:00-17:00", "25:00-26:00", "closed"],
    "hours": ["24/7", "Mo-Fr 08:00-18:00", "Dec 25 off", ""],
    "languages": ["fr,ar", "fr,xx", ""],
    "categories": ["legal", "safety.shelter", "helth", "case_management,mhpss"],
    "age_min": ["18", "-1", "abc"],
    "age_max": ["12", "99"],
    "location.lat": ["50.84", "50.8201", "53.9", "51.3", "x"],
    "location.lon": ["4.35", "7.5", "2.0"],
    "confidential": ["true", "false"],
    "location_precision": ["hidden", "area", "exact"],
    "intake.lat": ["50.9"],
    "intake.lon": ["4.4", "4.37"],
    "name": ["", "New name"],
    "last_verified": ["2026-02-30", "2026-01-01"],
    "suspended.until": ["2027-01-01", "2027-13-01"],
    "suspended.reason": ["stock-out", ""],
}
_IDS = ["hospital", "police", "ngo", "shelter", "lawyer"]

edits = st.tuples(
    st.sampled_from(_IDS),
    st.dictionaries(st.sampled_from(sorted(_FIELDS)), st.just(""), min_size=1, max_size=3).flatmap(
        lambda keys: st.fixed_dictionaries({k: st.sampled_from(_FIELDS[k]) for k in keys})
    ),
)
routes = st.tuples(
    st.sampled_from([*_IDS, "nobody"]),
    st.sampled_from(_IDS),
    st.sampled_from([None, ["legal"], ["safety.shelter"], ["health.cmr"], ["helth"]]),
)
new_services = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["clinic", "hospital", "Bad id"]),
        "name": st.sampled_from(["Clinic", ""]),
        "categories": st.sampled_from([["health.general"], ["legal"], ["nope"]]),
        "location": st.sampled_from([{"lat": 50.85, "lon": 4.36}, {"lat": 48.0, "lon": 2.0}]),
        "confidential": st.booleans(),
    }
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), edits),
        st.tuples(st.just("add_referral"), routes),
        st.tuples(st.just("remove_referral"), routes),
        st.tuples(st.just("add_service"), new_services),
        st.tuples(st.just("remove_service"), st.sampled_from([*_IDS, "clinic"])),
    ),
    min_size=1,
    max_size=4,
)


def _checking(real: Callable[..., Any], outcomes: list[str]) -> Callable[..., Any]:
    """`revalidate` that also validates the whole text and asserts the same decision."""

    def check(previous: Any, text: str, **kw: Any) -> Any:
        fast = full = None
        try:
            fast = real(previous, text, **kw)
        except ValidationError as e:
            fast = e.problems
        try:
            full = validate_text(text, previous.path)
        except ValidationError as e:
            full = e.problems
        if isinstance(full, list):
            assert fast == full
            outcomes.append("refused")
            raise ValidationError(full)
        assert not isinstance(fast, list), fast
        assert (fast.site, fast.services, fast.referrals) == (
            full.site,
            full.services,
            full.referrals,
        )
        outcomes.append("applied")
        return fast

    return check


def _run(store: YamlStore, op: str, arg: Any) -> None:
    if op == "edit":
        sid, changes = arg
        if sid in store.inventory().by_id:
            store.edit(sid, changes, user="u", base=store.version(sid))
    elif op == "add_referral":
        a, b, needs = arg
        store.add_referral({"from": a, "to": b, **({"for": needs} if needs else {})}, user="u")
    elif op == "remove_referral":
        store.remove_referral(arg[0], arg[1], user="u")
    elif op == "add_service":
        store.add_service(arg, user="u")
    elif arg in store.inventory().by_id:
        store.remove_service(arg, user="u", base=store.version(arg))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_the_incremental_check_decides_as_the_full_validation(ops: list[Any]) -> None:
    outcomes: list[str] = []
    real = store_module.revalidate
    store_module.revalidate = _checking(real, outcomes)  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "tiny.yaml"
            shutil.copy(TINY, path)
            store = YamlStore(path)
            for op, arg in ops:
                with contextlib.suppress(InventoryError):
                    _run(store, op, arg)
                kept, read = store.inventory(), read_site(path)
                assert (kept.services, kept.referrals) == (read.services, read.referrals)
    finally:
        store_module.revalidate = real  # type: ignore[assignment]


def test_the_property_test_sees_both_decisions(tiny: Path, monkeypatch) -> None:
    outcomes: list[str] = []
    monkeypatch.setattr(store_module, "revalidate", _checking(load.revalidate, outcomes))
    store = YamlStore(tiny)
    store.edit("ngo", {"age_min": "18"}, user="u", base=store.version("ngo"))
    with pytest.raises(ValidationError):
        store.edit("ngo", {"location.lat": "53.9"}, user="u", base=store.version("ngo"))
    assert outcomes == ["applied", "refused"]


# --- layouts and caches ----------------------------------------------------------------------


def test_windows_line_ends_are_kept(tiny: Path) -> None:
    text = TINY.read_text(encoding="utf-8").replace("\n", "\r\n")
    tiny.write_bytes(text.encode("utf-8"))
    _edit(tiny, "ngo", age_min="18")
    after = tiny.read_bytes().decode("utf-8")
    assert after.count("\r\n") == text.count("\r\n") + 1 and "\n" not in after.replace("\r\n", "")
    assert _diff(text, after) == ["+    age_min: 18"]


def test_an_unusual_layout_is_edited_as_a_whole_document(tiny: Path) -> None:
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    tiny.write_text(
        "# everything in flow style\n"
        + "".join(
            f"{key}: {yaml.safe_dump(data[key], default_flow_style=True, width=10**6)}"
            for key in ("site", "services", "referrals")
        ),
        encoding="utf-8",
    )
    store = YamlStore(tiny)
    store.edit("ngo", {"age_min": "18"}, user="u", base=store.version("ngo"))
    store.add_referral({"from": "lawyer", "to": "ngo"}, user="u")
    inv = read_site(tiny)
    assert inv.by_id["ngo"].age_min == 18 and len(inv.referrals) == 4
    assert tiny.read_text(encoding="utf-8").startswith("# everything in flow style\n")


def test_a_store_sees_changes_made_by_another(tiny: Path) -> None:
    first, second = YamlStore(tiny), YamlStore(tiny)
    old = first.version("ngo")
    second.edit("ngo", {"notes": "from the other store"}, user="bob", base=second.version("ngo"))
    with pytest.raises(Conflict, match="by bob"):
        first.edit("ngo", {"notes": "mine"}, user="amina", base=old)
    first.edit("ngo", {"notes": "mine"}, user="amina", base=first.version("ngo"))
    assert read_site(tiny).by_id["ngo"].notes == "mine"
    assert [c.user for c in second.history("ngo")] == ["bob", "amina"]


def test_a_file_with_anchors_is_validated_whole(tiny: Path) -> None:
    text = TINY.read_text(encoding="utf-8")
    text = text.replace("    languages: [fr, nl, en]\n", "    languages: &langs [fr, nl, en]\n", 1)
    tiny.write_text(text.replace("    languages: [fr, nl]\n", "    languages: *langs\n", 1))
    store = YamlStore(tiny)
    store.edit("hospital", {"languages": "fr,ar"}, user="u", base=store.version("hospital"))
    kept, read = store.inventory(), read_site(tiny)
    assert (kept.services, kept.referrals) == (read.services, read.referrals)
    assert read.by_id["hospital"].languages == ("fr", "ar")
    assert read.by_id["police"].languages == ("fr", "nl", "en")  # only the service edited
