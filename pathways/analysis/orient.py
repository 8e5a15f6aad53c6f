"""Frontline orientation: what to do now, for whom, where, by when (`pathways orient`).

A pure function of a site's public view, a danger grid and what the frontline person was told:
the actions in order (each a service or "none exists", its category, why, whether it is open,
how to get there, the deadline), the urgency with its reasons, and the gaps that affect this
person. Nothing about the person is kept: the answer is a value, returned and forgotten.

Entry points can be reached directly (the person is sent or accompanied there); other services
only through the referral routes of `pathways.analysis.routes.route`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import networkx as nx

from pathways.analysis.gaps import Gap, Severity, find_gaps
from pathways.analysis.graph import build_referral_graph, distance_km, providers, service
from pathways.analysis.routes import Profile, exclusion_reason, nearest_entry, route, wait_hours
from pathways.analysis.travel import travel_model
from pathways.i18n import N_, join, language_name, number, t
from pathways.model.errors import InventoryError
from pathways.model.inventory import DAYS, Inventory, Point, base_category, category_label
from pathways.model.orientation import INCIDENTS, Grid, Scenario, Text

Urgency = Literal["immediate", "urgent", "routine"]
Access = Literal["here", "direct", "referral", "none"]
"""How to get to a service: it is where the person is, an entry point they can go to (sent or
accompanied), through referral routes, or there is none."""

MAX_HOURS_SINCE = 24 * 365
"""`hours_since` beyond a year is a typing mistake."""

REASONS: dict[str, str] = {
    "sign_immediate": N_("orient_reason_sign_immediate"),
    "sign_urgent": N_("orient_reason_sign_urgent"),
    "window_running": N_("orient_reason_window_running"),
    "window_unknown": N_("orient_reason_window_unknown"),
    "window_passed": N_("orient_reason_window_passed"),
    "incident": N_("orient_reason_incident"),
    "child": N_("orient_reason_child"),
    "routine": N_("orient_reason_routine"),
}
"""Reason code -> catalog key of its sentence."""


@dataclass(frozen=True)
class Reason:
    """Why the urgency is what it is: a code and the values of its sentence (per language)."""

    code: str
    values: Mapping[str, Text | str] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        fmt = {k: v.in_lang(lang) if isinstance(v, Text) else v for k, v in self.values.items()}
        return t(REASONS[self.code], lang, **fmt)


@dataclass(frozen=True)
class Deadline:
    """A time window of care (PEP, emergency contraception) and how much of it is left."""

    window: str
    name: Text
    hours: float
    hours_left: float | None  # None: the time since the incident is not known
    in_time: bool | None = None  # can the service see the person before it closes?

    @property
    def running(self) -> bool:
        return self.hours_left is None or self.hours_left > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "name": self.name.en,
            "name_fr": self.name.fr,
            "hours": self.hours,
            "hours_left": None if self.hours_left is None else round(self.hours_left, 2),
            "passed": not self.running,
            "in_time": self.in_time,
        }


@dataclass(frozen=True)
class Action:
    """One thing to do: a service of a category (or none), why, when, how to get there."""

    category: str
    why: Text
    because: tuple[str, ...]  # the signs, incident or "child" that call for it
    service: str | None = None
    open: bool | None = None  # None: its hours are not known (or no service)
    access: Access = "none"
    route: tuple[str, ...] = ()  # service ids from the start to the service
    seen_hours: float | None = None  # hours until the service can see the person
    deadlines: tuple[Deadline, ...] = ()
    excluded: tuple[dict[str, str], ...] = ()  # when none: why each provider was left out

    @property
    def deadline_hours(self) -> float | None:
        """Hours left in the earliest window still running, if any is known."""
        left = [d.hours_left for d in self.deadlines if d.hours_left is not None and d.running]
        return round(min(left), 2) if left else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "category": self.category,
            "why": self.why.en,
            "why_fr": self.why.fr,
            "because": list(self.because),
            "open": self.open,
            "access": self.access,
            "route": list(self.route),
            "seen_hours": None if self.seen_hours is None else round(self.seen_hours, 2),
            "deadline_hours": self.deadline_hours,
            "deadlines": [d.to_dict() for d in self.deadlines],
            "excluded": list(self.excluded),
        }


@dataclass(frozen=True)
class Orientation:
    """The answer: urgency and reasons, actions in order, the gaps met, the grid used."""

    site: str
    start: str | None
    urgency: Urgency
    reasons: tuple[Reason, ...]
    actions: tuple[Action, ...]
    gaps: tuple[Gap, ...]
    grid: Grid
    grid_source: str

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The JSON form: urgency, reasons, actions, gaps (as `gaps --json`), grid."""
        return {
            "site": self.site,
            "start": self.start,
            "urgency": self.urgency,
            "reasons": [r.text(lang) for r in self.reasons],
            "reason_codes": [r.code for r in self.reasons],
            "actions": [a.to_dict() for a in self.actions],
            "gaps": [g.to_dict() for g in self.gaps],
            "grid": {
                "id": self.grid.id,
                "version": self.grid.version,
                "file": self.grid_source,
                "notice": self.grid.notice.in_lang(lang),
                "sources": [s.title for s in self.grid.sources],
            },
        }


