"""Benchmark of the referral analysis: gaps per real site, gaps per kind and route queries on a
synthetic site. Prints figures; asserts nothing (run on demand, never in the test suite).

    python -m bench.analysis                 # real sites + a 10,000-service synthetic site
    python -m bench.analysis --services 1000 # a smaller synthetic site (what CI runs)
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.generate import generate, write
from pathways.analysis.gaps import FINDERS, Options, find_gaps
from pathways.analysis.graph import build_referral_graph, entry_points
from pathways.analysis.routes import Profile, route
from pathways.io.load import load_site, load_sites

SITES = Path(__file__).resolve().parents[1] / "data" / "sites"
NEEDS = ["health.cmr", "mhpss", "case_management", "legal", "safety.shelter"]


def random_query(rng: random.Random, entries: list[str]) -> tuple[Profile, str]:
    """A survivor profile at a random entry point and hour of the week, and what she needs."""
    profile = Profile(
        entry=rng.choice(entries),
        weekday=rng.randrange(7),
        hour=float(rng.randrange(24)),
        language=rng.choice([None, "fr", "ar"]),
        gender=rng.choice(["female", "male"]),
        age=rng.choice([15, 30]),
    )
    return profile, rng.choice(NEEDS)


def _clock() -> float:
    return time.perf_counter()


def real_sites() -> list[tuple[str, float, int]]:
    """(site, seconds for all gaps, number of gaps) for each shipped site (best of 3)."""
    out = []
    for inv in load_sites([SITES]):
        times = []
        for _ in range(3):
            t = _clock()
            gaps = find_gaps(inv)
            times.append(_clock() - t)
        out.append((inv.site.id, min(times), len(gaps)))
    return out


def synthetic(n: int, *, seed: int = 1, queries: int = 1000) -> dict[str, object]:
    """Load, graph, each gap kind, all gaps and route queries on a synthetic site of n services."""
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = write(generate(n, seed=seed), Path(tmp) / f"synthetic-{n}.yaml")
        t = _clock()
        inv = load_site(path)
        figures["load + validate"] = _clock() - t
    t = _clock()
    G = build_referral_graph(inv)
    figures["graph build"] = _clock() - t
    opts = Options(as_of=dt.date.today())
    total = 0.0
    for kind, finder in FINDERS.items():
        t = _clock()
        found = finder(G, inv, opts)
        took = _clock() - t
        total += took
        figures[f"gaps: {kind} ({len(found)})"] = took
    figures["gaps: all kinds"] = total
    rng = random.Random(seed)
    entries = entry_points(G)
    times = []
    for _ in range(queries):
        profile, need = random_query(rng, entries)
        t = _clock()
        route(G, profile, need=need)
        times.append(_clock() - t)
    times.sort()
    figures[f"route query median ({queries})"] = statistics.median(times)
    figures[f"route query p95 ({queries})"] = times[int(0.95 * (len(times) - 1))]
    return figures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--services", type=int, default=10_000)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--skip-real", action="store_true")
    args = p.parse_args(argv)
    if not args.skip_real:
        print("All gaps per shipped site (best of 3; target < 0.3 s)")
        for site, seconds, n in real_sites():
            print(f"  {site:<10} {seconds:7.3f} s  {n:3d} gaps")
    print(f"\nSynthetic site: {args.services} services, ~{3 * args.services} referrals")
    for name, value in synthetic(args.services, queries=args.queries).items():
        unit = f"{value * 1000:9.2f} ms" if "route" in name else f"{value:9.3f} s "
        print(f"  {name:<42} {unit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
