"""Typed records of a site's services and referral routes, and the service taxonomy.

The records are pydantic models: they *are* the schema (unknown keys are errors) and, once
loaded, plain frozen objects the rest of the program reads. Defaults for optional fields live
here and nowhere else, so the documentation (docs/INVENTORY.md) has one place to point at.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from pathways.i18n import N_, t
from pathways.model.osm_hours import holiday_rules, osm_week, render_osm

if TYPE_CHECKING:
    import geopandas as gpd

# --- the taxonomy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """One service category of the taxonomy, and the key of its label in the catalogs."""

    id: str
    key: str

    def label(self, lang: str = "en") -> str:
        """The category's label in `lang` (`pathways.i18n`)."""
        return t(self.key, lang)


TAXONOMY: dict[str, Category] = {
    c.id: c
    for c in (
        Category("health.cmr", N_("cat_health.cmr")),
        Category("health.general", N_("cat_health.general")),
        Category("health.srh", N_("cat_health.srh")),
        Category("mhpss", N_("cat_mhpss")),
        Category("case_management", N_("cat_case_management")),
        Category("safety.police", N_("cat_safety.police")),
        Category("safety.shelter", N_("cat_safety.shelter")),
        Category("legal", N_("cat_legal")),
        Category("child_protection", N_("cat_child_protection")),
        Category("hotline", N_("cat_hotline")),
        Category("interpretation", N_("cat_interpretation")),
        Category("basic_needs", N_("cat_basic_needs")),
        Category("livelihoods", N_("cat_livelihoods")),
        Category("community", N_("cat_community")),
    )
}
"""The category ids of the design; sub-categories (`health.cmr.pep`) may be added below them."""

DEFAULT_MINIMUM_PACKAGE: tuple[tuple[str, ...], ...] = (
    ("health.cmr",),
    ("mhpss",),
    ("case_management",),
    ("safety.shelter", "safety.police"),
    ("legal",),
    ("child_protection",),  # only where the site serves children
)
"""Each item is satisfied by any one of its categories."""

CHILD_ONLY_CATEGORIES = frozenset({"child_protection"})

Group = Literal["women", "men", "girls", "boys", "nonbinary"]
GROUPS: tuple[Group, ...] = ("women", "men", "girls", "boys", "nonbinary")
"""Who a service serves; girls and boys are under 18."""

CHILD_GROUPS = frozenset({"girls", "boys"})

REQUIREMENTS = ("police_report", "mandatory_reporting", "documents", "referral_letter", "fee")
"""Conditions that may deter a survivor from using a service."""

REFERRAL_MODES = ("escorted", "accompanied-call", "phone", "form", "self")

DEFAULT_DELAY_HOURS: dict[str, float] = {
    "escorted": 1.0,
    "accompanied-call": 4.0,
    "phone": 24.0,
    "form": 72.0,
    "self": 24.0,
}
"""Typical time until the receiving service sees the survivor, when a referral does not say."""

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SITE_SLUG = re.compile(r"^[a-z][a-z0-9-]*$")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def suggest(value: str, choices: Iterable[str]) -> str:
    """Return ` (did you mean 'x'?)` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def is_category(value: str) -> bool:
    """True for a taxonomy id or a sub-category below one (`health.cmr.pep`)."""
    return value in TAXONOMY or any(value.startswith(c + ".") for c in TAXONOMY)


def base_category(value: str) -> str:
    """The taxonomy id a (sub-)category belongs to."""
    while value not in TAXONOMY and "." in value:
        value = value.rsplit(".", 1)[0]
    return value


def category_label(category: str, lang: str = "en") -> str:
    """A human label for a category, in `lang`."""
    cat = TAXONOMY.get(base_category(category))
    if cat is None:
        return category
    label = cat.label(lang)
    return label if category in TAXONOMY else f"{label} ({category})"


def _check_category(value: str) -> str:
    if not is_category(value):
        raise ValueError(f"'{value}' is not a category{suggest(value, TAXONOMY)}")
    return value


def check_language(value: str) -> str:
    if not isinstance(value, str) or not (
        (len(value) == 2 and pycountry.languages.get(alpha_2=value))
        or (len(value) == 3 and pycountry.languages.get(alpha_3=value))
    ):
        raise ValueError(f"'{value}' is not an ISO 639-1 or 639-3 language code")
    return value


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"'{value}' is not a lower-case id (letters, digits and '-')")
    return value


CategoryId = Annotated[str, AfterValidator(_check_category)]
LanguageCode = Annotated[str, AfterValidator(check_language)]
ServiceId = Annotated[str, AfterValidator(_check_slug)]
STAFF_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
StaffId = Annotated[str, Field(pattern=STAFF_ID_PATTERN)]
"""A staff identifier (`amina.k`, `coord-koro`): who made a change. Never a survivor's name."""