@dataclass(frozen=True)
class Situation:
    """What the frontline person was told, as far as orientation needs it (nothing else)."""

    incident: str | None = None
    hours_since: float | None = None
    signs: tuple[str, ...] = ()

    def check(self, grid: Grid) -> None:
        """Raise `InventoryError` naming the valid values for anything the grid cannot read."""
        if self.incident is not None and self.incident not in INCIDENTS:
            raise InventoryError(
                f"--incident: '{self.incident}' is not an incident (valid: {', '.join(INCIDENTS)})"
            )
        if self.hours_since is not None and not 0 <= self.hours_since <= MAX_HOURS_SINCE:
            raise InventoryError(
                f"--hours-since: {self.hours_since:g} is out of range (0-{MAX_HOURS_SINCE})"
            )
        for s in self.signs:
            try:
                grid.sign(s)
            except KeyError as e:
                raise InventoryError(f"--sign: {e.args[0]}") from None


def orient(
    inventory: Inventory,
    profile: Profile,
    situation: Situation,
    grid: Grid,
    *,
    grid_source: str = "",
    G: nx.DiGraph | None = None,
) -> Orientation:
    """What to do now for this person at this site, in order, with the urgency and the gaps.

    `inventory` is the public view; `profile` says where the person is (an entry point or a
    place), who they are (age, gender, language, legal status, conditions to avoid) and when.
    Raises `InventoryError` for a sign, incident or time the grid cannot read.
    """
    situation.check(grid)
    if G is None:
        G = build_referral_graph(inventory)
    windows = _deadlines(grid, situation, profile)
    urgency, reasons = _urgency(grid, situation, profile, windows)
    needs = _needs(grid, situation, profile, windows)
    start = _start(G, profile)
    actions = tuple(
        _action(G, profile, category, because, grid, windows) for category, because in needs.items()
    )
    gaps = _person_gaps(G, inventory, profile, actions)
    return Orientation(
        inventory.site.id,
        start,
        urgency,
        tuple(reasons),
        actions,
        gaps,
        grid,
        grid_source,
    )


# --- urgency and needs --------------------------------------------------------------------------


def _applies(window_groups: Sequence[str], profile: Profile) -> bool:
    return profile.group is None or profile.group in window_groups


def _deadlines(grid: Grid, situation: Situation, profile: Profile) -> tuple[Deadline, ...]:
    """The time windows of the incident that apply to this person, with the hours left."""
    out = []
    for w in grid.windows:
        if w.incident != situation.incident or not _applies(w.groups, profile):
            continue
        left = None if situation.hours_since is None else max(0.0, w.hours - situation.hours_since)
        out.append(Deadline(w.id, w.name, w.hours, left))
    return tuple(out)


def _urgency(
    grid: Grid, situation: Situation, profile: Profile, windows: Sequence[Deadline]
) -> tuple[Urgency, list[Reason]]:
    reasons: list[Reason] = []
    level: Urgency = "routine"
    for sid in situation.signs:
        sign = grid.sign(sid)
        reasons.append(Reason(f"sign_{sign.weight}", {"question": sign.question}))
        level = _raise(level, sign.weight)
    for d in windows:
        hours = number(d.hours, "en", 0)
        if d.hours_left is None:
            reasons.append(Reason("window_unknown", {"name": d.name, "limit": hours}))
            level = "immediate"
        elif d.running:
            left = number(d.hours_left, "en", 0)
            reasons.append(Reason("window_running", {"name": d.name, "left": left, "limit": hours}))
            level = "immediate"
        else:
            reasons.append(Reason("window_passed", {"name": d.name, "limit": hours}))
            level = _raise(level, "urgent")
    if situation.incident in ("sexual", "physical") and not windows:
        reasons.append(Reason("incident"))
        level = _raise(level, "urgent")
    if profile.age is not None and profile.age < 18:
        reasons.append(Reason("child", {"age": str(profile.age)}))
        level = _raise(level, "urgent")
    if not reasons:
        reasons.append(Reason("routine"))
    return level, reasons


