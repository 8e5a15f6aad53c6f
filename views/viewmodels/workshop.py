"""The Workshop page's words and small state: a route as table rows, why services were left
out (in English or French), the verdict on post-exposure prophylaxis, what-if gap changes, and
stepping through gap sentences one at a time.

Routes come from `pathways.analysis.routes.route`, gap changes from
`pathways.analysis.gaps.what_if`; this module
only turns them into what a room of professionals reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Literal

from pathways.analysis.gaps import PEP_HOURS, SEVERITY_ORDER, Gap, GapDiff
from pathways.analysis.graph import build_referral_graph
from pathways.analysis.reasons import reason_text
from pathways.analysis.routes import Profile, Route, Step, route
from pathways.i18n import day_name, number, t
from pathways.model.inventory import Inventory, category_label
from pathways.model.memo import InventoryMemo
from views.viewmodels.explore import match_click

Change = Literal["new", "gone", "changed", "unchanged"]


def entry_options(inventory: Inventory) -> list[str]:
    """The ids of the site's entry points, in file order (where a survivor may arrive)."""
    return [s.id for s in inventory.services if s.entry_point]


def _offers(categories: Iterable[str], need: str) -> bool:
    return any(c == need or c.startswith(need + ".") for c in categories)


def default_entry(inventory: Inventory, needs: Sequence[str] = ("health.cmr",)) -> str | None:
    """Where the Workshop's survivor arrives until the facilitator picks: an entry point that
    does not itself offer any of her needs (arriving at the very service she needs makes a 0 h
    route that shows a room nothing), preferring one from which a route to them is found;
    else the first entry point (None when the site has none). Worked out once per inventory
    and needs: every new session asks, and the search builds the site's graph."""
    return _DEFAULT_ENTRY.get(inventory, tuple(needs), lambda: _default_entry(inventory, needs))


_DEFAULT_ENTRY: InventoryMemo[str | None] = InventoryMemo(size=32)


def _default_entry(inventory: Inventory, needs: Sequence[str]) -> str | None:
    entries = entry_options(inventory)
    elsewhere = [
        e for e in entries if not any(_offers(inventory.by_id[e].categories, n) for n in needs)
    ]
    if elsewhere and needs:
        G = build_referral_graph(inventory)
        for e in elsewhere:
            if route(G, Profile(entry=e), need=list(needs)).found:
                return e
    first = elsewhere or entries
    return first[0] if first else None


def clicked_service(inventory: Inventory, tooltip: str | None, lang: str = "en") -> str | None:
    """The id of the site's service whose map marker was clicked, from the tooltip text the map
    returned; None for anything else (a referral line, a cluster, a gap ring, nothing)."""
    key = match_click([(inventory, s) for s in inventory.services], tooltip, lang)
    return key.split("/", 1)[1] if key else None


def close_one_more(closed: list[str], service_id: str | None, known: Iterable[str]) -> list[str]:
    """The closed services once `service_id` closes too (as they were if it is unknown, or
    closed already)."""
    if service_id is None or service_id in closed or service_id not in set(known):
        return closed
    return [*closed, service_id]


# --- the route as rows --------------------------------------------------------------------------


def _what(step: Step, lang: str) -> str:
    if step.category == "entry":
        return t("arrival", lang)
    if step.category == "via":
        return t("via", lang)
    return category_label(step.category, lang)


def _hours(value: float, rounded: bool, lang: str = "en") -> str:
    return f"≈ {number(round(value), lang, 0)}" if rounded else number(value, lang, 1)


def route_rows(route: Route, inventory: Inventory, lang: str = "en") -> list[dict[str, Any]]:
    """One row per step: the service, what is met there, the hand-off, waits and times.

    From the first confidential service on, times are given to the hour only (as on the map),
    so that travel times cannot be turned back into a distance to it.
    """
    rows = []
    rounded = False
    for i, step in enumerate(route.steps, 1):
        service = inventory.by_id.get(step.service)
        rounded = rounded or step.withheld or bool(service and service.confidential)
        hand_off = step.delay_hours + (step.travel_hours or 0.0)  # travel None: withheld
        clock = step.clock.split(":")[0] + "h" if rounded and step.clock else step.clock
        rows.append(
            {
                t("col_step", lang): i,
                t("col_service", lang): service.name_in(lang) if service else step.name,
                t("col_what", lang): _what(step, lang),
                t("col_how", lang): t("mode_" + step.mode, lang) if step.mode else "",
                t("col_handoff_h", lang): _hours(hand_off, rounded, lang),
                t("col_wait_h", lang): _hours(step.wait_hours, rounded, lang),
                t("col_seen_h", lang): _hours(step.seen_hours, rounded, lang),
                t("col_clock", lang): _clock(clock, lang),
            }
        )
    return rows


_DAY_INDEX = {d: i for i, d in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))}