_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\Z")
_DATE_START = re.compile(r"\d{4}-\d\d-\d\d[T ]")

DATE_MESSAGE = "not a real date (YYYY-MM-DD)"


def _check_date(value: Any) -> Any:
    """A date as an inventory writes it: `YYYY-MM-DD` text (the loader leaves dates as text).

    An impossible date (`2026-02-30`, year 0), a number or other text is a ValueError; a date
    object, or a date and time of day (`2026-10-15T00:00:00`), is left to pydantic.
    """
    if isinstance(value, str):
        parsed = _date_text(value)
        if parsed is None:
            raise ValueError(DATE_MESSAGE)
        return parsed
    if isinstance(value, bool | int | float):
        raise ValueError(DATE_MESSAGE)
    return value


@lru_cache(maxsize=4096)
def _date_text(value: str) -> dt.date | str | None:
    """`_check_date` of a text (once per distinct text: an inventory has few dates): the
    date, the text itself when it holds a time of day too, or None."""
    text = value.strip()
    if m := _DATE.match(text):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return value if _DATE_START.match(text) else None  # pydantic would read "0" as 1970


OptionalDate = Annotated[dt.date | None, BeforeValidator(_check_date)]
"""A date field: None, a `datetime.date`, or `YYYY-MM-DD` text naming a real day."""

# --- opening hours ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hours:
    """Opening hours as minute ranges per weekday (0 = Monday); `known` is False for 'unknown'.

    A range that passes midnight is split into two at load time, so every range lies inside
    one day: `(start_minute, end_minute)` with 0 <= start < end <= 1440. Hours are equal (and
    hash alike) when their weeks are, whichever form the inventory wrote them in.
    """

    week: tuple[tuple[tuple[int, int], ...], ...]
    known: bool = True
    osm: str | None = field(default=None, compare=False)
    """The OpenStreetMap `opening_hours` text the inventory wrote, as written (None for the
    other forms): what an export to OpenStreetMap-style tools writes back, holidays and
    comments included."""

    @classmethod
    def always(cls) -> Hours:
        return cls(tuple(((0, 1440),) for _ in DAYS))

    @classmethod
    def unknown(cls) -> Hours:
        return cls(tuple(() for _ in DAYS), known=False)

    @property
    def is_24_7(self) -> bool:
        return self.known and all(day == ((0, 1440),) for day in self.week)

    @property
    def holiday_rules(self) -> tuple[str, ...]:
        """The rules of the OpenStreetMap text for public or school holidays (`('PH off',)`),
        which the repeating week leaves out; () for the other forms."""
        return holiday_rules(self.osm) if self.osm else ()

    def is_open(self, weekday: int, minute: int) -> bool:
        """Open at this weekday (0 = Monday) and minute of the day? Unknown hours count as open."""
        if not self.known:
            return True
        return any(a <= minute < b for a, b in self.week[weekday % 7])

    def wait_minutes(self, weekday: int, minute: int) -> float:
        """Minutes from this moment until the service is next open (0 if open, inf if never)."""
        if not self.known:
            return 0.0
        for offset in range(8):
            day = (weekday + offset) % 7
            for a, b in self.week[day]:
                start = a + offset * 1440
                now = minute
                if offset == 0 and a <= minute < b:
                    return 0.0
                if start >= now:
                    return float(start - now)
        return float("inf")

    def describe(self) -> str:
        """Short text form, as written in an inventory."""
        if not self.known:
            return "unknown"
        if self.is_24_7:
            return "24/7"
        parts = []
        for name, ranges in zip(DAYS, self.week, strict=True):
            if ranges:
                parts.append(f"{name} " + ",".join(f"{_hm(a)}-{_hm(b)}" for a, b in ranges))
        return "; ".join(parts) if parts else "closed"

    def to_osm(self) -> str:
        """OpenStreetMap `opening_hours` text: as the inventory wrote it, else made from the
        week (`Mo-Fr 08:00-18:00; Sa 09:00-12:00`); `parse_hours` reads it back equal."""
        if self.osm is not None:
            return self.osm
        if not self.known:
            return "unknown"
        return "24/7" if self.is_24_7 else render_osm(self.week)


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_hours(value: Any) -> Hours:
    """Parse `"24/7"`, `"unknown"`, OpenStreetMap `opening_hours` text or a day -> ranges
    mapping; ValueError names the bad part."""
    if value is None or value == "unknown":
        return Hours.unknown()
    if value == "24/7":
        return Hours.always()
    if isinstance(value, str):
        return _parse_osm(value)
    if not isinstance(value, dict):
        hint = ' (write "off" in quotes: YAML reads a bare off as false)' if value is False else ""
        raise ValueError(
            f"'{value}' is not '24/7', 'unknown', OpenStreetMap opening_hours text or a mapping "
            f"of days to hours{hint}"
        )
    return Hours(_sorted_week(_parse_days(value)))


