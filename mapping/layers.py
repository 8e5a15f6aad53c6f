"""Folium layers of a site: boundaries, services, referral routes, gaps, and the legend.

Every function draws; none computes analyses (gaps come in as arguments). Places come from
`pathways.public.privacy` only, so a confidential service is never drawn where it is. Every string
taken from an inventory or a boundary file is HTML-escaped before it reaches a popup, tooltip
or legend, and passed to JavaScript as JSON (never inside a template literal). Only Leaflet
core is used: no awesome-markers, Font Awesome, jQuery or Bootstrap (see `mapping.assets`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import shapely.geometry
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from mapping import style
from pathways import i18n
from pathways.analysis.gaps import SEVERITY_ORDER, Gap
from pathways.model.areas import site_areas
from pathways.model.errors import InventoryError, display_path
from pathways.model.inventory import Inventory, Service, base_category, category_label
from pathways.public import card
from pathways.public.privacy import PublicPlace, public_places

if TYPE_CHECKING:
    from pathways.analysis.coverage import SiteCoverage
    from pathways.analysis.routes import Route, Step

LARGE_MAP = 500
"""From this many services (or referrals, or gap rings) a layer is drawn as one canvas GeoJSON
layer of circle markers instead of one Leaflet object each (10,000 services draw in about a
second instead of several)."""

OPEN_ZOOM = 15
"""From this zoom (a town of a few kilometres fills the map) services are never clustered."""

# --- small Leaflet elements of our own -------------------------------------------------------

_FONT = "font:12px/1.35 Arial,Helvetica,sans-serif;color:#222"


class Bind(MacroElement):
    """`layer.bindPopup(...)` or `layer.bindTooltip(...)` with content passed as JSON.

    folium's `Tooltip` puts its text inside a JavaScript template literal, where `${...}` in an
    inventory would run; and its `Popup` needs jQuery. This needs neither. The content must be
    HTML already escaped by the caller.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.{{ this.method }}(
                {{ this.content|tojavascript }}, {{ this.options|tojavascript }});
        {% endmacro %}
        """
    )

    def __init__(self, method: str, content: str, **options: Any) -> None:
        super().__init__()
        if method not in ("bindPopup", "bindTooltip"):
            raise ValueError(f"method must be bindPopup or bindTooltip, not {method!r}")
        self._name = "Bind"
        self.method = method
        self.content = (
            f'<div style="{_FONT}">{content}</div>' if method == "bindTooltip" else content
        )
        self.options = options


class DivMarker(MacroElement):
    """An `L.marker` with an `L.divIcon` (inline HTML/SVG), added to its parent layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.marker(
                {{ this.location|tojson }},
                {icon: L.divIcon({{ this.icon|tojavascript }}), ...{{ this.options|tojavascript }}}
            ).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        location: Sequence[float],
        html_: str,
        *,
        size: int,
        class_name: str = "ra-icon",
        anchor: tuple[float, float] | None = None,
        **options: Any,
    ) -> None:
        super().__init__()
        self._name = "DivMarker"
        self.location = [float(location[0]), float(location[1])]
        self.icon = {
            "html": html_,
            "className": class_name,
            "iconSize": [size, size],
            "iconAnchor": list(anchor) if anchor else [size / 2, size / 2],
            "popupAnchor": [0, -size / 2],
            "tooltipAnchor": [size / 2, 0],
        }
        self.options = options

    def _get_self_bounds(self) -> list[list[float | None]]:
        return [list(self.location), list(self.location)]


class ArrowHead(MacroElement):
    """An arrowhead on its parent polyline, `fraction` of the way along, pointing at the end.

    Position and angle are computed in the browser in Web-Mercator metres from the line's own
    points, so the page holds no coordinates beyond the line's (public) ends.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var line = {{ this._parent.get_name() }};
                var crs = L.CRS.EPSG3857, ll = line.getLatLngs();
                var a = crs.project(ll[0]), b = crs.project(ll[ll.length - 1]);
                var f = {{ this.fraction|tojson }};
                var at = crs.unproject(L.point(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f));
                var deg = Math.atan2(b.x - a.x, b.y - a.y) * 180 / Math.PI;
                var svg = {{ this.svg|tojavascript }}.replace("ANGLE", deg.toFixed(1));
                var head = L.marker(at, {
                    icon: L.divIcon({html: svg, className: "ra-arrow", iconSize: [16, 16],
                                     iconAnchor: [8, 8]}),
                    keyboard: false, zIndexOffset: -1000
                }).addTo({{ this.group.get_name() }});
                head.bindTooltip({{ this.tooltip|tojavascript }}, {sticky: true});
            })();
        {% endmacro %}
        """
    )

    def __init__(
        self, group: folium.FeatureGroup, *, tooltip: str, color: str, fraction: float = 0.6
    ) -> None:
        super().__init__()
        self._name = "ArrowHead"
        self.group = group
        self.tooltip = tooltip
        self.fraction = fraction
        self.svg = (
            '<svg width="16" height="16" viewBox="0 0 16 16" '
            'style="display:block;transform:rotate(ANGLEdeg)">'
            f'<polygon points="8,1 14.5,14.5 8,11 1.5,14.5" fill="{color}" '
            'stroke="#ffffff" stroke-width="1.2" stroke-linejoin="round"/></svg>'
        )


FOLD_BELOW_PX = 480
"""On a map narrower than this (a phone), boxes on the map start folded to their titles."""


