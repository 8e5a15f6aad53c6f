"""The public view's records: an inventory as anyone may see it, and a service's shown place.

`pathways.public.privacy.public_view` makes a `PublicInventory` (the gate); the analyses and
every output read it. They live here, in the model, so that the analyses can require a public
view (coverage does) without depending on the gate that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pathways.i18n import N_, t
from pathways.model.inventory import Inventory, Service

Precision = Literal["exact", "area", "intake"]

LABELS: dict[str, str] = {
    "exact": N_("place_exact"),
    "intake": N_("place_intake"),
    "area": N_("place_area"),
    "area_named": N_("place_area_named"),
}
"""How precisely a service is shown: the keys of the words in the catalogs (`pathways.i18n`)."""


class PublicInventory(Inventory):
    """An inventory as anyone may see it: made by `public_view`, read by every output."""


@dataclass(frozen=True)
class PublicPlace:
    """Where a service may be shown, how precisely, and the words that say so."""

    lat: float
    lon: float
    precision: Precision
    label: str
    area: str | None = None

    @property
    def withheld(self) -> bool:
        """True when this is not the service's own location (area level or intake point)."""
        return self.precision != "exact"

    def describe(self, lang: str = "en") -> str:
        """The label in `lang`."""
        return place_label(self.precision, self.area, lang)


def place_label(precision: str, area: str | None, lang: str = "en") -> str:
    """How precisely a service is shown, in words, in `lang`."""
    if precision == "area" and area:
        return t(LABELS["area_named"], lang, area=area)
    return t(LABELS[precision], lang)


def shown_place(service: Service) -> PublicPlace | None:
    """Where a service of a public view is shown, or None if it must not be drawn (`hidden`)."""
    tier = service.tier
    if tier == "hidden":
        return None
    loc = service.location
    area = loc.area if tier == "area" else None
    return PublicPlace(loc.lat, loc.lon, tier, place_label(tier, area), area)
