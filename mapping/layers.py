"""Folium layers of a site: boundaries, services, referral routes, gaps, and the legend.

Every function draws; none computes analyses (gaps come in as arguments). Places come from
`mapping.privacy` only, so a confidential service is never drawn where it is. Every string
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
from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template

from mapping import style
from mapping.privacy import PublicPlace, public_places
from pathways.errors import InventoryError, display_path
from pathways.gaps import SEVERITY_ORDER, Gap
from pathways.inventory import Inventory, Service, base_category, category_label

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

    def __init__(self, location: Sequence[float], html_: str, *, size: int, **options: Any) -> None:
        super().__init__()
        self._name = "DivMarker"
        self.location = [float(location[0]), float(location[1])]
        self.icon = {
            "html": html_,
            "className": "ra-icon",
            "iconSize": [size, size],
            "iconAnchor": [size / 2, size / 2],
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


class MapControl(MacroElement):
    """A box on the map (legend, notes) as a Leaflet control that folds away on a click.

    `title` and `body` are HTML the caller has escaped.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.content|tojavascript }};
                div.setAttribute("style", {{ this.box_style|tojson }});
                var room = {{ this._parent.get_name() }}.getSize().y - 90;
                div.style.maxHeight = Math.max(room, 60) + "px";
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
        self.css_class = f"leaflet-control ra-control {css_class}".strip()
        self.box_style = (
            "background:rgba(255,255,255,0.94);padding:8px 10px;border-radius:6px;"
            "box-shadow:0 1px 5px rgba(0,0,0,0.35);font:12px/1.35 Arial,Helvetica,sans-serif;"
            "color:#222;max-width:320px;overflow:auto;"
        )


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


# --- helpers -----------------------------------------------------------------------------------


def _e(value: object) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(value), quote=True)


def _ensure_map(m: folium.Map | None) -> folium.Map:
    if m is not None:
        return m
    return folium.Map(tiles=None, prefer_canvas=True, control_scale=True)


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
    return (
        f'<tr><th style="text-align:left;vertical-align:top;padding:1px 8px 1px 0;'
        f'white-space:nowrap">{_e(label)}</th><td style="padding:1px 0">{value}</td></tr>'
    )


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
    if service.organisation:
        rows.append(_row(t("organisation"), _e(service.organisation)))
    rows.append(
        _row(t("categories"), "<br>".join(_e(category_label(c, lang)) for c in service.categories))
    )
    hours = _e(service.hours.describe())
    if service.hours_note:
        hours += f"<br><i>{_e(service.hours_note)}</i>"
    rows.append(_row(t("hours"), hours))
    if service.languages or service.interpretation:
        langs = _e(", ".join(service.languages))
        if service.interpretation:
            langs += ("; " if langs else "") + _e(t("interpretation"))
        rows.append(_row(t("languages"), langs))
    serves = ", ".join(service.serves)
    if service.age_min or service.age_max is not None:
        top = "" if service.age_max is None else str(service.age_max)
        serves += f"; {t('ages')} {service.age_min}–{top}"
    rows.append(_row(t("serves"), _e(serves)))
    if service.legal_status != "any":
        rows.append(_row(t("legal_status"), _e(service.legal_status)))
    if service.cost != "free":
        rows.append(_row(t("cost"), _e(service.cost)))
    if service.requires:
        rows.append(_row(t("requires"), _e(", ".join(service.requires))))
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
    desc = (
        f'<div style="margin:4px 0">{_e(service.description)}</div>' if service.description else ""
    )
    return (
        f'<div class="ra-popup" style="{_FONT};min-width:220px;max-width:320px">'
        '<div style="font-size:13px;font-weight:700">'
        f"{_e(service.name)}</div>{desc}<table>{''.join(rows)}</table></div>"
    )


def service_tooltip(service: Service, place: PublicPlace, *, lang: str = "en") -> str:
    """The tooltip HTML of a service: name, categories, and the privacy note if any."""
    cats = ", ".join(category_label(c, lang) for c in service.categories)
    out = f"<b>{_e(service.name)}</b><br>{_e(cats)}"
    if service.entry_point:
        out += f"<br>{_e(style.text('entry_point', lang))}"
    if place.precision == "intake":
        out += f"<br><i>{_e(style.text('intake_short', lang))}</i>"
    elif place.withheld:
        out += f"<br><i>{_e(style.text('withheld', lang))}</i>"
    return out


