"""Finding services: the filters of the Explore page, a service's card, and the selection logic.

Everything here is plain Python on `Inventory` objects (no Streamlit), so the page only reads
widgets and renders what these functions return.

Filters (all optional, combined with AND):
- `categories`: offers one of them (or a sub-category of one).
- `language`: lists the language, or offers interpretation when `interpretation` is True.
- `group`: `women`, `men`, `girls`, `boys` (under 18: the service must also take children),
  `lgbtiq` and `undocumented`. The inventory schema records who a service serves as
  `serves: [women, men, girls, boys, nonbinary]`; it has no finer LGBTIQ+ field, so `lgbtiq`
  keeps the services open to non-binary people (`nonbinary` in `serves`), which is where
  inventories record that a service receives LGBTIQ+ people. `undocumented` keeps the services
  whose `legal_status` is `any`.
- `age`: within the service's `age_min`..`age_max`.
- `entry_only`: entry points only.
- `open_at`: open at this weekday and minute, local time at each site. Services with unknown
  hours are left out: nobody can promise they are open (route modelling, in
  `pathways.routes`, is more hopeful and counts them as open).
- `query`: the name or organisation contains the text (case and accents ignored).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pathways.i18n import clock_text, day_name, labels, language_name, t
from pathways.inventory import DAYS, Hours, Inventory, Referral, Service, category_label

GroupChoice = Literal["women", "girls", "boys", "men", "lgbtiq", "undocumented"]
GROUP_CHOICES: tuple[GroupChoice, ...] = ("women", "girls", "boys", "men", "lgbtiq", "undocumented")
"""The choices of the "open to" filter, in the order the page lists them."""

Found = tuple[Inventory, Service]
"""One result of `filter_services`: the service and the inventory of its site."""


@dataclass(frozen=True)
class OpenAt:
    """A moment of the week, local time at each site: weekday (0 = Monday) and minute of day."""

    weekday: int
    minute: int

    def describe(self, lang: str = "en") -> str:
        """'Sat 23:00' / 'sam. 23:00'."""
        return clock_text(self.weekday, self.minute, lang)


def site_now(inventory: Inventory, now: dt.datetime | None = None) -> OpenAt:
    """The current weekday and minute in the site's time zone (`now` for tests, aware)."""
    local = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(inventory.site.timezone))
    return OpenAt(local.weekday(), local.hour * 60 + local.minute)


def service_key(inventory: Inventory, service: Service) -> str:
    """`site/service-id`: unique across sites (the index of the tables)."""
    return f"{inventory.site.id}/{service.id}"


