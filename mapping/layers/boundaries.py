"""The boundaries layer: a site's outline as land and its admin areas as named outlines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium

from mapping import style
from mapping.layers._elements import _FONT, _e, _ensure_map, _group
from pathways.model.errors import InventoryError, display_path
from pathways.model.inventory import Inventory
from pathways.public.privacy import public_places


@lru_cache(maxsize=32)
def _read_geojson(path: Path) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
        json.loads(text)
    except (OSError, ValueError) as e:
        raise InventoryError(f"{display_path(path)}: not readable GeoJSON ({e})") from None
    return text


def _outline(path: Path, label_field: str | None, fallback: str) -> dict[str, Any]:
    """Polygons of a GeoJSON file, properties reduced to an escaped `label` (and an id)."""
    data = json.loads(_read_geojson(path))
    features = data.get("features", [data]) if isinstance(data, dict) else []
    out = []
    for i, feature in enumerate(features):
        geom = feature.get("geometry") if isinstance(feature, dict) else None
        if not geom or geom.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        props = feature.get("properties") or {}
        label = props.get(label_field) if label_field else None
        out.append(
            {
                "type": "Feature",
                "id": str(i),
                "geometry": geom,
                "properties": {"label": _e(label or fallback)},
            }
        )
    return {"type": "FeatureCollection", "features": out}


def boundaries_layer(
    inventory: Inventory, *, lang: str = "en", m: folium.Map | None = None
) -> folium.Map:
    """The site's boundary (a light land fill) and its admin areas (outlines, name tooltips)."""
    m = _ensure_map(m)
    site = inventory.site
    if site.boundary is None and site.areas is None:
        return m
    group = _group(m, style.text("boundaries", lang))
    if site.boundary:
        data = _outline(inventory.resolve_path(site.boundary), None, site.name)
        folium.GeoJson(
            data,
            name=_e(site.name),
            style_function=lambda _: dict(style.BOUNDARY_STYLE),
            interactive=False,
            control=False,
        ).add_to(group)
    if site.areas:
        data = _outline(inventory.resolve_path(site.areas.path), site.areas.name_field, "")
        folium.GeoJson(
            data,
            name=_e(f"{site.name} areas"),
            style_function=lambda _: dict(style.AREA_STYLE),
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False, sticky=True, style=_FONT),
            control=False,
        ).add_to(group)
    return m


def bounds(inventories: Sequence[Inventory]) -> list[list[float]] | None:
    """[[south, west], [north, east]] around every public place and site boundary, or None."""
    lats: list[float] = []
    lons: list[float] = []
    for inv in inventories:
        for place in public_places(inv).values():
            if place is not None:
                lats.append(place.lat)
                lons.append(place.lon)
        if inv.site.boundary:
            box = _file_bounds(inv.resolve_path(inv.site.boundary))
            if box is not None:
                lats += [box[1], box[3]]
                lons += [box[0], box[2]]
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


@lru_cache(maxsize=32)
def _file_bounds(path: Path) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the polygons of a GeoJSON file."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], int | float):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
        else:
            for c in coords:
                walk(c)

    for feature in _outline(path, None, "")["features"]:
        walk(feature["geometry"]["coordinates"])
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None
