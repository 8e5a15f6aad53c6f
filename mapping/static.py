"""A static PNG of a site map for reports: matplotlib only, no tiles, nothing downloaded.

The same content as the interactive map, flattened: the site boundary as land, admin areas,
(optionally) coverage of one category, referral routes as arrows, a survivor route with
numbered hand-offs, services by category (entry points ringed, confidential services hollow
and dashed at their public place), gap rings, a legend, a scale bar and a north arrow. Drawn in
a local metric projection (true shapes and a true scale bar). Places come from
`pathways.public.privacy` only.
"""

from __future__ import annotations

import itertools
import json
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import shapely.geometry
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from mapping import style
from mapping.layers.route import route_stops
from pathways.analysis.gaps import SEVERITY_ORDER, Gap
from pathways.analysis.travel import local_crs, project
from pathways.i18n import t
from pathways.io.basemap import KINDS, credits, load_basemap
from pathways.model.areas import site_areas
from pathways.model.inventory import Inventory, base_category, category_label
from pathways.public.privacy import PublicPlace, public_places

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from pyproj import CRS

    from pathways.analysis.coverage import SiteCoverage
    from pathways.analysis.routes import Route


def _polygons(path: Path) -> list[shapely.Geometry]:
    data = json.loads(path.read_text(encoding="utf-8"))
    features = data.get("features", [data])
    return [
        shapely.geometry.shape(f["geometry"])
        for f in features
        if f.get("geometry") and f["geometry"].get("type") in ("Polygon", "MultiPolygon")
    ]


def _to_xy(geom: shapely.Geometry, crs: CRS) -> shapely.Geometry:
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = project(coords[:, 1], coords[:, 0], crs)
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def _fill(ax: Axes, geom: shapely.Geometry, **kwargs: Any) -> None:
    polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    for poly in polys:
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]
        verts = np.concatenate(rings)
        codes = np.concatenate(
            [
                [MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2) + [MplPath.CLOSEPOLY]
                for r in rings
            ]
        )
        ax.add_patch(PathPatch(MplPath(verts, codes), **kwargs))


def site_figure(
    inventories: Inventory | Sequence[Inventory],
    *,
    gaps: Sequence[Gap] | None = None,
    route: Route | None = None,
    coverage: SiteCoverage | Sequence[SiteCoverage] | None = None,
    coverage_category: str = "health.cmr",
    lang: str = "en",
    title: str | None = None,
    size: tuple[float, float] = (11.0, 8.0),
) -> Figure:
    """The static map as a matplotlib `Figure` (Agg; nothing is shown or downloaded)."""
    invs = [inventories] if isinstance(inventories, Inventory) else list(inventories)
    covs = (
        []
        if coverage is None
        else ([coverage] if not isinstance(coverage, Sequence) else list(coverage))
    )
    places = {inv.site.id: public_places(inv) for inv in invs}
    outlines = [_polygons(inv.resolve_path(inv.site.boundary)) for inv in invs if inv.site.boundary]
    lats, lons = _extent(places, outlines)
    fig, ax = _blank_figure(invs, title=title, size=size)
    if not lats:
        return fig
    crs = local_crs(lats, lons)
    shown = _draw_sites(
        ax,
        invs,
        places,
        outlines,
        crs,
        covs=covs,
        category=coverage_category,
        gaps=gaps,
        route=route,
    )
    _pad_view(ax)
    credited: list[str] = []
    for inv in invs:  # after the extent is fixed: the base map reaches past the sites
        credited += _draw_basemap(ax, inv, crs)
    _scale_bar(ax)
    _north(ax)
    _draw_legend(
        fig,
        list(dict.fromkeys(shown)),
        lang,
        gaps=bool(gaps),
        route=route is not None,
        coverage_category=coverage_category if covs else None,
    )
    _footnote(fig, covs, credited, lang)
    return fig