def services_layer(
    inventory: Inventory,
    *,
    categories: Iterable[str] | None = None,
    lang: str = "en",
    m: folium.Map | None = None,
) -> folium.Map:
    """One feature group per category; each service drawn once, under its first category.

    `categories` keeps only services offering one of them (drawn under the first that
    matches). Hidden confidential services are not drawn.
    """
    m = _ensure_map(m)
    selected = _selected(categories)
    places = public_places(inventory)
    for service in inventory.services:
        category = _shown_category(service, selected)
        place = places[service.id]
        if category is None or place is None:
            continue
        st = style.category_style(category)
        group = _group(m, _swatch(st.color) + _e(category_label(category, lang)))
        marker = DivMarker(
            (place.lat, place.lon),
            service_icon(service, category, place),
            size=style.MARKER_SIZE + 6,
            zIndexOffset=500 if service.entry_point else 0,
        )
        marker.add_child(Bind("bindTooltip", service_tooltip(service, place, lang=lang)))
        marker.add_child(Bind("bindPopup", service_popup(service, place, lang=lang), maxWidth=340))
        marker.add_to(group)
    return m


# --- referrals ---------------------------------------------------------------------------------


def referral_text(inventory: Inventory, index: int, *, lang: str = "en") -> str:
    """`A → B: for mhpss, escorted, 24 h` (plain text, not escaped)."""
    r = inventory.referrals[index]
    a, b = inventory.by_id[r.source_id], inventory.by_id[r.target_id]
    needs = ", ".join(inventory.referral_targets(r))
    return (
        f"{a.name} → {b.name}: {style.text('for', lang)} {needs}, "
        f"{style.mode_label(r.mode, lang)}, {r.delay:g} h"
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
    is left out, as is one whose two ends share a public place.
    """
    m = _ensure_map(m)
    selected = _selected(categories)
    places = public_places(inventory)
    group = _group(m, style.text("referrals", lang))
    for i, r in enumerate(inventory.referrals):
        a, b = places[r.source_id], places[r.target_id]
        if a is None or b is None or (a.lat, a.lon) == (b.lat, b.lon):
            continue
        if selected is not None and not all(
            _shown_category(inventory.by_id[s], selected) for s in (r.source_id, r.target_id)
        ):
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
        for service_id, named in by_service.items():
            place = places[service_id]
            assert place is not None
            worst = min(named, key=lambda g: SEVERITY_ORDER.get(g.severity, 9)).severity
            ring = folium.CircleMarker(
                (place.lat, place.lon),
                radius=style.GAP_RADIUS,
                color=style.GAP_COLOR,
                fill=False,
                **style.GAP_RING[worst],
            )
            lines = dict.fromkeys(f"• <b>{_e(g.severity)}</b>: {_e(g.text(lang))}" for g in named)
            ring.add_child(Bind("bindTooltip", "<br>".join(lines), sticky=True))
            ring.add_to(group)
    if unplaced:
        sentences = list(dict.fromkeys(unplaced))
        title = f"{_e(style.text('gaps', lang))}: {_e(inventory.site.name)} ({len(sentences)})"
        items = "".join(f'<li style="margin:2px 0">{_e(s)}</li>' for s in sentences)
        MapControl(
            title,
            f'<ul style="margin:4px 0 0 16px;padding:0">{items}</ul>',
            position="bottomleft",
            css_class="ra-gaps",
            color=style.GAP_COLOR,
            open=len(sentences) <= GAP_BOX_OPEN_MAX,
        ).add_to(m)
    return m


# --- legend ------------------------------------------------------------------------------------


def legend(
    lang: str = "en", *, categories: Iterable[str] | None = None, gaps: bool = True
) -> MacroElement:
    """A legend box (a Leaflet control) with category colours and codes and the symbols.

    `categories` limits the colour list to those (e.g. the ones on the map); all by default.
    `gaps=False` leaves out the gap rings (for a map drawn without gaps).
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
    for svg, label in symbols:
        rows.append(
            '<div style="display:flex;align-items:center;gap:5px;margin:2px 0">'
            f'<span style="flex:none;line-height:0">{svg}</span><span>{_e(label)}</span></div>'
        )
    return MapControl(
        _e(style.text("legend", lang)), "".join(rows), position="bottomright", css_class="ra-legend"
    )
