"""The legend: category colours and codes, and the symbols of the map."""

from __future__ import annotations

from collections.abc import Iterable

from branca.element import MacroElement

from mapping import style
from mapping.layers._elements import MapControl, _e
from pathways.model.inventory import base_category, category_label


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
    rows = [_category_row(cat, lang) for cat in cats]
    for svg, label in _symbols(lang, gaps=gaps, route=route, cluster=cluster):
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


def _category_row(category: str, lang: str) -> str:
    """A category's code on its colour, and its name."""
    st = style.category_style(category)
    return (
        f'<div style="margin:1px 0;white-space:nowrap"><span style="display:inline-block;'
        f"min-width:26px;padding:0 3px;border-radius:8px;background:{st.color};"
        f"color:{st.text_color};font-weight:700;font-size:10px;text-align:center;"
        f'margin-right:5px">{st.code}</span>{_e(category_label(category, lang))}</div>'
    )


def _symbols(lang: str, *, gaps: bool, route: bool, cluster: bool) -> list[tuple[str, str]]:
    """(inline SVG, label) of each symbol on the map: entry points, confidential services,
    referrals, and gap rings, route steps and clusters when drawn."""
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
        (_referral_svg(dashed=False), style.text("referral", lang)),
        (_referral_svg(dashed=True), style.text("referral_dashed", lang)),
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
        symbols.append((_badge_svg(style.ROUTE_COLOR, "1", 11), style.text("route_step", lang)))
    if cluster:
        symbols.append((_badge_svg(style.CLUSTER_COLOR, "5", 10), style.text("cluster", lang)))
    return symbols


def _referral_svg(*, dashed: bool) -> str:
    """A referral's line and arrowhead (dashed: a referral the survivor makes alone)."""
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    return (
        f'<svg width="24" height="24"><line x1="1" y1="12" x2="15" y2="12" '
        f'stroke="{style.REFERRAL_COLOR}" stroke-width="2.5"{dash}/><polygon '
        f'points="23,12 10,5.5 13,12 10,18.5" fill="{style.REFERRAL_COLOR}"/></svg>'
    )


def _badge_svg(color: str, text: str, font_size: int) -> str:
    """A round badge with a number (a route step, a cluster)."""
    return (
        f'<svg width="24" height="24"><circle cx="12" cy="12" r="10" '
        f'fill="{color}" stroke="#fff" stroke-width="2"/><text x="12" y="12" '
        'text-anchor="middle" dominant-baseline="central" fill="#fff" '
        f'font-size="{font_size}" font-weight="700" font-family="Arial,Helvetica,sans-serif">'
        f"{text}</text></svg>"
    )