def _clock(clock: str, lang: str) -> str:
    """'Sat 03:00' (as `pathways.analysis.routes.format_time` writes it) with the day in `lang`."""
    day, _, rest = clock.partition(" ")
    if day in _DAY_INDEX:
        return f"{day_name(_DAY_INDEX[day], lang, short=True)} {rest}"
    return clock


def for_display(route: Route, inventory: Inventory, lang: str = "en") -> Route:
    """The route with its words in `lang` (days of its clock times, the reason there is none,
    its warnings), for a map that prints them as they are."""
    names = service_names(inventory, lang)
    return replace(
        route,
        steps=tuple(replace(s, clock=_clock(s.clock, lang)) for s in route.steps),
        reason=reason_text(route.reason, lang, names) if route.reason else "",
        warnings=tuple(reason_text(w, lang, names) for w in route.warnings),
    )


def service_names(inventory: Inventory, lang: str = "en") -> Mapping[str, str]:
    """Service id -> name (in `lang` where the inventory gives it), to put reasons into words
    (read-only, worked out once per inventory and language)."""
    return _NAMES.get(
        inventory,
        lang,
        lambda: MappingProxyType({s.id: s.name_in(lang) for s in inventory.services}),
    )


_NAMES: InventoryMemo[Mapping[str, str]] = InventoryMemo()


def excluded_rows(route: Route, inventory: Inventory, lang: str = "en") -> list[dict[str, str]]:
    """One row per service the route left out: its name and why, in `lang`."""
    names = service_names(inventory, lang)
    return [
        {
            t("col_service", lang): names.get(e["service"], e["service"]),
            t("col_reason", lang): reason_text(e["reason"], lang, names),
        }
        for e in route.excluded
    ]


def route_summary(route: Route, inventory: Inventory, lang: str = "en") -> str:
    """One sentence: when every need is met, or why there is no route."""
    if route.found and route.total_hours is not None:
        rounded = any(
            inventory.by_id[s.service].confidential
            for s in route.steps
            if s.service in inventory.by_id
        )
        return t("route_total", lang, h=_hours(route.total_hours, rounded))
    return t(
        "route_none", lang, reason=reason_text(route.reason, lang, service_names(inventory, lang))
    )


@dataclass(frozen=True)
class Verdict:
    """Whether clinical care after rape comes in time for post-exposure prophylaxis."""

    in_time: bool
    text: str


def care_verdict(route: Route, lang: str = "en") -> Verdict | None:
    """The PEP verdict of a route that asks for `health.cmr` (None if it does not)."""
    if "health.cmr" not in route.needs:
        return None
    step = next((s for s in route.steps if s.category == "health.cmr"), None)
    if step is None:
        return Verdict(False, t("pep_unreachable", lang))
    clock = _clock(step.clock, lang)
    hours = f"{step.seen_hours:.0f}"
    if step.seen_hours <= PEP_HOURS:
        return Verdict(True, t("pep_in_time", lang, h=hours, clock=clock))
    return Verdict(False, t("pep_too_late", lang, h=hours, clock=clock))


# --- what if ------------------------------------------------------------------------------------


Effect = Literal["worse", "better", "same"]


@dataclass(frozen=True)
class Sentence:
    """One gap read out in the presentation view: what changed, whether that is worse or
    better, how severe, the sentence, and the graver gap that took its place (if any)."""

    change: Change
    effect: Effect
    severity: str
    text: str
    replaced_by: str = ""


_EFFECT_RANK = {"worse": 0, "better": 1, "same": 2}


def _changes(diff: GapDiff) -> list[tuple[Change, Effect, Gap, Gap | None]]:
    """The what-if's changes as (change, effect, gap, replaced_by).

    The hook for `pathways.analysis.gaps`: a `GapDiff` with `changes` (each with `change`, `effect`
    and
    `replaced_by`) is read as it is; one without them counts a new gap as worse and a gone one
    as better.
    """
    changes = getattr(diff, "changes", None)
    if changes is not None:
        return [(c.change, c.effect, c.gap, getattr(c, "replaced_by", None)) for c in changes]
    out: list[tuple[Change, Effect, Gap, Gap | None]] = []
    out += [("new", "worse", g, None) for g in diff.appeared]
    out += [("gone", "better", g, None) for g in diff.disappeared]
    return out


def gap_sentences(diff: GapDiff, lang: str = "en") -> list[Sentence]:
    """Every gap of a what-if, in the order a room should hear them: what got worse, then what
    got better, then the gaps that stay; the most severe first within each."""
    out = [
        Sentence(change, effect, g.severity, g.text(lang), r.text(lang) if r else "")
        for change, effect, g, r in _changes(diff)
    ]
    out += [Sentence("unchanged", "same", g.severity, g.text(lang)) for g in diff.unchanged]
    return sorted(out, key=lambda s: (_EFFECT_RANK[s.effect], SEVERITY_ORDER.get(s.severity, 9)))


def step_index(index: int, count: int, delta: int) -> int:
    """The next index when stepping by `delta` through `count` items (clamped to the ends)."""
    if count <= 0:
        return 0
    return max(0, min(count - 1, index + delta))
