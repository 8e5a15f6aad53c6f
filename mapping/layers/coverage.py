"""The coverage layer: travel time to the nearest service of a category, in colour classes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import folium
import shapely.geometry

from mapping import style
from mapping.layers._elements import (
    _FONT,
    CanvasPoints,
    MapControl,
    _e,
    _ensure_map,
    _group,
    point_feature,
)
from pathways import i18n
from pathways.analysis.coverage import percent_text
from pathways.model.areas import Area, site_areas
from pathways.model.inventory import Inventory, category_label

if TYPE_CHECKING:
    from pathways.analysis.coverage import CategoryCoverage, SiteCoverage


def _minutes_text(minutes: float | None, lang: str) -> str:
    if minutes is None:
        return style.text("coverage_no_service", lang)
    return f"{i18n.number(minutes, lang, 0)} {style.text('minutes', lang)}"


def coverage_layer(
    inventory: Inventory,
    coverage: SiteCoverage,
    *,
    category: str = "health.cmr",
    lang: str = "en",
    m: folium.Map | None = None,
) -> folium.Map:
    """Travel time to the nearest service of `category`, in four colour classes.

    The site's admin areas are filled by the time from their centre (a choropleth); the
    population's places (and the evenly spread rest, if any) are dots of the same colours,
    sized by population; a box gives the classes, the shares within 30/60/120 minutes and
    the population source. Only times are drawn: nothing here depends on where a
    confidential service is beyond its public place (see `pathways.analysis.coverage`).
    """
    m = _ensure_map(m)
    if coverage.site != inventory.site.id:
        return m
    try:
        summary = coverage.category(category)
    except KeyError:
        raise ValueError(
            f"coverage of {coverage.site} has no category '{category}': compute it with "
            f"site_coverage(..., categories=[{category!r}])"
        ) from None
    label = category_label(category, lang)
    group = _group(m, f"{_e(style.text('coverage', lang))}: {_e(label)}")
    areas = site_areas(inventory)
    if coverage.areas and len(areas) == len(coverage.areas):
        _draw_area_fills(group, areas, coverage, category, lang)
    drawn_as_areas = bool(coverage.areas) and all(u.kind == "area" for u in coverage.points)
    if not drawn_as_areas and coverage.points:
        _draw_population_dots(group, coverage, category, lang)
    body = _class_rows(lang) + _totals(inventory, coverage, summary, lang)
    MapControl(
        _e(style.text("coverage_title", lang).format(category=label)),
        body,
        position="bottomleft",
        css_class="ra-coverage",
    ).add_to(m)
    return m


def _draw_area_fills(
    group: folium.FeatureGroup,
    areas: Sequence[Area],
    coverage: SiteCoverage,
    category: str,
    lang: str,
) -> None:
    """The admin areas filled by the time from their centre, its tooltip the area's name."""
    features = []
    for area, row in zip(areas, coverage.areas, strict=True):
        minutes = row.minutes.get(category)
        text = (
            f"<b>{_e(area.name)}</b><br>{_e(_minutes_text(minutes, lang))} "
            f"({_e(style.text('coverage_from_centre', lang))})"
        )
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(area.geometry),
                "properties": {"label": text, "c": style.coverage_color(minutes)},
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: {
            "fillColor": f["properties"]["c"],
            "fillOpacity": 0.4,
            "color": "#4d4d4d",
            "weight": 1,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False, sticky=True, style=_FONT),
        control=False,
    ).add_to(group)


def _draw_population_dots(
    group: folium.FeatureGroup, coverage: SiteCoverage, category: str, lang: str
) -> None:
    """The population's places as dots coloured by time and sized by population (the evenly
    spread rest as small dots), small dots on top."""
    minutes_of = coverage.point_minutes.get(category, ())
    biggest = max(u.population for u in coverage.points) or 1.0
    dots = []
    for unit, minutes in zip(coverage.points, minutes_of, strict=True):
        color = style.coverage_color(minutes)
        if unit.kind == "dispersed":
            look = {"radius": 3, "fillColor": color, "fillOpacity": 0.7, "stroke": False}
            name = style.text("dispersed", lang)
        else:
            radius = 4 + 10 * (unit.population / biggest) ** 0.5
            look = {
                "radius": round(radius, 1),
                "fillColor": color,
                "fillOpacity": 0.9,
                "color": "#333333",
                "weight": 1,
            }
            name = unit.name
        tip = (
            f"<b>{_e(name)}</b><br>{_e(_minutes_text(minutes, lang))}<br>"
            f"{unit.population:,.0f} {_e(style.text('people', lang))}"
        )
        dots.append(point_feature(unit.lat, unit.lon, look, tip))
    dots.sort(key=lambda f: -f["properties"]["s"]["radius"])  # small dots on top
    CanvasPoints(dots).add_to(group)


def _class_rows(lang: str) -> str:
    """The colour classes of the box, one row each, and the colour of "no service"."""
    rows = []
    lower = 0.0
    for bound, color in style.COVERAGE_CLASSES:
        span = (
            f"≤ {bound:g}"
            if lower == 0
            else (f"{lower:g}–{bound:g}" if bound != float("inf") else f"> {lower:g}")
        )
        rows.append((color, f"{span} {style.text('minutes', lang)}"))
        lower = bound
    rows.append((style.COVERAGE_NONE, style.text("coverage_no_service", lang)))
    return "".join(
        f'<div style="margin:1px 0;white-space:nowrap"><span style="display:inline-block;'
        f"width:14px;height:10px;background:{c};opacity:.85;border:1px solid #555;"
        f'margin-right:5px;vertical-align:middle"></span>{_e(t)}</div>'
        for c, t in rows
    )


def _totals(
    inventory: Inventory, coverage: SiteCoverage, summary: CategoryCoverage, lang: str
) -> str:
    """The box's shares of the site's people within each limit (or why there are none), and
    the population source."""
    if coverage.complete is False:  # a share of the people counted is not the site's share
        body = (
            f"<div style='margin-top:4px;max-width:260px;white-space:normal;"
            f"color:{style.GAP_COLOR}'><b>{_e(coverage.status_in(lang))}</b></div>"
        )
    else:
        shares = " / ".join(percent_text(summary.within[t], lang) for t in sorted(summary.within))
        limits = "/".join(str(t) for t in sorted(summary.within))
        body = (
            f"<div style='margin-top:4px'>{_e(inventory.site.name)}: {_e(shares)} ≤ {limits} "
            f"{_e(style.text('minutes', lang))} ({_e(i18n.number(coverage.population, lang, 0))} "
            f"{_e(style.text('people', lang))})</div>"
        )
    return body + (
        f"<div style='margin-top:3px;color:#555;max-width:260px;white-space:normal'>"
        f"{_e(style.text('population_source', lang))}: {_e(coverage.population_source)}</div>"
    )
