"""Open Referral HSDS 3 packages into inventory records.

Reads the tabular JSON that `pathways export --format hsds` writes (one array per table), the
API's service-centred JSON (a service, a list of services or a page with `contents`, nested
objects flattened into tables), and the CSV data package (a folder or a .zip, with or without
`datapackage.json`). Referral Atlas attributes (entry point, confidentiality, who is served,
referral routes...) are read back when present; a plain HSDS directory gives what HSDS has.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from pathways.io.export.hsds import ATTRIBUTE_TAXONOMY, CSV_FILES, EXTENSION_TERMS
from pathways.io.imports import values as v
from pathways.io.imports.limits import MAX_BYTES, check_size, open_zip, read_member
from pathways.io.imports.records import (
    Imported,
    ImportReport,
    Origin,
    SiteOptions,
    capped,
    ordered,
)
from pathways.io.imports.site import resolve_site_files, site_block
from pathways.model.errors import InventoryError, Problem, ValidationError, display_path
from pathways.model.inventory import DAYS, is_category

_NESTED: dict[str, str] = {
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "service_at_locations": "service_at_location",
    "languages": "language",
    "organization": "organization",
    "funding": "funding",
    "cost_options": "cost_option",
    "program": "program",
    "programs": "program",
    "required_documents": "required_document",
    "contacts": "contact",
    "attributes": "attribute",
    "metadata": "metadata",
    "location": "location",
    "locations": "location",
    "addresses": "address",
    "accessibility": "accessibility",
    "taxonomy_term": "taxonomy_term",
    "taxonomy_detail": "taxonomy",
    "organization_identifiers": "organization_identifier",
}
"""Member of a nested HSDS object -> the table its items belong to."""

_NUMBERS = {"latitude", "longitude", "minimum_age", "maximum_age", "year_incorporated", "extension"}


class Tables:
    """HSDS rows by table, each remembering where it was read (file and row) for messages."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.where: dict[int, tuple[str, str, int]] = {}  # id(row) -> (file, table, row)
        self.extension: dict[str, Any] = {}

    def add(self, table: str, row: dict[str, Any], file: str, line: int) -> None:
        self.rows[table].append(row)
        self.where[id(row)] = (file, table, line)

    def origin(self, row: dict[str, Any]) -> Origin:
        file, table, line = self.where.get(id(row), (self.file, "?", 0))
        return Origin(file, table, line)


# --- reading ---------------------------------------------------------------------------------


MAX_DEPTH = 16
"""Nested HSDS objects deeper than this are not read (HSDS nests four levels at most)."""


def _load_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValidationError([Problem(name, e.lineno, "", f"not valid JSON: {e.msg}")]) from None
    except RecursionError:
        raise ValidationError(
            [Problem(name, 1, "", "not HSDS: arrays or objects nested too deeply")]
        ) from None


def _from_json(path: Path) -> Tables:
    name = display_path(path)
    check_size(path)
    try:
        data = _load_json(path.read_text(encoding="utf-8-sig"), name)
    except UnicodeDecodeError:
        raise ValidationError([Problem(name, 0, "", "not UTF-8; save it as UTF-8")]) from None
    t = Tables(name)
    if isinstance(data, dict) and "resources" in data and "profile" in data:
        raise InventoryError(f"{name}: a datapackage.json: import its folder or .zip instead")
    if isinstance(data, dict) and ("service" in data or "services" in data) and "name" not in data:
        for table, rows in data.items():
            if table == "referral_atlas":
                t.extension = rows if isinstance(rows, dict) else {}
                continue
            if not isinstance(rows, list):
                continue
            for i, row in enumerate(rows):
                if isinstance(row, dict):
                    t.add(
                        table.removesuffix("s") if table == "services" else table, row, name, i + 1
                    )
        return t
    services = data.get("contents") if isinstance(data, dict) and "contents" in data else data
    if isinstance(services, dict):
        services = [services]
    if not isinstance(services, list):
        raise ValidationError(
            [Problem(name, 1, "", "not HSDS: expected tables, a service or a list of services")]
        )
    for i, s in enumerate(services):
        if isinstance(s, dict):
            _flatten(t, "service", s, None, name, i + 1)
    return t


