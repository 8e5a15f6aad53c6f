"""The services layer: one marker per service at its public place, per category, with its
tooltip and popup; their clustering; and the service in focus."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import folium

from mapping import style
from mapping.layers._elements import (
    LARGE_MAP,
    OPEN_ZOOM,
    Bind,
    CanvasPoints,
    Clusterer,
    DivMarker,
    Focus,
    NationalPoints,
    PointItem,
    PointsData,
    _e,
    _ensure_map,
    _find_group,
    _swatch,
    is_national,
    point_feature,
)
from mapping.tree import children
from pathways import i18n
from pathways.model.inventory import Inventory, Service, base_category, category_label
from pathways.model.memo import InventoryMemo
from pathways.public import card
from pathways.public.privacy import PublicPlace, public_places, shown_address


def _selected(categories: Iterable[str] | None) -> set[str] | None:
    return None if categories is None else set(categories)


def _shown_category(service: Service, selected: set[str] | None) -> str | None:
    """The category a service is drawn under: its first, or its first selected one."""
    for cat in service.categories:
        if selected is None or cat in selected or base_category(cat) in selected:
            return base_category(cat)
    return None


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
    address = shown_address(service, place)
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


class ServiceGroup(folium.FeatureGroup):
    """The feature group of one category's services (those `cluster_services` gathers)."""

    def __init__(self, category: str, *, name: str) -> None:
        super().__init__(name=name, show=True)
        self.category = category


def _service_group(m: folium.Map, category: str, lang: str) -> folium.FeatureGroup:
    """The map's feature group of a category's services (made on first use)."""
    name = _swatch(style.category_style(category).color) + _e(category_label(category, lang))
    group = _find_group(m, name)
    if group is None:
        group = ServiceGroup(category, name=name)
        group.add_to(m)
    return group


def service_groups(m: folium.Map) -> list[tuple[folium.FeatureGroup, str]]:
    """(group, category) of every service layer on the map, in the order they were added."""
    return [(child, child.category) for child in children(m) if isinstance(child, ServiceGroup)]


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
    with the same tooltips and popups, instead of one SVG marker per service; a national one
    (`NATIONAL_MAP` services) as counts by area, each service only where the view is
    (`NationalPoints`).
    """
    m = _ensure_map(m)
    selected = _selected(categories)
    if is_national(inventory):
        return _national(m, inventory, selected, lang)
    items = _drawn_services(inventory, selected)
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


def _drawn_services(
    inventory: Inventory, selected: set[str] | None
) -> list[tuple[Service, str, PublicPlace]]:
    """The services drawn, each with the category it is drawn under and its public place."""
    places = public_places(inventory)
    items = []
    for service in inventory.services:
        category = _shown_category(service, selected)
        place = places[service.id]
        if category is not None and place is not None:
            items.append((service, category, place))
    return items


def _national(
    m: folium.Map, inventory: Inventory, selected: set[str] | None, lang: str
) -> folium.Map:
    """A national map's services: one `NationalPoints` for every category group."""
    key = (lang, None if selected is None else tuple(sorted(selected)))
    cats, points = _NATIONAL_POINTS.get(
        inventory, key, lambda: _national_points(inventory, selected, lang)
    )
    NationalPoints(
        [_service_group(m, c, lang) for c in cats],
        [style.category_style(c).color for c in cats],
        points,
        tooltip=style.text("cluster", lang),
    ).add_to(m)
    return m


def _national_points(
    inventory: Inventory, selected: set[str] | None, lang: str
) -> tuple[tuple[str, ...], PointsData]:
    """The categories drawn, in order, and their services as `NationalPoints` writes them."""
    per_group: dict[str, list[PointItem]] = {}
    for service, category, place in _drawn_services(inventory, selected):
        per_group.setdefault(category, []).append(
            (
                place.lat,
                place.lon,
                _dot_style(service, category, place),
                service_tooltip(service, place, lang=lang),
                service_popup(service, place, lang=lang),
            )
        )
    return tuple(per_group), PointsData.of(list(per_group.values()))


_NATIONAL_POINTS: InventoryMemo[tuple[tuple[str, ...], PointsData]] = InventoryMemo()
"""A national map's services as drawn, per inventory, language and categories chosen: working
out 10,000 popups took a second of each Workshop page (issue #19)."""


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