def _parse_osm(text: str) -> Hours:
    """Hours of OpenStreetMap `opening_hours` text (`pathways.model.osm_hours`), kept on them."""
    week = osm_week(text)
    if week is None:
        return Hours(tuple(() for _ in DAYS), known=False, osm=text)
    return Hours(_sorted_week(week), osm=text)


def _parse_days(value: dict[Any, Any]) -> list[list[tuple[int, int]]]:
    """The open ranges of each weekday of the per-day form (`{mon: "08:00-17:00", ...}`)."""
    week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for day, text in value.items():
        if day not in DAYS:
            raise ValueError(f"'{day}' is not a day (use {', '.join(DAYS)})")
        i = DAYS.index(day)
        if text in ("closed", None, False):
            continue
        if not isinstance(text, str):
            raise ValueError(f"{day}: '{text}' is not a time range like '08:00-17:00'")
        for part in text.replace(" ", "").split(","):
            a, b = _day_range(day, part)
            if b > a:
                week[i].append((a, b))
            else:  # passes midnight
                week[i].append((a, 1440))
                if b:
                    week[(i + 1) % 7].append((0, b))
    return week


def _day_range(day: str, part: str) -> tuple[int, int]:
    """Start and end minute of one range of the per-day form (the end may be before the start:
    the range passes midnight)."""
    if part == "24h" or part == "00:00-24:00":
        return 0, 1440
    m = _RANGE.match(part)
    if not m:
        raise ValueError(f"{day}: '{part}' is not a time range like '08:00-17:00'")
    a = int(m[1]) * 60 + int(m[2])
    b = int(m[3]) * 60 + int(m[4])
    if b > 1440:
        raise ValueError(f"{day}: '{part}' ends after 24:00")
    if a == b:
        raise ValueError(f"{day}: '{part}' is an empty range")
    return a, b


