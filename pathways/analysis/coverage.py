"""Population coverage: how long people take to reach the nearest service of each category.

For every population unit (admin area or populated place, `pathways.analysis.population`) and every
category, the travel time to the nearest service offering it, and the share of the population
within 30, 60 and 120 minutes. Nearest services are found with scipy's `cKDTree` in a local
metric projection, vectorised over the units (no loop over points); with a road network the
times come from one multi-source Dijkstra per category (`pathways.analysis.travel.RoadNetwork`).

Confidential services count at their public place (`pathways.public.privacy.public_place`: the
admin-area point or the public intake), never at their true location: the times of many places
to one shelter would otherwise locate it by trilateration. Services with no public place
(precision `hidden`, no intake) are left out, and the result says how many. Helplines count as
reachable by everyone at once. Outputs hold times and shares per unit and category, never a
service's coordinates.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from pathways.analysis.graph import is_remote
from pathways.analysis.population import KnownTotal, Population, PopulationUnit, load_population
from pathways.analysis.travel import (
    FloatArray,
    RoadNetwork,
    TravelModel,
    geodesic_from_planar,
    local_crs,
    project,
    travel_model,
)
from pathways.i18n import number, t
from pathways.model.areas import site_areas
from pathways.model.errors import InventoryError
from pathways.model.inventory import TAXONOMY, Inventory, Service, base_category
from pathways.model.public import PublicInventory, shown_place

THRESHOLDS_MIN: tuple[int, ...] = (30, 60, 120)
"""Minutes the population shares are counted at."""

PRUNE_FROM = 20_000
CANDIDATES = 4
CELLS_PER_SPACING = 8.0
"""`nearest` answers whole grid cells at once from `PRUNE_FROM` points on, with cells
1/`CELLS_PER_SPACING` of the targets' spacing wide and up to `CANDIDATES` targets per cell
(measured best on 1M points against 100-1,600 targets)."""

REMOTE_CATEGORIES = frozenset({"hotline"})
"""Categories used by phone: reachable by everyone at once wherever a provider exists."""

COMPLETE_SHARE = 0.8
"""A site whose counted population is below this share of its known total is incomplete: its
shares describe the people counted, not the site, and are never shown as the site's figure
(the JSON flags them, the text and pages give bounds or say what is missing instead)."""


# --- the nearest-service kernel -----------------------------------------------------------------


def nearest(
    px: FloatArray, py: FloatArray, tx: FloatArray, ty: FloatArray, *, workers: int = -1
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Distance (same units as the input) and index of the nearest target of every point.

    Exact, and vectorised (no loop over points). For many points the plane is cut into
    square cells about an eighth of the targets' spacing wide, and the `CANDIDATES` targets
    nearest to each occupied cell's centre are found in one query. By the triangle
    inequality, if the (j+1)-th of them is farther from the centre than the first plus the
    cell's diagonal, the first j contain the nearest target of every point in the cell: most
    points then compare one to a few candidates; the rest (rare) are queried one by one.
    Index -1 and distance inf when there is no target.
    """
    n, m = len(px), len(tx)
    if m == 0:
        return np.full(n, math.inf), np.full(n, -1, dtype=np.intp)
    tree = cKDTree(np.column_stack([tx, ty]))
    if m == 1 or n < PRUNE_FROM:
        d, i = tree.query(np.column_stack([px, py]), workers=workers)
        return np.asarray(d, dtype=float), np.asarray(i, dtype=np.intp)
    k = min(CANDIDATES, m)
    point_row, point_need, cand = _cell_candidates(px, py, tree, k, m, workers)
    index = np.empty(n, dtype=np.intp)
    dist = np.empty(n, dtype=float)
    for j in range(1, k + 1):
        sel = np.flatnonzero(point_need == j)
        if not len(sel):
            continue
        c = cand[point_row[sel], :j]
        dd = np.hypot(px[sel, None] - tx[c], py[sel, None] - ty[c])
        best = dd.argmin(axis=1)
        r = np.arange(len(sel))
        index[sel] = c[r, best]
        dist[sel] = dd[r, best]
    rest = np.flatnonzero(point_need > k)
    if len(rest):
        dr, ir = tree.query(np.column_stack([px[rest], py[rest]]), workers=workers)
        index[rest] = ir
        dist[rest] = dr
    return dist, index