def _flatten(
    t: Tables,
    table: str,
    obj: dict[str, Any],
    parent: tuple[str, str] | None,
    file: str,
    line: int,
    depth: int = 0,
) -> str | None:
    """Put a nested HSDS object and its children into tables, linking them by id."""
    if depth > MAX_DEPTH:
        raise ValidationError(
            [Problem(file, line, table, f"objects nested more than {MAX_DEPTH} deep: not HSDS")]
        )
    row = {k: val for k, val in obj.items() if not isinstance(val, dict | list)}
    if parent is not None:
        ptable, pid = parent
        if table == "attribute":
            row.setdefault("link_id", pid)
            row.setdefault("link_entity", ptable)
        else:
            row.setdefault(f"{ptable}_id", pid)
    t.add(table, row, file, line)
    rid = row.get("id")
    for key, val in obj.items():
        child_table = _NESTED.get(key)
        if child_table is None:
            continue
        if isinstance(val, list):
            for item in val:
                if isinstance(item, dict):
                    _flatten(t, child_table, item, (table, str(rid)), file, line, depth + 1)
        elif isinstance(val, dict):
            cid = _flatten(t, child_table, val, None, file, line, depth + 1)
            if cid is not None:
                row.setdefault(f"{child_table}_id", cid)
    return str(rid) if rid is not None else None


def _package_files(path: Path) -> dict[str, str]:
    """The .csv and .json files of a package folder or zip, by file name, size-checked."""
    name = display_path(path)
    files: dict[str, str] = {}
    try:
        if path.is_dir():
            found = [f for f in path.iterdir() if f.suffix in (".csv", ".json") and f.is_file()]
            if sum(f.stat().st_size for f in found) > MAX_BYTES:
                raise ValidationError(
                    [Problem(name, 0, "", f"the package is over {MAX_BYTES // 2**20} MiB")]
                )
            for f in found:
                files[f.name] = f.read_text(encoding="utf-8-sig")
        else:
            with open_zip(path, "HSDS package (.zip)") as z:
                for info in z.infolist():
                    base = Path(info.filename).name
                    if base.endswith((".csv", ".json")) and not info.is_dir():
                        data = read_member(z, info, path, "HSDS package (.zip)")
                        files[base] = data.decode("utf-8-sig")
    except OSError as e:
        raise ValidationError([Problem(name, 0, "", f"not a readable HSDS package: {e}")]) from None
    except UnicodeDecodeError:
        raise ValidationError(
            [Problem(name, 0, "", "a file of the package is not UTF-8")]
        ) from None
    return files


def _from_csv_package(path: Path) -> Tables:
    name = display_path(path)
    files = _package_files(path)
    t = Tables(name)
    paths = dict((table, fname) for table, fname in CSV_FILES.items())
    if "datapackage.json" in files:
        package = _load_json(files["datapackage.json"], f"{name}/datapackage.json")
        if not isinstance(package, dict):
            raise ValidationError(
                [Problem(f"{name}/datapackage.json", 1, "", "not a data package (an object)")]
            )
        extension = package.get("referral_atlas")
        t.extension = extension if isinstance(extension, dict) else {}
        resources = package.get("resources")
        for res in resources if isinstance(resources, list) else []:
            if isinstance(res, dict) and res.get("name") and res.get("path"):
                paths[str(res["name"])] = Path(str(res["path"])).name
    for table, fname in paths.items():
        text = files.get(fname) or files.get(f"{table}.csv")
        if text is None:
            continue
        where = f"{name}/{fname}" if path.is_dir() else f"{name}:{fname}"
        try:
            rows = list(csv.DictReader(io.StringIO(text, newline="")))
        except csv.Error as e:
            raise ValidationError([Problem(where, 0, "", f"not readable as CSV: {e}")]) from None
        for i, raw in enumerate(rows):
            row: dict[str, Any] = {}
            for k, val in raw.items():
                if k is None or val in (None, ""):
                    continue
                row[k] = val
            t.add(table, row, f"{name}/{fname}" if path.is_dir() else f"{name}:{fname}", i + 2)
    if "service" not in t.rows:
        raise ValidationError(
            [Problem(name, 0, "", "no services table (services.csv) in the package")]
        )
    return t


# --- tables -> inventory -------------------------------------------------------------------


