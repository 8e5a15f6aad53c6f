"""Services as a flat table: CSV for partners' spreadsheets, and HXL-tagged CSV for HDX.

One row per service at its public place; lists are comma-separated. The HXL form adds a
hashtag row under the header (Humanitarian Exchange Language 1.1), so tools like HDX and
libhxl know that `#geo+lat` is a latitude and `#org+name` an organisation; the importer
(`pathways import`) reads either form back.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pathways.io.export._write import atomic_output
from pathways.io.export.options import ExportOptions
from pathways.io.export.public import public_services, service_row
from pathways.model.inventory import Inventory

HXL_TAGS: dict[str, str] = {
    "site": "#meta+site",
    "site_name": "#adm1+name",
    "country": "#country+code",
    "data_status": "#meta+data_status",
    "id": "#meta+id",
    "name": "#loc+name",
    "organisation": "#org+name",
    "categories": "#service+type+code",
    "category_labels": "#service+type+name",
    "sectors": "#sector",
    "entry_point": "#service+entry_point",
    "confidential": "#meta+confidential",
    "precision": "#geo+precision",
    "place": "#geo+label",
    "address": "#loc+address",
    "area": "#adm2+name",
    "lat": "#geo+lat",
    "lon": "#geo+lon",
    "hours": "#service+hours",
    "hours_note": "#service+hours+note",
    "languages": "#service+languages",
    "interpretation": "#service+interpretation",
    "serves": "#beneficiary+type",
    "age_min": "#beneficiary+age_min",
    "age_max": "#beneficiary+age_max",
    "legal_status": "#beneficiary+legal_status",
    "cost": "#access+cost",
    "requires": "#access+requires",
    "phone": "#contact+phone",
    "email": "#contact+email",
    "website": "#contact+url",
    "last_verified": "#date+verified",
    "description": "#description",
    "notes": "#description+notes",
}
"""Column -> HXL hashtag (core tags, with attributes for what HXL has no tag of its own)."""

COLUMNS: tuple[str, ...] = tuple(HXL_TAGS)


def service_rows(inventories: Sequence[Inventory], *, lang: str = "en") -> list[dict[str, Any]]:
    """Every service of every site as a flat row (public places only)."""
    return [service_row(ps, inv, lang=lang) for inv in inventories for ps in public_services(inv)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def _write(
    inventories: Sequence[Inventory], path: Path, options: ExportOptions, *, hxl: bool
) -> None:
    rows = service_rows(inventories, lang=options.lang)
    # utf-8-sig: Excel opens the file with the right accents; csv and libhxl skip the BOM
    with atomic_output(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        if hxl:
            out.writerow([HXL_TAGS[c] for c in COLUMNS])
        for row in rows:
            out.writerow([_cell(row[c]) for c in COLUMNS])


def write_csv(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write the services table as CSV (UTF-8 with a byte-order mark, for Excel)."""
    _write(inventories, path, options, hxl=False)


def write_hxl(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write the services table as HXL-tagged CSV (a hashtag row under the header)."""
    _write(inventories, path, options, hxl=True)
