"""A service's card: what the app shows when a service is picked, and `pathways show` prints.

One function (`service_card`) for both, reading the public view: a confidential service's
card gives its public place in words (an intake point's address, shown as such; an area; or
nothing), never its own address. `Card.version` is an opaque string that changes whenever the
service's public record changes (the editing commands use it to refuse a lost update).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pathways.i18n import day_name, join, labels, language_name, number, semicolon, t
from pathways.i18n import hours_text as hours_text_of
from pathways.model.inventory import Hours, Inventory, Referral, Service, category_label
from pathways.public.privacy import PublicInventory, public_place, public_view

# --- words --------------------------------------------------------------------------------------


def hours_text(hours: Hours, lang: str = "en") -> str:
    """Opening hours in words, days with the same hours grouped: 'Mon–Fri 09:00–17:00'."""
    if not hours.known:
        return t("unknown_hours", lang)
    if hours.is_24_7:
        return t("always", lang)
    names = [day_name(i, lang, short=True) for i in range(7)]
    return week_text(hours, names, semicolon(lang)) or t("closed_all_week", lang)


def week_text(hours: Hours, day_names: Sequence[str], sep: str = "; ") -> str:
    """The open days and times, days with the same hours grouped ('' if never open)."""
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
        first = day_names[run[0]]
        days = first if len(run) == 1 else f"{first}–{day_names[run[-1]]}"
        times = ", ".join(f"{_hm(a)}–{_hm(b)}" for a, b in ranges)
        parts.append(f"{days} {times}")
    return sep.join(parts)


def delay_text(hours: float, lang: str = "en") -> str:
    """'2 h' / '1.5 h' / '1,5 h': a referral delay, with a decimal only when it has one."""
    return f"{number(hours, lang, 0 if float(hours).is_integer() else 1)} h"


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


def place_text(service: Service, inventory: PublicInventory, lang: str = "en") -> str:
    """Where a service of a public view is, in words, from its public place.

    A public service: its address. A confidential one: its public intake point's address,
    said to be the intake point; or its area ("area level: Jette (exact location withheld)");
    or that it is not shown at all.
    """
    place = public_place(service, inventory)
    if place is None:
        return t("hidden", lang)
    address = service.location.address
    if place.precision == "exact":
        return address or t("not_recorded", lang)
    words = place.describe(lang)
    return f"{address} — {words}" if address else words


# --- the card -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One line of a card: a stable key, its label in the card's language, and the text."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class RouteRow:
    """A referral route into or out of the service, as the card lists it."""

    service: str  # the other end's id
    name: str  # the other end's name
    needs: tuple[str, ...]
    needs_text: str
    mode: str
    mode_text: str
    delay_hours: float
    last_tested: str | None

    def labelled(self, lang: str = "en") -> dict[str, Any]:
        """The row for a table, columns labelled in `lang`."""
        return {
            t("col_with", lang): self.name,
            t("col_for", lang): self.needs_text,
            t("col_mode", lang): self.mode_text,
            t("col_delay_h", lang): self.delay_hours,
            t("col_last_tested", lang): self.last_tested or "",
        }


@dataclass(frozen=True)
class Card:
    """Everything the card of a service shows (public information only; no coordinates)."""

    site: str
    site_name: str
    data_status: str
    id: str
    name: str
    confidential: bool
    version: str
    lang: str
    fields: tuple[Field, ...]
    routes_in: tuple[RouteRow, ...]
    routes_out: tuple[RouteRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: identity, `version`, `fields` (key -> text), their `labels`, routes."""
        return {
            "site": self.site,
            "site_name": self.site_name,
            "data_status": self.data_status,
            "id": self.id,
            "name": self.name,
            "confidential": self.confidential,
            "version": self.version,
            "lang": self.lang,
            "fields": {f.key: f.value for f in self.fields},
            "labels": {f.key: f.label for f in self.fields},
            "routes_in": [_route_dict(r) for r in self.routes_in],
            "routes_out": [_route_dict(r) for r in self.routes_out],
        }

    def text(self) -> str:
        """The card as lines of text, for the terminal."""
        lang = self.lang
        width = max(len(f.label) for f in self.fields)
        lines = [f"{self.name} [{self.id}]"]
        if self.data_status != "field-verified":
            lines[0] += f" ({t('illustrative_short', lang)})"
        lines += [f"  {f.label:<{width}}  {f.value}" for f in self.fields]
        for title, rows in (
            (t("routes_in", lang), self.routes_in),
            (t("routes_out", lang), self.routes_out),
        ):
            lines.append(f"{title}{t('colon', lang)}")
            if not rows:
                lines.append(f"  {t('no_routes', lang)}")
            for r in rows:
                tested = f", {t('last_tested', lang)} {r.last_tested}" if r.last_tested else ""
                lines.append(
                    f"  {r.name} [{r.service}] — {r.needs_text} ({r.mode_text}, "
                    f"{delay_text(r.delay_hours, lang)}{tested})"
                )
        lines.append(f"version {self.version}")
        return "\n".join(lines)