class _Builder:
    """Builds service records from the tables, collecting problems with their table rows."""

    def __init__(self, t: Tables, report: ImportReport) -> None:
        self.t = t
        self.report = report
        self.problems: list[Problem] = []
        self.by_id = {table: {str(r.get("id")): r for r in rows} for table, rows in t.rows.items()}
        self.children: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for table in ("phone", "schedule", "language", "service_at_location", "required_document"):
            for r in t.rows.get(table, []):
                if r.get("service_id"):
                    self.children[(table, str(r["service_id"]))].append(r)
        for r in t.rows.get("address", []):
            self.children[("address", str(r.get("location_id")))].append(r)
        for r in t.rows.get("attribute", []):
            self.children[("attribute", str(r.get("link_id")))].append(r)

    def fail(self, row: dict[str, Any], column: str, message: str) -> None:
        self.problems.append(self.t.origin(row).problem(column, message))

    def term(self, attribute: dict[str, Any]) -> dict[str, Any]:
        return self.by_id.get("taxonomy_term", {}).get(str(attribute.get("taxonomy_term_id")), {})

    def extensions(self, sid: str) -> tuple[dict[str, list[str]], list[str]]:
        """Our extension attributes (code -> values) and the other terms' codes or names."""
        ours: dict[str, list[str]] = defaultdict(list)
        other: list[str] = []
        for a in self.children.get(("attribute", sid), []):
            term = self.term(a)
            code = str(term.get("code") or term.get("name") or "")
            if term.get("taxonomy") == ATTRIBUTE_TAXONOMY or (
                code in EXTENSION_TERMS and not is_category(code)
            ):
                ours[code].append(str(a.get("value") or ""))
            elif code:
                other.append(code)
        return ours, other

    def service(self, row: dict[str, Any], ids: set[str]) -> dict[str, Any] | None:
        sid = str(row.get("id"))
        ext, terms = self.extensions(sid)
        name = row.get("name")
        if not name:
            self.fail(row, "name", "the service has no name")
            return None
        status = row.get("status", "active")
        if status in ("inactive", "defunct"):
            self.report.left_out.append(f"service '{name}': status {status}")
            return None
        rec: dict[str, Any] = {"name": str(name)}
        our_id = (ext.get("service_id") or [""])[0]
        base = our_id or v.slug(str(name))
        rec["id"] = base
        n = 2
        while rec["id"] in ids:
            rec["id"], n = f"{base}-{n}", n + 1
        org = self.by_id.get("organization", {}).get(str(row.get("organization_id")))
        if org and org.get("name") and (ext.get("organisation_recorded") or ["true"])[0] != "false":
            rec["organisation"] = str(org["name"])
        if row.get("description"):
            rec["description"] = str(row["description"])
        cats = self._categories(row, terms)
        if not cats:
            return None
        rec["categories"] = cats
        location = self._location(row, sid)
        if location is None:
            self.report.left_out.append(
                f"service '{name}': no location with coordinates (a virtual service?)"
            )
            return None
        rec["location"] = location
        self._hours(rec, row, sid, ext)
        self._people(rec, row, sid, ext)
        return ordered({k: val for k, val in rec.items() if val is not None})

    def _categories(self, row: dict[str, Any], terms: list[str]) -> list[str]:
        cats: list[str] = []
        unknown: list[str] = []
        for code in terms:
            try:
                found = [code] if is_category(code) else v.parse_categories(code)
            except ValueError:
                unknown.append(code)
                continue
            cats += [c for c in found if c not in cats]
        if unknown:
            self.report.left_out.append(
                f"service '{row.get('name')}': taxonomy terms not ours: {', '.join(unknown)}"
            )
        if not cats:
            self.fail(
                row,
                "attributes",
                "no service category: link a taxonomy term whose code is one of ours (health.cmr, "
                "mhpss, legal, ...) or whose name says it ('Mental health', 'Legal aid')",
            )
        return cats

    def _location(self, row: dict[str, Any], sid: str) -> dict[str, Any] | None:
        for sal in self.children.get(("service_at_location", sid), []):
            loc = self.by_id.get("location", {}).get(str(sal.get("location_id")))
            if not loc or loc.get("latitude") in (None, "") or loc.get("longitude") in (None, ""):
                continue
            try:
                lat, lon = v.parse_float(loc["latitude"]), v.parse_float(loc["longitude"])
            except ValueError as e:
                self.fail(loc, "latitude", str(e))
                return None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                self.fail(loc, "latitude", f"({lat}, {lon}) is not a latitude and longitude")
                return None
            out: dict[str, Any] = {"lat": lat, "lon": lon}
            ext, _ = self.extensions(sid)
            for key in ("address", "area"):
                if ext.get(key):
                    out[key] = ext[key][0]
            for a in self.children.get(("address", str(loc.get("id"))), []):
                if "address" in out:
                    break
                if a.get("address_1"):
                    out["address"] = str(a["address_1"])
                if a.get("region"):
                    out["area"] = str(a["region"])
                break
            return out
        return None

    def _hours(
        self, rec: dict[str, Any], row: dict[str, Any], sid: str, ext: dict[str, list[str]]
    ) -> None:
        if ext.get("hours"):
            try:
                rec["hours"] = json.loads(ext["hours"][0])
            except (json.JSONDecodeError, RecursionError):
                self.fail(row, "attributes", f"hours attribute is not JSON: {ext['hours'][0]!r}")
        else:
            week: dict[str, list[str]] = {}
            notes = []
            for s in self.children.get(("schedule", sid), []):
                spec = _schedule(s)
                if spec is None:
                    notes.append(str(s.get("description") or s.get("notes") or ""))
                    continue
                for day, rng in spec:
                    week.setdefault(day, []).append(rng)
            if week:
                rec["hours"] = {d: ",".join(week[d]) for d in DAYS if d in week}
            if any(notes):
                rec["hours_note"] = "; ".join(n for n in notes if n)
        if ext.get("hours_note"):
            rec["hours_note"] = ext["hours_note"][0]

    def _people(
        self, rec: dict[str, Any], row: dict[str, Any], sid: str, ext: dict[str, list[str]]
    ) -> None:
        """Who the service is for and how to reach it: languages, contact, ages, flags and our
        extension attributes."""
        languages = self._languages(sid)
        if languages:
            rec["languages"] = languages
        contact = self._contact(row, sid)
        if contact:
            rec["contact"] = contact
        self._ages_and_date(rec, row)
        self._flags(rec, row, ext)
        self._extension_values(rec, row, ext)

    def _languages(self, sid: str) -> list[str]:
        languages: list[str] = []
        for lang in self.children.get(("language", sid), []):
            text = lang.get("code") or lang.get("name")
            if not text:
                continue
            try:
                code = v.parse_language(str(text))
            except ValueError as e:
                self.fail(lang, "code", str(e))
                continue
            if code not in languages:
                languages.append(code)
        return languages

    def _contact(self, row: dict[str, Any], sid: str) -> dict[str, str]:
        contact: dict[str, str] = {}
        phones = self.children.get(("phone", sid), [])
        if phones and phones[0].get("number"):
            contact["phone"] = str(phones[0]["number"])
        if row.get("email"):
            contact["email"] = str(row["email"])
        if row.get("url"):
            contact["website"] = str(row["url"])
        return contact

    def _ages_and_date(self, rec: dict[str, Any], row: dict[str, Any]) -> None:
        for key in ("minimum_age", "maximum_age"):
            if row.get(key) not in (None, ""):
                try:
                    rec["age_min" if key == "minimum_age" else "age_max"] = v.parse_int(row[key])
                except ValueError as e:
                    self.fail(row, key, str(e))
        if row.get("assured_date"):
            try:
                rec["last_verified"] = v.parse_date(row["assured_date"])
            except ValueError as e:
                self.fail(row, "assured_date", str(e))

    def _flags(self, rec: dict[str, Any], row: dict[str, Any], ext: dict[str, list[str]]) -> None:
        """Yes/no attributes ('true' or not), and HSDS's own interpretation services."""
        for code in ("entry_point", "confidential", "interpretation"):
            if ext.get(code):
                rec[code] = ext[code][0] == "true"
        if "interpretation" not in rec and row.get("interpretation_services"):
            rec["interpretation"] = True
        if ext.get("location_precision"):
            rec["location_precision"] = ext["location_precision"][0]
        for code in ("female_staff", "appointment", "focal_point"):
            if ext.get(code):
                rec[code] = ext[code][0] == "true"

    def _extension_values(
        self, rec: dict[str, Any], row: dict[str, Any], ext: dict[str, list[str]]
    ) -> None:
        """Our extension attributes that carry a value: read, or a problem naming the cell."""
        for code, parse in (("serves", v.parse_groups), ("requires", v.parse_requires)):
            if ext.get(code):
                try:
                    rec[code] = parse(ext[code][0])
                except ValueError as e:  # a mistyped cell: one line naming it, no traceback
                    self.fail(row, code, str(e))
        for code in ("legal_status", "cost", "notes", "pep_stock_confirmed", "phone_network"):
            if ext.get(code):
                rec[code] = ext[code][0]
        if ext.get("interpreter_lead_hours"):
            try:
                rec["interpreter_lead_hours"] = float(ext["interpreter_lead_hours"][0])
            except ValueError:
                self.fail(row, "interpreter_lead_hours", "not a number of hours")
        if ext.get("translations"):
            try:
                texts = json.loads(ext["translations"][0])
            except ValueError:
                texts = None
            if isinstance(texts, dict):
                rec["translations"] = texts
            else:
                self.fail(row, "translations", "not a JSON object of texts per language")