def _cell_candidates(
    px: FloatArray, py: FloatArray, tree: cKDTree, k: int, m: int, workers: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int8], npt.NDArray[np.intp]]:
    """For each point: its cell's row in `cand`, how many of the cell's candidate targets
    must be compared (k + 1: query the point itself), and the candidates (see `nearest`)."""
    n = len(px)
    x0, y0 = float(px.min()), float(py.min())
    width, height = float(px.max()) - x0, float(py.max()) - y0
    area = max(width * height, 1.0)
    h = max(math.sqrt(area / m) / CELLS_PER_SPACING, math.sqrt(area / (n / 4)))
    ncx, ncy = int(width // h) + 1, int(height // h) + 1
    cell = _cell_index(py, y0, h, ncy)
    cell *= ncx
    cell += _cell_index(px, x0, h, ncx)
    occupied = np.flatnonzero(np.bincount(cell, minlength=ncx * ncy))
    centres = np.column_stack([x0 + (occupied % ncx + 0.5) * h, y0 + (occupied // ncx + 0.5) * h])
    d, cand = tree.query(centres, k=k, workers=workers)
    reach = d[:, 0] + 2 * h * math.sqrt(0.5) * (1 + 1e-9) + 1e-9
    need = np.full(len(occupied), k + 1, dtype=np.int8)
    for j in range(k - 1, 0, -1):
        need[d[:, j] > reach] = j
    row = np.zeros(ncx * ncy, dtype=np.intp)
    row[occupied] = np.arange(len(occupied))
    point_row = row[cell]
    return point_row, need[point_row], np.asarray(cand, dtype=np.intp).reshape(len(occupied), k)


def _cell_index(v: FloatArray, origin: float, h: float, count: int) -> npt.NDArray[np.intp]:
    """floor((v - origin) / h), clipped to count - 1, with few temporary arrays."""
    scaled = v - origin
    scaled *= 1.0 / h
    out = scaled.astype(np.intp)
    np.minimum(out, count - 1, out=out)
    return out


def nearest_hours(
    lats: Any,
    lons: Any,
    target_lats: Any,
    target_lons: Any,
    offers: Mapping[str, npt.NDArray[np.bool_]],
    *,
    model: TravelModel,
    roads: RoadNetwork | None = None,
) -> dict[str, FloatArray]:
    """Hours from every point to the nearest target offering each category (inf: none).

    `offers[category]` is a boolean mask over the targets. Points and targets are projected
    once into a local metric CRS; each category is one vectorised `nearest` query (categories
    run in parallel threads, one per core, for many points), its distances corrected to the
    ellipsoid (`geodesic_from_planar`), or one multi-source Dijkstra on `roads`.
    """
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    t_lats = np.asarray(target_lats, dtype=float)
    t_lons = np.asarray(target_lons, dtype=float)
    out: dict[str, FloatArray] = {}
    if roads is not None:
        net = roads if roads.model == model else roads.with_model(model)
        for cat, mask in offers.items():
            out[cat] = net.hours_to_nearest(lats, lons, t_lats[mask], t_lons[mask])
        return out
    crs = local_crs(np.concatenate([lats, t_lats]), np.concatenate([lons, t_lons]))
    px, py = project(lats, lons, crs)
    tx, ty = project(t_lats, t_lons, crs)
    threads = min(len(offers), os.cpu_count() or 1) if len(lats) >= PRUNE_FROM else 1

    def hours_to(mask: npt.NDArray[np.bool_]) -> FloatArray:
        cx = tx[mask]
        metres, index = nearest(px, py, cx, ty[mask], workers=1 if threads > 1 else -1)
        if len(cx):
            metres = geodesic_from_planar(metres, px, cx[index])
        return np.asarray(model.hours(metres / 1000.0), dtype=float)

    if threads > 1:  # numpy and cKDTree release the GIL: one category per core
        with ThreadPoolExecutor(threads) as pool:
            return dict(zip(offers, pool.map(hours_to, offers.values()), strict=True))
    return {cat: hours_to(mask) for cat, mask in offers.items()}


def shares_within(
    hours: FloatArray, weights: FloatArray, minutes: Sequence[int] = THRESHOLDS_MIN
) -> dict[int, float]:
    """Share of the total weight whose time is at most each number of minutes."""
    total = float(weights.sum())
    if total <= 0:
        return {t: 0.0 for t in minutes}
    return {t: float(weights[hours * 60 <= t + 1e-9].sum()) / total for t in minutes}


def weighted_median(values: FloatArray, weights: FloatArray) -> float:
    """The value below which half of the weight lies (inf when that half has no service)."""
    if not len(values) or weights.sum() <= 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])


# --- per site -----------------------------------------------------------------------------------


def _minutes(hours: float) -> float | None:
    return None if math.isinf(hours) or math.isnan(hours) else round(float(hours) * 60, 1)


@dataclass(frozen=True)
class CategoryCoverage:
    """Coverage of one category: how many services count, the shares and the median time."""

    category: str
    services: int
    within: dict[int, float]
    median_minutes: float | None
    remote: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "services": self.services,
            "remote": self.remote,
            "within_minutes": {str(k): round(v, 4) for k, v in self.within.items()},
            "median_minutes": self.median_minutes,
        }


@dataclass(frozen=True)
class UnitCoverage:
    """Minutes from one population unit (or admin area) to each category; None: no service."""

    name: str
    kind: str
    population: float | None
    minutes: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "population": None if self.population is None else round(self.population),
            "minutes": dict(self.minutes),
        }


