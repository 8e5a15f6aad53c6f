"""What an export may write about a service: its public place, never a confidential location.

Every export goes through `public_services`, which reads the public view of the inventory
(`pathways.public.privacy.public_view`, the one gate for confidential locations): a confidential
service's address and area are gone unless they are its public intake's own. A hidden service
has no place at all: it is listed, never placed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pathways.i18n import t
from pathways.io.export.records import service_record
from pathways.model.inventory import Inventory, Service, base_category, category_label
from pathways.public.privacy import PublicPlace, public_place, public_view

PlacePrecision = Literal["exact", "area", "intake", "hidden"]

SECTORS: dict[str, str] = {
    "health.cmr": "Health",
    "health.general": "Health",
    "health.srh": "Health",
    "mhpss": "Health; Protection - GBV",
    "case_management": "Protection - GBV",
    "safety.police": "Protection",
    "safety.shelter": "Protection - GBV",
    "legal": "Protection",
    "child_protection": "Protection - Child Protection",
    "hotline": "Protection - GBV",
    "interpretation": "Protection",
    "basic_needs": "Multi-sector",
    "livelihoods": "Early Recovery",
    "community": "Protection - GBV",
}
"""The humanitarian sector (cluster / area of responsibility) of each category, for HXL."""


@dataclass(frozen=True)
class PublicService:
    """A service as exports may show it: the record, its site and its public place."""

    service: Service
    site: str
    place: PublicPlace | None

    @property
    def precision(self) -> PlacePrecision:
        """exact, area (withheld), intake (a public intake point) or hidden (no place)."""
        return "hidden" if self.place is None else self.place.precision

    @property
    def lat(self) -> float | None:
        return None if self.place is None else self.place.lat

    @property
    def lon(self) -> float | None:
        return None if self.place is None else self.place.lon

    @property
    def address(self) -> str | None:
        """The address of the public place: the service's own, or its intake point's."""
        return None if self.place is None else self.service.location.address

    @property
    def area(self) -> str | None:
        """The area of the public place: the service's own, its intake's, or the admin area
        it is shown at (never a withheld location's own)."""
        return None if self.place is None else self.service.location.area

    def place_label(self, lang: str = "en") -> str:
        """The words that say how precise the place is, in `lang`."""
        if self.place is None:
            return t("place_hidden", lang)
        return self.place.describe(lang)


def public_services(inventory: Inventory) -> list[PublicService]:
    """Every service of a site with its public place, in inventory order (public view)."""
    view = public_view(inventory)
    return [PublicService(s, view.site.id, public_place(s, view)) for s in view.services]


def public_record(ps: PublicService) -> dict[str, Any]:
    """The inventory record of a service as it may leave the program.

    The record is the public view's: a confidential service's `location` is its public place
    (with the intake's address, or the admin area's name, when that is what it is) and its
    `intake` is dropped, since the place already is the intake point; a hidden one gets no
    `location` at all.
    """
    record = service_record(ps.service)
    if ps.service.confidential:
        record.pop("intake", None)
        if ps.place is None:
            record.pop("location", None)
    return record


def join(values: Iterable[str]) -> str:
    """List cells in tables: comma-separated (the way field teams write them)."""
    return ", ".join(values)


def service_row(ps: PublicService, inventory: Inventory, *, lang: str = "en") -> dict[str, Any]:
    """One flat row of scalars for tables (CSV, HXL, GeoPackage, graphs); None when empty.

    Name, description and notes are in `lang` where the inventory gives them so.
    """
    s = ps.service
    contact = s.contact
    return {
        "site": inventory.site.id,
        "site_name": inventory.site.name,
        "country": inventory.site.country,
        "data_status": inventory.site.data_status,
        "id": s.id,
        "name": s.name_in(lang),
        "organisation": s.text_in("organisation", lang),
        "categories": join(s.categories),
        "category_labels": join(category_label(c, lang) for c in s.categories),
        "sectors": join(dict.fromkeys(SECTORS[base_category(c)] for c in s.categories)),
        "entry_point": s.entry_point,
        "confidential": s.confidential,
        "precision": ps.precision,
        "place": ps.place_label(lang),
        "address": ps.address,
        "area": ps.area,
        "lat": ps.lat,
        "lon": ps.lon,
        "hours": s.hours.describe(),
        "hours_note": s.text_in("hours_note", lang),
        "languages": join(s.languages),
        "interpretation": s.interpretation,
        "serves": join(s.serves),
        "age_min": s.age_min,
        "age_max": s.age_max,
        "legal_status": s.legal_status,
        "cost": s.cost,
        "requires": join(s.requires),
        "phone": contact.phone if contact else None,
        "email": contact.email if contact else None,
        "website": contact.website if contact else None,
        "last_verified": s.last_verified.isoformat() if s.last_verified else None,
        "description": s.text_in("description", lang),
        "notes": s.text_in("notes", lang),
    }
