"""The offline base map layer (`pathways.io.basemap`): water, borders, roads, rivers and place
names, crediting exactly the sources drawn."""

from __future__ import annotations

from collections.abc import Iterable

import folium

from mapping import style
from mapping.layers._elements import PLACE_CSS, Attribution, PageStyle, PlaceLabels, _e, _ensure_map
from mapping.tree import children
from pathways.io.basemap import KINDS, Basemap, credits, load_basemap
from pathways.model.inventory import Inventory


class BasemapGroup(folium.FeatureGroup):
    """The base map's layer: one per map, shared by its sites, crediting the union of their
    sources (`Attribution`, its first child)."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, show=True)
        self.sources: list[str] = []
        self.credit = Attribution("")
        self.credit.add_to(self)

    def add_sources(self, sources: Iterable[str]) -> None:
        """Credit these sources too (each once, in the order first drawn)."""
        self.sources = list(dict.fromkeys([*self.sources, *sources]))
        self.credit.html = attribution_html(self.sources)


def attribution_html(sources: Iterable[str]) -> str:
    """The credits of these base-map sources as Leaflet attribution HTML (links)."""
    return " | ".join(
        f'<a href="{_e(url)}" target="_blank" rel="noopener noreferrer">{_e(text)}</a>'
        for text, url in credits(sources)
    )


def basemap_group(m: folium.Map) -> BasemapGroup | None:
    """The map's base-map layer, if one was drawn."""
    return next((c for c in children(m) if isinstance(c, BasemapGroup)), None)


def basemap_layer(
    inventory: Inventory, *, lang: str = "en", m: folium.Map | None = None
) -> folium.Map:
    """The site's offline base map (`pathways.io.basemap`): water, borders, main roads and rivers
    where shipped, and town and village names, crediting exactly the sources drawn.

    Nothing when the site has no base map. Several sites share one layer; its credits are the
    union of theirs (Leaflet shows a layer's `attribution` while the layer is on the map).
    """
    m = _ensure_map(m)
    basemap = load_basemap(inventory)
    if basemap is None or not basemap.features:
        return m
    group = basemap_group(m)
    if group is None:
        group = BasemapGroup(_e(style.text("basemap", lang)))
        group.add_to(m)
        PageStyle(PLACE_CSS).add_to(m)
    group.add_sources(basemap.sources)
    for kind in KINDS:
        if kind != "place":
            _draw_kind(group, basemap, kind)
    places = [(p.lat, p.lon, _e(p.name), p.rank) for p in basemap.places()]
    if places:
        PlaceLabels(places).add_to(group)
    return m


def _draw_kind(group: BasemapGroup, basemap: Basemap, kind: str) -> None:
    """The base map's lines or areas of one kind (roads weighted by rank), if it has any."""
    features = [
        {
            "type": "Feature",
            "geometry": f["geometry"],
            "properties": {"r": f["properties"].get("rank", 2)},
        }
        for f in basemap.of_kind(kind)
    ]
    if not features:
        return
    look = style.BASEMAP_STYLES[kind]
    if kind == "road":
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda f: {
                **look,
                "weight": style.ROAD_WEIGHTS.get(f["properties"]["r"], 1),
            },
            interactive=False,
            control=False,
        ).add_to(group)
        return
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: dict(look),
        interactive=False,
        control=False,
    ).add_to(group)