def _extent(
    places: dict[str, Mapping[str, PublicPlace | None]], outlines: list[list[shapely.Geometry]]
) -> tuple[list[float], list[float]]:
    """Latitudes and longitudes of every public place and every corner of the site outlines."""
    lats = [p.lat for ps in places.values() for p in ps.values() if p]
    lons = [p.lon for ps in places.values() for p in ps.values() if p]
    for polys in outlines:
        for poly in polys:
            west, south, east, north = poly.bounds
            lats += [south, north]
            lons += [west, east]
    return lats, lons


def _blank_figure(
    invs: Sequence[Inventory], *, title: str | None, size: tuple[float, float]
) -> tuple[Figure, Axes]:
    """The figure with its map axes (no ticks, offline background) and its title."""
    fig = Figure(figsize=size, dpi=100)
    ax = fig.add_axes((0.01, 0.06, 0.64, 0.87))
    ax.set_facecolor(style.OFFLINE_BACKGROUND)
    ax.set_xticks([])
    ax.set_yticks([])
    names = ", ".join(inv.site.name for inv in invs)
    illustrative = any(inv.site.data_status == "illustrative" for inv in invs)
    fig.suptitle(
        title or (names + (" — illustrative data" if illustrative else "")),
        x=0.01,
        ha="left",
        fontsize=14,
        fontweight="bold",
        parse_math=False,  # site names are text: "$...$" is not mathtext (and may not parse)
    )
    return fig, ax


def _draw_sites(
    ax: Axes,
    invs: Sequence[Inventory],
    places: dict[str, Mapping[str, PublicPlace | None]],
    outlines: list[list[shapely.Geometry]],
    crs: CRS,
    *,
    covs: Sequence[SiteCoverage],
    category: str,
    gaps: Sequence[Gap] | None,
    route: Route | None,
) -> list[str]:
    """Everything but the base map, bottom to top: land, areas (filled by coverage), outlines,
    population dots, referrals, services, gaps and the route; returns the categories drawn."""
    for polys in outlines:
        for poly in polys:
            _fill(ax, _to_xy(poly, crs), facecolor="#fbfaf6", edgecolor="#5f6b73", lw=1.2)
    for inv in invs:
        _draw_areas(ax, inv, crs, covs, category)
    for polys in outlines:  # the site's outline again, above the areas' fills
        for poly in polys:
            _fill(ax, _to_xy(poly, crs), facecolor="none", edgecolor="#37424a", lw=1.8)
    for cov in covs:
        _draw_coverage_points(ax, cov, category, crs)
    for inv in invs:
        _draw_referrals(ax, inv, places[inv.site.id], crs)
    shown: list[str] = []
    for inv in invs:
        shown += _draw_services(ax, inv, places[inv.site.id], crs)
    if gaps:
        for inv in invs:
            _draw_gaps(ax, inv, places[inv.site.id], gaps, crs)
    if route is not None:
        for inv in invs:
            if inv.site.id == route.site:
                _draw_route(ax, inv, places[inv.site.id], route, crs)
    return shown


def _pad_view(ax: Axes) -> None:
    """True shapes, and a margin around what is drawn (at least 80 m)."""
    ax.set_aspect("equal")
    ax.autoscale_view()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    pad = 0.04 * max(x1 - x0, y1 - y0, 2000.0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)


def _draw_legend(
    fig: Figure,
    categories: list[str],
    lang: str,
    *,
    gaps: bool,
    route: bool,
    coverage_category: str | None,
) -> None:
    """The legend beside the map (with the coverage classes when coverage is drawn)."""
    handles = _legend_handles(categories, lang, gaps=gaps, route=route)
    if coverage_category is not None:
        handles += _coverage_handles(coverage_category, lang)
    for h in handles:
        h.set_label(textwrap.fill(h.get_label(), 46))
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.66, 0.93),
        fontsize=8,
        frameon=False,
        title=style.text("legend", lang),
        title_fontsize=10,
        alignment="left",
    )