_LEVELS: tuple[Urgency, ...] = ("routine", "urgent", "immediate")


def _raise(level: Urgency, to: Urgency) -> Urgency:
    return max(level, to, key=_LEVELS.index)


def _needs(
    grid: Grid, situation: Situation, profile: Profile, windows: Sequence[Deadline]
) -> dict[str, tuple[str, ...]]:
    """Category -> what calls for it, in the order to act: immediate danger first, then care
    with a running window, then the other signs, the incident, and a child's protection."""
    needs: dict[str, list[str]] = {}

    def add(categories: Iterable[str], because: str) -> None:
        for c in categories:
            needs.setdefault(c, [])
            if because not in needs[c]:
                needs[c].append(because)

    signs = [grid.sign(s) for s in situation.signs]
    for s in signs:
        if s.weight == "immediate":
            add(s.categories, s.id)
    by_id = {w.id: w for w in grid.windows}
    for d in windows:
        if d.running:
            add([by_id[d.window].category], d.window)
    for s in signs:
        if s.weight == "urgent":
            add(s.categories, s.id)
    incident = situation.incident or "unknown"
    if incident in grid.incidents:
        add(grid.incidents[incident].categories, incident)
    if profile.age is not None and profile.age < 18:
        add(["child_protection"], "child")
    return {c: tuple(b) for c, b in needs.items()}


# --- actions ------------------------------------------------------------------------------------


def _start(G: nx.DiGraph, profile: Profile) -> str | None:
    if profile.entry is not None:
        return profile.entry
    if profile.location is None:
        raise ValueError("a profile needs an entry point or a location")
    found = nearest_entry(G, profile.location, profile)
    return found[0] if found else None


def _why(grid: Grid, category: str, incident_why: Text | None) -> Text:
    text = grid.why.get(category) or grid.why.get(base_category(category))
    if text is not None:
        return text
    if incident_why is not None:
        return incident_why
    return Text(en=t("orient_why_default", "en"), fr=t("orient_why_default", "fr"))


def _action(
    G: nx.DiGraph,
    profile: Profile,
    category: str,
    because: tuple[str, ...],
    grid: Grid,
    windows: Sequence[Deadline],
) -> Action:
    incident = next((b for b in because if b in grid.incidents), None)
    why = _why(grid, category, grid.incidents[incident].why if incident else None)
    by_id = {w.id: w for w in grid.windows}
    mine = tuple(d for d in windows if by_id[d.window].category == category)
    answer = route(G, profile, need=category)
    direct = _direct(G, profile, category)
    total = answer.total_hours if answer.found else None
    if total is not None and (direct is None or total <= direct[1]):
        sid, seen = answer.steps[-1].service, total
        ids = tuple(dict.fromkeys(s.service for s in answer.steps))
    elif direct is not None:
        (sid, seen), ids = direct, (direct[0],)
    else:
        return Action(category, why, because, deadlines=mine, excluded=answer.excluded)
    access: Access = "referral" if len(ids) > 1 else "direct"
    if ids == (profile.entry,):
        access = "here"
    s = service(G, sid)
    is_open = (wait_hours(s, profile.start_time) == 0) if s.hours.known else None
    deadlines = tuple(
        replace(d, in_time=seen <= d.hours_left if d.hours_left and d.running else None)
        for d in mine
    )
    return Action(category, why, because, sid, is_open, access, ids, seen, deadlines)


