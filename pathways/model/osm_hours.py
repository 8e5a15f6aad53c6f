"""OpenStreetMap `opening_hours` text read into one repeating week, and a week written as it.

The text is parsed and evaluated by `opening-hours-py`, the Python binding of the maintained
Rust `opening-hours` crate, over one reference week without public or school holidays. The
model is a repeating week, so rules that pick dates (months, dates, years, week numbers,
Easter, the n-th weekday of a month) or times of the sun are refused, naming the part; rules
for holidays (`PH off`, `SH 10:00-12:00`) are accepted and leave the week as it is (the text,
kept on `Hours.osm`, still says them). Any time in the `unknown` state, or a rule that is only
a comment (`"by appointment"`), makes the hours unknown. See docs/INVENTORY.md.
"""

from __future__ import annotations

import datetime as dt
import re

import opening_hours
from opening_hours import OpeningHours, State

ParserError: type[Exception] = opening_hours.ParserError  # type: ignore[attr-defined]
"""What the parser raises for text that is not `opening_hours` syntax (missing from its stub)."""

MAX_LENGTH = 255
"""Longest text accepted: OpenStreetMap's limit for a tag value."""

OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")

EXAMPLE = "'Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off'"

_MONDAY = dt.datetime(2024, 3, 4)
"""Start of the reference week (any Monday: no country is given, so no holiday falls in it)."""

_DAY = 1440

_COMMENT = re.compile(r'"[^"]*"')
_COMMENT_RULE = re.compile(r'(?:^|;|\|\||,)\s*"[^"]*"\s*(?=$|;|\|\||,)')
"""A rule made of a comment alone (`Mo-Fr 08:00-12:00; "by appointment"`)."""

_UNSUPPORTED = (
    (re.compile(r"\b(?:sunrise|sunset|dawn|dusk)\b", re.I), "times of the sun"),
    (re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", re.I), "months"),
    (re.compile(r"\b\d{4}\b"), "years"),
    (re.compile(r"\bweek(?=\s*\d)", re.I), "week numbers"),
    (re.compile(r"\beaster\b", re.I), "Easter"),
    (re.compile(r"\b[A-Za-z]{2}\[[^\]]*\]"), "weekdays of a month"),
    (re.compile(r"\d{1,2}:\d\d\s*\+"), "open ends"),
    (re.compile(r"\d{1,2}:\d\d\s*-\s*\d{1,2}:\d\d\s*/\s*\d+(?::\d\d)?"), "repeating times"),
)
"""What a repeating week cannot hold, and its name in the message."""

_HOLIDAY = re.compile(r"\b(?:PH|SH)\b")

Week = list[list[tuple[int, int]]]


def osm_week(text: str) -> Week | None:
    """Open `(start, end)` minute ranges of each weekday (0 = Monday) in OpenStreetMap
    `opening_hours` text, split at midnight; None when the text leaves the hours unknown.

    Raises ValueError naming the part that is not `opening_hours` syntax or that a repeating
    week cannot hold.
    """
    shown = _quote(text)
    if len(text) > MAX_LENGTH:
        raise ValueError(
            f"{shown} is longer than {MAX_LENGTH} characters (OpenStreetMap's limit); "
            "put details in hours_note"
        )
    try:
        oh = OpeningHours(text)
    except ParserError as e:
        raise ValueError(
            f"{shown} is not OpenStreetMap opening_hours text: {_where(e, text)}; "
            f"write e.g. {EXAMPLE}"
        ) from None
    _refuse_unsupported(text, shown)
    if _COMMENT_RULE.search(text):
        return None
    week: Week = [[] for _ in OSM_DAYS]
    end = _MONDAY + dt.timedelta(days=7)
    for start, stop, state, _comment in oh.intervals(_MONDAY, end):
        if state == State.UNKNOWN:
            return None
        if state == State.OPEN:
            _add(week, _minutes(max(start, _MONDAY)), _minutes(min(stop, end)))
    return week


def holiday_rules(text: str) -> tuple[str, ...]:
    """The rules of `opening_hours` text that name public (`PH`) or school (`SH`) holidays:
    what the repeating week leaves out (`'Mo-Fr 08:00-18:00; PH off'` -> `('PH off',)`)."""
    rules = re.split(r";|\|\|", _COMMENT.sub(lambda m: m[0].replace(";", "\0"), text))
    return tuple(
        r.strip().replace("\0", ";") for r in rules if _HOLIDAY.search(_COMMENT.sub("", r))
    )


def render_osm(week: tuple[tuple[tuple[int, int], ...], ...]) -> str:
    """`opening_hours` text of a week of minute ranges that lie inside their days:
    `Mo-Fr 08:00-18:00; Sa 09:00-12:00`; days with the same ranges share a rule; `off` when
    closed all week. Each day is in one rule at most, so no rule overrides another."""
    same: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day, ranges in enumerate(week):
        if ranges:
            same.setdefault(ranges, []).append(day)
    rules = [
        f"{_days(days)} " + ",".join(f"{_hm(a)}-{_hm(b)}" for a, b in ranges)
        for ranges, days in same.items()
    ]
    return "; ".join(rules) if rules else "off"


def _refuse_unsupported(text: str, shown: str) -> None:
    bare = _COMMENT.sub('""', text)
    for pattern, what in _UNSUPPORTED:
        m = pattern.search(bare)
        if m:
            raise ValueError(
                f"{shown}: {what} ('{m[0].strip()}') are not supported: the hours are one "
                "repeating week; write the usual week and put exceptions in hours_note"
            )


def _where(e: Exception, text: str) -> str:
    """Where the parser stopped and what it expected, on one line."""
    message = str(e)
    at = re.search(r"--> (\d+):(\d+)", message)
    expected = re.search(r"= (.+)$", message.strip())
    where = "it cannot be read"
    if at:
        line, col = int(at[1]), int(at[2])
        offset = sum(len(x) + 1 for x in text.split("\n")[: line - 1]) + col - 1
        rest = text[offset : offset + 20]
        where = f"cannot be read from character {offset + 1}" + (f" {rest!r}" if rest else "")
    if expected:
        where += " (" + expected[1].replace("EOI", "end of text").replace("_", " ") + ")"
    return where


def _quote(text: str, limit: int = 80) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(shown)


def _minutes(t: dt.datetime) -> int:
    return int((t - _MONDAY).total_seconds()) // 60


def _add(week: Week, start: int, stop: int) -> None:
    """Add the open minutes `[start, stop)` of the week, split at midnights."""
    while start < stop:
        day = start // _DAY
        end = min(stop, (day + 1) * _DAY)
        week[day].append((start - day * _DAY, end - day * _DAY))
        start = end


def _days(days: list[int]) -> str:
    """`Mo-Fr,Su` for [0, 1, 2, 3, 4, 6]."""
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(
        OSM_DAYS[r[0]] if len(r) == 1 else f"{OSM_DAYS[r[0]]}-{OSM_DAYS[r[-1]]}" for r in runs
    )


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
