"""The referrals layer: directed lines between the public places of two services."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import folium

from mapping import style
from mapping.layers._elements import (
    LARGE_MAP,
    ArrowHead,
    Bind,
    CanvasLines,
    NationalRoutes,
    _e,
    _ensure_map,
    _group,
    is_national,
    route_data,
)
from mapping.layers.services import _selected, _shown_category
from pathways import i18n
from pathways.model.inventory import Inventory, Referral
from pathways.model.memo import InventoryMemo
from pathways.public.privacy import public_places


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
    if is_national(inventory):
        return _national_routes(inventory, places, selected, group, m)
    lines: list[list[tuple[float, float]]] = []
    for i, r, a, b in _drawn(inventory, places, selected):
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


def _drawn(
    inventory: Inventory, places: Mapping[str, Any], selected: set[str] | None
) -> Iterator[tuple[int, Referral, Any, Any]]:
    """The routes drawn, with their two public places: not to or from a service that is not
    drawn (hidden, or filtered out by `selected`), nor between two services at one place."""
    for i, r in enumerate(inventory.referrals):
        a, b = places[r.source_id], places[r.target_id]
        if a is None or b is None or (a.lat, a.lon) == (b.lat, b.lon):
            continue
        if selected is not None and not all(
            _shown_category(inventory.by_id[s], selected) for s in (r.source_id, r.target_id)
        ):
            continue
        yield i, r, a, b


def _national_routes(
    inventory: Inventory,
    places: Mapping[str, Any],
    selected: set[str] | None,
    group: folium.FeatureGroup,
    m: folium.Map,
) -> folium.Map:
    """A national map's routes (`NationalRoutes`): the same routes as `referrals_layer`
    keeps, each public place written once (worked out once per inventory and categories)."""

    def routes() -> str | None:
        index: dict[str, int] = {}
        spots: list[tuple[float, float]] = []
        pairs: list[tuple[int, int]] = []
        for _, r, a, b in _drawn(inventory, places, selected):
            two = []
            for sid, place in ((r.source_id, a), (r.target_id, b)):
                if sid not in index:
                    index[sid] = len(spots)
                    spots.append((place.lat, place.lon))
                two.append(index[sid])
            pairs.append((two[0], two[1]))
        if not pairs:
            return None
        return route_data(spots, pairs)

    key = None if selected is None else tuple(sorted(selected))
    data = _NATIONAL_ROUTES.get(inventory, key, routes)
    if data is not None:
        NationalRoutes(data, color=style.REFERRAL_COLOR, weight=1, opacity=0.45).add_to(group)
    return m


_NATIONAL_ROUTES: InventoryMemo[str | None] = InventoryMemo()
"""A national map's routes (`route_data`), per inventory and categories drawn."""
