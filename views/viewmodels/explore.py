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
  `pathways.analysis.routes`, is more hopeful and counts them as open).
- `query`: the name or organisation contains the text (case and accents ignored).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

from pathways.model.clock import OpenAt
from pathways.model.inventory import DAYS, Inventory, Service, category_label
from pathways.model.memo import InventoryMemo

GroupChoice = Literal["women", "girls", "boys", "men", "lgbtiq", "undocumented"]
GROUP_CHOICES: tuple[GroupChoice, ...] = ("women", "girls", "boys", "men", "lgbtiq", "undocumented")
"""The choices of the "open to" filter, in the order the page lists them."""

Found = tuple[Inventory, Service]
"""One result of `filter_services`: the service and the inventory of its site."""


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
        seen.update(dict.fromkeys(_LANGUAGES.get(inv, None, partial(_languages, inv))))
    return list(seen)


def _languages(inventory: Inventory) -> tuple[str, ...]:
    """The languages of a site's services, in order of first mention."""
    seen: dict[str, None] = {}
    for s in inventory.services:
        seen.update(dict.fromkeys(s.languages))
    return tuple(seen)


_LANGUAGES: InventoryMemo[tuple[str, ...]] = InventoryMemo()
"""The languages of a site's services, per inventory: asked twice on each page, and a walk
through every service (issue #19)."""


def subset(inventory: Inventory, service_ids: Iterable[str]) -> Inventory:
    """The inventory with only these services, and the referrals between them (for a map).

    A subset of a public view is a public view (same class): its confidential services stand
    where the whole inventory's do.
    """
    keep = set(service_ids)
    return type(inventory).model_construct(
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


def map_focus(row: str | None, keys: Iterable[str]) -> tuple[str, str] | None:
    """(site id, service id) the map centres on: the service of the table's selected row.

    While a row stays selected the map stays on its service (a marker clicked meanwhile opens
    its card without moving the map); none when no row is selected or it was filtered out.
    """
    if row is None or row not in set(keys):
        return None
    site_id, service_id = row.split("/", 1)
    return site_id, service_id


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
    return f"{minute // 60:02d}:{minute % 60:02d}"


def round_time(minute: int) -> int:
    """A minute of the day rounded down to a time picker's choice."""
    return minute // TIME_STEP * TIME_STEP
