"""The survivor route layer: numbered hand-offs, the line between them, and the steps in a box."""

from __future__ import annotations

from typing import TYPE_CHECKING

import folium

from mapping import style
from mapping.layers._elements import ArrowHead, Bind, DivMarker, MapControl, _e, _ensure_map, _group
from pathways import i18n
from pathways.model.inventory import Inventory, category_label
from pathways.public.privacy import public_places, rounds_times

if TYPE_CHECKING:
    from pathways.analysis.routes import Route, Step


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
        rounded = rounded or rounds_times(service)
        place = places.get(steps[0].service)
        lines = _stop_lines(numbers, steps, lang=lang, rounded=rounded, drawn=place is not None)
        items += [f'<li style="margin:2px 0;list-style:none">{t}</li>' for t in lines]
        if place is None:
            continue
        here = (place.lat, place.lon)
        _draw_stop(group, numbers, lines, here=here, previous=previous)
        previous = here
    _route_box(route, items, rounded=rounded, lang=lang).add_to(m)
    return m


def _stop_lines(
    numbers: list[int], steps: list[Step], *, lang: str, rounded: bool, drawn: bool
) -> list[str]:
    """One line of HTML per step at a stop: number, service, what, how and when."""
    lines = []
    for k, step in zip(numbers, steps, strict=True):
        how = f", {style.mode_label(step.mode, lang)}" if step.mode else ""
        lines.append(
            f"<b>{k}.</b> {_e(step.name)} — {_e(_step_what(step, lang))}{_e(how)}: "
            f"{_e(_step_time(step, lang, rounded))}"
        )
    if not drawn:
        lines[-1] += f" <i>({_e(style.text('not_on_map', lang))})</i>"
    return lines


def _draw_stop(
    group: folium.FeatureGroup,
    numbers: list[int],
    lines: list[str],
    *,
    here: tuple[float, float],
    previous: tuple[float, float] | None,
) -> None:
    """The line with an arrowhead from the previous stop (if elsewhere), and the stop's badge."""
    if previous is not None and previous != here:
        tip = _e(f"{numbers[0] - 1} → {numbers[0]}")
        line = folium.PolyLine([previous, here], color=style.ROUTE_COLOR, weight=5, opacity=0.9)
        line.add_child(Bind("bindTooltip", tip, sticky=True))
        line.add_child(ArrowHead(group, tooltip=tip, color=style.ROUTE_COLOR, fraction=0.55))
        line.add_to(group)
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


def _route_box(route: Route, items: list[str], *, rounded: bool, lang: str) -> MapControl:
    """The box listing the steps (`items`: escaped HTML), the total time or why none."""
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
    return MapControl(
        f"{_e(style.text('route_for', lang))}: {_e(needs)}",
        body,
        position="topleft",
        css_class="ra-route",
        color=style.ROUTE_COLOR,
    )
