"""Coverage at scale: 1,000,000 population points against 10,000 services, every category.

Runs `pathways.analysis.coverage.nearest_hours` (projection + one exact nearest search per category,
distances corrected to the ellipsoid) and then geopandas' `sjoin_nearest` on the same points
and services in the same CRS, checks that both give the same travel times, and prints both.
Run on demand (not a test):

    python -m bench.coverage_bench [--points 1000000] [--services 10000] [--no-sjoin]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.generate import CATEGORY_WEIGHTS, country_points, generate
from pathways.analysis.coverage import nearest_hours, shares_within
from pathways.analysis.travel import TravelModel, geodesic_from_planar, local_crs, project


def population_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` points over Belgium: 70 % around 60 towns, 30 % spread evenly; people per point."""
    towns = country_points(60, rng)
    spread = country_points(n - int(0.7 * n), rng)
    k = rng.integers(0, len(towns), int(0.7 * n))
    near = towns[k] + rng.normal(0, 0.03, (len(k), 2))
    pts = np.vstack([near, spread])
    weights = rng.lognormal(3.0, 1.0, len(pts))
    return pts, weights


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--services", type=int, default=10_000)
    p.add_argument("--no-sjoin", action="store_true", help="skip the geopandas comparison")
    args = p.parse_args(argv)
    rng = np.random.default_rng(11)
    t = time.perf_counter()
    inv = generate(args.services, seed=3)
    pts, weights = population_points(args.points, rng)
    s_lat = np.array([s["location"]["lat"] for s in inv["services"]])
    s_lon = np.array([s["location"]["lon"] for s in inv["services"]])
    cats = list(CATEGORY_WEIGHTS)
    offers = {
        c: np.array([c in s["categories"] for s in inv["services"]], dtype=bool) for c in cats
    }
    model = TravelModel("car", 40.0, 1.3)
    print(
        f"data: {len(pts):,} population points, {len(s_lat):,} services, {len(cats)} categories "
        f"({time.perf_counter() - t:.1f} s to make)"
    )

    t = time.perf_counter()
    nearest_hours(pts[:1000, 0], pts[:1000, 1], s_lat, s_lon, offers, model=model)
    print(
        f"warm-up on 1,000 points (imports scipy, opens the PROJ database): "
        f"{time.perf_counter() - t:.2f} s"
    )
    t = time.perf_counter()
    hours = nearest_hours(pts[:, 0], pts[:, 1], s_lat, s_lon, offers, model=model)
    shares = {c: shares_within(h, weights) for c, h in hours.items()}
    ours = time.perf_counter() - t
    print(f"pathways.analysis.coverage (cKDTree, cells): {ours:.2f} s for every category")
    for c in cats:
        s = shares[c]
        print(
            f"  {c:<18} {offers[c].sum():>5} services  "
            + "  ".join(f"<={k} min {v:6.1%}" for k, v in s.items())
        )
    if args.no_sjoin:
        return 0

    import geopandas as gpd

    t = time.perf_counter()
    crs = local_crs(np.concatenate([pts[:, 0], s_lat]), np.concatenate([pts[:, 1], s_lon]))
    px, py = project(pts[:, 0], pts[:, 1], crs)
    tx, ty = project(s_lat, s_lon, crs)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(px, py), crs=crs)
    worst = 0.0
    for c in cats:
        services = gpd.GeoDataFrame(
            {"x": tx[offers[c]]},
            geometry=gpd.points_from_xy(tx[offers[c]], ty[offers[c]]),
            crs=crs,
        )
        joined = gpd.sjoin_nearest(points, services, distance_col="d")
        joined = joined[~joined.index.duplicated()]  # ties come back as duplicate rows
        metres = geodesic_from_planar(joined["d"].to_numpy(), px, joined["x"].to_numpy())
        theirs = model.hours(metres / 1000.0)
        worst = max(worst, float(np.max(np.abs(theirs - hours[c]))))
    sjoin = time.perf_counter() - t
    print(f"geopandas sjoin_nearest:           {sjoin:.2f} s for every category")
    print(f"same answers: largest difference {worst * 3600:.2e} s of travel time")
    print(f"speed-up: {sjoin / ours:.1f}x")
    return 0 if worst * 3600 < 1e-3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