class MapControl(MacroElement):
    """A box on the map (legend, notes) as a Leaflet control that folds away on a click.

    `title` and `body` are HTML the caller has escaped. On a narrow map (`FOLD_BELOW_PX`) it
    starts folded whatever `open` says.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.content|tojavascript }};
                div.setAttribute("style", {{ this.box_style|tojson }});
                var size = {{ this._parent.get_name() }}.getSize();
                div.style.maxHeight = Math.max(size.y - 90, 60) + "px";
                if (size.x > 0 && size.x < {{ this.fold_below|tojson }}) {
                    div.querySelector("details").open = false;  // a phone: folded to its title
                }
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        title: str,
        body: str,
        *,
        position: str = "bottomright",
        css_class: str = "",
        color: str = "#222222",
        open: bool = True,
    ) -> None:
        super().__init__()
        self._name = "MapControl"
        self.content = (
            f'<details{" open" if open else ""}><summary style="cursor:pointer;'
            f'font-weight:700;color:{color};margin-bottom:3px">{title}</summary>{body}</details>'
        )
        self.position = position
        self.fold_below = FOLD_BELOW_PX
        self.css_class = f"leaflet-control ra-control {css_class}".strip()
        self.box_style = (
            "background:rgba(255,255,255,0.94);padding:8px 10px;border-radius:6px;"
            "box-shadow:0 1px 5px rgba(0,0,0,0.35);font:12px/1.35 Arial,Helvetica,sans-serif;"
            "color:#222;box-sizing:border-box;max-width:min(340px,calc(50vw - 16px));"
            "overflow:auto;"
        )  # at most half the map wide: boxes in the two bottom corners never overlap


POPUP_CSS = (
    ".ra-popup{font:12px/1.35 Arial,Helvetica,sans-serif;color:#222;min-width:220px;"
    "max-width:320px}.ra-popup .ra-title{font-size:13px;font-weight:700}"
    ".ra-popup th{text-align:left;vertical-align:top;padding:1px 8px 1px 0;white-space:nowrap}"
    ".ra-popup td{padding:1px 0}"
)
"""The look of service popups, written once per page instead of once per popup."""


class PageStyle(MacroElement):
    """CSS rules added to the page's <head> by script (works inside streamlit-folium too)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var css = document.createElement("style");
                css.textContent = {{ this.css|tojson }};
                document.head.appendChild(css);
            })();
        {% endmacro %}
        """
    )

    def __init__(self, css: str) -> None:
        super().__init__()
        self._name = "PageStyle"
        self.css = css


class Background(MacroElement):
    """The map container's background colour (shown where there are no tiles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.getContainer().style.background =
                {{ this.color|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, color: str) -> None:
        super().__init__()
        self._name = "Background"
        self.color = color


class _Verbatim(Element):
    """Rendered text, given back as it is.

    Branca's `MacroElement.render` wraps each rendered macro in an `Element`, which compiles
    it as a Jinja template and renders it again. For a layer of 10,000 services that is
    megabytes of JSON lexed by Jinja (about a second) to get the same text back. Text without
    Jinja syntax or carriage returns comes back unchanged from that, except one trailing newline
    (Jinja drops it); `_element` keeps the Jinja path for any other text.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text[:-1] if text.endswith("\n") else text

    def render(self, **kwargs: Any) -> str:
        return self._text


def _element(text: str) -> Element:
    """`Element(text)`, without compiling the text when that gives it back unchanged."""
    if "\r" in text or "{{" in text or "{%" in text or "{#" in text:
        return Element(text)
    return _Verbatim(text)


class _DataElement(MacroElement):
    """A `MacroElement` whose rendered macros are not compiled again (see `_Verbatim`)."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's
        """`MacroElement.render`, with `_element` in place of `Element`."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure"
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(_element(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class CanvasPoints(_DataElement):
    """Many points as one `L.geoJSON` layer of canvas circle markers, added to its parent.

    Each feature carries its marker style (`s`, written once per distinct style), tooltip
    HTML (`t`) and popup HTML (`p`), escaped by the caller; the data is written as
    script-safe JSON. With `prefer_canvas`,
    10,000 points are one canvas, not 10,000 DOM elements.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_styles = {{ this.styles }};
            var {{ this.get_name() }} = L.geoJSON({{ this.data }}, {
                pointToLayer: function (f, ll) {
                    return L.circleMarker(ll, {{ this.get_name() }}_styles[f.properties.s]);
                },
                onEachFeature: function (f, layer) {
                    if (f.properties.t) {
                        layer.bindTooltip({{ this.wrap|tojson }}.replace("CONTENT",
                            function () { return f.properties.t; }));
                    }
                    if (f.properties.p) { layer.bindPopup(f.properties.p, {maxWidth: 340}); }
                }
            }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict[str, Any]]) -> None:
        super().__init__()
        self._name = "CanvasPoints"
        looks: dict[str, int] = {}
        slim = []
        for f in features:
            key = json.dumps(f["properties"]["s"], sort_keys=True)
            looks.setdefault(key, len(looks))
            slim.append({**f, "properties": {**f["properties"], "s": looks[key]}})
        self.styles = _js([json.loads(k) for k in looks])
        self.data = _js({"type": "FeatureCollection", "features": slim})
        self.wrap = f'<div style="{_FONT}">CONTENT</div>'
        lats = [f["geometry"]["coordinates"][1] for f in features]
        lons = [f["geometry"]["coordinates"][0] for f in features]
        self._bounds = [[min(lats), min(lons)], [max(lats), max(lons)]] if lats else None

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds or [[None, None], [None, None]]


def point_feature(
    lat: float, lon: float, style_: dict[str, Any], tooltip: str = "", popup: str = ""
) -> dict[str, Any]:
    """A GeoJSON point for `CanvasPoints` (tooltip and popup: escaped HTML)."""
    props: dict[str, Any] = {"s": style_}
    if tooltip:
        props["t"] = tooltip
    if popup:
        props["p"] = popup
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": props,
    }