def _sorted_week(
    week: list[list[tuple[int, int]]],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    return tuple(tuple(sorted(_merge(d))) for d in week)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


# --- records -----------------------------------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Travel(_Record):
    """How survivors usually move at a site: a mode, its speed and the detour factor of roads."""

    mode: Literal["walk", "transit", "car", "custom"] = "transit"
    speed_kmh: float = Field(default=18.0, gt=0, le=200)
    circuity: float = Field(default=1.3, ge=1.0, le=5.0)


class Areas(_Record):
    """Admin areas of a site (a GeoJSON file and the property holding each area's name)."""

    path: str
    name_field: str = "name"


GAP_KINDS: tuple[str, ...] = (
    "missing_category",
    "unreachable",
    "time_critical",
    "hours",
    "single_point_of_failure",
    "language",
    "eligibility",
    "deterrent",
    "supplies",
    "dead_end",
    "orphan",
    "stale",
    "suspended",
)
"""Every gap kind `pathways.analysis.gaps` finds, in the order they are reported."""

CheckedGroup = Literal["women", "men", "girls", "boys", "nonbinary", "undocumented"]


class PolicyRule(_Record):
    """A site's adaptation of one gap rule: a new severity (or `off`), with the reason for it.

    A rule applies to the gaps of its `kind`, narrowed by `category`, `group` or `language`
    when given; the reason is shown wherever the changed gap (or its absence) is reported.
    """

    kind: Literal[GAP_KINDS]  # type: ignore[valid-type]
    category: CategoryId | None = None
    group: CheckedGroup | None = None
    language: LanguageCode | None = None
    severity: Literal["critical", "major", "minor", "off"]
    reason: str = Field(min_length=10)
    reason_fr: str | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _off(cls, v: Any) -> Any:
        return "off" if v is False else v  # YAML 1.1 reads a bare `off` as false

    @model_validator(mode="before")
    @classmethod
    def _reason_per_language(cls, data: Any) -> Any:
        """`reason: {en: ..., fr: ...}`: the English text (else the first) and the French."""
        if isinstance(data, dict) and isinstance(data.get("reason"), dict) and data["reason"]:
            texts = data["reason"]
            data = {**data, "reason": texts.get("en", next(iter(texts.values())))}
            if "fr" in texts:
                data["reason_fr"] = texts["fr"]
        return data

    def reason_in(self, lang: str) -> str:
        """The reason in French when given (and asked), else as written."""
        return self.reason_fr if lang == "fr" and self.reason_fr else self.reason


class AccessLimit(_Record):
    """A seasonal or security limit on reaching some services (a rainy season, a road closed):
    a what-if scenario that treats these services as closed."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str = Field(min_length=1)
    name_fr: str | None = None
    services: tuple[str, ...] = Field(min_length=1)
    months: tuple[int, ...] = ()
    reason: str | None = None

    @field_validator("months")
    @classmethod
    def _months(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        bad = [m for m in v if not 1 <= m <= 12]
        if bad:
            raise ValueError(f"months must be 1 to 12, not {bad[0]}")
        return v


class Site(_Record):
    """A place where services are mapped: its country, languages, travel and review rules."""

    id: str = Field(pattern=_SITE_SLUG.pattern)
    name: str = Field(min_length=1)
    country: str
    timezone: str = "UTC"
    languages: tuple[LanguageCode, ...] = ()
    data_status: Literal["illustrative", "field-verified"] = "illustrative"
    updated: OptionalDate = None
    description: str | None = None
    travel: Travel = Travel()
    review_months: int = Field(default=12, ge=1, le=120)
    minimum_package: tuple[tuple[CategoryId, ...], ...] = DEFAULT_MINIMUM_PACKAGE
    boundary: str | None = None
    areas: Areas | None = None
    sources: tuple[str, ...] = ()
    coordination: str | None = None
    """Who coordinates the referral network (owns the gaps no single organisation owns)."""
    policy: tuple[PolicyRule, ...] = ()
    access_limits: tuple[AccessLimit, ...] = ()
    coordinators: tuple[StaffId, ...] = ()
    """Staff identifiers who may accept or reject proposed changes (the review queue); none:
    anyone may. An identifier, not authentication: see the README's "Editing"."""

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        if not (len(v) == 2 and v.isupper() and pycountry.countries.get(alpha_2=v)):
            raise ValueError(f"'{v}' is not an ISO 3166-1 alpha-2 country code (e.g. 'BE')")
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{v}' is not an IANA time zone (e.g. 'Europe/Brussels')") from None
        return v

    @field_validator("minimum_package", mode="before")
    @classmethod
    def _package(cls, v: Any) -> Any:
        if isinstance(v, list | tuple):
            return [item if isinstance(item, list | tuple) else [item] for item in v]
        return v


class Suspension(_Record):
    """A service closed for a while (staff away, a kit stock-out, insecurity): until `until`
    (included) it drops out of routes and shows as a `suspended` gap, without being deleted."""

    until: Annotated[dt.date, BeforeValidator(_check_date)]
    reason: str = Field(min_length=1)


class Point(_Record):
    """A WGS84 position, with an optional address and admin area name."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str | None = None
    area: str | None = None


class Contact(_Record):
    phone: str | None = None
    email: str | None = None
    website: str | None = None


TRANSLATED = ("name", "organisation", "description", "hours_note", "notes")
"""Service fields an inventory may give per language."""


class Translation(_Record):
    """A service's texts in one language."""

    name: str | None = Field(default=None, min_length=1)
    organisation: str | None = None
    description: str | None = None
    hours_note: str | None = None
    notes: str | None = None


class Service(_Record):
    """One service at a site: what it offers, where, when, for whom, and on which conditions."""

    id: ServiceId
    name: str = Field(min_length=1)
    organisation: str | None = None
    description: str | None = None
    categories: tuple[CategoryId, ...] = Field(min_length=1)
    entry_point: bool = False
    location: Point
    confidential: bool = False
    location_precision: Literal["area", "hidden"] | None = None
    intake: Point | None = None
    hours: Hours = Field(default_factory=Hours.unknown)
    hours_note: str | None = None
    languages: tuple[LanguageCode, ...] = ()
    interpretation: bool = False
    serves: tuple[Group, ...] = GROUPS
    age_min: int = Field(default=0, ge=0, le=120)
    age_max: int | None = Field(default=None, ge=0, le=120)
    legal_status: Literal["any", "documented-only"] = "any"
    cost: Literal["free", "low", "fee"] = "free"
    contact: Contact | None = None
    requires: tuple[
        Literal["police_report", "mandatory_reporting", "documents", "referral_letter", "fee"], ...
    ] = ()
    last_verified: OptionalDate = None
    notes: str | None = None
    # What coordinators asked to record; optional, used by the analysis where they bear on it.
    pep_stock_confirmed: OptionalDate = None
    """Date the post-exposure prophylaxis kit stock was last confirmed (clinical rape care)."""
    female_staff: bool | None = None
    """Whether a woman can see the survivor (false deters women and girls)."""
    appointment: bool = False
    """Survivors need an appointment (not for walk-ins on the day)."""
    interpreter_lead_hours: float | None = Field(default=None, ge=0, le=24 * 60)
    """Hours needed to book the interpreter the service brings."""
    phone_network: Literal["good", "poor", "none"] | None = None
    """Mobile phone coverage where the service is: with none, its phone referrals cannot work."""
    focal_point: bool = False
    """A community focal point: a trained person in a village who listens and refers."""
    translations: dict[LanguageCode, Translation] = Field(default_factory=dict)
    """Name, description and notes in other languages (`name: {fr: ..., en: ...}` in YAML)."""
    suspended: Suspension | None = None
    """Temporarily closed, until a date and for a reason (`pathways suspend` / `resume`)."""

    @model_validator(mode="before")
    @classmethod
    def _per_language(cls, data: Any) -> Any:
        """`name: {en: ..., fr: ...}` (likewise description, notes): the English text (else the
        first given) is the field; every language's text goes to `translations`."""
        if not isinstance(data, dict) or not any(isinstance(data.get(k), dict) for k in TRANSLATED):
            return data
        data = dict(data)
        per_lang: dict[Any, dict[str, Any]] = {}
        for key in TRANSLATED:
            value = data.get(key)
            if isinstance(value, dict) and value:
                for lang, text in value.items():
                    per_lang.setdefault(lang, {})[key] = text
                data[key] = value.get("en", next(iter(value.values())))
        data["translations"] = per_lang
        return data

    def text_in(self, key: str, lang: str) -> str | None:
        """A translated text (`TRANSLATED`) in `lang` when the inventory gives it, else as is."""
        given = self.translations.get(lang)
        value = getattr(given, key, None) if given else None
        text: str | None = value if value is not None else getattr(self, key)
        return text

    def name_in(self, lang: str) -> str:
        """The service's name in `lang` when the inventory gives it, else its name."""
        return self.text_in("name", lang) or self.name

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, v: Any) -> Hours:
        return v if isinstance(v, Hours) else parse_hours(v)

    @model_validator(mode="after")
    def _coherent(self) -> Service:
        if not self.confidential and self.location_precision is not None:
            raise ValueError("location_precision applies only to a confidential service")
        if not self.confidential and self.intake is not None:
            raise ValueError("intake applies only to a confidential service")
        if self.age_max is not None and self.age_max < self.age_min:
            raise ValueError(f"age_max {self.age_max} is below age_min {self.age_min}")
        return self

    @property
    def tier(self) -> Literal["exact", "intake", "area", "hidden"]:
        """How this service may be shown: exact (not confidential), at its public intake point,
        at area level, or not at all (hidden). The same on a record and on its public view."""
        if not self.confidential:
            return "exact"
        if self.intake is not None:
            return "intake"
        return self.location_precision or "area"

    @property
    def serves_children(self) -> bool:
        return bool(CHILD_GROUPS & set(self.serves)) and self.age_min < 18

    def suspended_on(self, day: dt.date) -> bool:
        """Is the service suspended on this day (a suspension lasts until its date, included)?"""
        return self.suspended is not None and self.suspended.until >= day

    def has(self, category: str) -> bool:
        """True if the service offers this category or a sub-category of it."""
        return any(c == category or c.startswith(category + ".") for c in self.categories)