def _footnote(fig: Figure, covs: Sequence[SiteCoverage], credited: list[str], lang: str) -> None:
    """The note on confidential places, the population sources and the base map's credits."""
    note = t("map_static_note", lang)
    sources = "; ".join(
        f"{c.site}: {c.population_source}"
        + (f" ({c.status_in(lang)})" if c.complete is False else "")
        for c in covs
    )
    foot = note + (f"\n{style.text('population_source', lang)}: {sources}" if sources else "")
    if credited:
        names = " | ".join(text for text, _ in credits(dict.fromkeys(credited)))
        foot += f"\n{style.text('basemap_credit', lang)}: {names}"
    fig.text(
        0.01, 0.01, foot, fontsize=7, color="#444444", va="bottom", wrap=True, parse_math=False
    )


def _draw_basemap(ax: Axes, inv: Inventory, crs: CRS) -> list[str]:
    """The site's offline base map under the services (water, lines, place names inside the
    view, biggest first, none overlapping another); returns the sources drawn."""
    basemap = load_basemap(inv)
    if basemap is None:
        return []
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    view = shapely.box(x0, y0, x1, y1)
    for kind in KINDS:
        look = style.BASEMAP_STYLES.get(kind, {})
        for f in basemap.of_kind(kind) if kind != "place" else []:
            geom = _to_xy(shapely.geometry.shape(f["geometry"]), crs)
            if not geom.intersects(view):
                continue
            if kind in ("ocean", "lake"):
                _fill(ax, geom, facecolor=style.WATER_COLOR, edgecolor="none", zorder=1.5)
                continue
            width = (
                style.ROAD_WEIGHTS.get(f["properties"].get("rank", 2), 1)
                if kind == "road"
                else look.get("weight", 1)
            )
            dashed = "--" if look.get("dashArray") else "-"
            for line in getattr(geom, "geoms", [geom]):
                xs, ys = np.asarray(line.coords).T
                ax.plot(xs, ys, color=look["color"], lw=width * 0.6, ls=dashed, zorder=1.6)
    taken: list[tuple[float, float, float, float]] = []
    span = max(x1 - x0, y1 - y0)
    for place in basemap.places():
        x, y = project(np.array([place.lat]), np.array([place.lon]), crs)
        px, py = float(x[0]), float(y[0])
        w, h = span * 0.0085 * len(place.name), span * 0.025
        box = (px, py - h / 2, px + w, py + h / 2)
        if not (x0 <= px <= x1 - w and y0 <= py <= y1) or any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken
        ):
            continue
        taken.append(box)
        ax.plot([px], [py], "o", ms=3 if place.rank < 2 else 2, color="#555555", zorder=1.7)
        ax.annotate(
            place.name,
            (px, py),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=(9, 8, 7)[min(place.rank, 2)],
            fontweight="bold" if place.rank == 0 else "normal",
            color="#333333",
            va="center",
            zorder=1.7,
            annotation_clip=True,
            parse_math=False,
        )
    return basemap.sources


def _draw_areas(
    ax: Axes, inv: Inventory, crs: CRS, covs: Sequence[SiteCoverage], category: str
) -> None:
    areas = site_areas(inv)
    cov = next((c for c in covs if c.site == inv.site.id), None)
    rows = cov.areas if cov is not None and len(cov.areas) == len(areas) else None
    for i, area in enumerate(areas):
        geom = _to_xy(area.geometry, crs)
        if rows is not None:
            color = style.coverage_color(rows[i].minutes.get(category))
            _fill(ax, geom, facecolor=color, alpha=0.45, edgecolor="none")
        _fill(ax, geom, facecolor="none", edgecolor="#8a969e", lw=0.6, ls=(0, (4, 3)))


def _draw_coverage_points(ax: Axes, cov: SiteCoverage, category: str, crs: CRS) -> None:
    units = [u for u in cov.points if u.kind != "area"]
    if not units:
        return
    minutes = dict(zip(cov.points, cov.point_minutes.get(category, ()), strict=False))
    x, y = project([u.lat for u in units], [u.lon for u in units], crs)
    colors = [style.coverage_color(minutes.get(u)) for u in units]
    biggest = max(u.population for u in units) or 1.0
    sizes = [
        6.0 if u.kind == "dispersed" else 20 + 250 * (u.population / biggest) ** 0.5 for u in units
    ]
    ax.scatter(x, y, s=sizes, c=colors, edgecolors="#333333", linewidths=0.4, alpha=0.85, zorder=2)


