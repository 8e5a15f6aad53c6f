"""Exports of mapped protocols: one module per format, all through the same privacy rule.

`export(inventories, path, format=...)` writes one file (or, for an HSDS data package, one
folder) whole or not at all. Every format shows a confidential service only at its public place
(`pathways.io.export.public`); a hidden one is listed, never placed.

The format modules load their libraries (geopandas, fpdf2, ...) when called, so importing this
package, as the command line does for every command, stays cheap.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory
from pathways.public.privacy import public_view


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

FORMATS: dict[str, tuple[str, str]] = {
    "geojson": ("pathways.io.export.geojson", "write_geojson"),
    "gpkg": ("pathways.io.export.gpkg", "write_gpkg"),
    "csv": ("pathways.io.export.sheet", "write_csv"),
    "hxl": ("pathways.io.export.sheet", "write_hxl"),
    "graphml": ("pathways.io.export.network", "write_graphml"),
    "gexf": ("pathways.io.export.network", "write_gexf"),
    "hsds": ("pathways.io.export.hsds", "write_hsds"),
    "protocol": ("pathways.io.export.protocol", "write_protocol"),
}
"""Format name -> (module, writer function). Each writer is a `Writer`."""


def writer(format: str) -> Writer:
    """The writer function of a format; InventoryError naming the known formats otherwise."""
    if format not in FORMATS:
        raise InventoryError(f"'{format}' is not an export format (use {', '.join(FORMATS)})")
    module, name = FORMATS[format]
    func: Writer = getattr(importlib.import_module(module), name)
    return func


def export(
    inventories: Inventory | Sequence[Inventory],
    path: str | Path,
    *,
    format: str,
    options: ExportOptions | None = None,
) -> Path:
    """Write one or more inventories to `path` in `format`; return the path written."""
    given = [inventories] if isinstance(inventories, Inventory) else list(inventories)
    invs = [public_view(inv) for inv in given]  # as loaded already; a no-op then
    if not invs:
        raise InventoryError("nothing to export: no inventory given")
    writer(format)(invs, Path(path), options or ExportOptions())
    return Path(path)


def one_site(inventories: Sequence[Inventory], format: str) -> Inventory:
    """The single inventory of a per-site format; InventoryError when given several."""
    if len(inventories) != 1:
        ids = ", ".join(inv.site.id for inv in inventories)
        raise InventoryError(
            f"--format {format} writes one site per file (it is read back as one inventory); "
            f"got {len(inventories)} sites ({ids}): export them one by one"
        )
    return inventories[0]
