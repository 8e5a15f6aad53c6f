"""The editing commands (issue #17): `pathways edit | verify | suspend | resume | add | remove |
history | propose | review | accept | reject`, and 8 real processes editing one version."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pathways.cli import main
from pathways.io.load import read_site

ROOT = Path(__file__).resolve().parent.parent
KORO = ROOT / "data" / "sites" / "koro.yaml"
SECRET = "koro-host-family"


@pytest.fixture
def koro(tmp_path: Path) -> Path:
    (tmp_path / "sites").mkdir()
    shutil.copytree(ROOT / "data" / "boundaries" / "koro", tmp_path / "boundaries" / "koro")
    path = tmp_path / "sites" / "koro.yaml"
    shutil.copy(KORO, path)
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def version(capsys, path: Path, service: str) -> str:
    code, out, _ = run(capsys, "show", path, service, "--json")
    assert code == 0
    return str(json.loads(out)["version"])


def test_show_prints_the_version_in_text_too(capsys, koro: Path) -> None:
    v = version(capsys, koro, "koro-csref")
    _, out, _ = run(capsys, "show", koro, "koro-csref")
    assert out.rstrip().endswith(f"version {v}")


def test_edit_prints_each_field_before_and_after(capsys, koro: Path) -> None:
    v = version(capsys, koro, "koro-csref-psy")
    code, out, err = run(
        capsys, "edit", koro, "koro-csref-psy", "--set", "hours.mon=09:00-17:00",
        "--set", "languages=fr,ar", "--as", "amina", "--base", v,
    )  # fmt: skip
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert (
        len(lines) == 2
        and " amina edit koro-csref-psy: hours.mon: 08:00-16:00 → 09:00-17:00" in lines[0]
    )
    assert 'languages: ["fr", "bm", "ff"] → ["fr", "ar"]' in lines[1]


def test_an_edit_on_an_old_version_exits_1_naming_who_and_when(capsys, koro: Path) -> None:
    v = version(capsys, koro, "koro-csref")
    assert (
        run(capsys, "edit", koro, "koro-csref", "--set", "notes=a", "--as", "amina", "--base", v)[0]
        == 0
    )
    before = koro.read_bytes()
    code, out, err = run(
        capsys, "edit", koro, "koro-csref", "--set", "notes=b", "--as", "bob", "--base", v
    )
    assert code == 1 and out == ""
    assert err.startswith("pathways: error: koro-csref: changed since version ")
    assert " by amina at 20" in err and err.count("\n") == 1
    assert koro.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--set", "age_min=abc"],
            ".yaml:99: services[0].age_min: 'abc': input should be a valid integer",
        ),
        (
            ["--set", "hourz=1"],
            "pathways: error: 'hourz' is not a field of a service (did you mean 'hours'?)",
        ),
        (["--set", "notes"], "pathways: error: --set 'notes': write FIELD=VALUE"),
    ],
)
def test_a_mistake_is_one_line_and_exit_1(
    capsys, koro: Path, args: list[str], message: str
) -> None:
    v = version(capsys, koro, "koro-csref")
    before = koro.read_bytes()
    code, _, err = run(capsys, "edit", koro, "koro-csref", *args, "--as", "amina", "--base", v)
    assert code == 1 and message in err and err.count("\n") == 1
    assert koro.read_bytes() == before


def test_an_unknown_service_and_a_missing_base(capsys, koro: Path) -> None:
    code, _, err = run(capsys, "verify", koro, "koro-csrf", "--as", "amina")
    assert code == 1 and "'koro-csrf' is not a service of koro (did you mean 'koro-csref'?)" in err
    with pytest.raises(SystemExit) as e:
        run(capsys, "edit", koro, "koro-csref", "--set", "notes=x", "--as", "amina")
    assert e.value.code == 1 and "required: --base" in capsys.readouterr().err
    code, _, err = run(capsys, "remove", koro, "koro-cfs", "--as", "amina")
    assert code == 1 and "needs --base VERSION" in err


def test_verify_suspend_resume_and_the_gaps(capsys, koro: Path) -> None:
    assert run(capsys, "verify", koro, "koro-cfs", "--as", "bob", "--on", "2026-11-30")[0] == 0
    code, out, _ = run(
        capsys, "suspend", koro, "koro-cfs", "--as", "bob", "--until", "2099-01-31",
        "--reason", "staff on leave",
    )  # fmt: skip
    assert code == 0 and "staff on leave" in out
    _, out, _ = run(capsys, "gaps", koro, "--kind", "suspended", "--json")
    assert [g["services"] for g in json.loads(out)] == [["koro-cfs"]]
    assert run(capsys, "resume", koro, "koro-cfs", "--as", "bob")[0] == 0
    _, out, _ = run(capsys, "gaps", koro, "--kind", "suspended", "--json")
    assert json.loads(out) == []
    _, out, _ = run(capsys, "history", koro, "koro-cfs", "--json")
    assert [c["action"] for c in json.loads(out)] == ["verify", "suspend", "resume"]
    assert (
        json.loads(out)[0]["fields"]
        == [{"field": "last_verified", "before": "2026-09-14", "after": "2026-11-30"}]
        or json.loads(out)[0]["fields"][0]["after"] == "2026-11-30"
    )


def test_add_a_service_from_a_file_with_its_comments_and_remove_it(
    capsys, koro: Path, tmp_path: Path
) -> None:
    record = tmp_path / "new.yaml"
    record.write_text(
        "# opened in November\n"
        "id: koro-new-point\n"
        "name: Listening point  # run by volunteers\n"
        "categories: [mhpss]\n"
        "location: {lat: 14.07, lon: -3.085}\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "add", koro, "--service", record, "--as", "bob")
    assert code == 0, err
    text = koro.read_text(encoding="utf-8")
    assert re.search(r"\n  # opened in November\n  - id: koro-new-point\n", text)
    assert re.search(r"\n    name: Listening point +# run by volunteers\n", text)
    assert (
        run(
            capsys,
            "add",
            koro,
            "--referral",
            "koro-csref",
            "koro-new-point",
            "--needs",
            "mhpss",
            "--as",
            "bob",
        )[0]
        == 0
    )
    code, _, err = run(
        capsys,
        "remove",
        koro,
        "koro-new-point",
        "--as",
        "bob",
        "--base",
        version(capsys, koro, "koro-new-point"),
    )
    assert code == 1 and "still used by 1 referral route(s): koro-csref -> koro-new-point" in err
    assert (
        run(capsys, "remove", koro, "--referral", "koro-csref", "koro-new-point", "--as", "bob")[0]
        == 0
    )
    v = version(capsys, koro, "koro-new-point")
    assert run(capsys, "remove", koro, "koro-new-point", "--as", "bob", "--base", v)[0] == 0
    assert "koro-new-point" not in read_site(koro).by_id
    _, out, _ = run(capsys, "history", koro)
    actions = [line.split()[2] for line in out.splitlines()]
    assert actions == [
        "add",
        "add",
        "add",
        "add",
        "add_referral",
        "remove_referral",
        "remove",
        "remove",
        "remove",
        "remove",
    ]


def test_the_review_queue(capsys, koro: Path) -> None:
    v = version(capsys, koro, "koro-cfs")
    code, out, _ = run(
        capsys, "propose", koro, "koro-cfs", "--set", "cost=low", "--as", "field1", "--base", v
    )
    assert code == 0 and out.startswith("p1: proposed by field1")
    _, out, _ = run(capsys, "review", koro)
    assert "p1 [pending] koro-cfs, proposed by field1" in out and "cost: free → low" in out
    assert (
        run(capsys, "propose", koro, "koro-cfs", "--set", "notes=x", "--as", "field2", "--base", v)[
            0
        ]
        == 0
    )
    code, out, _ = run(capsys, "accept", koro, "p1", "--as", "coord")
    assert code == 0 and "proposal p1 by field1" in out
    code, _, err = run(capsys, "accept", koro, "p2", "--as", "coord")
    assert code == 1 and "changed since version" in err and "by coord at" in err
    assert run(capsys, "reject", koro, "p2", "--as", "coord", "--note", "stale")[0] == 0
    _, out, _ = run(capsys, "review", koro, "--all", "--json")
    assert [(p["id"], p["status"]) for p in json.loads(out)] == [
        ("p1", "accepted"),
        ("p2", "rejected"),
    ]


def test_a_confidential_place_is_withheld_in_output_and_history(capsys, koro: Path) -> None:
    v = version(capsys, koro, SECRET)
    code, out, err = run(
        capsys, "edit", koro, SECRET, "--set", "location.lat=14.0655", "--as", "coord", "--base", v
    )
    assert code == 0 and "location.lat: (withheld) → (withheld)" in out
    _, history, _ = run(capsys, "history", koro, SECRET, "--json")
    for text in (out, err, history, (koro.parent / "koro.yaml.history.jsonl").read_text()):
        assert "14.0655" not in text and "14.07" not in text


# --- no lost update: 8 real processes on one version -----------------------------------------


def test_eight_concurrent_edits_of_one_version_apply_exactly_one(capsys, koro: Path) -> None:
    v = version(capsys, koro, "koro-csref")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pathways",
                "edit",
                str(koro),
                "koro-csref",
                "--set",
                f"notes=written by writer{k}",
                "--as",
                f"writer{k}",
                "--base",
                v,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=koro.parent,
        )
        for k in range(8)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    applied = [k for k, (code, _, _) in enumerate(results) if code == 0]
    assert len(applied) == 1, results
    winner = f"writer{applied[0]}"
    for k, (code, out, err) in enumerate(results):
        if k != applied[0]:
            assert code == 1 and out == "" and "Traceback" not in err
            assert f"changed since version {v} by {winner} at " in err
    history = [
        json.loads(line)
        for line in (koro.parent / "koro.yaml.history.jsonl").read_text().splitlines()
    ]
    assert [(c["user"], c["fields"][0]["after"]) for c in history] == [
        (winner, f"written by {winner}")
    ]
    assert read_site(koro).by_id["koro-csref"].notes == f"written by {winner}"


def test_the_edit_benchmark_runs_at_a_small_size(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.edit_bench", "--services", "200", "--edits", "2",
         "--data", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| edit: one field (contact.phone) |" in proc.stdout
    assert "target under 300 ms" in proc.stdout