def _route_dict(r: RouteRow) -> dict[str, Any]:
    return {
        "service": r.service,
        "name": r.name,
        "for": list(r.needs),
        "mode": r.mode,
        "delay_hours": r.delay_hours,
        "last_tested": r.last_tested,
    }


def _recorded(s: Service, lang: str, yes_no: dict[bool, str]) -> list[tuple[str, str]]:
    """The optional fields coordinators record (kit stock, staff, appointments...), when set."""
    out: list[tuple[str, str]] = []
    if s.pep_stock_confirmed:
        out.append(("pep_stock_confirmed", s.pep_stock_confirmed.isoformat()))
    if s.female_staff is not None:
        out.append(("female_staff", yes_no[s.female_staff]))
    if s.appointment:
        out.append(("appointment", yes_no[True]))
    if s.interpreter_lead_hours is not None:
        out.append(("interpreter_lead_hours", hours_text_of(s.interpreter_lead_hours, lang)))
    if s.phone_network:
        out.append(("phone_network", t(f"network_{s.phone_network}", lang)))
    if s.focal_point:
        out.append(("focal_point", yes_no[True]))
    return out


def service_card(inventory: Inventory, service_id: str, lang: str = "en") -> Card:
    """The card of a service, in English or French, read from the inventory's public view.

    Raises KeyError (naming close matches) for an unknown id.
    """
    inventory = public_view(inventory)
    s = inventory.service(service_id)
    values = _card_values(s, inventory, lang)
    return Card(
        site=inventory.site.id,
        site_name=inventory.site.name,
        data_status=inventory.site.data_status,
        id=s.id,
        name=s.name_in(lang),
        confidential=s.confidential,
        version=record_version(s),
        lang=lang,
        fields=tuple(Field(k, t(k, lang), v) for k, v in values),
        routes_in=tuple(
            _route_row(inventory, r, r.source_id, lang)
            for r in inventory.referrals
            if r.target_id == s.id
        ),
        routes_out=tuple(
            _route_row(inventory, r, r.target_id, lang)
            for r in inventory.referrals
            if r.source_id == s.id
        ),
    )


def _card_values(s: Service, inventory: PublicInventory, lang: str) -> list[tuple[str, str]]:
    """The card's fields in order, as (key, value in words); empty optional fields left out."""
    yes_no = {True: t("yes", lang), False: t("no", lang)}
    values: list[tuple[str, str]] = [("site", inventory.site.name)]
    organisation = s.text_in("organisation", lang)
    if organisation:
        values.append(("organisation", organisation))
    description = s.text_in("description", lang)
    if description:
        values.append(("description", description))
    values.append(("categories", ", ".join(category_label(c, lang) for c in s.categories)))
    values.append(("entry_point", yes_no[s.entry_point]))
    values.append(("hours", hours_text(s.hours, lang)))
    hours_note = s.text_in("hours_note", lang)
    if hours_note:
        values.append(("hours_note", hours_note))
    values.append(("languages", languages_text(s, lang)))
    values.append(("serves", who_text(s, lang)))
    values.append(("cost", t("cost_" + s.cost, lang)))
    if s.requires:
        values.append(("requires", join(labels("req_", s.requires, lang), lang)))
    if s.contact is not None:
        contact = [v for v in (s.contact.phone, s.contact.email, s.contact.website) if v]
        if contact:
            values.append(("contact", " · ".join(contact)))
    values.append(("place", place_text(s, inventory, lang)))
    values += _recorded(s, lang, yes_no)
    notes = s.text_in("notes", lang)
    if notes:
        values.append(("notes", notes))
    values.append(
        (
            "last_verified",
            s.last_verified.isoformat() if s.last_verified else t("not_recorded", lang),
        )
    )
    return values


def _route_row(inventory: Inventory, r: Referral, other: str, lang: str) -> RouteRow:
    needs = tuple(inventory.referral_targets(r))
    return RouteRow(
        service=other,
        name=inventory.by_id[other].name_in(lang),
        needs=needs,
        needs_text=", ".join(category_label(c, lang) for c in needs),
        mode=r.mode,
        mode_text=t("mode_" + r.mode, lang),
        delay_hours=round(r.delay, 1),
        last_tested=r.last_tested.isoformat() if r.last_tested else None,
    )


def record_version(service: Service) -> str:
    """An opaque version of a service's public record: it changes when the record does.

    A hash of the record as the public view holds it, so that it says nothing a public output
    may not: a confidential service moved inside its public place keeps its version (an edit
    history records such a move).
    """
    data = service.model_dump(mode="json", by_alias=True)
    data["hours"] = service.hours.describe()
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
