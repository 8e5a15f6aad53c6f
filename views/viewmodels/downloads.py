"""Exports as bytes, for download buttons: gaps, the services table and every format of
`pathways export`.

The formats of the command line come from `pathways.io.export.FORMATS` (each writer writes a
file; here it writes into a temporary folder and the bytes are read back). The gaps and the
services table are this package's own. The standalone HTML map is drawn by `mapping` and is not
here: `pathways` never imports `mapping`.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pathways.analysis.gaps import Gap
from pathways.io.export import ExportOptions, export
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory
from views.viewmodels.table import gaps_table, services_table


@dataclass(frozen=True)
class Format:
    """One download: its name, the `pathways.i18n` key of its label, file suffix and MIME type.

    `per_site`: the format holds one site per file (read back as one inventory).
    `writer`: the `pathways.io.export` format it comes from (None for this module's own).
    """

    name: str
    label: str
    suffix: str
    mime: str
    per_site: bool = False
    writer: str | None = None
    binary: bool = False


OWN_FORMATS: tuple[Format, ...] = (
    Format("gaps_json", "fmt_gaps_json", ".json", "application/json"),
    Format("gaps_csv", "fmt_gaps_csv", ".csv", "text/csv"),
    Format("services_csv", "fmt_services_csv", ".csv", "text/csv"),
)
"""The downloads this module makes itself."""

EXPORT_FORMATS: tuple[Format, ...] = (
    Format("geojson", "fmt_geojson", ".geojson", "application/geo+json", True, "geojson"),
    Format("gpkg", "fmt_gpkg", ".gpkg", "application/geopackage+sqlite3", False, "gpkg", True),
    Format("csv", "fmt_csv", ".csv", "text/csv", False, "csv"),
    Format("hxl", "fmt_hxl", ".csv", "text/csv", False, "hxl"),
    Format("graphml", "fmt_graphml", ".graphml", "application/xml", False, "graphml"),
    Format("gexf", "fmt_gexf", ".gexf", "application/xml", False, "gexf"),
    Format("hsds", "fmt_hsds", ".zip", "application/zip", True, "hsds", True),
    Format("protocol", "fmt_protocol", ".html", "text/html", False, "protocol"),
    Format("protocol_pdf", "fmt_protocol_pdf", ".pdf", "application/pdf", False, "protocol", True),
    Format("pocket", "fmt_pocket", ".pdf", "application/pdf", True, "pocket", True),
)
"""The formats of `pathways export`, as files a browser can download (HSDS as a zip, the
protocol as HTML and as PDF, the pocket guide one PDF per site)."""


@dataclass(frozen=True)
class Group:
    """Downloads that serve one purpose, shown together: `pathways.i18n` keys `dl_<name>` (the
    heading) and `dl_<name>_about` (one line on what they are for). The first group's formats
    also have a line each, `about_<format name>`."""

    name: str
    formats: tuple[str, ...]


GROUPS: tuple[Group, ...] = (
    Group("pathway", ("protocol", "protocol_pdf", "pocket")),
    Group("maps", ("map_html", "geojson", "gpkg")),
    Group("data", ("services_csv", "csv", "hxl", "hsds")),
    Group("analysis", ("gaps_csv", "gaps_json", "graphml", "gexf")),
)
"""The Export page's order: the printable referral pathway first (what frontline staff use),
then maps, data for partners, and the gaps and network for analysis."""


def grouped(formats: Iterable[Format]) -> list[tuple[Group, list[Format]]]:
    """`formats` sorted into `GROUPS`, in their order (empty groups left out); a format no group
    names lands in the last group, so a new format is never lost from the page."""
    by_name = {f.name: f for f in formats}
    out = [(g, [by_name.pop(n) for n in g.formats if n in by_name]) for g in GROUPS]
    out[-1][1].extend(by_name.values())
    return [(g, fs) for g, fs in out if fs]


def available(fmt: Format) -> str | None:
    """None if this installation can write the format, else the reason it cannot."""
    if fmt.writer is None:
        return None
    try:
        export = importlib.import_module("pathways.io.export")
    except ImportError as e:
        return str(e)
    if fmt.writer not in export.FORMATS:
        return f"'{fmt.writer}' is not a format of pathways export"
    module, name = export.FORMATS[fmt.writer]
    try:
        getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        return str(e)
    if fmt.suffix == ".pdf" and importlib.util.find_spec("fpdf") is None:
        return "the PDF library fpdf2 is not installed"
    return None


def file_name(fmt: Format, inventories: Sequence[Inventory]) -> str:
    """`brussels-gaps.json`, `brussels-rome-protocol.pdf`, `sites-hsds.zip` (many sites)."""
    ids = [inv.site.id for inv in inventories]
    stem = "-".join(ids) if 0 < len(ids) <= 3 else "sites"
    base = fmt.name.removesuffix("_pdf").replace("_", "-")
    return f"{stem}-{base}{fmt.suffix}"


def gaps_json(gaps: Iterable[Gap]) -> bytes:
    """The gaps as `pathways gaps --json` prints them (one JSON array, UTF-8)."""
    data = [g.to_dict() for g in gaps]
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def gaps_csv(gaps: Iterable[Gap], *, lang: str = "en") -> bytes:
    """The gaps as a CSV table (one row per gap, the sentence in `lang`)."""
    return gaps_table(gaps, lang=lang).to_csv(index=False).encode("utf-8")


def services_csv(inventories: Sequence[Inventory]) -> bytes:
    """The services table (public information only: no coordinates, no addresses) as CSV."""
    df = services_table(inventories)
    return df.to_csv(index_label="key").encode("utf-8")


def export_bytes(inventories: Sequence[Inventory], fmt: Format, *, lang: str = "en") -> bytes:
    """One format of `pathways export` for these inventories, as bytes.

    Raises InventoryError when the format cannot take these inventories (e.g. several sites
    for a one-site format).
    """
    if fmt.writer is None:
        raise InventoryError(f"'{fmt.name}' is not a format of pathways export")
    with tempfile.TemporaryDirectory(prefix="referral-atlas-") as folder:
        path = Path(folder) / f"export{fmt.suffix}"
        options = ExportOptions(lang=lang, relocate=False)  # paths as in the inventory
        export(list(inventories), path, format=fmt.writer, options=options)
        return path.read_bytes()


def download_bytes(
    inventories: Sequence[Inventory],
    fmt: Format,
    *,
    gaps: Sequence[Gap] = (),
    lang: str = "en",
) -> bytes:
    """The bytes of one download: gaps (given), the services table, or an export format."""
    if fmt.name == "gaps_json":
        return gaps_json(gaps)
    if fmt.name == "gaps_csv":
        return gaps_csv(gaps, lang=lang)
    if fmt.name == "services_csv":
        return services_csv(inventories)
    return export_bytes(inventories, fmt, lang=lang)


def format_named(name: str) -> Format:
    """The format called `name` (KeyError otherwise)."""
    for fmt in (*OWN_FORMATS, *EXPORT_FORMATS):
        if fmt.name == name:
            return fmt
    raise KeyError(name)


def preview_text(data: bytes, *, limit: int = 1500) -> str:
    """The start of a text file, cut at a line end near `limit` characters."""
    text = data[: limit * 4].decode("utf-8", errors="replace")
    if len(text) <= limit and len(data) <= limit * 4:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit] + "\n…"


def size_text(n: int) -> str:
    """'12 kB', '1.4 MB'."""
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.0f} kB"
    return f"{n / 1_000_000:.1f} MB"