def _draw_referrals(ax: Axes, inv: Inventory, places: Mapping[str, Any], crs: CRS) -> None:
    for r in inv.referrals:
        a, b = places.get(r.source_id), places.get(r.target_id)
        if a is None or b is None or (a.lat, a.lon) == (b.lat, b.lon):
            continue
        (xa, xb), (ya, yb) = project([a.lat, b.lat], [a.lon, b.lon], crs)
        ax.annotate(
            "",
            xy=(xb, yb),
            xytext=(xa, ya),
            arrowprops={
                "arrowstyle": "-|>",
                "color": style.REFERRAL_COLOR,
                "lw": 0.9,
                "alpha": 0.7,
                "ls": "--" if r.mode in style.REFERRAL_DASHED_MODES else "-",
                "shrinkA": 7,
                "shrinkB": 7,
                "mutation_scale": 9,
            },
            zorder=3,
        )


def _draw_services(ax: Axes, inv: Inventory, places: Mapping[str, Any], crs: CRS) -> list[str]:
    shown = []
    for s in inv.services:
        place = places.get(s.id)
        if place is None:
            continue
        cat = base_category(s.categories[0])
        shown.append(cat)
        st = style.category_style(cat)
        (x,), (y,) = project([place.lat], [place.lon], crs)
        if s.entry_point:
            ax.scatter(
                [x], [y], s=230, facecolors="white", edgecolors=style.ENTRY_RING, lw=2, zorder=4
            )
        if place.withheld:
            ax.scatter(
                [x], [y], s=140, facecolors="white", edgecolors=st.color, lw=2, ls="--", zorder=5
            )
        else:
            ax.scatter([x], [y], s=140, c=st.color, edgecolors="white", lw=0.8, zorder=5)
        ax.text(
            x,
            y,
            st.code,
            ha="center",
            va="center",
            fontsize=4.5,
            fontweight="bold",
            color="#111111" if place.withheld else st.text_color,
            zorder=6,
        )
    return shown


def _draw_gaps(
    ax: Axes, inv: Inventory, places: Mapping[str, Any], gaps: Sequence[Gap], crs: CRS
) -> None:
    worst: dict[str, str] = {}
    for g in gaps:
        if g.site != inv.site.id:
            continue
        for sid in g.services:
            if places.get(sid) is not None:
                old = worst.get(sid)
                if old is None or SEVERITY_ORDER.get(g.severity, 9) < SEVERITY_ORDER.get(old, 9):
                    worst[sid] = g.severity
    for sid, severity in worst.items():
        p = places[sid]
        (x,), (y,) = project([p.lat], [p.lon], crs)
        ring = style.GAP_RING[severity]
        ax.scatter(
            [x],
            [y],
            s=420,
            facecolors="none",
            edgecolors=style.GAP_COLOR,
            lw=ring["weight"] * 0.6,
            ls="--" if ring.get("dash_array") else "-",
            zorder=7,
        )


def _draw_route(
    ax: Axes, inv: Inventory, places: Mapping[str, Any], route: Route, crs: CRS
) -> None:
    points = []
    for numbers, steps in route_stops(route, inv):
        place = places.get(steps[0].service)
        if place is None:
            continue
        (x,), (y,) = project([place.lat], [place.lon], crs)
        points.append((x, y, ",".join(str(k) for k in numbers)))
    for (xa, ya, _), (xb, yb, _) in itertools.pairwise(points):
        if (xa, ya) != (xb, yb):
            ax.annotate(
                "",
                xy=(xb, yb),
                xytext=(xa, ya),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": style.ROUTE_COLOR,
                    "lw": 3,
                    "shrinkA": 9,
                    "shrinkB": 9,
                    "mutation_scale": 16,
                },
                zorder=8,
            )
    for x, y, label in points:
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=8,
            fontweight="bold",
            color="white",
            zorder=9,
            bbox={"boxstyle": "circle,pad=0.3", "fc": style.ROUTE_COLOR, "ec": "white", "lw": 1.5},
        )


