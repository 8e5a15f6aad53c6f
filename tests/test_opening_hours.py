"""OpenStreetMap `opening_hours` text in inventories: the same week as the per-day form.

The property tests write random per-day hours as OpenStreetMap text and check that both forms
give equal `Hours`, and so the same waits, routes and `time_critical` gaps. The example tests
pin the documented semantics (docs/INVENTORY.md) and the loader's messages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.analysis.gaps import find_gaps
from pathways.analysis.graph import build_referral_graph
from pathways.analysis.routes import Profile, route, wait_hours
from pathways.io.load import read_site
from pathways.model.errors import ValidationError, display_path
from pathways.model.inventory import DAYS, Hours, Service, parse_hours
from pathways.model.osm_hours import MAX_LENGTH, OSM_DAYS
from tests.factories import make_inventory, referral, service

TINY = (Path(__file__).parent / "data" / "tiny.yaml").read_text(encoding="utf-8")

# --- random per-day hours, and the same hours as OpenStreetMap text ----------------------------


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def _range(draw: st.DrawFn) -> tuple[int, int]:
    """(start, end) minutes as the per-day form writes them: an end at or before the start
    passes midnight (an end of 00:00 stops at midnight)."""
    start = draw(st.integers(0, 1439))
    end = draw(st.integers(0, 1440).filter(lambda e: e != start))
    return start, end


_day = st.one_of(
    st.none(),
    st.just("closed"),
    st.just("24h"),
    st.lists(_range(), min_size=1, max_size=3),
)


@st.composite
def per_day(draw: st.DrawFn) -> dict[str, str]:
    """A per-day `hours` mapping; often the same for Monday to Friday, as offices are."""
    days = [draw(_day) for _ in DAYS]
    if draw(st.booleans()):
        days[1:5] = [days[0]] * 4
    out = {}
    for name, day in zip(DAYS, days, strict=True):
        if isinstance(day, list):
            out[name] = ",".join(f"{_hm(a)}-{_hm(b)}" for a, b in day)
        elif day is not None:
            out[name] = day
    return out


def to_osm_text(hours: dict[str, str], suffix: str = "") -> str:
    """The per-day mapping written as OpenStreetMap text, overnight ranges kept whole
    (`Fr 22:00-02:00`). Days with the same ranges share a rule (`Mo-Fr`). With an overnight
    range the rules are joined by `,` (added): after `;` a later rule for the next day would
    replace the part after midnight."""
    texts = [hours.get(d, "closed") for d in DAYS]
    texts = ["00:00-24:00" if t == "24h" else t for t in texts]
    rules: list[tuple[list[int], str]] = []
    for i, text in enumerate(texts):
        if text == "closed":
            continue
        if rules and rules[-1][1] == text and rules[-1][0][-1] == i - 1:
            rules[-1][0].append(i)
        else:
            rules.append(([i], text))
    overnight = any(
        b != "24:00" and b <= a
        for _, text in rules
        for a, b in (r.split("-") for r in text.split(","))
    )
    body = (", " if overnight else "; ").join(
        (OSM_DAYS[d[0]] if len(d) == 1 else f"{OSM_DAYS[d[0]]}-{OSM_DAYS[d[-1]]}") + " " + text
        for d, text in rules
    )
    return (body or "off") + suffix


_suffixes = st.sampled_from(["", "; PH off", "; SH off", "; PH 10:00-12:00", "; PH,SH off"])


@settings(max_examples=300, deadline=None)
@given(per_day(), _suffixes)
def test_osm_text_gives_the_same_hours_as_the_per_day_form(hours, suffix):
    text = to_osm_text(hours, suffix)
    days, osm = parse_hours(hours), parse_hours(text)
    assert osm == days, text
    assert osm.week == days.week and osm.known
    assert osm.osm == text and days.osm is None
    assert osm.holiday_rules == ((suffix.removeprefix("; "),) if suffix else ())
    assert osm.describe() == days.describe()


@settings(max_examples=300, deadline=None)
@given(st.one_of(per_day(), st.sampled_from(["24/7", "unknown"])))
def test_to_osm_reads_back_to_the_same_hours(hours):
    h = parse_hours(hours)
    text = h.to_osm()
    assert len(text) <= MAX_LENGTH
    assert parse_hours(text) == h
    assert parse_hours(text).known == h.known


def _site(entry_hours: object, clinic_hours: object, delay: float) -> tuple[list, list]:
    services = [
        service("hosp", ["mhpss"], entry=True, hours=entry_hours, i=0),
        service("clinic", ["health.cmr"], hours=clinic_hours, i=1),
    ]
    return services, [referral("hosp", "clinic", mode="form", delay_hours=delay)]


def _outcome(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What `f` returns, or the type and words of what it raises: either form must behave alike,
    errors included (none is expected; a service never open is no route, not an error)."""
    try:
        return f(*args, **kwargs)
    except Exception as e:  # compared, not hidden: both forms must fail alike
        return type(e), str(e)


