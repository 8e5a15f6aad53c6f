"""The Leaflet elements the layers are drawn with, and the helpers every layer shares.

Our own small `MacroElement`s instead of folium's `Tooltip`, `Popup` and plugins: content goes
to JavaScript as JSON (never inside a template literal), and only Leaflet core is needed.
`_e` escapes every string taken from an inventory or a boundary file; `_js` writes data as
script-safe JSON.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from mapping import style
from mapping.tree import children
from pathways.model.inventory import Inventory

LARGE_MAP = 500
"""From this many services (or referrals, or gap rings) a layer is drawn as one canvas GeoJSON
layer of circle markers instead of one Leaflet object each (10,000 services draw in about a
second instead of several)."""

OPEN_ZOOM = 15
"""From this zoom (a town of a few kilometres fills the map) services are never clustered."""


_FONT = "font:12px/1.35 Arial,Helvetica,sans-serif;color:#222"

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
    if not any(isinstance(c, PageStyle) for c in children(m)):
        PageStyle(POPUP_CSS).add_to(m)
    return m


def _find_group(m: folium.Map, name: str) -> folium.FeatureGroup | None:
    """The map's feature group called `name`, if it has one."""
    for child in children(m):
        if isinstance(child, folium.FeatureGroup) and child.layer_name == name:
            return child
    return None


def _group(m: folium.Map, name: str, *, show: bool = True) -> folium.FeatureGroup:
    """The map's feature group called `name` (so several sites share one layer entry)."""
    group = _find_group(m, name)
    if group is not None:
        return group
    group = folium.FeatureGroup(name=name, show=show)
    group.add_to(m)
    return group


def _swatch(color: str) -> str:
    return (
        f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
        f'background:{color};margin-right:4px;vertical-align:middle"></span>'
    )


