"""What every export format shares: the options, the writer's signature, the one-site rule.

A module of its own so the format modules and the package that registers them import it at the
top without importing each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory


@dataclass(frozen=True)
class ExportOptions:
    """Settings shared by the writers; each format reads the ones it needs."""

    lang: str = "en"  # language of labels and sentences: en | fr
    as_of: dt.date | None = None  # date the gaps (stale) and the protocol's print date count from
    lines: bool = True  # GeoJSON: referral routes as LineString features too
    # GeoJSON, HSDS: boundary paths rewritten to resolve from the written file's folder; off for
    # a download, whose folder is the server's temporary one (it would print the server's
    # folder layout and resolve nowhere): the inventory's own relative paths are kept then
    relocate: bool = True


Writer = Callable[[Sequence[Inventory], Path, ExportOptions], None]
"""A format's writer: the (public-view) inventories, the path to write, the options."""


def one_site(inventories: Sequence[Inventory], format: str) -> Inventory:
    """The single inventory of a per-site format; InventoryError when given several."""
    if len(inventories) != 1:
        ids = ", ".join(inv.site.id for inv in inventories)
        raise InventoryError(
            f"--format {format} writes one site per file (it is read back as one inventory); "
            f"got {len(inventories)} sites ({ids}): export them one by one"
        )
    return inventories[0]