@settings(max_examples=60, deadline=None)
@given(per_day(), per_day(), st.integers(0, 70), _suffixes)
def test_routes_and_time_critical_gaps_are_the_same_with_either_form(a, b, delay, suffix):
    by_day = make_inventory(*_site(a, b, delay))
    by_osm = make_inventory(*_site(to_osm_text(a, suffix), to_osm_text(b), delay))
    assert by_osm.services[0].hours.osm is not None
    for x, y in zip(by_day.services, by_osm.services, strict=True):
        assert [wait_hours(x, t / 4) for t in range(168 * 4)] == [
            wait_hours(y, t / 4) for t in range(168 * 4)
        ]
    G, H = build_referral_graph(by_day), build_referral_graph(by_osm)
    for weekday, hour in ((0, 0.0), (2, 13.5), (4, 23.0), (6, 20.25)):
        profile = Profile(entry="hosp", weekday=weekday, hour=hour)
        assert _outcome(route, G, profile, need="health.cmr") == _outcome(
            route, H, profile, need="health.cmr"
        )
    kinds = ["time_critical"]
    assert _outcome(find_gaps, by_day, kinds=kinds) == _outcome(find_gaps, by_osm, kinds=kinds)


# --- the documented semantics ------------------------------------------------------------------

OFFICE = {d: "08:00-18:00" for d in DAYS[:5]} | {"sat": "09:00-12:00"}


def test_the_example_of_the_documentation():
    h = parse_hours("Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off")
    assert h == parse_hours(OFFICE)
    assert h.holiday_rules == ("PH off",)
    assert h.to_osm() == "Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off"  # as written
    assert parse_hours(OFFICE).to_osm() == "Mo-Fr 08:00-18:00; Sa 09:00-12:00"


@pytest.mark.parametrize(
    ("text", "week"),
    [
        ("Fr 22:00-02:00", {4: ((1320, 1440),), 5: ((0, 120),)}),
        ("Su 22:00-02:00", {6: ((1320, 1440),), 0: ((0, 120),)}),  # into Monday
        ("Mo 20:00-26:00", {0: ((1200, 1440),), 1: ((0, 120),)}),  # extended hours
        ("Fr 22:00-02:00, Sa 09:00-12:00", {4: ((1320, 1440),), 5: ((0, 120), (540, 720))}),
        # `;` makes Saturday's rule replace Saturday, early hours included (OSM's meaning)
        ("Fr 22:00-02:00; Sa 09:00-12:00", {4: ((1320, 1440),), 5: ((540, 720),)}),
        (
            "Mo,We 08:00-12:00,13:00-17:00",
            {0: ((480, 720), (780, 1020))} | {2: ((480, 720), (780, 1020))},
        ),
        ('Mo-Fr 08:00-18:00 "call first"', {d: ((480, 1080),) for d in range(5)}),
        ("off", {}),
        ("closed", {}),
    ],
)
def test_osm_weeks(text, week):
    h = parse_hours(text)
    assert h.known
    assert h.week == tuple(week.get(d, ()) for d in range(7))


def test_24_7_and_unknown_are_the_same_in_both_forms():
    assert parse_hours("24/7") == Hours.always() == parse_hours("Mo-Su 00:00-24:00")
    assert parse_hours("24/7; PH off").is_24_7
    assert parse_hours("unknown") == Hours.unknown()


@pytest.mark.parametrize(
    "text",
    [
        '"by appointment"',
        'Mo-Fr 08:00-12:00; "weekends by appointment"',
        "Mo-Fr 08:00-18:00; We unknown",
        "unknown",
    ],
)
def test_unknown_times_or_a_bare_comment_make_the_hours_unknown(text):
    h = parse_hours(text)
    assert not h.known and h == Hours.unknown()
    assert h.to_osm() == text and h.describe() == "unknown"


def test_hours_equal_in_both_forms_are_one_key():
    """Analysis caches by `Hours`: the text the inventory wrote does not split them."""
    a, b = parse_hours(OFFICE), parse_hours("Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off")
    assert hash(a) == hash(b) and len({a, b}) == 1


