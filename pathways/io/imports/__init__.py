"""Service mappings in: field spreadsheets (XLSX/CSV, with or without HXL) and HSDS packages.

`import_file(path, site=...)` reads a file into inventory records and a report of how columns
were matched and what was left out; `write_inventory(imported, out)` writes the YAML, checks it
with `pathways.io.load.load_site`, and only then puts it in place, so nothing is written half. A
problem is reported against the source: file, sheet (or table), row and column.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pathways.model import clock
from pathways.model.errors import InventoryError, Problem, ValidationError, display_path

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt")
HSDS_SUFFIXES = (".json", ".zip")

MAX_BYTES = 32 * 2**20
"""Largest source file read (CSV, JSON, XLSX or zip on disk), and largest total a workbook or an
HSDS package may unpack to (the sizes its zip directory declares; `zipfile` never reads a member
past its declared size). A mapping of 10,000 services is about 5 MiB; 32 MiB of worksheet XML
takes openpyxl about 20 s and 600 MiB."""

MAX_MEMBERS = 2_000
"""Most files a workbook or an HSDS zip may hold."""

MAX_CELLS = 2_000_000
"""Most cells a sheet's table may span (rows x columns up to the last value), merged ranges
filled in."""

MAX_PROBLEMS = 500
"""An import stops listing problems after this many (fix those first)."""


@dataclass
class Origin:
    """Where one service came from: its file, sheet (or table), row, and field -> column."""

    file: str
    sheet: str
    row: int
    columns: dict[str, str] = field(default_factory=dict)

    def problem(self, column: str, message: str) -> Problem:
        return Problem(
            self.file, self.row, f"{self.sheet}!{column}" if column else self.sheet, message
        )


@dataclass
class ImportReport:
    """What the importer did: columns matched, columns ignored, rows and values left out."""

    source: str
    matched: list[tuple[str, str]] = field(default_factory=list)  # (column, field)
    ignored: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    services: int = 0
    referrals: int = 0

    def text(self) -> str:
        """The report as a few readable lines."""
        lines = [f"{self.source}: {self.services} service(s), {self.referrals} referral(s)"]
        if self.matched:
            lines.append("columns matched:")
            lines += [f"  {col} -> {fld}" for col, fld in self.matched]
        if self.ignored:
            lines.append("columns ignored: " + ", ".join(self.ignored))
        if self.left_out:
            lines.append("left out:")
            lines += [f"  {x}" for x in self.left_out]
        if self.notes:
            lines.append("notes:")
            lines += [f"  {x}" for x in self.notes]
        return "\n".join(lines)


@dataclass
class Imported:
    """An import's result: inventory records (YAML shape), where each came from, the report."""

    data: dict[str, Any]
    report: ImportReport
    origins: list[Origin] = field(default_factory=list)  # one per service, in order
    referral_origins: list[Origin] = field(default_factory=list)


@dataclass(frozen=True)
class SiteOptions:
    """The site block the user gives on the command line (the file may give some of it)."""

    id: str
    country: str | None = None
    name: str | None = None
    timezone: str | None = None
    languages: tuple[str, ...] = ()
    data_status: str | None = None  # None: the file's, else illustrative


def ordered(record: dict[str, Any]) -> dict[str, Any]:
    """A service record's keys in the order of the inventory schema (id, name, ...)."""
    from pathways.model.inventory import Service

    keys = [f.alias or name for name, f in Service.model_fields.items()]
    return {k: record[k] for k in sorted(record, key=lambda k: keys.index(k) if k in keys else 99)}


def import_file(
    path: str | os.PathLike[str], site: SiteOptions, *, sheet: str | None = None
) -> Imported:
    """Read a spreadsheet or an HSDS package into inventory records (not yet validated)."""
    path = Path(path)
    if not path.exists():
        raise InventoryError(f"{display_path(path)}: no such file or folder")
    if path.suffix.lower() == ".geojson":
        from pathways.io.imports.geojson import read_geojson

        return read_geojson(path, site)
    if path.is_dir() or path.suffix.lower() in HSDS_SUFFIXES:
        from pathways.io.imports.hsds import read_hsds

        return read_hsds(path, site)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        from pathways.io.imports.sheet import read_sheet

        return read_sheet(path, site, sheet=sheet)
    raise InventoryError(
        f"{display_path(path)}: cannot import a {path.suffix or 'suffix-less'} file "
        "(use .xlsx or .csv for a spreadsheet; .json, .zip or a folder for HSDS; .geojson)"
    )