class CanvasLines(_DataElement):
    """Many straight lines as one canvas `L.polyline` (a multi-polyline), no tooltips."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.polyline({{ this.lines }},
                {{ this.options|tojavascript }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, lines: list[list[tuple[float, float]]], **options: Any) -> None:
        super().__init__()
        self._name = "CanvasLines"
        self.lines = _js([[[round(a, 6), round(b, 6)] for a, b in line] for line in lines])
        self.options = {"interactive": False, **options}


class Clusterer(MacroElement):
    """Grid clustering of the service markers, drawn by a few lines of our own JavaScript.

    At each zoom, the markers of the service layers that are switched on are grouped
    greedily: each marker not yet taken gathers the others within `cell_px` screen pixels
    (found through a grid of that size, so it stays linear); a group of `min_count` or more
    becomes one numbered badge (the category's colour if they share one) at the mean of
    their public places, and its markers are taken off the map. A click zooms in (at most to
    `open_zoom`); where they cannot be told apart (the last zoom level), it lists them instead.
    From `open_zoom` on (a town fills the view) nothing is clustered: markers closer than
    `fan_px` to each other are fanned out in a small ring around their place, so every service
    of a town is its own marker. No Leaflet plugin.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var groups = [{% for g in this.groups %}{{ g.get_name() }},{% endfor %}];
            var colors = {{ this.colors|tojson }};
            var members = [];
            groups.forEach(function (g, gi) {
                g.eachLayer(function (l) {
                    if (l.getLatLng) { members.push({layer: l, parent: g, group: g, gi: gi}); }
                    else if (l.eachLayer) {
                        l.eachLayer(function (x) {
                            if (x.getLatLng) {
                                members.push({layer: x, parent: l, group: g, gi: gi});
                            }
                        });
                    }
                });
            });
            var badges = L.layerGroup().addTo(map);
            var cell = {{ this.cell_px|tojson }}, least = {{ this.min_count|tojson }};
            function show(m, on) {
                if (on && !m.parent.hasLayer(m.layer)) { m.parent.addLayer(m.layer); }
                if (!on && m.parent.hasLayer(m.layer)) { m.parent.removeLayer(m.layer); }
            }
            function badge(list) {
                var lat = 0, lng = 0, same = true, bounds = L.latLngBounds([]);
                list.forEach(function (m) {
                    var ll = m.layer.getLatLng();
                    lat += ll.lat; lng += ll.lng; bounds.extend(ll);
                    if (m.gi !== list[0].gi) { same = false; }
                });
                var n = list.length;
                var size = Math.round(Math.min(24 + 4 * Math.log(n) / Math.LN2, 46));
                var color = same ? colors[list[0].gi] : {{ this.mixed|tojson }};
                var html = '<div style="box-sizing:border-box;width:' + size + 'px;height:' +
                    size + 'px;font:700 12px Arial,Helvetica,sans-serif;line-height:' +
                    (size - 4) + 'px;border-radius:50%;background:' + color +
                    ';color:#fff;border:2px solid #fff;box-shadow:0 0 0 2px ' + color +
                    ';text-align:center;text-shadow:0 0 2px #000">' + n + '</div>';
                var marker = L.marker([lat / n, lng / n], {
                    icon: L.divIcon({html: html, className: "ra-cluster",
                                     iconSize: [size, size], iconAnchor: [size / 2, size / 2]}),
                    zIndexOffset: 1000
                });
                marker.bindTooltip({{ this.tip|tojson }}.replace("%N%", n));
                marker.on("click", function () {
                    var flat = bounds.getNorthEast().equals(bounds.getSouthWest());
                    var z = map.getZoom(), top = Math.min(open, map.getMaxZoom());
                    if (z < top) {
                        if (flat) { map.setView(bounds.getCenter(), top); }
                        else { map.fitBounds(bounds.pad(0.3), {maxZoom: top}); }
                        return;
                    }
                    var items = list.slice(0, 30).map(function (m) {
                        var t = m.layer.getTooltip && m.layer.getTooltip();
                        return '<li style="margin:3px 0">' +
                            (t ? t.getContent() : "") + "</li>";
                    });
                    L.popup({maxWidth: 340, maxHeight: 320})
                        .setLatLng(marker.getLatLng())
                        .setContent('<ul style="margin:0;padding-left:16px">' +
                                    items.join("") + "</ul>")
                        .openOn(map);
                });
                return marker;
            }
            var open = {{ this.open_zoom|tojson }}, fanPx = {{ this.fan_px|tojson }};
            function fan(list, z) {
                // markers sharing a spot, fanned out around it (screen pixels only)
                var c = L.point(0, 0);
                list.forEach(function (o) { c = c.add(o.p); });
                c = c.divideBy(list.length);
                var r = Math.max(22, list.length * 36 / (2 * Math.PI));
                list.forEach(function (o, i) {
                    var a = 2 * Math.PI * i / list.length - Math.PI / 2;
                    var at = c.add(L.point(r * Math.cos(a), r * Math.sin(a)));
                    o.layer.setLatLng(map.unproject(at, z));
                });
            }
            function recluster() {
                var z = map.getZoom(), grid = {}, active = [];
                var opened = z >= open, size = opened ? fanPx : cell;
                badges.clearLayers();
                members.forEach(function (m) {
                    if (!m.home) { m.home = m.layer.getLatLng(); }
                    m.layer.setLatLng(m.home);
                    if (!map.hasLayer(m.group)) { show(m, true); return; }
                    m.p = map.project(m.layer.getLatLng(), z);
                    m.done = false;
                    var key = Math.floor(m.p.x / size) + ":" + Math.floor(m.p.y / size);
                    (grid[key] = grid[key] || []).push(m);
                    active.push(m);
                });
                active.forEach(function (m) {
                    if (m.done) { return; }
                    var cx = Math.floor(m.p.x / size), cy = Math.floor(m.p.y / size);
                    var list = [];
                    for (var dx = -1; dx <= 1; dx++) {
                        for (var dy = -1; dy <= 1; dy++) {
                            (grid[(cx + dx) + ":" + (cy + dy)] || []).forEach(function (o) {
                                if (!o.done && o.p.distanceTo(m.p) <= size) { list.push(o); }
                            });
                        }
                    }
                    list.forEach(function (o) { o.done = true; });
                    if (opened) {
                        list.forEach(function (o) { show(o, true); });
                        if (list.length > 1) { fan(list, z); }
                        return;
                    }
                    var many = list.length >= least;
                    list.forEach(function (o) { show(o, !many); });
                    if (many) { badges.addLayer(badge(list)); }
                });
            }
            map.on("zoomend overlayadd overlayremove", recluster);
            map.whenReady(recluster);
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        groups: Sequence[folium.FeatureGroup],
        colors: Sequence[str],
        *,
        cell_px: int = 36,
        min_count: int = 2,
        open_zoom: int = OPEN_ZOOM,
        fan_px: int = 20,
        tooltip: str = "",
    ) -> None:
        super().__init__()
        self._name = "Clusterer"
        self.groups = list(groups)
        self.colors = list(colors)
        self.cell_px = cell_px
        self.min_count = min_count
        self.open_zoom = open_zoom
        self.fan_px = fan_px
        self.mixed = style.CLUSTER_COLOR
        self.tip = f'<div style="{_FONT}"><b>%N%</b> — {_e(tooltip)}</div>'


# --- helpers -----------------------------------------------------------------------------------


_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def _e(value: object) -> str:
    """HTML-escape any value (quotes included), and its braces.

    Braces matter: branca's `MacroElement.render` wraps each element's rendered script in a new
    `Element`, i.e. a Jinja template that is rendered again, so `{{ ... }}` or `{% ... %}` in an
    inventory would run as Python template code on the server (or break the map). As entities
    they show as braces and Jinja never sees them.
    """
    return html.escape(str(value), quote=True).translate(_BRACES)


