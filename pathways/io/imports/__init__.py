"""Service mappings in: field spreadsheets (XLSX/CSV, with or without HXL) and HSDS packages.

`import_file(path, site=...)` reads a file into inventory records and a report of how columns
were matched and what was left out; `write_inventory(imported, out)` writes the YAML, checks it
with `pathways.io.load.load_site`, and only then puts it in place, so nothing is written half. A
problem is reported against the source: file, sheet (or table), row and column.

One module per format (`sheet`, `hsds`, `geojson`); what they share is in `records` (the
records and the report), `limits` (bounded reading) and `site` (the site block).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pathways.io.export._write import atomic_output
from pathways.io.imports.geojson import read_geojson
from pathways.io.imports.hsds import read_hsds
from pathways.io.imports.limits import (
    MAX_BYTES,
    MAX_CELLS,
    MAX_MEMBERS,
    ZIP_ERRORS,
    check_size,
    open_zip,
    read_member,
)
from pathways.io.imports.records import (
    MAX_PROBLEMS,
    Imported,
    ImportReport,
    Origin,
    SiteOptions,
    capped,
    ordered,
)
from pathways.io.imports.sheet import read_sheet
from pathways.io.imports.site import resolve_site_files, site_block
from pathways.io.load import load_site
from pathways.io.save import dump_yaml
from pathways.model import clock
from pathways.model.errors import InventoryError, Problem, ValidationError, display_path
from pathways.model.inventory import Inventory

__all__ = [
    "HEADER",
    "HSDS_SUFFIXES",
    "MAX_BYTES",
    "MAX_CELLS",
    "MAX_MEMBERS",
    "MAX_PROBLEMS",
    "SPREADSHEET_SUFFIXES",
    "ZIP_ERRORS",
    "ImportReport",
    "Imported",
    "Origin",
    "SiteOptions",
    "capped",
    "check_size",
    "dump_yaml",
    "import_file",
    "open_zip",
    "ordered",
    "read_member",
    "resolve_site_files",
    "site_block",
    "write_inventory",
]

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt")
HSDS_SUFFIXES = (".json", ".zip")


def import_file(
    path: str | os.PathLike[str], site: SiteOptions, *, sheet: str | None = None
) -> Imported:
    """Read a spreadsheet or an HSDS package into inventory records (not yet validated)."""
    path = Path(path)
    if not path.exists():
        raise InventoryError(f"{display_path(path)}: no such file or folder")
    if path.suffix.lower() == ".geojson":
        return read_geojson(path, site)
    if path.is_dir() or path.suffix.lower() in HSDS_SUFFIXES:
        return read_hsds(path, site)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return read_sheet(path, site, sheet=sheet)
    raise InventoryError(
        f"{display_path(path)}: cannot import a {path.suffix or 'suffix-less'} file "
        "(use .xlsx or .csv for a spreadsheet; .json, .zip or a folder for HSDS; .geojson)"
    )


# --- writing -----------------------------------------------------------------------------------

HEADER = """\
# Referral Atlas inventory imported by `pathways import` from {source} on {date}.
# Check every entry against the source before use: data_status stays '{status}' until the
# mapping has been verified in the field. Confidential locations in this file never leave it:
# maps and exports show them at area level only.
"""


def write_inventory(imported: Imported, out: str | os.PathLike[str]) -> Inventory:
    """Write the inventory YAML, validated by `load_site` first; return the loaded `Inventory`.

    The YAML goes to a temporary file beside `out`, is loaded and checked there, and replaces
    `out` only when it is valid. Problems point at the source file's rows and columns.
    """
    out = Path(out)
    site = imported.data["site"]
    _relocate(site, out.resolve().parent)
    text = HEADER.format(
        source=Path(imported.report.source).name,
        date=clock.today().isoformat(),
        status=site["data_status"],
    ) + dump_yaml(imported.data)
    with atomic_output(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
        try:
            inventory = load_site(tmp)
        except ValidationError as e:
            raise ValidationError([_to_source(p, imported, tmp, out) for p in e.problems]) from None
    return inventory.model_copy(update={"path": out.resolve()})


def _relocate(site: dict[str, Any], folder: Path) -> None:
    """Absolute boundary and areas paths (from a package) made relative to the YAML's folder."""
    if site.get("boundary") and Path(site["boundary"]).is_absolute():
        site["boundary"] = Path(os.path.relpath(site["boundary"], folder)).as_posix()
    areas = site.get("areas")
    if isinstance(areas, dict) and Path(str(areas.get("path", ""))).is_absolute():
        areas["path"] = Path(os.path.relpath(areas["path"], folder)).as_posix()


_INDEXED = re.compile(r"^(services|referrals)\[(\d+)\]\.?([a-z_]*)")


def _to_source(problem: Problem, imported: Imported, tmp: Path, out: Path) -> Problem:
    """A problem found in the written YAML, pointed back at the source row and column."""
    m = _INDEXED.match(problem.field)
    if m:
        origins = imported.origins if m[1] == "services" else imported.referral_origins
        i = int(m[2])
        if i < len(origins):
            origin = origins[i]
            column = origin.columns.get(m[3] or "", m[3])
            return origin.problem(column, problem.message)
    if problem.field.startswith("site"):
        option = {"site.country": "--country", "site.id": "--site", "site.timezone": "--timezone"}
        where = option.get(problem.field.split("[")[0], problem.field)
        return Problem(imported.report.source, 0, where, problem.message)
    return Problem(display_path(out), problem.line, problem.field, problem.message)