def check_size(path: Path) -> None:
    """Refuse a source file larger than `MAX_BYTES` before reading it."""
    size = path.stat().st_size if path.is_file() else 0
    if size > MAX_BYTES:
        raise ValidationError(
            [
                Problem(
                    display_path(path),
                    0,
                    "",
                    f"file is {size // 2**20} MiB; the limit is {MAX_BYTES // 2**20} MiB "
                    "(split the mapping by site)",
                )
            ]
        )


def open_zip(path: Path, what: str) -> zipfile.ZipFile:
    """A zip checked before anything is unpacked: readable, at most `MAX_MEMBERS` files and
    `MAX_BYTES` unpacked in all. `what` names the kind of file in messages."""
    check_size(path)
    name = display_path(path)
    try:
        z = zipfile.ZipFile(path)
        members = z.infolist()
    except ZIP_ERRORS as e:
        raise ValidationError([Problem(name, 0, "", f"not a readable {what}: {e}")]) from None
    total = sum(m.file_size for m in members)
    problem = None
    if len(members) > MAX_MEMBERS:
        problem = f"holds {len(members)} files; the limit is {MAX_MEMBERS}"
    elif total > MAX_BYTES:
        problem = (
            f"unpacks to {total // 2**20} MiB; the limit is {MAX_BYTES // 2**20} MiB "
            "(a zip bomb, or a mapping to split by site)"
        )
    if problem:
        z.close()
        raise ValidationError([Problem(name, 0, "", f"not imported: the {what} {problem}")])
    return z


ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    zlib.error,
    NotImplementedError,  # a compression method zipfile does not have
    RuntimeError,  # an encrypted member
    ValueError,
)
"""What reading a damaged zip member raises."""


def read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, what: str) -> bytes:
    """One member of a zip opened by `open_zip`; a damaged one is a `ValidationError`."""
    try:
        return z.read(info)
    except ZIP_ERRORS as e:
        raise ValidationError(
            [Problem(display_path(path), 0, "", f"not a readable {what}: {info.filename}: {e}")]
        ) from None