def _schedule(s: dict[str, Any]) -> list[tuple[str, str]] | None:
    """(day, 'HH:MM-HH:MM') pairs of a weekly HSDS schedule, or None if it is not one."""
    byday, opens, closes = s.get("byday"), s.get("opens_at"), s.get("closes_at")
    if not (byday and opens and closes) or s.get("freq", "WEEKLY") != "WEEKLY":
        return None
    rrule = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    days = [str(d).strip().upper()[-2:] for d in str(byday).split(",")]
    if any(d not in rrule for d in days):
        return None
    a = str(opens)[:5]
    b = "24:00" if str(closes)[:5] in ("23:59", "24:00") else str(closes)[:5]
    return [(DAYS[rrule.index(d)], f"{a}-{b}") for d in days]


def read_hsds(path: Path, site: SiteOptions) -> Imported:
    """Read an HSDS package (JSON, folder or .zip) into inventory records and a report."""
    t = _from_json(path) if path.suffix.lower() == ".json" else _from_csv_package(path)
    report = ImportReport(display_path(path))
    b = _Builder(t, report)
    services: list[dict[str, Any]] = []
    origins: list[Origin] = []
    hsds_to_ours: dict[str, str] = {}
    ids: set[str] = set()
    for row in t.rows.get("service", []):
        rec = b.service(row, ids)
        if rec is None:
            continue
        ids.add(rec["id"])
        hsds_to_ours[str(row.get("id"))] = rec["id"]
        origin = t.origin(row)
        origin.columns = {
            "location": "latitude/longitude",
            "categories": "attributes",
            "hours": "schedules",
        }
        origins.append(origin)
        services.append(rec)
    referrals, ref_origins = _referrals(t, b, hsds_to_ours, ids)
    if b.problems:
        raise ValidationError(capped(b.problems, display_path(path)))
    if not services:
        raise ValidationError(
            [
                Problem(
                    display_path(path), 0, "", "no service with a location and a category to import"
                )
            ]
        )
    given = t.extension.get("site")
    found = dict(given) if isinstance(given, dict) else {}
    resolve_site_files(found, path.resolve() if path.is_dir() else path.resolve().parent, report)
    report.matched = [(f"{table} ({len(rows)} rows)", "read") for table, rows in t.rows.items()]
    block = site_block(site, found=found, source=display_path(path), report=report)
    report.services, report.referrals = len(services), len(referrals)
    return Imported(
        {"site": block, "services": services, "referrals": referrals}, report, origins, ref_origins
    )


def _referrals(
    t: Tables, b: _Builder, hsds_to_ours: dict[str, str], ids: set[str]
) -> tuple[list[dict[str, Any]], list[Origin]]:
    out: list[dict[str, Any]] = []
    origins: list[Origin] = []
    for a in t.rows.get("attribute", []):
        term = b.term(a)
        if term.get("code") != "referral":
            continue
        try:
            rec = json.loads(str(a.get("value")))
        except (json.JSONDecodeError, RecursionError):
            b.fail(a, "value", "a referral attribute's value is not JSON")
            continue
        if not isinstance(rec, dict):
            b.fail(a, "value", "a referral attribute's value is not a JSON object")
            continue
        if rec.get("from") not in ids or rec.get("to") not in ids:
            b.report.left_out.append(
                f"referral {rec.get('from')} -> {rec.get('to')}: an end was not imported"
            )
            continue
        out.append(rec)
        origins.append(t.origin(a))
    return out, origins