def _direct(G: nx.DiGraph, profile: Profile, category: str) -> tuple[str, float] | None:
    """The entry point of this category the person can go to directly soonest: (id, hours)."""
    inventory: Inventory = G.graph["inventory"]
    if profile.location is not None:
        here = Point(lat=profile.location[0], lon=profile.location[1])
    elif profile.entry is not None and profile.entry in G:
        here = service(G, profile.entry).location
    else:
        return None
    travel = travel_model(inventory)
    best: tuple[float, str] | None = None
    for n in sorted(providers(G, category)):
        s = service(G, n)
        if not s.entry_point or s.tier == "hidden" or exclusion_reason(s, profile):
            continue
        go = float(travel.hours(distance_km(here, s.location)))
        hours = go + wait_hours(s, profile.start_time + go)
        if best is None or hours < best[0]:
            best = (hours, n)
    return (best[1], best[0]) if best else None


# --- gaps ---------------------------------------------------------------------------------------


def _person_gaps(
    G: nx.DiGraph, inventory: Inventory, profile: Profile, actions: Sequence[Action]
) -> tuple[Gap, ...]:
    """The site's gaps that touch this person's needs, language or group, and the needs no
    service can meet for them (no provider, none in their language, none for their group)."""
    needed = {a.category for a in actions}
    out: list[Gap] = []
    for g in find_gaps(inventory, G=G, kinds=("missing_category", "language", "eligibility")):
        if not needed & set(g.categories):
            continue
        if g.kind == "language" and profile.language not in g.languages:
            continue
        if g.kind == "eligibility" and profile.group not in g.groups:
            continue
        out.append(g)
    covered = {(g.kind, c) for g in out for c in g.categories}
    for a in actions:
        gap = _unmet(G, inventory, profile, a)
        if gap is not None and (gap.kind, a.category) not in covered:
            out.append(gap)
    if profile.language:
        gap = _language_gap(G, inventory, profile, needed, covered)
        if gap is not None:
            out.append(gap)
    return tuple(out)


def _gap(
    kind: str,
    severity: Severity,
    inventory: Inventory,
    key: str,
    categories: Sequence[str],
    **values: str,
) -> dict[str, Any]:
    """The fields of a gap of this person, its sentence in English and French."""

    def say(lang: str) -> str:
        labels = join([category_label(c, lang) for c in categories], lang)
        named = {k: language_name(v, lang) if k == "language" else v for k, v in values.items()}
        return t(key, lang, categories=labels, **named)

    return {
        "kind": kind,
        "severity": severity,
        "site": inventory.site.id,
        "categories": tuple(categories),
        "message": say("en"),
        "message_fr": say("fr"),
        "action": t("orient_gap_action", "en"),
        "action_fr": t("orient_gap_action", "fr"),
    }


def _unmet(G: nx.DiGraph, inventory: Inventory, profile: Profile, a: Action) -> Gap | None:
    """The gap when no service of the action's category can be reached by this person."""
    if a.service is not None:
        return None
    cats = (a.category,)
    if not providers(G, a.category):
        return Gap(
            **_gap("missing_category", "critical", inventory, N_("orient_gap_missing"), cats)
        )
    lang = profile.language
    if lang and a.excluded and all("speak" in e["reason"] for e in a.excluded):
        fields = _gap(
            "language", "major", inventory, N_("orient_gap_language"), cats, language=lang
        )
        return Gap(languages=(lang,), **fields)
    fields = _gap("eligibility", "major", inventory, N_("orient_gap_none_for_person"), cats)
    return Gap(groups=(profile.group,) if profile.group else (), **fields)


def _language_gap(
    G: nx.DiGraph,
    inventory: Inventory,
    profile: Profile,
    needed: set[str],
    covered: set[tuple[str, str]],
) -> Gap | None:
    """The needed categories where no service speaks the person's language (an interpreter
    may still be found: then the gap is minor)."""
    lang = profile.language
    lacking = sorted(
        c
        for c in needed
        if ("language", c) not in covered
        and providers(G, c)
        and not any(lang in service(G, n).languages for n in providers(G, c))
    )
    if not lacking or lang is None:
        return None
    key = N_("orient_gap_language_none_speaks")
    return Gap(
        languages=(lang,), **_gap("language", "minor", inventory, key, lacking, language=lang)
    )


def scenario_question(card: Scenario) -> tuple[Profile, Situation]:
    """The profile and situation a scenario card describes (what `orient` is asked)."""
    profile = Profile(
        entry=card.entry,
        language=card.language,
        age=card.age,
        gender=card.gender,
        weekday=DAYS.index(card.day),
        hour=card.hour,
    )
    return profile, Situation(card.incident, card.hours_since, card.signs)