def capped(problems: list[Problem], source: str) -> list[Problem]:
    """At most `MAX_PROBLEMS` problems (the first ones), and one saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    shown = sorted(problems, key=lambda p: (p.file, p.line, p.field))[:MAX_PROBLEMS]
    return [*shown, Problem(source, 0, "", f"{more} more problem(s) not listed: fix these first")]


def site_block(
    site: SiteOptions, *, found: dict[str, Any], source: str, report: ImportReport
) -> dict[str, Any]:
    """The site block: the command line's values first, then the file's, then defaults."""
    found = _plain_site(found, report)
    country = site.country or found.get("country")
    if not country:
        raise InventoryError(f"{source}: the site's country is not in the file: give --country CC")
    block: dict[str, Any] = {
        "id": site.id,
        "name": site.name or found.get("name") or site.id.replace("-", " ").title(),
        "country": country.upper(),
        "timezone": site.timezone or found.get("timezone") or _timezone(country.upper(), report),
    }
    languages = list(site.languages) or list(found.get("languages") or [])
    if languages:
        block["languages"] = languages
    block["data_status"] = site.data_status or found.get("data_status") or "illustrative"
    block["updated"] = _date(found.get("updated")) or clock.today()
    for key in (
        "description",
        "travel",
        "review_months",
        "minimum_package",
        "boundary",
        "areas",
        "coordination",
        "policy",
        "access_limits",
    ):
        if found.get(key) is not None:
            block[key] = found[key]
    block["sources"] = [
        *found.get("sources", ()),
        f"Imported from {Path(source).name} on {clock.today().isoformat()}.",
    ]
    return block


_SITE_TEXT = ("country", "name", "timezone", "data_status", "coordination")


def _plain_site(found: dict[str, Any], report: ImportReport) -> dict[str, Any]:
    """The site block a file gives, with values of the wrong type left out (and reported)."""
    out = dict(found)
    for key in _SITE_TEXT:
        if key in out and not isinstance(out[key], str):
            report.left_out.append(f"site {key} {out.pop(key)!r}: not text")
    for key in ("languages", "sources"):
        value = out.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(x, str) for x in value)
        ):
            report.left_out.append(f"site {key} {out.pop(key)!r}: not a list of text")
    return out


def _is_file(path: Path) -> bool:
    """Path.is_file, False for names no file can have (NUL bytes, too long)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def resolve_site_files(found: dict[str, Any], base: Path, report: ImportReport) -> None:
    """Make the site's boundary and areas paths absolute (the writer makes them relative again)."""
    if found.get("boundary"):
        target = base / str(found["boundary"])
        if _is_file(target):
            found["boundary"] = str(target)
        else:
            report.left_out.append(f"site boundary '{found.pop('boundary')}': file not found")
    areas = found.get("areas")
    if isinstance(areas, dict) and areas.get("path"):
        target = base / str(areas["path"])
        if _is_file(target):
            found["areas"] = {**areas, "path": str(target)}
        else:
            report.left_out.append(f"site areas '{areas['path']}': file not found")
            found.pop("areas")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) or value is None:
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _timezone(country: str, report: ImportReport) -> str:
    """The first time zone tzdata lists for a country (reported, so the user can change it)."""
    for tab in _zone_tabs():
        with contextlib.suppress(OSError):
            for line in tab.read_text(encoding="utf-8").splitlines():
                parts = line.split("\t")
                if len(parts) >= 3 and not line.startswith("#") and parts[0] == country:
                    report.notes.append(
                        f"time zone {parts[2]} guessed from the country (set it with --timezone)"
                    )
                    return parts[2]
    report.notes.append("time zone unknown: UTC written (set it with --timezone)")
    return "UTC"


def _zone_tabs() -> list[Path]:
    tabs = [Path("/usr/share/zoneinfo/zone.tab")]
    try:
        import tzdata  # type: ignore[import-not-found]

        tabs.insert(0, Path(tzdata.__file__).parent / "zoneinfo" / "zone.tab")
    except ImportError:
        pass
    return tabs


# --- writing -----------------------------------------------------------------------------------

HEADER = """\
# Referral Atlas inventory imported by `pathways import` from {source} on {date}.
# Check every entry against the source before use: data_status stays '{status}' until the
# mapping has been verified in the field. Confidential locations in this file never leave it:
# maps and exports show them at area level only.
"""


def dump_yaml(data: dict[str, Any]) -> str:
    """Inventory records as YAML in the repository's style (short lists and maps inline)."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    parts = []
    for key in ("site", "services", "referrals"):
        if key in data:
            parts.append(
                yaml.dump(
                    {key: data[key]},
                    Dumper=_Dumper,
                    sort_keys=False,
                    allow_unicode=True,
                    width=100,
                    default_flow_style=None,
                )
            )
    return "\n".join(parts)


def write_inventory(imported: Imported, out: str | os.PathLike[str]) -> Any:
    """Write the inventory YAML, validated by `load_site` first; return the loaded `Inventory`.

    The YAML goes to a temporary file beside `out`, is loaded and checked there, and replaces
    `out` only when it is valid. Problems point at the source file's rows and columns.
    """
    from pathways.io.export._write import atomic_output
    from pathways.io.load import load_site

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


def bad(origin_file: str, sheet: str, row: int, column: str, message: str) -> Problem:
    """A problem in a source file, as `FILE:ROW: SHEET!COLUMN: message`."""
    return Problem(origin_file, row, f"{sheet}!{column}" if column else sheet, message)
