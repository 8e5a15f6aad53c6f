"""`pathways diff`: services and routes added, removed and changed, gaps appeared and closed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pathways.cli import main
from pathways.io.load import load_site
from pathways.io.versions import WITHHELD, diff_inventories, diff_paths
from pathways.model.errors import InventoryError

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny.yaml"
AS_OF = dt.date(2026, 11, 20)

NEW_SERVICE = """
  - id: clinic
    name: Night clinic
    categories: [health.cmr]
    location: {lat: 50.8420, lon: 4.3400}
    hours: "24/7"
"""


def _new_version(tmp_path: Path) -> Path:
    """tiny.yaml, one mapping round later: the police lost its 24/7 hours and the hospital its
    rape care, a night clinic opened, the legal clinic closed, the shelter moved (to another
    public place: a move inside its public place is invisible to a diff, as to any output)."""
    text = TINY.read_text(encoding="utf-8")
    text = text.replace(
        '    location: {lat: 50.8466, lon: 4.3528}\n    hours: "24/7"',
        '    location: {lat: 50.8466, lon: 4.3528}\n    hours: {mon: "08:00-18:00"}',
    )
    text = text.replace("categories: [health.cmr, mhpss]", "categories: [mhpss]")
    text = text.replace(
        "location: {lat: 50.8200, lon: 4.3700}", "location: {lat: 50.8400, lon: 4.3900}"
    )
    start = text.index("  - id: lawyer")
    end = text.index("referrals:")
    text = text[:start] + NEW_SERVICE.lstrip("\n") + text[end:]
    text = text.replace(
        "  - {from: police, to: hospital, for: [health.cmr], mode: escorted, delay_hours: 1}",
        "  - {from: police, to: clinic, for: [health.cmr], mode: escorted, delay_hours: 1}",
    )
    text = text.replace("mode: escorted, delay_hours: 4}", "mode: escorted, delay_hours: 12}")
    path = tmp_path / "tiny-v2.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def versions(tmp_path):
    return load_site(TINY), load_site(_new_version(tmp_path))


def test_services_added_removed_changed(versions):
    d = diff_inventories(*versions, as_of=AS_OF)
    assert d.services_added == ("clinic",)
    assert d.services_removed == ("lawyer",)
    changed = {c.key: c.fields for c in d.services_changed}
    assert set(changed) == {"hospital", "police", "shelter"}
    assert changed["hospital"]["categories"] == (["health.cmr", "mhpss"], ["mhpss"])
    assert changed["police"]["hours"] == ("24/7", "mon 08:00-18:00")
    assert changed["shelter"] == {"location": (WITHHELD, WITHHELD)}


def test_routes_added_removed_changed(versions):
    d = diff_inventories(*versions, as_of=AS_OF)
    assert d.routes_added == ("police -> clinic",)
    assert d.routes_removed == ("police -> hospital",)
    (change,) = d.routes_changed
    assert change.key == "ngo -> shelter" and change.fields == {"delay_hours": (4.0, 12.0)}


def test_gaps_that_appeared_and_closed(versions):
    """The hospital lost rape care: only the night clinic has it, and only the police (open
    Mondays now) refers there; the legal clinic no route reached has closed."""
    d = diff_inventories(*versions, as_of=AS_OF)
    assert d.gaps is not None
    appeared = {(g.kind, g.services) for g in d.gaps.appeared}
    closed = {(g.kind, g.services) for g in d.gaps.disappeared}
    assert ("orphan", ("lawyer",)) in closed
    assert ("single_point_of_failure", ("clinic",)) in appeared
    assert {"time_critical", "hours"} <= {kind for kind, _ in appeared}


def test_text_and_json_never_print_a_confidential_location(tmp_path, capsys):
    new = _new_version(tmp_path)
    assert main(["diff", str(TINY), str(new), "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert "+ service clinic" in out and "- service lawyer" in out
    assert "~ service police: hours 24/7 -> mon 08:00-18:00" in out
    assert "~ route ngo -> shelter: delay_hours 4.0 -> 12.0" in out
    assert f"location changed {WITHHELD}" in out
    assert "+ gap" in out and "- gap" in out
    for secret in ("50.82", "4.37", "50.84", "4.39"):
        assert secret not in out
    assert main(["diff", str(TINY), str(new), "--json", "--as-of", "2026-11-20"]) == 0
    raw = capsys.readouterr().out
    (site,) = json.loads(raw)
    assert site["services"]["added"] == ["clinic"]
    assert site["routes"]["removed"] == ["police -> hospital"]
    assert site["gaps"]["appeared"] and site["gaps"]["closed"]
    assert all(g["kind"] and g["message"] for g in site["gaps"]["appeared"])
    assert "50.829" not in raw and "4.379" not in raw


def test_same_file_no_change(capsys):
    (d,) = diff_paths(TINY, TINY, as_of=AS_OF)
    assert d.unchanged and d.text().endswith("no change")


def test_folders_pair_sites_by_id(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "tiny.yaml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    (new / "tiny.yaml").write_text(
        _new_version(tmp_path).read_text(encoding="utf-8"), encoding="utf-8"
    )
    (d,) = diff_paths(old, new, as_of=AS_OF)
    assert d.services_added == ("clinic",)


def test_sites_on_one_side_only_is_a_user_error(tmp_path, capsys):
    other = tmp_path / "other.yaml"
    other.write_text(
        TINY.read_text(encoding="utf-8").replace("id: tiny", "id: other"), encoding="utf-8"
    )
    both = tmp_path / "both"
    both.mkdir()
    (both / "a.yaml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    (both / "b.yaml").write_text(other.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InventoryError, match="only on one side"):
        diff_paths(TINY.parent / "tiny.yaml", both)
    assert main(["diff", str(TINY), str(both)]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
