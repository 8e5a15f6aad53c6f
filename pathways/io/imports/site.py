"""The imported inventory's site block: the command line's values first, then the file's, then
defaults (the time zone guessed from the country, reported)."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

from pathways.io.imports.records import ImportReport, SiteOptions
from pathways.model import clock
from pathways.model.errors import InventoryError

_SITE_TEXT = ("country", "name", "timezone", "data_status", "coordination")

_PASSED_ON = (
    "description",
    "travel",
    "review_months",
    "minimum_package",
    "boundary",
    "areas",
    "coordination",
    "policy",
    "access_limits",
)
"""Site keys a file may give that are kept as they are (the loader checks them)."""


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
    for key in _PASSED_ON:
        if found.get(key) is not None:
            block[key] = found[key]
    block["sources"] = [
        *found.get("sources", ()),
        f"Imported from {Path(source).name} on {clock.today().isoformat()}.",
    ]
    return block


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
        import tzdata  # optional: else the system's zone.tab

        tabs.insert(0, Path(tzdata.__file__).parent / "zoneinfo" / "zone.tab")
    except ImportError:
        pass
    return tabs
