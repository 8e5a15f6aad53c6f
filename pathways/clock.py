"""The program's one clock: today's date and the current time.

Everything that defaults to "now" (stale gaps, the protocol's print date, the app's arrival
time, imports' dates) asks here, so a test can pin the clock in one place.
"""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date (local to the machine)."""
    return dt.date.today()