def _fold(text: str) -> str:
    """Lower case without accents, for searching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def serves_group(service: Service, group: str) -> bool:
    """True if the service takes people of this filter group (see the module docstring)."""
    if group == "undocumented":
        return service.legal_status == "any"
    if group == "lgbtiq":
        return "nonbinary" in service.serves
    if group in ("girls", "boys"):
        return group in service.serves and service.age_min < 18
    return group in service.serves


def matches(
    service: Service,
    *,
    categories: Iterable[str] | None = None,
    language: str | None = None,
    interpretation: bool = True,
    group: str | None = None,
    age: int | None = None,
    entry_only: bool = False,
    open_at: OpenAt | None = None,
    query: str = "",
) -> bool:
    """True if one service passes every filter given (see the module docstring)."""
    if categories is not None and not any(service.has(c) for c in categories):
        return False
    if (
        language
        and language not in service.languages
        and not (interpretation and service.interpretation)
    ):
        return False
    if group and not serves_group(service, group):
        return False
    if age is not None and not (
        service.age_min <= age and (service.age_max is None or age <= service.age_max)
    ):
        return False
    if entry_only and not service.entry_point:
        return False
    if open_at is not None and not (
        service.hours.known and service.hours.is_open(open_at.weekday, open_at.minute)
    ):
        return False
    wanted = _fold(query.strip())
    return not wanted or wanted in _fold(f"{service.name} {service.organisation or ''}")


def filter_services(
    inventories: Iterable[Inventory],
    *,
    categories: Iterable[str] | None = None,
    language: str | None = None,
    interpretation: bool = True,
    group: str | None = None,
    age: int | None = None,
    entry_only: bool = False,
    open_at: OpenAt | None = None,
    query: str = "",
) -> list[Found]:
    """The (inventory, service) pairs that pass every filter, site after site, in file order.

    `categories=None` keeps every category; an empty list keeps nothing.
    """
    cats = None if categories is None else tuple(categories)
    return [
        (inv, s)
        for inv in inventories
        for s in inv.services
        if matches(
            s,
            categories=cats,
            language=language,
            interpretation=interpretation,
            group=group,
            age=age,
            entry_only=entry_only,
            open_at=open_at,
            query=query,
        )
    ]


def languages_present(inventories: Iterable[Inventory]) -> list[str]:
    """The languages of these sites and their services, sites' own first (the filter's choices)."""
    seen: dict[str, None] = {}
    invs = list(inventories)
    for inv in invs:
        seen.update(dict.fromkeys(inv.site.languages))
    for inv in invs:
        for s in inv.services:
            seen.update(dict.fromkeys(s.languages))
    return list(seen)


def subset(inventory: Inventory, service_ids: Iterable[str]) -> Inventory:
    """The inventory with only these services, and the referrals between them (for a map).

    Public places do not depend on the other services (`pathways.privacy`), so a subset draws
    every confidential service exactly where the whole inventory would.
    """
    keep = set(service_ids)
    return Inventory.model_construct(
        site=inventory.site,
        services=tuple(s for s in inventory.services if s.id in keep),
        referrals=tuple(
            r for r in inventory.referrals if r.source_id in keep and r.target_id in keep
        ),
        path=inventory.path,
    )


def subsets(inventories: Sequence[Inventory], found: Iterable[Found]) -> list[Inventory]:
    """One subset per inventory with the services found (sites with none are kept, empty)."""
    ids: dict[str, list[str]] = {inv.site.id: [] for inv in inventories}
    for inv, s in found:
        ids[inv.site.id].append(s.id)
    return [subset(inv, ids[inv.site.id]) for inv in inventories]


# --- words --------------------------------------------------------------------------------------


def hours_text(hours: Hours, lang: str = "en") -> str:
    """Opening hours in words, days with the same hours grouped: 'Mon–Fri 09:00–17:00'."""
    if not hours.known:
        return t("unknown_hours", lang)
    if hours.is_24_7:
        return t("always", lang)
    runs: list[list[int]] = []
    for i, ranges in enumerate(hours.week):
        if runs and hours.week[runs[-1][-1]] == ranges and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = []
    for run in runs:
        ranges = hours.week[run[0]]
        if not ranges:
            continue
        first = day_name(run[0], lang, short=True)
        days = first if len(run) == 1 else f"{first}–{day_name(run[-1], lang, short=True)}"
        times = ", ".join(f"{_hm(a)}–{_hm(b)}" for a, b in ranges)
        parts.append(f"{days} {times}")
    return "; ".join(parts) or t("closed_all_week", lang)


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def who_text(service: Service, lang: str = "en") -> str:
    """Who the service takes: groups, ages and legal status, in words."""
    if len(set(service.serves)) == 5:
        parts = [t("everyone", lang)]
    else:
        parts = [", ".join(labels("group_", service.serves, lang))]
    if service.age_max is not None:
        parts.append(t("ages", lang, a=service.age_min, b=service.age_max))
    elif service.age_min:
        parts.append(t("from_age", lang, a=service.age_min))
    if service.legal_status != "any":
        parts.append(t("legal_" + service.legal_status, lang))
    return "; ".join(parts)


def languages_text(service: Service, lang: str = "en") -> str:
    """'French, Arabic; interpretation' in words."""
    text = ", ".join(language_name(code, lang) for code in service.languages)
    if service.interpretation:
        text += ("; " if text else "") + t("interpretation", lang).lower()
    return text or t("not_recorded", lang)


def place_text(service: Service, lang: str = "en") -> str:
    """Where the service is, in words, without ever giving a confidential service's address.

    A confidential service shows only its public intake point's address, or says that its
    location is withheld.
    """
    if not service.confidential:
        return service.location.address or t("not_recorded", lang)
    if service.intake is not None and service.intake.address:
        return service.intake.address
    return t("hidden" if service.precision == "hidden" else "withheld", lang)


def _route_row(inventory: Inventory, r: Referral, other: str, lang: str) -> dict[str, Any]:
    return {
        t("col_with", lang): inventory.by_id[other].name,
        t("col_for", lang): ", ".join(
            category_label(c, lang) for c in inventory.referral_targets(r)
        ),
        t("col_mode", lang): t("mode_" + r.mode, lang),
        t("col_delay_h", lang): round(r.delay, 1),
        t("col_last_tested", lang): r.last_tested.isoformat() if r.last_tested else "",
    }


def service_card(inventory: Inventory, service_id: str, lang: str = "en") -> dict[str, Any]:
    """Everything the card of a service shows, as plain values (public information only).

    Keys: `name`, `site`, `fields` (label -> text, in display order), `routes_in` and
    `routes_out` (rows for tables, columns labelled in `lang`). No coordinates, ever; an
    address only for a service that is not confidential (or its public intake's).
    """
    s = inventory.service(service_id)
    yes_no = {True: t("yes", lang), False: t("no", lang)}
    fields: dict[str, str] = {t("site", lang): inventory.site.name}
    if s.organisation:
        fields[t("organisation", lang)] = s.organisation
    if s.description:
        fields[t("description", lang)] = s.description
    fields[t("categories", lang)] = ", ".join(category_label(c, lang) for c in s.categories)
    fields[t("entry_point", lang)] = yes_no[s.entry_point]
    fields[t("hours", lang)] = hours_text(s.hours, lang)
    if s.hours_note:
        fields[t("hours_note", lang)] = s.hours_note
    fields[t("languages", lang)] = languages_text(s, lang)
    fields[t("serves", lang)] = who_text(s, lang)
    fields[t("cost", lang)] = t("cost_" + s.cost, lang)
    if s.requires:
        fields[t("requires", lang)] = ", ".join(labels("req_", s.requires, lang))
    if s.contact is not None:
        contact = [v for v in (s.contact.phone, s.contact.email, s.contact.website) if v]
        if contact:
            fields[t("contact", lang)] = " · ".join(contact)
    fields[t("place", lang)] = place_text(s, lang)
    fields[t("last_verified", lang)] = (
        s.last_verified.isoformat() if s.last_verified else t("not_recorded", lang)
    )
    return {
        "name": s.name,
        "site": inventory.site.name,
        "confidential": s.confidential,
        "fields": fields,
        "routes_in": [
            _route_row(inventory, r, r.source_id, lang)
            for r in inventory.referrals
            if r.target_id == s.id
        ],
        "routes_out": [
            _route_row(inventory, r, r.target_id, lang)
            for r in inventory.referrals
            if r.source_id == s.id
        ],
    }


# --- choosing a service from the map or the table ----------------------------------------------


def tooltip_text(service: Service, lang: str = "en") -> str:
    """The start of a service marker's tooltip as the browser reads it (text only).

    `mapping.layers.service_tooltip` writes `<b>name</b><br>categories...`; streamlit-folium
    returns the tooltip's text content, where the line break leaves no character.
    """
    return service.name + ", ".join(category_label(c, lang) for c in service.categories)


def match_click(found: Iterable[Found], tooltip: str | None, lang: str = "en") -> str | None:
    """The key of the service whose marker tooltip was clicked, among those found.

    The longest matching tooltip start wins (a name may be the prefix of another); a tooltip
    of anything else (a referral line, a cluster, a gap ring) matches nothing.
    """
    if not tooltip:
        return None
    text = tooltip.strip()
    best: tuple[int, str] | None = None
    for inv, s in found:
        start = tooltip_text(s, lang)
        if text.startswith(start) and (best is None or len(start) > best[0]):
            best = (len(start), service_key(inv, s))
    return best[1] if best else None


@dataclass(frozen=True)
class Selection:
    """Which service's card is open, and the last map click and table row it was chosen from."""

    current: str | None = None
    click: str | None = None
    row: str | None = None


def select(
    previous: Selection, *, click: str | None, row: str | None, keys: Iterable[str]
) -> Selection:
    """The card to open after a rerun: the latest of a new map click and a new table row.

    `click` and `row` are the service keys the map and the table report now (None for
    nothing); only a change counts as a choice, so an old map click does not hide a row chosen
    since. Unselecting the row closes its card. A card whose service is no longer among `keys`
    (filtered out) closes.
    """
    current = previous.current
    if click is not None and click != previous.click:
        current = click
    elif row != previous.row:
        if row is not None:
            current = row
        elif current == previous.row:  # the row was unselected: its card closes
            current = None
    if current not in set(keys):
        current = None
    return Selection(current, click, row)


def day_options() -> list[int]:
    """Weekdays 0..6 (Monday first), the choices of a day picker."""
    return list(range(len(DAYS)))


TIME_STEP = 30
"""Minutes between the choices of a time picker."""


def time_options() -> list[int]:
    """Minutes of the day every `TIME_STEP` minutes (00:00, 00:30, ...), a time picker's choices."""
    return list(range(0, 24 * 60, TIME_STEP))


def time_label(minute: int) -> str:
    """'22:30' for a minute of the day."""
    return _hm(minute)


def round_time(minute: int) -> int:
    """A minute of the day rounded down to a time picker's choice."""
    return minute // TIME_STEP * TIME_STEP
