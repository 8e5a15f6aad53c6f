"""The gaps layer: rings around the services a gap names, and the box of the site's gaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium

from mapping import style
from mapping.layers._elements import (
    LARGE_MAP,
    Bind,
    CanvasPoints,
    MapControl,
    _e,
    _ensure_map,
    _group,
    point_feature,
)
from pathways.analysis.gaps import SEVERITY_ORDER, Gap
from pathways.model.inventory import Inventory
from pathways.public.privacy import PublicPlace, public_places

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
        _draw_rings(_group(m, style.text("gaps_layer", lang)), by_service, places, lang)
    if ours:
        gap_box(
            inventory, ours, unplaced=unplaced, ringed=len(ours) - len(unplaced), lang=lang
        ).add_to(m)
    return m


def _draw_rings(
    group: folium.FeatureGroup,
    by_service: dict[str, list[Gap]],
    places: Mapping[str, PublicPlace | None],
    lang: str,
) -> None:
    """A ring around each service named in gaps (drawn as its worst gap's severity), its tooltip
    the gaps' sentences; from `LARGE_MAP` services, one canvas layer of rings."""
    rings: list[dict[str, Any]] = []
    for service_id, named in by_service.items():
        place = places[service_id]
        assert place is not None
        worst = min(named, key=lambda g: SEVERITY_ORDER.get(g.severity, 9)).severity
        lines = dict.fromkeys(f"• <b>{_e(g.severity)}</b>: {_e(g.text(lang))}" for g in named)
        if len(by_service) >= LARGE_MAP:
            rings.append(
                point_feature(place.lat, place.lon, _canvas_ring(worst), "<br>".join(lines))
            )
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


def _canvas_ring(severity: str) -> dict[str, Any]:
    """The look of a gap ring of this severity as a canvas circle marker."""
    look: dict[str, Any] = {"radius": 11, "color": style.GAP_COLOR, "fill": False}
    look.update(
        {("dashArray" if k == "dash_array" else k): v for k, v in style.GAP_RING[severity].items()}
    )
    return look


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
