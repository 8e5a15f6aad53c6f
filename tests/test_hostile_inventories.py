"""A corpus of hostile inventories (tests/data/hostile/): each fails cleanly, or loads.

Each file tries one thing (YAML tags, alias bombs, deep nesting, huge numbers, NaN, encodings,
odd Unicode in ids, impossible dates, boundary files outside the folder or not polygons, a
shelter's coordinates typed into the wrong field, an intake point too close) and says what at
its top, in `key: value` lines: YAML comments, or the `name` member of a GeoJSON file
(`; `-separated). The keys the tests read:

- `hostile:` what the file tries (required);
- `expect: valid` when the file must load (otherwise it must fail);
- `secret: LAT, LON` a confidential location that no message may repeat, in any form;
- `heavy: yes` also run in a subprocess with a memory cap and a timeout;
- `setup: huge NAME` / `setup: symlink NAME` a file the test makes beside the copy: a sparse
  file over the size limit, or a symlink to a polygon file outside the folder.

`validate`, `export --format gpkg` and `gaps` run on a copy of each file (with `files/`):
exit 1, every line of stderr `FILE[:LINE]: message`, no traceback, nothing written. A new file
in the folder is tested without adding a line here.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pathways.cli import main
from pathways.io.load import INVENTORY_SUFFIXES, MAX_SITE_FILE_BYTES, load_site
from tests.leaks import Secrets, text_leaks

HOSTILE = Path(__file__).parent / "data" / "hostile"
SHIPPED_POLYGON = (
    Path(__file__).parents[1]
    / "data"
    / "boundaries"
    / "brussels"
    / "communes_brussels_statbel.geojson"
)
LINE = re.compile(r"^[^:]+(:\d+)?: .+$")
MEMORY_CAP = 2 * 2**30
TIMEOUT_S = 60


@dataclass(frozen=True)
class Case:
    """One file of the corpus and what its header says about it."""

    path: Path
    what: str
    valid: bool
    secrets: tuple[tuple[float, float], ...]
    heavy: bool
    setup: tuple[str, ...]


def _header(path: Path) -> list[tuple[str, str]]:
    """The `key: value` lines at the top of a corpus file (any of its encodings)."""
    raw = path.read_bytes()[:4096]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = raw.decode("utf-16", errors="replace")
    else:
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    if path.suffix in (".geojson", ".json"):
        m = re.search(r'"name":\s*"([^"]*)"', text)
        items = m[1].split("; ") if m else []
    else:
        items = [line[1:].strip() for line in text.splitlines() if line.startswith("#")]
    return [(k.strip(), v.strip()) for k, _, v in (i.partition(":") for i in items) if v]


def _case(path: Path) -> Case:
    header = _header(path)
    values = {k: [v for key, v in header if key == k] for k, _ in header}
    secrets = tuple(
        (float(lat), float(lon))
        for text in values.get("secret", [])
        for lat, lon in [text.split(",")]
    )
    return Case(
        path=path,
        what=" ".join(values.get("hostile", [])),
        valid=values.get("expect") == ["valid"],
        secrets=secrets,
        heavy=values.get("heavy") == ["yes"],
        setup=tuple(values.get("setup", [])),
    )


CASES = [
    _case(p) for p in sorted(HOSTILE.iterdir()) if p.is_file() and p.suffix in INVENTORY_SUFFIXES
]
IDS = [c.path.name for c in CASES]


def _prepare(case: Case, tmp_path: Path) -> Path:
    """A copy of the case (and the support files) in its own folder, with its setup made."""
    folder = tmp_path / "case"
    shutil.copytree(HOSTILE / "files", folder / "files")
    target = folder / case.path.name
    shutil.copyfile(case.path, target)
    for step in case.setup:
        verb, name = step.split()
        if verb == "huge":  # sparse: over the limit on paper, nothing on disk
            with (folder / name).open("wb") as f:
                f.truncate(MAX_SITE_FILE_BYTES + 8 * 2**20)
        elif verb == "symlink":  # a good polygon file, but outside the inventory's folder
            outside = tmp_path / "outside" / "polygons.geojson"
            outside.parent.mkdir()
            shutil.copyfile(SHIPPED_POLYGON, outside)
            (folder / name).symlink_to(outside)
        else:
            raise AssertionError(f"{case.path.name}: unknown setup {step!r}")
    return target


def _check_clean(err: str, case: Case) -> None:
    """One or more `FILE[:LINE]: message` lines, no traceback, no confidential coordinates."""
    lines = err.strip().splitlines()
    assert lines, f"{case.path.name}: nothing on stderr"
    assert "Traceback" not in err, err
    bad = [line for line in lines if not LINE.match(line)]
    assert not bad, bad
    if case.secrets:
        leaks = text_leaks(err, Secrets(list(case.secrets)))
        assert not leaks, leaks
        assert not _lone_values(err, case.secrets), err


_DECIMAL = re.compile(r"\d+[.,]\d+")


def _lone_values(text: str, secrets: tuple[tuple[float, float], ...]) -> list[str]:
    """Decimals in `text` that repeat a secret latitude or longitude even without the other."""
    return [
        m
        for m in _DECIMAL.findall(text)
        for point in secrets
        if any(abs(float(m.replace(",", ".")) - abs(v)) < 1e-3 for v in point)
    ]


def test_the_corpus_is_described():
    assert len(CASES) >= 40
    for case in CASES:
        assert case.what, f"{case.path.name}: say what it tries (a 'hostile:' line at the top)"
        assert not case.path.name.endswith(".json"), "support files belong in files/"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_validate_fails_cleanly(case, tmp_path, capsys):
    path = _prepare(case, tmp_path)
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    if case.valid:
        assert code == 0, err
        return
    assert code == 1, err
    _check_clean(err, case)
    assert all(line.startswith(str(path)) for line in err.strip().splitlines()), err


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_export_and_gaps_write_nothing(case, tmp_path, capsys):
    path = _prepare(case, tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "export.gpkg"
    code = main(["export", str(path), "--format", "gpkg", "--out", str(out)])
    err = capsys.readouterr().err
    if case.valid:
        assert code == 0 and out.exists(), err
    else:
        assert code == 1, err
        _check_clean(err, case)
        assert list(out_dir.iterdir()) == []
    code = main(["gaps", str(path)])
    captured = capsys.readouterr()
    if case.valid:
        assert code == 0, captured.err
    else:
        assert code == 1 and not captured.out, captured
        _check_clean(captured.err, case)


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.heavy], ids=[c.path.name for c in CASES if c.heavy]
)
def test_heavy_cases_fail_within_bounds(case, tmp_path):
    path = _prepare(case, tmp_path)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "pathways", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        preexec_fn=_cap_memory,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == (0 if case.valid else 1), done.stderr
    if not case.valid:
        _check_clean(done.stderr, case)


def test_a_bom_does_not_matter(tmp_path):
    bom = HOSTILE / "bom.yaml"
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    plain = tmp_path / "plain.yaml"
    plain.write_bytes(bom.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    with_bom, without = load_site(bom), load_site(plain)
    assert with_bom.site == without.site
    assert with_bom.services == without.services
    assert with_bom.referrals == without.referrals


def test_legitimate_aliases_load_as_written_out():
    inv = load_site(HOSTILE / "alias-legit.yaml")
    by_id = inv.by_id
    assert by_id["hospital-annex"].categories == by_id["hospital"].categories
    assert by_id["police"].hours == by_id["ngo"].hours == by_id["hospital"].hours
    assert not by_id["police"].hours.is_24_7
