"""Edits on the YAML store (issue #17): one edit of a 10,000-service inventory, end to end.

    python -m bench.edit_bench                       # 10,000 services, 20 edits of each kind
    python -m bench.edit_bench --services 1000 --edits 10 --append

An edit "end to end" is `YamlStore.edit` (or verify, suspend, ...) on a store already open, as
the app holds it: take the lock, read the file and check it is the one last seen, check the
version, change the service's lines with ruamel.yaml, validate (the changed service, what
refers to it and every rule across records), write the file atomically with fsync, append the
history line with fsync, release. Each kind is timed N times on services spread over the file;
the median and the slowest are printed. For scale: opening the store (a full load and
validation), the full validation an edit no longer needs, a refused edit, and the whole
`pathways edit` command in a new process (Python start, imports and a full load included).

The synthetic inventory is `bench.generate`'s (the one `python -m bench` uses, same seed), copied
to a temporary folder so the edits never touch the cached file. `--append` adds the figures to
bench/RESULTS.md under "Edits on the YAML store (issue #17)".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.run import append_results, default_data, ensure_files
from pathways.io.load import validate_text
from pathways.io.store import YamlStore
from pathways.model import clock
from pathways.model.errors import ValidationError

SECTION = "## Edits on the YAML store (issue #17)"
TARGET_MS = 300.0


def _timed(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _kinds(store: YamlStore, ids: list[str]) -> dict[str, Callable[[int], Any]]:
    """The changes timed, each a function of the edit's number."""
    until = clock.today() + dt.timedelta(days=30)

    def edit_phone(k: int) -> Any:
        sid = ids[k]
        return store.edit(
            sid, {"contact.phone": f"+32 2 999 {k:04d}"}, user="bench", base=store.version(sid)
        )

    def edit_three(k: int) -> Any:
        sid = ids[k]
        changes = {"hours": "Mo-Fr 08:00-18:00", "languages": "fr,ar", "notes": f"bench {k}"}
        return store.edit(sid, changes, user="bench", base=store.version(sid))

    return {
        "edit: one field (contact.phone)": edit_phone,
        "edit: three fields (hours, languages, notes)": edit_three,
        "verify": lambda k: store.verify(ids[k], user="bench"),
        "suspend": lambda k: store.suspend(ids[k], user="bench", until=until, reason="bench"),
        "resume": lambda k: store.resume(ids[k], user="bench"),
    }


def measure(path: Path, edits: int) -> list[tuple[str, list[float]]]:
    """The timings (seconds) of each stage on the inventory at `path` (changed in place)."""
    rows: list[tuple[str, list[float]]] = []
    store = YamlStore(path)
    rows.append(("open the store (full load and validation)", [_timed(store.inventory)]))
    text = path.read_text(encoding="utf-8")
    rows.append(
        (
            "full validation of the text (what an edit no longer does)",
            [_timed(lambda: validate_text(text, path))],
        )
    )
    services = store.inventory().services
    step = max(1, len(services) // edits)
    ids = [s.id for s in services[::step]][:edits]
    rows.append(
        (
            "version of a service (the base check)",
            [_timed(lambda sid=sid: store.version(sid)) for sid in ids],
        )
    )
    for name, change in _kinds(store, ids).items():
        rows.append((name, [_timed(lambda k=k, f=change: f(k)) for k in range(len(ids))]))
    rows.append(
        (
            "refused edit (invalid value, file untouched)",
            [_timed(lambda sid=sid: _refused(store, sid)) for sid in ids[:5]],
        )
    )
    rows.append(
        ("pathways edit, a new process (start, imports, full load)", _command(path, ids[0], 3))
    )
    return rows


def _refused(store: YamlStore, sid: str) -> None:
    before = store.path.read_bytes()
    try:
        store.edit(sid, {"age_min": "abc"}, user="bench", base=store.version(sid))
    except ValidationError:
        assert store.path.read_bytes() == before
        return
    raise AssertionError("an invalid value was applied")


def _command(path: Path, sid: str, runs: int) -> list[float]:
    times = []
    for k in range(runs):
        version = YamlStore(path).version(sid)
        cmd = [
            sys.executable,
            "-m",
            "pathways",
            "edit",
            str(path),
            sid,
            "--set",
            f"notes=cli {k}",
            "--as",
            "bench",
            "--base",
            version,
        ]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def table(rows: list[tuple[str, list[float]]]) -> str:
    lines = ["| stage | median | slowest | runs |", "|---|---:|---:|---:|"]
    for name, times in rows:
        lines.append(
            f"| {name} | {_ms(statistics.median(times))} | {_ms(max(times))} | {len(times)} |"
        )
    return "\n".join(lines)


def verdict(rows: list[tuple[str, list[float]]]) -> str:
    edits = [t for name, times in rows if name.startswith("edit:") for t in times]
    median = statistics.median(edits) * 1000
    ok = "met" if median < TARGET_MS else "NOT met"
    return (
        f"one edit, median of {len(edits)}: {median:,.0f} ms; target under {TARGET_MS:.0f} ms: {ok}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.edit_bench", description=__doc__.splitlines()[0]
    )
    p.add_argument("--services", type=int, default=10_000, help="size of the synthetic inventory")
    p.add_argument("--edits", type=int, default=20, help="edits of each kind (N)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", type=Path, help="where generated files are kept (default: bench's)")
    p.add_argument("--append", action="store_true", help="append the figures to bench/RESULTS.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = args.data or default_data()
    data.mkdir(parents=True, exist_ok=True)
    source, _ = ensure_files(args.services, args.seed, data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / source.name
        shutil.copy(source, path)
        shutil.copy(source.with_name("synthetic-country.geojson"), folder)
        load = os.getloadavg()
        rows = measure(path, args.edits)
        size = path.stat().st_size / 2**20
    head = (
        f"{args.services:,} services ({size:.1f} MB of YAML), seed {args.seed}, "
        f"{os.cpu_count()} cores, load average {load[0]:.2f} before"
    )
    text = "\n".join([head, "", table(rows), "", verdict(rows)])
    print(text)
    if args.append:
        command = "python -m bench.edit_bench" + (" " + " ".join(argv) if argv else "")
        append_results(SECTION, command.replace(" --append", ""), text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
