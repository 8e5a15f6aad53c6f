"""The public view's records: an inventory as anyone may see it, and a service's shown place.

`pathways.public.privacy.public_view` makes a `PublicInventory` (the gate); the analyses and
every output read it. They live here, in the model, so that the analyses can require a public
view (coverage does) without depending on the gate that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pathways.model.inventory import Inventory, Service

Precision = Literal["exact", "area", "intake"]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "exact": "exact location",
        "intake": "public intake point (service location withheld)",
        "area": "area level (exact location withheld)",
        "area_named": "area level: {area} (exact location withheld)",
    },
    "fr": {
        "exact": "adresse exacte",
        "intake": "point d'accueil public (adresse du service masquée)",
        "area": "niveau zone (adresse exacte masquée)",
        "area_named": "niveau zone : {area} (adresse exacte masquée)",
    },
}


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
        """The label in English or French."""
        return place_label(self.precision, self.area, lang)


def place_label(precision: str, area: str | None, lang: str = "en") -> str:
    """How precisely a service is shown, in words (English or French)."""
    texts = LABELS.get(lang, LABELS["en"])
    if precision == "area" and area:
        return texts["area_named"].format(area=area)
    return texts[precision]


def shown_place(service: Service) -> PublicPlace | None:
    """Where a service of a public view is shown, or None if it must not be drawn (`hidden`)."""
    tier = service.tier
    if tier == "hidden":
        return None
    loc = service.location
    area = loc.area if tier == "area" else None
    return PublicPlace(loc.lat, loc.lon, tier, place_label(tier, area), area)