@dataclass(frozen=True)
class SiteCoverage:
    """Population coverage of one site, with the population source it rests on."""

    site: str
    name: str
    population_source: str
    population_method: str
    population: float
    travel: TravelModel
    network: bool
    categories: tuple[CategoryCoverage, ...]
    units: tuple[UnitCoverage, ...]
    areas: tuple[UnitCoverage, ...] = ()
    notes: tuple[str, ...] = field(default=())
    points: tuple[PopulationUnit, ...] = field(default=(), repr=False)
    point_minutes: dict[str, tuple[float | None, ...]] = field(default_factory=dict, repr=False)
    """Every population point and its minutes per category (for maps; not in `to_dict`)."""
    known_total: KnownTotal | None = None
    missing_texts: dict[str, str] = field(default_factory=dict)
    source_texts: dict[str, str] = field(default_factory=dict)
    population_spread: float = 0.0

    @property
    def population_counted(self) -> float:
        """The people this coverage counted (the sum of its population units)."""
        return self.population

    @property
    def population_total(self) -> float | None:
        """The site's known population (census or official estimate), if the manifest gives it."""
        return self.known_total.people if self.known_total else None

    @property
    def counted_share(self) -> float | None:
        """People counted over the known total; None when no total is known."""
        total = self.population_total
        return self.population / total if total else None

    @property
    def complete(self) -> bool | None:
        """Whether the count covers the site (at least `COMPLETE_SHARE` of its known total);
        None when no total is known to check against."""
        share = self.counted_share
        return None if share is None else share >= COMPLETE_SHARE - 1e-9

    def source_in(self, lang: str = "en") -> str:
        """Who counted the people, in `lang` where the manifest gives it."""
        return self.source_texts.get(lang) or self.population_source

    def missing_in(self, lang: str = "en") -> str:
        """What the count leaves out, in `lang` (the manifest's words, else a general one)."""
        given = self.missing_texts.get(lang) or self.missing_texts.get("en")
        return given or t("cov_missing_generic", lang)

    def status_in(self, lang: str = "en") -> str:
        """One sentence on what was counted: 'counts 24,694 of 361,944 people (7 %): ...'."""
        counted = number(self.population, lang, 0)
        total, share = self.population_total, self.counted_share
        if total is None or share is None:
            return t("cov_status_no_total", lang, counted=counted)
        fmt = {
            "counted": counted,
            "total": number(total, lang, 0),
            "pct": percent_text(share, lang),
        }
        if not self.complete:
            return t("cov_status_incomplete", lang, **fmt, missing=self.missing_in(lang))
        status = t("cov_status_complete", lang, **fmt)
        if self.population_spread >= 0.005 * self.population:
            spread = number(self.population_spread, lang, 0)
            return t("cov_status_spread", lang, status=status, spread=spread)
        return status

    def total_source_in(self, lang: str = "en") -> str | None:
        """The known total's source and year, in `lang`; None without a known total."""
        if self.known_total is None:
            return None
        source = self.known_total.source_in(lang)
        year = self.known_total.year
        return source if year is None or str(year) in source else f"{source} ({year})"

    def share_bounds(self, category: str, minutes: int) -> tuple[float, float]:
        """(low, high) share of the site's known total within `minutes` of `category`.

        The people counted give the low end; the people not counted could live anywhere
        in the site, so the high end counts them all as within (unless no service offers
        the category, or it is used by phone). Complete counts give (share, share).
        """
        c = self.category(category)
        share = c.within[minutes]
        total = self.population_total
        if self.complete is not False or not total:
            return share, share
        low = share * self.population / total
        if c.remote or c.services == 0:
            return (1.0, 1.0) if c.remote else (low, low)
        return low, min(1.0, low + (total - self.population) / total)

    def category(self, category: str) -> CategoryCoverage:
        """The coverage of one category (KeyError if it was not computed)."""
        for c in self.categories:
            if c.category == category:
                return c
        raise KeyError(category)

    def _category_dict(self, c: CategoryCoverage) -> dict[str, Any]:
        d = c.to_dict()
        if self.complete is False:  # of the people counted only: bounds for the whole site
            bounds = {m: self.share_bounds(c.category, m) for m in c.within}
            d["within_minutes_of_total"] = {
                str(m): {"low": round(low, 4), "high": round(high, 4)}
                for m, (low, high) in bounds.items()
            }
        return d

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: times and shares only, never a service's location.

        `within_minutes` are shares of the people counted (`population_counted`); when the
        count is incomplete (`complete: false`), `missing` says what is left out and each
        category adds `within_minutes_of_total`, the bounds for the site's known total.
        """
        return {
            "site": self.site,
            "name": self.name,
            "population": round(self.population),
            "population_counted": round(self.population),
            "population_source": self.population_source,
            "population_method": self.population_method,
            "population_spread": round(self.population_spread),
            "population_total": None
            if self.population_total is None
            else round(self.population_total),
            "population_total_source": self.total_source_in("en"),
            "population_total_year": self.known_total.year if self.known_total else None,
            "counted_share": None if self.counted_share is None else round(self.counted_share, 4),
            "complete": self.complete,
            "complete_threshold": COMPLETE_SHARE,
            "missing": None if self.complete is not False else self.missing_in("en"),
            "status": self.status_in("en"),
            "shares_of": "site" if self.complete else "counted",
            "travel": {
                "mode": self.travel.mode,
                "speed_kmh": self.travel.speed_kmh,
                "circuity": self.travel.circuity,
                "network": self.network,
            },
            "thresholds_minutes": list(THRESHOLDS_MIN),
            "categories": [self._category_dict(c) for c in self.categories],
            "units": [u.to_dict() for u in self.units],
            "areas": [a.to_dict() for a in self.areas],
            "notes": list(self.notes),
        }


def percent_text(share: float, lang: str) -> str:
    """A share as a whole percentage the language's way ('7 %' in French); '<1 %' not '0 %'."""
    value = share * 100
    if 0 < value < 1:
        return t("cov_pct_below_one", lang)
    return t("cov_pct", lang, n=number(round(value), lang, 0))


