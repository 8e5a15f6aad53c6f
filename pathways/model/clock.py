"""The program's one clock: today's date and the current time.

Everything that defaults to "now" (stale gaps, the protocol's print date, the app's arrival
time, imports' dates) asks here, so a test can pin the clock in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pathways.model.inventory import Inventory


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def _current() -> dt.datetime:
    """`now()`, for a function whose argument is called `now` (a test may patch `now`)."""
    return now()


def today() -> dt.date:
    """Today's date (local to the machine)."""
    return dt.date.today()


@dataclass(frozen=True)
class OpenAt:
    """A moment of the week, local time at each site: weekday (0 = Monday) and minute of day."""

    weekday: int
    minute: int


def site_now(inventory: Inventory, now: dt.datetime | None = None) -> OpenAt:
    """The current weekday and minute in the site's time zone (`now` for tests, aware)."""
    local = (now or _current()).astimezone(ZoneInfo(inventory.site.timezone))
    return OpenAt(local.weekday(), local.hour * 60 + local.minute)