class Referral(_Record):
    """A referral route: who hands a survivor to whom, for which needs, how, and how fast."""

    source_id: ServiceId = Field(alias="from")
    target_id: ServiceId = Field(alias="to")
    needs: tuple[CategoryId, ...] = Field(default=(), alias="for")
    mode: Literal["escorted", "accompanied-call", "phone", "form", "self"] = "phone"
    consent: Literal["informed", "none"] = "informed"
    delay_hours: float | None = Field(default=None, ge=0, le=24 * 365)
    source: str | None = None
    last_tested: OptionalDate = None
    notes: str | None = None

    @property
    def delay(self) -> float:
        """Hours until the receiving service sees the survivor (the mode's default if unset)."""
        return self.delay_hours if self.delay_hours is not None else DEFAULT_DELAY_HOURS[self.mode]


class Inventory(_Record):
    """Everything mapped at one site. Built only by `pathways.io.load`, after validation."""

    site: Site
    services: tuple[Service, ...] = ()
    referrals: tuple[Referral, ...] = ()
    path: Path | None = Field(default=None, exclude=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy, with what is cached from the services (`by_id`, ...) computed afresh."""
        copy = super().model_copy(update=update, deep=deep)
        for name in ("by_id", "_minimum_package", "content_key"):
            copy.__dict__.pop(name, None)
        return copy

    @cached_property
    def content_key(self) -> str:
        """A digest of the inventory's content (its JSON, the path left out), worked out once
        per inventory: what caches key an analysis on (an edited file gives a new one)."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()

    @cached_property
    def by_id(self) -> dict[str, Service]:
        return {s.id: s for s in self.services}

    def service(self, service_id: str) -> Service:
        """The service with this id; KeyError naming the close matches otherwise."""
        try:
            return self.by_id[service_id]
        except KeyError:
            raise KeyError(
                f"'{service_id}' is not a service of {self.site.id}"
                f"{suggest(service_id, self.by_id)}"
            ) from None

    def referral_targets(self, referral: Referral) -> tuple[str, ...]:
        """The categories a referral serves: its `for`, or every category of its target."""
        return referral.needs or self.by_id[referral.target_id].categories

    @property
    def serves_children(self) -> bool:
        return any(s.serves_children for s in self.services)

    def minimum_package(self) -> tuple[tuple[str, ...], ...]:
        """The site's minimum package; child protection only where the site serves children."""
        return self._minimum_package

    @cached_property
    def _minimum_package(self) -> tuple[tuple[str, ...], ...]:
        # once per inventory: it looks at every service, and every gap's severity asks for it
        # (at 100,000 services and thousands of gaps that was most of the analysis)
        return tuple(
            item
            for item in self.site.minimum_package
            if self.serves_children or not set(item) <= CHILD_ONLY_CATEGORIES
        )

    def categories(self) -> set[str]:
        return {c for s in self.services for c in s.categories}

    def resolve_path(self, relative: str) -> Path:
        """A path written in the inventory, resolved against the inventory file's folder."""
        base = self.path.parent if self.path else Path.cwd()
        return (base / relative).resolve()

    def to_gdf(self) -> gpd.GeoDataFrame:
        """A GeoDataFrame view (EPSG:4326) of the services at their recorded locations.

        On the public view (`pathways.public.privacy.public_view`, what every output reads) a
        confidential service's location is already its public place.
        """
        import geopandas as gpd

        rows = [
            {
                "site": self.site.id,
                "id": s.id,
                "name": s.name,
                "organisation": s.organisation,
                "categories": list(s.categories),
                "entry_point": s.entry_point,
                "confidential": s.confidential,
                "languages": list(s.languages),
                "interpretation": s.interpretation,
                "hours": s.hours.describe(),
                "lat": s.location.lat,
                "lon": s.location.lon,
            }
            for s in self.services
        ]
        gdf = gpd.GeoDataFrame(
            rows,
            geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
            crs="EPSG:4326",
        )
        return gdf.drop(columns=["lat", "lon"]).set_index("id", drop=False)