# --- problems ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "Mon-Fri 08:00-18:00",
            "is not OpenStreetMap opening_hours text: cannot be read from character 3",
        ),
        ("Mo-Fr 08:00-18:00; Sa 09:00-12:0", "character 32 '0' (expected minute)"),
        ("Mo-Fr 08:00-18:00; Dec 25 off", "months ('Dec') are not supported"),
        ("Mo-Fr 08:00-18:00; 2026 Jan 01 off", "months ('Jan') are not supported"),
        ("week 1-26 Mo 10:00-12:00", "week numbers ('week') are not supported"),
        ("2025 Mo 10:00-12:00", "years ('2025') are not supported"),
        ("easter off; Mo 10:00-12:00", "Easter ('easter') are not supported"),
        ("Mo[1] 10:00-12:00", "weekdays of a month ('Mo[1]') are not supported"),
        ("sunrise-sunset", "times of the sun ('sunrise') are not supported"),
        ("Mo 17:00+", "open ends ('17:00+') are not supported"),
        ("Mo 10:00-16:00/01:00", "repeating times ('10:00-16:00/01:00') are not supported"),
        ("Mo 10:00-12:00 " + "x" * 300, f"longer than {MAX_LENGTH} characters"),
    ],
)
def test_a_bad_or_unsupported_text_names_the_part(text, says):
    with pytest.raises(ValueError) as info:
        parse_hours(text)
    message = str(info.value)
    assert says in message and "\n" not in message


def test_a_comment_may_name_what_is_refused_outside_it():
    assert parse_hours('Mo-Fr 08:00-18:00 "closed in Dec"').known


def _with_hours(tmp_path: Path, hours: str, *, sid: str = "lawyer") -> Path:
    old = {"lawyer": '    hours: {mon: "13:00-17:00"}\n', "shelter": "    confidential: true\n"}[
        sid
    ]
    new = f"    hours: {hours}\n" + (old if sid == "shelter" else "")
    assert old in TINY
    path = tmp_path / "site.yaml"
    path.write_text(TINY.replace(old, new, 1), encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ValidationError) as info:
        read_site(path)
    return [str(p) for p in info.value.problems]


def test_the_loader_reads_osm_text(tmp_path):
    inv = read_site(_with_hours(tmp_path, '"Mo 13:00-17:00; PH off"'))
    lawyer = next(s for s in inv.services if s.id == "lawyer")
    assert lawyer.hours == parse_hours({"mon": "13:00-17:00"})
    assert lawyer.hours.osm == "Mo 13:00-17:00; PH off"


def test_the_loader_reports_a_bad_text_at_its_line(tmp_path):
    path = _with_hours(tmp_path, '"Mo-Fr 08:00-18:00; Dec 25 off"')
    line = (
        path.read_text(encoding="utf-8")
        .splitlines()
        .index('    hours: "Mo-Fr 08:00-18:00; Dec 25 off"')
        + 1
    )
    assert _problems(path) == [
        f"{display_path(path)}:{line}: services[4].hours: 'Mo-Fr 08:00-18:00; Dec 25 off': "
        "months ('Dec') are not supported: the hours are one repeating week; write the usual "
        "week and put exceptions in hours_note"
    ]
    # the fix the message names loads
    assert read_site(_with_hours(tmp_path, '"Mo-Fr 08:00-18:00"'))


def test_a_confidential_service_text_is_not_repeated(tmp_path):
    path = _with_hours(tmp_path, '"Mo 50.82-4.37"', sid="shelter")
    (problem,) = _problems(path)
    assert "services[3].hours" in problem and "confidential service" in problem
    assert "50.82" not in problem and "4.37" not in problem


_TOKENS = [
    "Mo", "Fr", "Su", "-", ",", "; ", " || ", " ", "08:00", "18:00", "24:00", "30:00", "00:00",
    "PH", "SH", "off", "open", "unknown", '"call"', "24/7", "+", "/", "[1]", "Dec", "week 1",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40) | st.lists(st.sampled_from(_TOKENS), max_size=12).map("".join))
def test_any_text_is_hours_or_a_value_error(text):
    """The parser never fails otherwise, so a record is a record or a reported problem."""
    try:
        h = parse_hours(text)
    except ValueError as e:
        assert "\n" not in str(e)
    else:
        assert (
            Service.model_validate(
                {
                    "id": "x",
                    "name": "x",
                    "categories": ["legal"],
                    "location": {"lat": 0, "lon": 0},
                    "hours": text,
                }
            ).hours
            == h
        )