# --- small Leaflet elements of our own -------------------------------------------------------


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
        for element in children(self):
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
            {{ this.badge_js }}
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
                var color = same ? colors[list[0].gi] : {{ this.mixed|tojson }};
                var marker = L.marker([lat / n, lng / n], {
                    icon: badgeIcon(n, color),
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
        self.badge_js = _BADGE_JS
        self.groups = list(groups)
        self.colors = list(colors)
        self.cell_px = cell_px
        self.min_count = min_count
        self.open_zoom = open_zoom
        self.fan_px = fan_px
        self.mixed = style.CLUSTER_COLOR
        self.tip = f'<div style="{_FONT}"><b>%N%</b> — {_e(tooltip)}</div>'


_BADGE_JS = """function badgeIcon(n, color) {
                var size = Math.round(Math.min(24 + 4 * Math.log(n) / Math.LN2, 46));
                return L.divIcon({
                    html: '<div style="box-sizing:border-box;width:' + size + 'px;height:' +
                        size + 'px;font:700 12px Arial,Helvetica,sans-serif;line-height:' +
                        (size - 4) + 'px;border-radius:50%;background:' + color +
                        ';color:#fff;border:2px solid #fff;box-shadow:0 0 0 2px ' + color +
                        ';text-align:center;text-shadow:0 0 2px #000">' + n + '</div>',
                    className: "ra-cluster", iconSize: [size, size],
                    iconAnchor: [size / 2, size / 2]
                });
            }"""
"""A numbered badge (`ra-cluster`) of `n` services in `color`, its size growing with `n`: the
clusters of site maps and the counts of national maps look alike."""


# --- the offline base map's elements ---------------------------------------------------------


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


# --- national maps -------------------------------------------------------------------------------

NATIONAL_MAP = 5_000
"""From this many services a map is national (`NationalPoints`): counts by area at low zoom,
each service only where the view is, popups put together on demand."""

DETAIL_ZOOM = 11
"""From this zoom (a district fills the map) a national map draws each service in view."""


def is_national(inventory: Inventory) -> bool:
    """Is the inventory drawn as a national map (`NationalPoints`, `NationalRoutes`)?"""
    return len(inventory.services) >= NATIONAL_MAP


_SPLIT = re.compile(
    r"(<tr>.*?</tr>|<br>|<b>|</b>|<i>|</i>"
    r'|<div class="ra-popup"><div class="ra-title">|</div><table>|</table></div>|</div>)'
)


class _Fragments:
    """Escaped HTML cut into pieces shared by every service (table rows, tags, texts that
    repeat: a category's label, an opening-hours line), each written once; a popup or a
    tooltip is the list of its pieces' numbers, most common pieces numbered first."""

    def __init__(self) -> None:
        self.pieces: dict[str, int] = {}
        self.counts: list[int] = []

    def cut(self, html_: str) -> list[int]:
        out = []
        for piece in _SPLIT.split(html_):
            if piece:
                k = self.pieces.setdefault(piece, len(self.pieces))
                if k == len(self.counts):
                    self.counts.append(0)
                self.counts[k] += 1
                out.append(k)
        return out

    def renumbered(self) -> tuple[list[str], list[int]]:
        """The pieces, most common first, and each old number's new one."""
        order = sorted(range(len(self.counts)), key=lambda k: -self.counts[k])
        new = [0] * len(order)
        for i, k in enumerate(order):
            new[k] = i
        texts = list(self.pieces)
        return [texts[k] for k in order], new


PointItem = tuple[float, float, dict[str, Any], str, str]
"""A national map's service: latitude, longitude, marker style, tooltip and popup HTML."""


@dataclass(frozen=True)
class PointsData:
    """A national map's services as `NationalPoints` writes them: shared pieces of HTML, marker
    styles and per group the compact arrays, as script-safe JSON, with their bounds."""

    pieces: str
    styles: str
    data: str
    bounds: list[list[float]] | None

    def payload(self) -> str:
        """The whole as one JSON object (pieces `P`, styles `S`, data `D`)."""
        return f'{{"P":{self.pieces},"S":{self.styles},"D":{self.data}}}'

    @classmethod
    def of(cls, items: Sequence[Sequence[PointItem]]) -> PointsData:
        """Compact the services of each group (see `NationalPoints`)."""
        fragments = _Fragments()
        looks: dict[str, int] = {}
        raw = []
        for group in items:
            d: dict[str, list[Any]] = {"y": [], "x": [], "s": [], "t": [], "p": []}
            for lat, lon, style_, tip, popup in group:
                d["y"].append(round(lat * 1e5))
                d["x"].append(round(lon * 1e5))
                d["s"].append(looks.setdefault(json.dumps(style_, sort_keys=True), len(looks)))
                d["t"].append(fragments.cut(tip))
                d["p"].append(fragments.cut(popup))
            raw.append(d)
        pieces, new = fragments.renumbered()
        for d in raw:
            d["t"] = [[new[k] for k in seq] for seq in d["t"]]
            d["p"] = [[new[k] for k in seq] for seq in d["p"]]
        lats = [p[0] for g in items for p in g]
        lons = [p[1] for g in items for p in g]
        return cls(
            _js(pieces),
            _js([json.loads(k) for k in looks]),
            _js(raw),
            [[min(lats), min(lons)], [max(lats), max(lons)]] if lats else None,
        )


class _ServedData(_DataElement):
    """An element whose data (`payload()`, script-safe JSON) is written into the map's script,
    or, once `source` is set (`mapping.assets.serve_data`), fetched from that URL: the app
    serves a national map's megabytes as a file instead of sending them through every
    session's page (issue #19). The script defines `start(data)`; `loader()` calls it."""

    source: str | None = None

    def payload(self) -> str:
        raise NotImplementedError

    def loader(self) -> str:
        """The script's last line: start on the data written here, or once fetched."""
        if self.source is None:
            return f"start({self.payload()});"
        return (
            f"fetch({json.dumps(self.source)}).then(function (r) {{ return r.json(); }})"
            ".then(start);"
        )


class NationalPoints(_ServedData):
    """Every service of a national map, in one compact script (issue #19).

    Below `detail_zoom`, the services of the category layers that are switched on are counted
    in cells of `cell_px` screen pixels: one numbered badge per cell, at the mean of its public
    places (a click zooms in); a service alone in its cell is drawn as itself. From
    `detail_zoom` on, each service in the view (and a margin) is a canvas circle marker, with
    the same tooltip and popup as on a site map, put together from shared pieces when it opens
    (`NationalRoutes` draws the routes so). Places are public places only (given by the
    caller, `pathways.public.privacy`); every text is escaped by the caller. No Leaflet plugin.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var P, S, D;  // pieces, styles, data: given to start() below
            var groups = [{% for g in this.groups %}{{ g.get_name() }},{% endfor %}];
            var colors = {{ this.colors|tojson }}, mixed = {{ this.mixed|tojson }};
            var detail = {{ this.detail_zoom|tojson }}, cellPx = {{ this.cell_px|tojson }};
            var wrap = {{ this.wrap|tojson }}, tip = {{ this.tip|tojson }};
            var dots = groups.map(function (g) {
                var l = L.layerGroup(); g.addLayer(l); return l;
            });
            var badges = L.layerGroup().addTo(map);
            {{ this.badge_js }}
            function html(seq) {
                var out = "";
                for (var i = 0; i < seq.length; i++) { out += P[seq[i]]; }
                return out;
            }
            function lat(d, i) { return d.y[i] / 1e5; }
            function lon(d, i) { return d.x[i] / 1e5; }
            function marker(d, i) {
                var m = L.circleMarker([lat(d, i), lon(d, i)], S[d.s[i]]);
                m.bindTooltip(function () { return wrap.replace("CONTENT", html(d.t[i])); });
                m.bindPopup(function () { return html(d.p[i]); }, {maxWidth: 340});
                return m;
            }
            function badge(c) {
                var n = c.n, icon = badgeIcon(n, c.gi >= 0 ? colors[c.gi] : mixed);
                var b = L.marker([c.lat / n, c.lon / n], {icon: icon, zIndexOffset: 1000});
                b.bindTooltip(tip.replace("%N%", n));
                b.on("click", function () {
                    map.setView(b.getLatLng(), Math.min(map.getZoom() + 2, detail));
                });
                return b;
            }
            var shown = {};  // "group:index" -> its marker, while on the map
            function keep(wanted) {
                // a marker stays while wanted (or while its popup is open: a pan to show a
                // popup must not close it); the others come and go
                Object.keys(shown).forEach(function (k) {
                    if (!wanted[k] && !shown[k].isPopupOpen()) {
                        dots[+k.split(":")[0]].removeLayer(shown[k]);
                        delete shown[k];
                    }
                });
                Object.keys(wanted).forEach(function (k) {
                    if (!shown[k]) {
                        var w = wanted[k];
                        shown[k] = marker(D[w[0]], w[1]);
                        dots[w[0]].addLayer(shown[k]);
                    }
                });
            }
            function draw() {
                var z = map.getZoom(), view = map.getBounds().pad(0.25);
                var cells = {}, wanted = {};
                badges.clearLayers();
                D.forEach(function (d, gi) {
                    if (!map.hasLayer(groups[gi])) { return; }
                    for (var i = 0; i < d.y.length; i++) {
                        var ll = L.latLng(lat(d, i), lon(d, i));
                        if (z >= detail) {
                            if (view.contains(ll)) { wanted[gi + ":" + i] = [gi, i]; }
                            continue;
                        }
                        var p = map.project(ll, z);
                        var key = Math.floor(p.x / cellPx) + ":" + Math.floor(p.y / cellPx);
                        var c = cells[key];
                        if (!c) { c = cells[key] = {n: 0, lat: 0, lon: 0, gi: gi, i: i}; }
                        c.n += 1; c.lat += ll.lat; c.lon += ll.lng;
                        if (c.gi !== gi) { c.gi = -1; }
                    }
                });
                Object.keys(cells).forEach(function (k) {
                    var c = cells[k];  // a service alone in its cell is drawn as itself
                    if (c.n === 1) { wanted[c.gi + ":" + c.i] = [c.gi, c.i]; }
                    else { badges.addLayer(badge(c)); }
                });
                keep(wanted);
            }
            function start(x) {
                P = x.P; S = x.S; D = x.D;
                map.on("zoomend moveend overlayadd overlayremove", draw);
                map.whenReady(draw);
            }
            {{ this.loader() }}
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        groups: Sequence[folium.FeatureGroup],
        colors: Sequence[str],
        items: Sequence[Sequence[PointItem]] | PointsData,
        *,
        detail_zoom: int = DETAIL_ZOOM,
        cell_px: int = 60,
        tooltip: str = "",
    ) -> None:
        """`items[g]`: the services of `groups[g]` as (lat, lon, style, tooltip, popup), or
        their `PointsData` worked out before (the app shares it between sessions)."""
        super().__init__()
        self._name = "NationalPoints"
        self.badge_js = _BADGE_JS
        self.groups, self.colors = list(groups), list(colors)
        points = items if isinstance(items, PointsData) else PointsData.of(items)
        self.points = points
        self.detail_zoom, self.cell_px = detail_zoom, cell_px
        self.mixed = style.CLUSTER_COLOR
        self.wrap = f'<div style="{_FONT}">CONTENT</div>'
        self.tip = f'<div style="{_FONT}"><b>%N%</b> — {_e(tooltip)}</div>'
        self._bounds = points.bounds

    def payload(self) -> str:
        return self.points.payload()

    def _get_self_bounds(self) -> list[list[float | None]]:
        if self._bounds is None:
            return [[None, None], [None, None]]
        return [[v for v in corner] for corner in self._bounds]


def route_data(places: Sequence[tuple[float, float]], pairs: Sequence[tuple[int, int]]) -> str:
    """Routes for `NationalRoutes`: each place once (`y`, `x` in 1e-5 degrees), a route as the
    numbers of its two places (`a`, `b`); script-safe JSON."""
    return _js(
        {
            "y": [round(lat * 1e5) for lat, _ in places],
            "x": [round(lon * 1e5) for _, lon in places],
            "a": [a for a, _ in pairs],
            "b": [b for _, b in pairs],
        }
    )


class NationalRoutes(_ServedData):
    """The routes of a national map (issue #19): drawn, in the layer they are added to, only
    from `detail_zoom` on and only those with an end in the view (each place written once,
    a route as two numbers)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent._parent.get_name() }}, group = {{ this._parent.get_name() }};
            var R, detail = {{ this.detail_zoom|tojson }};  // R: given to start() below
            var lines = L.layerGroup().addTo(group);
            function draw() {
                lines.clearLayers();
                if (map.getZoom() < detail || !map.hasLayer(group)) { return; }
                var view = map.getBounds().pad(0.25), drawn = [];
                for (var j = 0; j < R.a.length; j++) {
                    var a = L.latLng(R.y[R.a[j]] / 1e5, R.x[R.a[j]] / 1e5);
                    var b = L.latLng(R.y[R.b[j]] / 1e5, R.x[R.b[j]] / 1e5);
                    if (view.contains(a) || view.contains(b)) { drawn.push([a, b]); }
                }
                if (drawn.length) { lines.addLayer(L.polyline(drawn, {{ this.options|tojson }})); }
            }
            function start(x) {
                R = x;
                map.on("zoomend moveend overlayadd overlayremove", draw);
                map.whenReady(draw);
            }
            {{ this.loader() }}
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: str,
        *,
        detail_zoom: int = DETAIL_ZOOM,
        **options: Any,
    ) -> None:
        """`data`: the routes as `route_data` writes them."""
        super().__init__()
        self._name = "NationalRoutes"
        self.data = data
        self.detail_zoom = detail_zoom
        self.options = {"interactive": False, **options}

    def payload(self) -> str:
        return self.data