def _js(value: Any) -> str:
    """Compact JSON that is safe inside a <script> (no <, >, & or ' left as such)."""
    return (
        json.dumps(value, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


def _ensure_map(m: folium.Map | None) -> folium.Map:
    if m is None:
        m = folium.Map(tiles=None, prefer_canvas=True, control_scale=True)
    if not any(isinstance(c, PageStyle) for c in m._children.values()):
        PageStyle(POPUP_CSS).add_to(m)
    return m


def _group(m: folium.Map, name: str, *, show: bool = True) -> folium.FeatureGroup:
    """The map's feature group called `name` (so several sites share one layer entry)."""
    for child in m._children.values():
        if isinstance(child, folium.FeatureGroup) and child.layer_name == name:
            return child
    group = folium.FeatureGroup(name=name, show=show)
    group.add_to(m)
    return group


def _swatch(color: str) -> str:
    return (
        f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
        f'background:{color};margin-right:4px;vertical-align:middle"></span>'
    )


def _selected(categories: Iterable[str] | None) -> set[str] | None:
    return None if categories is None else set(categories)


def _shown_category(service: Service, selected: set[str] | None) -> str | None:
    """The category a service is drawn under: its first, or its first selected one."""
    for cat in service.categories:
        if selected is None or cat in selected or base_category(cat) in selected:
            return base_category(cat)
    return None


# --- boundaries --------------------------------------------------------------------------------


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


# --- offline base map --------------------------------------------------------------------------


class PlaceLabels(_DataElement):
    """Town and village names (a dot and a label), placed most important first and left out
    where they would overlap a label already placed, again at every zoom.

    Labels sit in a pane of their own above the base map's lines and below the services, and
    take no clicks. `places`: (lat, lon, escaped name, rank) with rank 0 = city, 2 = village;
    villages show from `village_zoom` on.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent._parent.get_name() }}, group = {{ this._parent.get_name() }};
            if (!map.getPane("raLabels")) {
                var pane = map.createPane("raLabels");
                pane.style.zIndex = 450;
                pane.style.pointerEvents = "none";
            }
            var places = {{ this.places }}, villageZoom = {{ this.village_zoom|tojson }};
            var marks = places.map(function (p) {
                return L.marker([p[0], p[1]], {
                    pane: "raLabels", interactive: false, keyboard: false,
                    icon: L.divIcon({className: "ra-place ra-place-" + p[3], iconSize: null,
                                     html: "<i></i><span>" + p[2] + "</span>"})
                });
            });
            function place() {
                var z = map.getZoom(), taken = [];
                marks.forEach(function (mk, i) {
                    var p = places[i], on = p[3] < 2 || z >= villageZoom;
                    if (on) {
                        var at = map.project([p[0], p[1]], z);
                        var w = 8 + p[2].length * (p[3] === 0 ? 7.5 : 6.5), h = 16;
                        var box = [at.x - 4, at.y - h / 2, at.x + w, at.y + h / 2];
                        on = !taken.some(function (b) {
                            return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3];
                        });
                        if (on) { taken.push(box); }
                    }
                    if (on && !group.hasLayer(mk)) { group.addLayer(mk); }
                    if (!on && group.hasLayer(mk)) { group.removeLayer(mk); }
                });
            }
            map.on("zoomend", place);
            map.whenReady(place);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, places: Sequence[tuple[float, float, str, int]], *, village_zoom: int = 7):
        super().__init__()
        self._name = "PlaceLabels"
        self.places = _js([[round(a, 5), round(b, 5), name, rank] for a, b, name, rank in places])
        self.village_zoom = village_zoom


PLACE_CSS = (
    ".ra-place{white-space:nowrap}"
    ".ra-place i{position:absolute;left:-3px;top:-3px;width:6px;height:6px;border-radius:50%;"
    "background:#555;border:1px solid #fff}"
    ".ra-place span{position:absolute;left:6px;top:-8px;font:600 11px/16px Arial,Helvetica,"
    "sans-serif;color:#3a3a3a;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}"
    ".ra-place-0 span{font-size:13px;font-weight:700;color:#222}"
    ".ra-place-0 i{width:8px;height:8px;left:-4px;top:-4px;background:#333}"
    ".ra-place-2 span{font-weight:400;color:#555}"
    ".ra-place-2 i{width:4px;height:4px;left:-2px;top:-2px;background:#777}"
    "@media (max-width:480px){.leaflet-container .leaflet-control-attribution{font-size:9px}}"
)
"""The look of place labels (written once per page)."""


def attribution_html(sources: Iterable[str]) -> str:
    """The credits of these base-map sources as Leaflet attribution HTML (links)."""
    from pathways.io.basemap import credits

    return " | ".join(
        f'<a href="{_e(url)}" target="_blank" rel="noopener noreferrer">{_e(text)}</a>'
        for text, url in credits(sources)
    )


def basemap_group(m: folium.Map) -> folium.FeatureGroup | None:
    """The map's base-map layer, if one was drawn."""
    for child in m._children.values():
        if isinstance(child, folium.FeatureGroup) and getattr(child, "_ra_basemap", False):
            return child
    return None


def basemap_layer(
    inventory: Inventory, *, lang: str = "en", m: folium.Map | None = None
) -> folium.Map:
    """The site's offline base map (`pathways.io.basemap`): water, borders, main roads and rivers
    where shipped, and town and village names, crediting exactly the sources drawn.

    Nothing when the site has no base map. Several sites share one layer; its credits are the
    union of theirs (Leaflet shows a layer's `attribution` while the layer is on the map).
    """
    from pathways.io.basemap import KINDS, load_basemap

    m = _ensure_map(m)
    basemap = load_basemap(inventory)
    if basemap is None or not basemap.features:
        return m
    group = basemap_group(m)
    if group is None:
        group = folium.FeatureGroup(name=_e(style.text("basemap", lang)), show=True)
        group._ra_basemap = True  # type: ignore[attr-defined]
        group._ra_sources = []  # type: ignore[attr-defined]
        group.add_to(m)
        Attribution("").add_to(group)
        PageStyle(PLACE_CSS).add_to(m)
    sources = list(dict.fromkeys([*group._ra_sources, *basemap.sources]))  # type: ignore[attr-defined]
    group._ra_sources = sources  # type: ignore[attr-defined]
    credit = next(c for c in group._children.values() if isinstance(c, Attribution))
    credit.html = attribution_html(sources)
    for kind in KINDS:
        features = [
            {
                "type": "Feature",
                "geometry": f["geometry"],
                "properties": {"r": f["properties"].get("rank", 2)},
            }
            for f in basemap.of_kind(kind)
        ]
        if not features or kind == "place":
            continue
        look = style.BASEMAP_STYLES[kind]
        if kind == "road":
            folium.GeoJson(
                {"type": "FeatureCollection", "features": features},
                style_function=lambda f, look=look: {
                    **look,
                    "weight": style.ROAD_WEIGHTS.get(f["properties"]["r"], 1),
                },
                interactive=False,
                control=False,
            ).add_to(group)
            continue
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda f, look=look: dict(look),
            interactive=False,
            control=False,
        ).add_to(group)
    places = [(p.lat, p.lon, _e(p.name), p.rank) for p in basemap.places()]
    if places:
        PlaceLabels(places).add_to(group)
    return m


class Attribution(MacroElement):
    """The credits of its parent layer, shown while that layer is on the map.

    Leaflet credits a layer through `layer.options.attribution`, which `L.featureGroup` does not
    take from folium's options (its first argument is its layers), so it is set here.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function (layer, html) {
                layer.options.attribution = html;
                if (layer._map && layer._map.attributionControl) {
                    layer._map.attributionControl.addAttribution(html);
                }
            })({{ this._parent.get_name() }}, {{ this.html|tojavascript }});
        {% endmacro %}
        """
    )

    def __init__(self, html_: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.html = html_


class TileFallback(MacroElement):
    """Tiles or the offline base map, whichever can be drawn, with the matching credits.

    When the first tile loads, the offline base map is taken off (the tiles show towns and
    roads themselves); when tiles fail before any loaded (no internet), the tile layer is
    taken off, and with it its "© OpenStreetMap" credit: the base map stays, with its own.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }}, tiles = {{ this.tiles.get_name() }};
            var base = {{ this.base.get_name() }}, loaded = false;
            tiles.on("tileload", function () {
                if (!loaded) { loaded = true; if (map.hasLayer(base)) { map.removeLayer(base); } }
            });
            tiles.on("tileerror", function () {
                if (!loaded && map.hasLayer(tiles)) { map.removeLayer(tiles); }
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, tiles: folium.TileLayer, base: folium.FeatureGroup) -> None:
        super().__init__()
        self._name = "TileFallback"
        self.tiles = tiles
        self.base = base


class FitSites(folium.map.FitBounds):
    """`FitBounds` whose corner paddings (room for the boxes on the map) shrink on a narrow
    map: at most a quarter of its width each, so a phone still shows the sites large."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function (map, o) {
                var w = map.getSize().x, cap = function (p) { return Math.min(p, w / 4); };
                o.paddingTopLeft = [cap(o.paddingTopLeft[0]), o.paddingTopLeft[1]];
                o.paddingBottomRight = [cap(o.paddingBottomRight[0]), o.paddingBottomRight[1]];
                map.fitBounds({{ this.bounds|tojson }}, o);
            })({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )


# --- the service in focus --------------------------------------------------------------------


class Focus(MacroElement):
    """Centre the map on a place at `zoom`, ring it and open a popup there (the service picked
    in a table)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }}, at = {{ this.location|tojson }};
            map.setView(at, {{ this.zoom|tojson }}, {animate: false});
            // the place below the centre, so its popup fits above it whatever the map's size
            // when this runs (streamlit-folium sizes its frame later: no autoPan)
            map.panBy([0, -{{ this.lift|tojson }}], {animate: false});
            L.marker(at, {
                interactive: false, keyboard: false, zIndexOffset: -500,
                icon: L.divIcon({className: "ra-focus", iconSize: [46, 46],
                                 html: {{ this.ring|tojavascript }}})
            }).addTo(map);
            L.popup({maxWidth: 340, offset: [0, -14], autoPan: false})
                .setLatLng(at).setContent({{ this.popup|tojavascript }}).openOn(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, location: Sequence[float], popup: str, *, zoom: int = OPEN_ZOOM) -> None:
        super().__init__()
        self._name = "Focus"
        self.location = [float(location[0]), float(location[1])]
        self.popup = popup
        self.zoom = zoom
        self.lift = 140
        self.ring = (
            '<svg width="46" height="46" style="display:block"><circle cx="23" cy="23" r="20" '
            f'fill="none" stroke="{style.FOCUS_COLOR}" stroke-width="4"/></svg>'
        )


def focus_layer(
    inventory: Inventory,
    service_id: str,
    *,
    zoom: int = OPEN_ZOOM,
    lang: str = "en",
    m: folium.Map | None = None,
) -> folium.Map:
    """Centre the map on a service's public place (never a confidential service's true
    location), ringed, with its popup open. Nothing if it is not drawn (hidden or unknown)."""
    m = _ensure_map(m)
    service = inventory.by_id.get(service_id)
    place = public_places(inventory).get(service_id)
    if service is None or place is None:
        return m
    Focus((place.lat, place.lon), service_popup(service, place, lang=lang), zoom=zoom).add_to(m)
    return m


# --- services ----------------------------------------------------------------------------------


def service_icon(service: Service, category: str, place: PublicPlace) -> str:
    """The inline SVG of a service marker: category colour and code; ring for entry points.

    A confidential service (shown at area level or at its intake point) is drawn hollow with
    a dashed border, so nobody reads its marker as a building.
    """
    st = style.category_style(category)
    size = style.MARKER_SIZE + 6
    c = size / 2
    r = style.MARKER_SIZE / 2 - 2
    parts = [
        f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" style="display:block">'
    ]
    if service.entry_point:
        parts.append(
            f'<circle cx="{c}" cy="{c}" r="{r + 3.2}" fill="#ffffff" '
            f'stroke="{style.ENTRY_RING}" stroke-width="3"/>'
        )
    if place.withheld:
        parts.append(
            f'<circle cx="{c}" cy="{c}" r="{r}" fill="#ffffff" fill-opacity="0.92" '
            f'stroke="{st.color}" stroke-width="3" stroke-dasharray="4 2.5"/>'
        )
        fill_text = "#111111"
    else:
        parts.append(
            f'<circle cx="{c}" cy="{c}" r="{r}" fill="{st.color}" stroke="#ffffff" '
            'stroke-width="1.5"/>'
        )
        fill_text = st.text_color
    font = 8 if len(st.code) > 2 else 9
    parts.append(
        f'<text x="{c}" y="{c}" text-anchor="middle" dominant-baseline="central" '
        f'font-family="Arial,Helvetica,sans-serif" font-size="{font}" font-weight="700" '
        f'fill="{fill_text}">{st.code}</text></svg>'
    )
    return "".join(parts)


def _row(label: str, value: str) -> str:
    return f"<tr><th>{_e(label)}</th><td>{value}</td></tr>"


def _contact(service: Service) -> str:
    c = service.contact
    if c is None:
        return ""
    parts = [_e(v) for v in (c.phone, c.email) if v]
    if c.website:
        if c.website.startswith(("https://", "http://")):
            parts.append(
                f'<a href="{_e(c.website)}" target="_blank" rel="noopener noreferrer">'
                f"{_e(c.website)}</a>"
            )
        else:
            parts.append(_e(c.website))
    return "<br>".join(parts)


def service_popup(service: Service, place: PublicPlace | None, *, lang: str = "en") -> str:
    """The popup HTML of a service: every inventory string escaped.

    The address of a confidential service is never shown (only its public intake's address).
    """
    t = lambda key: style.text(key, lang)  # noqa: E731
    rows = []
    organisation = service.text_in("organisation", lang)
    if organisation:
        rows.append(_row(t("organisation"), _e(organisation)))
    rows.append(
        _row(t("categories"), "<br>".join(_e(category_label(c, lang)) for c in service.categories))
    )
    hours = _e(card.hours_text(service.hours, lang))
    hours_note = service.text_in("hours_note", lang)
    if hours_note:
        hours += f"<br><i>{_e(hours_note)}</i>"
    rows.append(_row(t("hours"), hours))
    if service.languages or service.interpretation:
        rows.append(_row(t("languages"), _e(card.languages_text(service, lang))))
    rows.append(_row(t("serves"), _e(card.who_text(service, lang))))
    if service.cost != "free":
        rows.append(_row(t("cost"), _e(i18n.t("cost_" + service.cost, lang))))
    if service.requires:
        conditions = i18n.join(i18n.labels("req_", service.requires, lang), lang)
        rows.append(_row(t("requires"), _e(conditions)))
    contact = _contact(service)
    if contact:
        rows.append(_row(t("contact"), contact))
    address = None
    if not service.confidential:
        address = service.location.address
    elif place is not None and place.precision == "intake" and service.intake is not None:
        address = service.intake.address
    if address:
        rows.append(_row(t("address"), _e(address)))
    if place is None:
        rows.append(_row(t("place"), _e(t("not_on_map"))))
    elif place.withheld:
        rows.append(_row(t("place"), f"<b>{_e(place.describe(lang))}</b>"))
    if service.last_verified:
        rows.append(_row(t("last_verified"), _e(service.last_verified.isoformat())))
    description = service.text_in("description", lang)
    desc = f'<div style="margin:4px 0">{_e(description)}</div>' if description else ""
    return (
        f'<div class="ra-popup"><div class="ra-title">{_e(service.name_in(lang))}</div>{desc}'
        f"<table>{''.join(rows)}</table></div>"
    )


def service_tooltip(service: Service, place: PublicPlace, *, lang: str = "en") -> str:
    """The tooltip HTML of a service: name, categories, and the privacy note if any."""
    cats = ", ".join(category_label(c, lang) for c in service.categories)
    out = f"<b>{_e(service.name_in(lang))}</b><br>{_e(cats)}"
    if service.entry_point:
        out += f"<br>{_e(style.text('entry_point', lang))}"
    if place.precision == "intake":
        out += f"<br><i>{_e(style.text('intake_short', lang))}</i>"
    elif place.withheld:
        out += f"<br><i>{_e(style.text('withheld', lang))}</i>"
    return out


def _service_group(m: folium.Map, category: str, lang: str) -> folium.FeatureGroup:
    """The feature group of a category's services (marked so the clusterer finds it)."""
    st = style.category_style(category)
    group = _group(m, _swatch(st.color) + _e(category_label(category, lang)))
    group._ra_category = category  # type: ignore[attr-defined]
    return group


def service_groups(m: folium.Map) -> list[tuple[folium.FeatureGroup, str]]:
    """(group, category) of every service layer on the map, in the order they were added."""
    return [
        (child, child._ra_category)
        for child in m._children.values()
        if isinstance(child, folium.FeatureGroup) and hasattr(child, "_ra_category")
    ]


def _dot_style(service: Service, category: str, place: PublicPlace) -> dict[str, Any]:
    """A canvas circle marker's look: the same cues as the SVG icon, in fewer pixels."""
    st = style.category_style(category)
    if place.withheld:
        out = {"fillColor": "#ffffff", "color": st.color, "weight": 2.5, "dashArray": "3 2"}
    else:
        out = {"fillColor": st.color, "color": "#ffffff", "weight": 1}
    if service.entry_point:
        out.update(color=style.ENTRY_RING, weight=2.5)
    return {"radius": 6, "fillOpacity": 0.95, "opacity": 1, **out}


def services_layer(
    inventory: Inventory,
    *,
    categories: Iterable[str] | None = None,
    lang: str = "en",
    large: bool | None = None,
    m: folium.Map | None = None,
) -> folium.Map:
    """One feature group per category; each service drawn once, under its first category.

    `categories` keeps only services offering one of them (drawn under the first that
    matches). Hidden confidential services are not drawn. A large inventory (`large`, by
    default from `LARGE_MAP` services) is drawn as one canvas layer of dots per category,
    with the same tooltips and popups, instead of one SVG marker per service.
    """
    m = _ensure_map(m)
    selected = _selected(categories)
    places = public_places(inventory)
    items = []
    for service in inventory.services:
        category = _shown_category(service, selected)
        place = places[service.id]
        if category is not None and place is not None:
            items.append((service, category, place))
    large = len(items) >= LARGE_MAP if large is None else large
    dots: dict[str, list[dict[str, Any]]] = {}
    for service, category, place in items:
        group = _service_group(m, category, lang)
        tip = service_tooltip(service, place, lang=lang)
        popup = service_popup(service, place, lang=lang)
        if large:
            dots.setdefault(group.get_name(), []).append(
                point_feature(
                    place.lat, place.lon, _dot_style(service, category, place), tip, popup
                )
            )
            continue
        marker = DivMarker(
            (place.lat, place.lon),
            service_icon(service, category, place),
            size=style.MARKER_SIZE + 6,
            zIndexOffset=500 if service.entry_point else 0,
        )
        marker.add_child(Bind("bindTooltip", tip))
        marker.add_child(Bind("bindPopup", popup, maxWidth=340))
        marker.add_to(group)
    for group, _ in service_groups(m):
        if group.get_name() in dots:
            CanvasPoints(dots[group.get_name()]).add_to(group)
    return m


def cluster_services(
    m: folium.Map, *, cell_px: int = 36, min_count: int = 2, lang: str = "en"
) -> folium.Map:
    """Cluster the service markers of every category where they crowd (see `Clusterer`)."""
    found = service_groups(m)
    if found:
        Clusterer(
            [g for g, _ in found],
            [style.category_style(c).color for _, c in found],
            cell_px=cell_px,
            min_count=min_count,
            tooltip=style.text("cluster", lang),
        ).add_to(m)
    return m


# --- referrals ---------------------------------------------------------------------------------


def referral_text(inventory: Inventory, index: int, *, lang: str = "en") -> str:
    """`A → B: for mhpss, escorted, 24 h` (plain text, not escaped)."""
    r = inventory.referrals[index]
    a, b = inventory.by_id[r.source_id], inventory.by_id[r.target_id]
    needs = ", ".join(inventory.referral_targets(r))
    return (
        f"{a.name_in(lang)} → {b.name_in(lang)}: {style.text('for', lang)} {needs}, "
        f"{style.mode_label(r.mode, lang)}, "
        f"{i18n.hours_text(r.delay, lang, 0 if float(r.delay).is_integer() else 1)}"
    )


def referrals_layer(
    inventory: Inventory,
    *,
    categories: Iterable[str] | None = None,
    lang: str = "en",
    m: folium.Map | None = None,
) -> folium.Map:
    """Directed lines between the public places of referring and receiving services.

    A route to or from a service that is not drawn (hidden, or filtered out by `categories`)
    is left out, as is one whose two ends share a public place. From `LARGE_MAP` referrals
    they are one thin canvas layer without arrowheads or tooltips, switched off at first.
    """
    m = _ensure_map(m)
    selected = _selected(categories)
    places = public_places(inventory)
    large = len(inventory.referrals) >= LARGE_MAP
    group = _group(m, style.text("referrals", lang), show=not large)
    lines: list[list[tuple[float, float]]] = []
    for i, r in enumerate(inventory.referrals):
        a, b = places[r.source_id], places[r.target_id]
        if a is None or b is None or (a.lat, a.lon) == (b.lat, b.lon):
            continue
        if selected is not None and not all(
            _shown_category(inventory.by_id[s], selected) for s in (r.source_id, r.target_id)
        ):
            continue
        if large:
            lines.append([(a.lat, a.lon), (b.lat, b.lon)])
            continue
        tip = _e(referral_text(inventory, i, lang=lang))
        line = folium.PolyLine(
            [(a.lat, a.lon), (b.lat, b.lon)],
            color=style.REFERRAL_COLOR,
            weight=2.5,
            opacity=0.85,
            dash_array="6 5" if r.mode in style.REFERRAL_DASHED_MODES else None,
        )
        line.add_child(Bind("bindTooltip", tip, sticky=True))
        line.add_child(ArrowHead(group, tooltip=tip, color=style.REFERRAL_COLOR))
        line.add_to(group)
    if lines:
        CanvasLines(lines, color=style.REFERRAL_COLOR, weight=1, opacity=0.45).add_to(group)
    return m


# --- gaps --------------------------------------------------------------------------------------

GAP_BOX_OPEN_MAX = 3
"""The box of gaps without a place starts folded when it holds more sentences than this."""


def gaps_layer(
    inventory: Inventory,
    gaps: Sequence[Gap],
    *,
    lang: str = "en",
    m: folium.Map | None = None,
) -> folium.Map:
    """Red rings around the services named in this site's gaps, with the gaps' sentences.

    Gaps that name no drawable service (a missing category, a hidden service) are listed in a
    box on the map instead.
    """
    m = _ensure_map(m)
    places = public_places(inventory)
    ours = [g for g in gaps if g.site == inventory.site.id]
    by_service: dict[str, list[Gap]] = {}
    unplaced: list[str] = []
    for gap in ours:
        drawn = [s for s in gap.services if places.get(s) is not None]
        for s in drawn:
            by_service.setdefault(s, []).append(gap)
        if not drawn:
            unplaced.append(gap.text(lang))
    if by_service:
        group = _group(m, style.text("gaps_layer", lang))
        rings: list[dict[str, Any]] = []
        for service_id, named in by_service.items():
            place = places[service_id]
            assert place is not None
            worst = min(named, key=lambda g: SEVERITY_ORDER.get(g.severity, 9)).severity
            lines = dict.fromkeys(f"• <b>{_e(g.severity)}</b>: {_e(g.text(lang))}" for g in named)
            if len(by_service) >= LARGE_MAP:
                look = {"radius": 11, "color": style.GAP_COLOR, "fill": False}
                look.update(
                    {
                        ("dashArray" if k == "dash_array" else k): v
                        for k, v in style.GAP_RING[worst].items()
                    }
                )
                rings.append(point_feature(place.lat, place.lon, look, "<br>".join(lines)))
                continue
            ring = folium.CircleMarker(
                (place.lat, place.lon),
                radius=style.GAP_RADIUS,
                color=style.GAP_COLOR,
                fill=False,
                **style.GAP_RING[worst],
            )
            ring.add_child(Bind("bindTooltip", "<br>".join(lines), sticky=True))
            ring.add_to(group)
        if rings:
            CanvasPoints(rings).add_to(group)
    if ours:
        gap_box(
            inventory, ours, unplaced=unplaced, ringed=len(ours) - len(unplaced), lang=lang
        ).add_to(m)
    return m


def gap_box(
    inventory: Inventory,
    gaps: Sequence[Gap],
    *,
    unplaced: Sequence[str],
    ringed: int,
    lang: str = "en",
) -> MapControl:
    """The map's gap panel: every gap of the site counted (the number the Gaps page gives),
    the sentences of those without a place listed, and how many are ringed on the map."""
    n = len(gaps)
    counts = {s: sum(g.severity == s for g in gaps) for s in SEVERITY_ORDER}
    title = f"{_e(style.text('gaps', lang))}: {_e(inventory.site.name)} ({n})"
    summary = " · ".join(f"{k} {_e(style.text(f'sev_{s}', lang))}" for s, k in counts.items() if k)
    body = f'<div class="ra-gap-count" data-count="{n}" style="margin:2px 0">{summary}</div>'
    if ringed:
        ringed_text = style.text("gaps_ringed", lang).format(n=ringed)
        body += f"<div style='margin:2px 0'>{_e(ringed_text)}</div>"
    sentences = list(dict.fromkeys(unplaced))
    if sentences:
        items = "".join(f'<li style="margin:2px 0">{_e(s)}</li>' for s in sentences)
        body += f'<ul style="margin:4px 0 0 16px;padding:0">{items}</ul>'
    return MapControl(
        title,
        body,
        position="bottomleft",
        css_class="ra-gaps",
        color=style.GAP_COLOR,
        open=len(sentences) <= GAP_BOX_OPEN_MAX,
    )


# --- survivor route ----------------------------------------------------------------------------


def _step_what(step: Step, lang: str) -> str:
    if step.category == "entry":
        return style.text("arrival", lang)
    if step.category == "via":
        return style.text("via", lang)
    return category_label(step.category, lang)


def _step_time(step: Step, lang: str, rounded: bool) -> str:
    """'seen 25.0 h after arrival (Tue 11:00)'; to the hour when `rounded`."""
    if rounded:
        hours, clock = f"≈ {round(step.seen_hours)} h", step.clock.split(":")[0] + "h"
    else:
        hours, clock = i18n.hours_text(step.seen_hours, lang, 1), step.clock
    return style.text("route_seen", lang).format(h=hours, clock=clock)


def route_stops(route: Route, inventory: Inventory) -> list[tuple[list[int], list[Step]]]:
    """Step numbers (from 1) and steps, with consecutive steps at one service merged."""
    stops: list[tuple[list[int], list[Step]]] = []
    for k, step in enumerate(route.steps, 1):
        if stops and stops[-1][1][-1].service == step.service:
            stops[-1][0].append(k)
            stops[-1][1].append(step)
        else:
            stops.append(([k], [step]))
    return stops


def _badge(label: str) -> str:
    size = 24 if len(label) <= 2 else 30
    return (
        f'<div style="box-sizing:border-box;width:{size}px;height:24px;'
        "font:700 12px Arial,Helvetica,sans-serif;line-height:20px;border-radius:12px;"
        f"background:{style.ROUTE_COLOR};color:#fff;border:2px solid #fff;"
        f'box-shadow:0 1px 4px rgba(0,0,0,.5);text-align:center">{_e(label)}</div>'
    )


def route_layer(
    inventory: Inventory, route: Route, *, lang: str = "en", m: folium.Map | None = None
) -> folium.Map:
    """A survivor route drawn step by step: numbered hand-offs at the services' public places,
    a purple line with arrowheads between them, and the steps listed in a box.

    Only public places are drawn (a hidden service is listed, not drawn). From the first
    confidential service on, times are shown to the hour only, so that travel times cannot
    be turned back into a distance to it.
    """
    m = _ensure_map(m)
    if route.site != inventory.site.id:
        return m
    places = public_places(inventory)
    group = _group(m, style.text("route", lang))
    rounded = False
    items: list[str] = []
    previous: tuple[float, float] | None = None
    for numbers, steps in route_stops(route, inventory):
        service = inventory.by_id.get(steps[0].service)
        rounded = rounded or bool(service and service.confidential)
        place = places.get(steps[0].service)
        lines = []
        for k, step in zip(numbers, steps, strict=True):
            how = f", {style.mode_label(step.mode, lang)}" if step.mode else ""
            lines.append(
                f"<b>{k}.</b> {_e(step.name)} — {_e(_step_what(step, lang))}{_e(how)}: "
                f"{_e(_step_time(step, lang, rounded))}"
            )
        if place is None:
            lines[-1] += f" <i>({_e(style.text('not_on_map', lang))})</i>"
        items += [f'<li style="margin:2px 0;list-style:none">{t}</li>' for t in lines]
        if place is None:
            continue
        here = (place.lat, place.lon)
        if previous is not None and previous != here:
            tip = _e(f"{numbers[0] - 1} → {numbers[0]}")
            line = folium.PolyLine([previous, here], color=style.ROUTE_COLOR, weight=5, opacity=0.9)
            line.add_child(Bind("bindTooltip", tip, sticky=True))
            line.add_child(ArrowHead(group, tooltip=tip, color=style.ROUTE_COLOR, fraction=0.55))
            line.add_to(group)
        previous = here
        label = ",".join(str(k) for k in numbers)
        marker = DivMarker(
            here,
            _badge(label),
            size=24,
            class_name="ra-step",
            anchor=(-4, 34),  # above and right of the service's own marker, which stays visible
            zIndexOffset=2000,
        )
        marker.add_child(Bind("bindTooltip", "<br>".join(lines)))
        marker.add_to(group)
    needs = ", ".join(category_label(n, lang) for n in route.needs)
    body = f'<ol style="margin:4px 0 0 0;padding:0">{"".join(items)}</ol>'
    if route.found and route.total_hours is not None:
        total = (
            f"≈ {i18n.hours_text(round(route.total_hours), lang)}"
            if rounded
            else i18n.hours_text(route.total_hours, lang, 1)
        )
        body += f"<div style='margin-top:4px'><b>Total</b>: {_e(total)}</div>"
    else:
        body += (
            f"<div style='margin-top:4px;color:{style.GAP_COLOR}'><b>"
            f"{_e(style.text('route_none', lang))}</b>: {_e(route.reason)}</div>"
        )
    if rounded:
        body += f"<div style='margin-top:3px'><i>{_e(style.text('route_rounded', lang))}</i></div>"
    MapControl(
        f"{_e(style.text('route_for', lang))}: {_e(needs)}",
        body,
        position="topleft",
        css_class="ra-route",
        color=style.ROUTE_COLOR,
    ).add_to(m)
    return m


# --- coverage ----------------------------------------------------------------------------------


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
    drawn_as_areas = bool(coverage.areas) and all(u.kind == "area" for u in coverage.points)
    if not drawn_as_areas and coverage.points:
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
    body = "".join(
        f'<div style="margin:1px 0;white-space:nowrap"><span style="display:inline-block;'
        f"width:14px;height:10px;background:{c};opacity:.85;border:1px solid #555;"
        f'margin-right:5px;vertical-align:middle"></span>{_e(t)}</div>'
        for c, t in rows
    )
    if coverage.complete is False:  # a share of the people counted is not the site's share
        body += (
            f"<div style='margin-top:4px;max-width:260px;white-space:normal;"
            f"color:{style.GAP_COLOR}'><b>{_e(coverage.status_in(lang))}</b></div>"
        )
    else:
        shares = " / ".join(
            f"{i18n.number(100 * summary.within[t], lang, 0)} %"
            if lang == "fr"
            else f"{summary.within[t]:.0%}"
            for t in sorted(summary.within)
        )
        limits = "/".join(str(t) for t in sorted(summary.within))
        body += (
            f"<div style='margin-top:4px'>{_e(inventory.site.name)}: {_e(shares)} ≤ {limits} "
            f"{_e(style.text('minutes', lang))} ({_e(i18n.number(coverage.population, lang, 0))} "
            f"{_e(style.text('people', lang))})</div>"
        )
    body += (
        f"<div style='margin-top:3px;color:#555;max-width:260px;white-space:normal'>"
        f"{_e(style.text('population_source', lang))}: {_e(coverage.population_source)}</div>"
    )
    MapControl(
        _e(style.text("coverage_title", lang).format(category=label)),
        body,
        position="bottomleft",
        css_class="ra-coverage",
    ).add_to(m)
    return m


# --- legend ------------------------------------------------------------------------------------


def legend(
    lang: str = "en",
    *,
    categories: Iterable[str] | None = None,
    gaps: bool = True,
    route: bool = False,
    cluster: bool = False,
    open: bool = True,
) -> MacroElement:
    """A legend box (a Leaflet control) with category colours and codes and the symbols
    (`open=False`: folded to its title until clicked).

    `categories` limits the colour list to those (e.g. the ones on the map); all by default.
    `gaps=False` leaves out the gap rings (for a map drawn without gaps); `route` and
    `cluster` add the numbered hand-off and the cluster badge.
    """
    cats = (
        list(style.CATEGORY_STYLES)
        if categories is None
        else list(dict.fromkeys(base_category(c) for c in categories))
    )
    rows = []
    for cat in cats:
        st = style.category_style(cat)
        rows.append(
            f'<div style="margin:1px 0;white-space:nowrap"><span style="display:inline-block;'
            f"min-width:26px;padding:0 3px;border-radius:8px;background:{st.color};"
            f"color:{st.text_color};font-weight:700;font-size:10px;text-align:center;"
            f'margin-right:5px">{st.code}</span>{_e(category_label(cat, lang))}</div>'
        )
    grey = style.CATEGORY_STYLES["safety.shelter"].color
    symbols = [
        (
            f'<svg width="24" height="24"><circle cx="12" cy="12" r="10" fill="#fff" '
            f'stroke="{style.ENTRY_RING}" stroke-width="2.5"/><circle cx="12" cy="12" r="6.5" '
            f'fill="#777"/></svg>',
            style.text("entry_point", lang),
        ),
        (
            f'<svg width="24" height="24"><circle cx="12" cy="12" r="9" fill="#fff" '
            f'stroke="{grey}" stroke-width="3" stroke-dasharray="4 2.5"/></svg>',
            style.text("confidential", lang),
        ),
        (
            f'<svg width="24" height="24"><line x1="1" y1="12" x2="15" y2="12" '
            f'stroke="{style.REFERRAL_COLOR}" stroke-width="2.5"/><polygon '
            f'points="23,12 10,5.5 13,12 10,18.5" fill="{style.REFERRAL_COLOR}"/></svg>',
            style.text("referral", lang),
        ),
        (
            f'<svg width="24" height="24"><line x1="1" y1="12" x2="15" y2="12" '
            f'stroke="{style.REFERRAL_COLOR}" stroke-width="2.5" stroke-dasharray="4 3"/>'
            f'<polygon points="23,12 10,5.5 13,12 10,18.5" fill="{style.REFERRAL_COLOR}"/></svg>',
            style.text("referral_dashed", lang),
        ),
    ]
    if gaps:
        rings = "".join(
            f'<circle cx="{11 + 22 * k}" cy="12" r="8.5" fill="none" stroke="{style.GAP_COLOR}" '
            f'stroke-width="{ring["weight"]}" '
            f'stroke-dasharray="{ring.get("dash_array") or "none"}"/>'
            for k, ring in enumerate(style.GAP_RING.values())
        )
        symbols.append((f'<svg width="66" height="24">{rings}</svg>', style.text("gap", lang)))
    if route:
        symbols.append(
            (
                f'<svg width="24" height="24"><circle cx="12" cy="12" r="10" '
                f'fill="{style.ROUTE_COLOR}" stroke="#fff" stroke-width="2"/><text x="12" y="12" '
                'text-anchor="middle" dominant-baseline="central" fill="#fff" font-size="11" '
                'font-weight="700" font-family="Arial,Helvetica,sans-serif">1</text></svg>',
                style.text("route_step", lang),
            )
        )
    if cluster:
        symbols.append(
            (
                f'<svg width="24" height="24"><circle cx="12" cy="12" r="10" '
                f'fill="{style.CLUSTER_COLOR}" stroke="#fff" stroke-width="2"/><text x="12" '
                'y="12" text-anchor="middle" dominant-baseline="central" fill="#fff" '
                'font-size="10" font-weight="700" font-family="Arial,Helvetica,sans-serif">'
                "5</text></svg>",
                style.text("cluster", lang),
            )
        )
    for svg, label in symbols:
        rows.append(
            '<div style="display:flex;align-items:center;gap:5px;margin:2px 0">'
            f'<span style="flex:none;line-height:0">{svg}</span><span>{_e(label)}</span></div>'
        )
    return MapControl(
        _e(style.text("legend", lang)),
        "".join(rows),
        position="bottomright",
        css_class="ra-legend",
        open=open,
    )
