"""The benchmark runs end to end at the smallest size (a smoke test: no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_smoke_run_prints_the_tables(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--sizes",
            "300",
            "--queries",
            "20",
            "--quick",
            "--compare",
            "--data",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for line in [
        "| stage | time | peak memory | detail |",
        "| load + validate YAML |",
        "| load + validate GeoJSON |",
        "| graph build |",
        "| gaps: time_critical |",
        "| gaps: single_point_of_failure |",
        "| route queries (20) | median ",
        "| coverage: 14 categories x 20,000 points |",
        "| map: build + save (offline HTML) |",
        "| export: geojson |",
        "| export: protocol (html) |",
        "Comparisons (same run, same data)",
        "bare yaml.load (",
        "geopandas sjoin_nearest",
        "identical nearest services",
        "Targets",
    ]:
        assert line in out, f"{line!r} missing from:\n{out}"
    assert "DIFFER" not in out
    assert (tmp_path / "synthetic-300-seed1.yaml").is_file()
    assert (tmp_path / "synthetic-300-seed1.geojson").is_file()


def test_generator_is_deterministic_by_seed():
    from bench.generate import generate

    a, b, c = generate(120, seed=7), generate(120, seed=7), generate(120, seed=8)
    assert a == b
    assert a != c
    assert len(a["services"]) == 120
    assert 300 <= len(a["referrals"]) <= 400  # about three per service