def coverage_categories(inventory: Inventory, categories: Iterable[str] | None = None) -> list[str]:
    """The categories to report: those asked, else those offered plus the minimum package."""
    if categories is not None:
        return list(dict.fromkeys(categories))
    found = {base_category(c) for s in inventory.services for c in s.categories}
    found |= {c for item in inventory.minimum_package() for c in item}
    return [c for c in TAXONOMY if c in found]


def _counted_services(inventory: Inventory) -> tuple[list[tuple[Service, float, float]], int]:
    """(service, lat, lon) at the place coverage may use, and how many were left out."""
    if not isinstance(inventory, PublicInventory) and any(
        s.confidential for s in inventory.services
    ):
        raise TypeError("coverage reads the public view (pathways.public.privacy.public_view)")
    out, left_out = [], 0
    for s in inventory.services:
        place = shown_place(s)
        if place is None:
            left_out += 1
            continue
        out.append((s, place.lat, place.lon))
    return out, left_out


def _remote_categories(
    counted: Sequence[tuple[Service, float, float]], cats: Sequence[str]
) -> set[str]:
    """Categories everyone reaches at once: helplines, or only remote services offer them."""
    return {
        c
        for c in cats
        if any(s.has(c) for s, _, _ in counted)
        and (c in REMOTE_CATEGORIES or all(is_remote(s) for s, _, _ in counted if s.has(c)))
    }


def _hours_to_nearest(
    points: tuple[FloatArray, FloatArray],
    counted: Sequence[tuple[Service, float, float]],
    cats: Sequence[str],
    *,
    model: TravelModel,
    roads: RoadNetwork | None,
) -> dict[str, FloatArray]:
    """Hours from each point to the nearest counted service (not remote) of each category."""
    offers = {
        c: np.array([s.has(c) and not is_remote(s) for s, _, _ in counted], dtype=bool)
        for c in cats
    }
    s_lat = np.array([lat for _, lat, _ in counted], dtype=float)
    s_lon = np.array([lon for _, _, lon in counted], dtype=float)
    return nearest_hours(*points, s_lat, s_lon, offers, model=model, roads=roads)


