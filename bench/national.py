"""National scale (issue #19): every gap kind on inventories across a real country.

    python bench/national.py                               # IT at 10,000 and 100,000 + anchors
    python bench/national.py --sizes 10000 --countries IT,ML,BG
    python bench/national.py --no-anchor                   # without the synthetic-country runs

Each run is a fresh (spawned) process: load and validate the YAML as `pathways gaps` does
(`load_site`), build the referral graph, then every gap kind (`find_gaps`), each kind timed by
wrapping its finder (not edited), and the peak RSS of the whole (VmHWM). National inventories are
`bench.generate --towns`: services around a country's real towns (GeoNames, `bench.towns`)
inside its real outline, over its whole extent (reported); the anchors are the same sizes of the
synthetic country (services spread evenly over Belgium, as `python -m bench` uses), measured in
the same run, side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import default_data, ensure_files


def _peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_one(path: str) -> dict[str, Any]:
    """Load + every gap kind, in this (fresh) process."""
    import numpy as np

    from bench.towns import extent_km
    from pathways.analysis import gaps as gaps_module
    from pathways.analysis.graph import build_referral_graph
    from pathways.io.load import load_site

    spent: dict[str, float] = {}
    for kind, finder in list(gaps_module.FINDERS.items()):

        def timed(*args: Any, _f: Any = finder, _k: str = kind) -> Any:
            start = time.perf_counter()
            try:
                return _f(*args)
            finally:
                spent[_k] = time.perf_counter() - start

        gaps_module.FINDERS[kind] = timed
    t0 = time.perf_counter()
    inv = load_site(path)
    t1 = time.perf_counter()
    G = build_referral_graph(inv)
    t2 = time.perf_counter()
    found = gaps_module.find_gaps(inv, G=G)
    t3 = time.perf_counter()
    points = np.array([(s.location.lat, s.location.lon) for s in inv.services])
    return {
        "site": inv.site.id,
        "country": inv.site.country,
        "services": len(inv.services),
        "referrals": len(inv.referrals),
        "extent_km": extent_km(points),
        "load": t1 - t0,
        "graph": t2 - t1,
        "gaps": t3 - t2,
        "total": t3 - t0,
        "kinds": spent,
        "found": len(found),
        "peak_mb": _peak_mb(),
    }


def measure(path: Path) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_one, (str(path),))


def report(rows: list[dict[str, Any]], before: tuple[float, ...], seconds: float) -> str:
    after = os.getloadavg()
    lines = [
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {before[0]:.2f} before, {after[0]:.2f} after; {seconds:.0f} s in all",
        "",
        "| inventory | services | extent | load | graph | all gap kinds | total | peak RSS "
        "| gaps |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['site']} ({r['country']}) | {r['services']:,} | {r['extent_km']:,.0f} km | "
            f"{r['load']:.2f} s | {r['graph']:.2f} s | {r['gaps']:.2f} s | {r['total']:.2f} s | "
            f"{r['peak_mb']:,.0f} MB | {r['found']:,} |"
        )
    kinds = list(rows[0]["kinds"]) if rows else []
    lines += [
        "",
        "Each gap kind (s):",
        "",
        "| kind | " + " | ".join(f"{r['site']}" for r in rows) + " |",
        "|---|" + "---:|" * len(rows),
    ]
    for k in kinds:
        lines.append(f"| {k} | " + " | ".join(f"{r['kinds'].get(k, 0):.2f}" for r in rows) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--countries", default="IT")
    p.add_argument("--no-anchor", action="store_true", help="skip the synthetic country")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    data = default_data()
    data.mkdir(parents=True, exist_ok=True)
    before, started = os.getloadavg(), time.perf_counter()
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        countries = [c.strip().upper() for c in args.countries.split(",") if c.strip()]
        for country in ([""] if not args.no_anchor else []) + countries:
            path, _ = ensure_files(size, args.seed, data, country)
            print(f"{path.name} ...", file=sys.stderr, flush=True)
            rows.append(measure(path))
    print(f"`python bench/national.py {' '.join(argv or sys.argv[1:])}` ({dt.date.today()})\n")
    print(report(rows, before, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