def _scale_bar(ax: Axes) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 4
    nice = [v * 10.0**e for e in range(0, 8) for v in (1, 2, 5)]
    length = max((v for v in nice if v <= target), default=1.0)
    left, base = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    ax.plot([left, left + length], [base, base], color="#222222", lw=3, solid_capstyle="butt")
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(left + length / 2, base + (y1 - y0) * 0.012, text, ha="center", va="bottom", fontsize=8)


def _north(ax: Axes) -> None:
    ax.annotate(
        "N",
        xy=(0.96, 0.95),
        xytext=(0.96, 0.87),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "#222222", "lw": 1.5},
    )


def _legend_handles(categories: list[str], lang: str, *, gaps: bool, route: bool) -> list[Any]:
    def dot(**kw: Any) -> Line2D:
        return Line2D([], [], ls="none", marker="o", **{"markersize": 9, **kw})

    out = [
        dot(
            markerfacecolor=style.category_style(c).color,
            markeredgecolor="white",
            label=category_label(c, lang),
        )
        for c in style.CATEGORY_STYLES
        if c in categories
    ]
    out.append(
        dot(
            markerfacecolor="white",
            markeredgecolor=style.ENTRY_RING,
            markeredgewidth=2,
            label=style.text("entry_point", lang),
        )
    )
    out.append(
        dot(
            markerfacecolor="white",
            markeredgecolor="#2ca02c",
            markeredgewidth=2,
            label=style.text("confidential", lang),
        )
    )
    out.append(Line2D([], [], color=style.REFERRAL_COLOR, label=style.text("referral", lang)))
    out.append(
        Line2D(
            [], [], color=style.REFERRAL_COLOR, ls="--", label=style.text("referral_dashed", lang)
        )
    )
    if gaps:
        out.append(
            dot(
                markerfacecolor="none",
                markeredgecolor=style.GAP_COLOR,
                markeredgewidth=2,
                markersize=13,
                label=style.text("gap", lang),
            )
        )
    if route:
        out.append(
            dot(
                markerfacecolor=style.ROUTE_COLOR,
                markeredgecolor="white",
                label=style.text("route_step", lang),
            )
        )
    return out


def _coverage_handles(category: str, lang: str) -> list[Any]:
    out = [
        Patch(
            facecolor="none",
            edgecolor="none",
            label=style.text("coverage_title", lang).format(
                category=category_label(category, lang)
            ),
        )
    ]
    lower = 0.0
    for bound, color in style.COVERAGE_CLASSES:
        if lower == 0:
            span = f"≤ {bound:g}"
        elif bound == float("inf"):
            span = f"> {lower:g}"
        else:
            span = f"{lower:g}–{bound:g}"
        out.append(Patch(facecolor=color, alpha=0.6, label=f"{span} {style.text('minutes', lang)}"))
        lower = bound
    out.append(
        Patch(
            facecolor=style.COVERAGE_NONE, alpha=0.6, label=style.text("coverage_no_service", lang)
        )
    )
    return out


def save_png(
    inventories: Inventory | Sequence[Inventory],
    path: str | Path,
    *,
    lang: str = "en",
    gaps: Sequence[Gap] | None = None,
    route: Route | None = None,
    coverage: SiteCoverage | Sequence[SiteCoverage] | None = None,
    coverage_category: str = "health.cmr",
    dpi: int = 150,
) -> Path:
    """Write the static map of the sites as a PNG (for reports) and return its path."""
    fig = site_figure(
        inventories,
        gaps=gaps,
        route=route,
        coverage=coverage,
        coverage_category=coverage_category,
        lang=lang,
    )
    path = Path(path)
    fig.savefig(path, dpi=dpi, facecolor="white")
    return path