LEFT_OUT_NOTE = (
    "{n} confidential service(s) with no public place are not counted; "
    "other confidential services count at their public (area-level) place"
)


def _per_category(
    counted: Sequence[tuple[Service, float, float]],
    cats: Sequence[str],
    unit_hours: Mapping[str, FloatArray],
    pop: FloatArray,
    remote: set[str],
) -> tuple[CategoryCoverage, ...]:
    """Each category's services counted, shares within the thresholds and median minutes."""
    return tuple(
        CategoryCoverage(
            c,
            sum(1 for s, _, _ in counted if s.has(c)),
            shares_within(unit_hours[c], pop),
            _minutes(weighted_median(unit_hours[c], pop)),
            c in remote,
        )
        for c in cats
    )


def site_coverage(
    inventory: Inventory,
    *,
    population: Population | None = None,
    categories: Iterable[str] | None = None,
    roads: RoadNetwork | None = None,
) -> SiteCoverage:
    """Coverage of a site's population for each category (see the module docstring).

    Raises InventoryError when the site has no population data (no `population.yaml`).
    """
    population = population or load_population(inventory)
    if population is None or not population.units:
        raise InventoryError(
            f"{inventory.site.id}: no population data (add a population.yaml beside the "
            "site's boundary file; see pathways/analysis/population.py)"
        )
    model = travel_model(inventory)
    cats = coverage_categories(inventory, categories)
    counted, left_out = _counted_services(inventory)
    lat, lon, pop = population.arrays()
    areas = site_areas(inventory)
    points = (
        np.concatenate([lat, np.array([a.lat for a in areas], dtype=float)]),
        np.concatenate([lon, np.array([a.lon for a in areas], dtype=float)]),
    )
    hours = _hours_to_nearest(points, counted, cats, model=model, roads=roads)
    remote = _remote_categories(counted, cats)
    for c in remote:
        hours[c] = np.zeros_like(hours[c])
    unit_hours = {c: h[: len(lat)] for c, h in hours.items()}
    area_hours = {c: h[len(lat) :] for c, h in hours.items()}
    per_category = _per_category(counted, cats, unit_hours, pop, remote)
    notes = (LEFT_OUT_NOTE.format(n=left_out),) if left_out else ()
    return SiteCoverage(
        inventory.site.id,
        inventory.site.name,
        population.source,
        population.method,
        population.total,
        model,
        roads is not None,
        per_category,
        _units(population.units, unit_hours, cats),
        tuple(
            UnitCoverage(a.name, "admin_area", None, {c: _minutes(area_hours[c][i]) for c in cats})
            for i, a in enumerate(areas)
        ),
        notes,
        population.units,
        {c: tuple(_minutes(h) for h in unit_hours[c]) for c in cats},
        population.known_total,
        dict(population.missing),
        dict(population.source_texts),
        population.spread,
    )


GROUPED_KINDS = {
    "dispersed": "rest of the area, spread evenly ({n} points)",
    "cell": "raster cells ({n} points)",
}
"""Unit kinds listed as one population-weighted row each (many points, no names)."""


def _units(
    units: Sequence[PopulationUnit], hours: Mapping[str, FloatArray], cats: Sequence[str]
) -> tuple[UnitCoverage, ...]:
    """One row per area, place or point; raster cells and the evenly spread remainder as one
    population-weighted row each."""
    out = [
        UnitCoverage(u.name, u.kind, u.population, {c: _minutes(hours[c][i]) for c in cats})
        for i, u in enumerate(units)
        if u.kind not in GROUPED_KINDS
    ]
    weights_all = np.array([u.population for u in units], dtype=float)
    for kind, label in GROUPED_KINDS.items():
        chosen = np.array([u.kind == kind for u in units], dtype=bool)
        if not chosen.any():
            continue
        weights = weights_all[chosen]
        minutes: dict[str, float | None] = {}
        for c in cats:
            h = hours[c][chosen]
            minutes[c] = (
                None if np.isinf(h).any() else _minutes(float((h * weights).sum() / weights.sum()))
            )
        out.append(
            UnitCoverage(label.format(n=int(chosen.sum())), kind, float(weights.sum()), minutes)
        )
    return tuple(out)
