"""Exports of mapped protocols: one module per format, all through the same privacy rule.

`export(inventories, path, format=...)` writes one file (or, for an HSDS data package, one
folder) whole or not at all. Every format shows a confidential service only at its public place
(`pathways.io.export.public`); a hidden one is listed, never placed.

The format modules are imported here and registered in `WRITERS`; the heavy libraries they
write with (geopandas, pyogrio, fpdf2, jinja2, ...) load when a writer runs, so importing this
package (the importers, the base-map builder and the app's Export page do) stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pathways.io.export import geojson, gpkg, hsds, network, pocket, protocol, sheet
from pathways.io.export.options import ExportOptions, Writer, one_site
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory
from pathways.public.privacy import public_view

__all__ = ["FORMATS", "WRITERS", "ExportOptions", "Writer", "export", "one_site", "writer"]

WRITERS: dict[str, Writer] = {
    "geojson": geojson.write_geojson,
    "gpkg": gpkg.write_gpkg,
    "csv": sheet.write_csv,
    "hxl": sheet.write_hxl,
    "graphml": network.write_graphml,
    "gexf": network.write_gexf,
    "hsds": hsds.write_hsds,
    "protocol": protocol.write_protocol,
    "pocket": pocket.write_pocket,
}
"""Format name -> its writer, in the order the command line lists them."""

FORMATS: dict[str, tuple[str, str]] = {
    name: (func.__module__, func.__name__) for name, func in WRITERS.items()
}
"""Format name -> (module, writer function name): where each writer lives, for callers that
check a format without running it (the command line's choices, the app's Export page)."""


def writer(format: str) -> Writer:
    """The writer function of a format; InventoryError naming the known formats otherwise."""
    if format not in WRITERS:
        raise InventoryError(f"'{format}' is not an export format (use {', '.join(WRITERS)})")
    return WRITERS[format]


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
