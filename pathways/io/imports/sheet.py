"""Service-mapping spreadsheets (4W/5W style) into inventory records.

A field team's sheet has a header row somewhere near the top (sometimes under a row of merged
group headers), maybe an HXL hashtag row, then one service per row. Columns are matched by HXL
hashtag when there is one, else by header words in French or English ('Nom du service',
'Organisation', 'Catégorie', 'Latitude', 'Horaires', 'Langues', 'Téléphone'...). Merged cells
are read as if every cell of the range held the value. Every problem names the file, the sheet,
the row and the column; hours that cannot be read are kept as `hours_note`, never guessed.

An optional second sheet of referral routes (columns like 'De' / 'Vers' or 'From' / 'To')
becomes the `referrals`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pathways.io.imports import (
    MAX_CELLS,
    Imported,
    ImportReport,
    Origin,
    SiteOptions,
    capped,
    check_size,
    open_zip,
    ordered,
    read_member,
    site_block,
)
from pathways.io.imports import values as v
from pathways.model.errors import InventoryError, Problem, ValidationError, display_path

# field -> header words (normalised); the longest matching phrase wins
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "code", "identifiant", "service id", "code du service", "meta id"),
    "name": (
        "nom du service",
        "service",
        "nom",
        "service name",
        "name",
        "intitule du service",
        "nom de la structure",
        "structure",
        "point de service",
        "facility",
        "nom du point de service",
    ),
    "organisation": (
        "organisation",
        "organization",
        "org",
        "partenaire",
        "partner",
        "agence",
        "agency",
        "acteur",
        "implementing partner",
        "partenaire de mise en oeuvre",
        "nom de l organisation",
        "organisation name",
    ),
    "categories": (
        "categorie",
        "categories",
        "category",
        "type de service",
        "types de service",
        "service type",
        "services offerts",
        "type",
        "domaine",
    ),
    "lat": ("latitude", "lat", "y", "gps latitude", "coord y", "latitude y"),
    "lon": ("longitude", "lon", "long", "lng", "x", "gps longitude", "coord x", "longitude x"),
    "coordinates": ("coordonnees", "coordonnees gps", "gps", "coordinates", "lat lon"),
    "address": ("adresse", "address", "lieu", "adresse physique"),
    "area": (
        "commune",
        "quartier",
        "zone",
        "district",
        "area",
        "municipality",
        "arrondissement",
        "cercle",
        "municipalite",
        "adm2",
    ),
    "hours": (
        "horaires",
        "horaire",
        "heures d ouverture",
        "hours",
        "opening hours",
        "jours et heures",
        "horaires d ouverture",
    ),
    "hours_note": ("remarque horaires", "note horaires", "hours note"),
    "languages": (
        "langues",
        "langue",
        "languages",
        "language",
        "langues parlees",
        "spoken languages",
    ),
    "phone": (
        "telephone",
        "tel",
        "phone",
        "numero de telephone",
        "n de telephone",
        "contact",
        "telephone contact",
        "phone number",
    ),
    "email": ("email", "e mail", "courriel", "mail", "adresse email"),
    "website": ("site web", "website", "site internet", "url", "web"),
    "entry_point": (
        "point d entree",
        "entry point",
        "acces direct",
        "walk in",
        "acces sans orientation",
    ),
    "interpretation": (
        "interpretation",
        "interprete",
        "interpreter",
        "interpretariat",
        "interprete disponible",
        "interpreter available",
    ),
    "serves": (
        "public",
        "public cible",
        "beneficiaires",
        "target group",
        "serves",
        "population cible",
        "pour qui",
    ),
    "age_min": ("age min", "age minimum", "minimum age", "age mini"),
    "age_max": ("age max", "age maximum", "maximum age", "age maxi"),
    "cost": ("cout", "cost", "tarif", "gratuit", "payant"),
    "confidential": ("confidentiel", "confidential", "adresse confidentielle"),
    "description": ("description", "details", "services proposes"),
    "notes": ("remarques", "notes", "commentaires", "comments", "observations", "remarque"),
    "last_verified": (
        "date de verification",
        "derniere verification",
        "last verified",
        "verifie le",
        "date de mise a jour",
        "mis a jour le",
        "last updated",
    ),
    "requires": ("conditions", "conditions d acces", "requirements", "requires", "prerequis"),
    "legal_status": ("statut legal", "legal status", "statut administratif"),
    "country": ("pays", "country"),
}

HXL: list[tuple[str, frozenset[str], str]] = [
    # (hashtag, attributes required, field); the most specific match wins
    ("#meta", frozenset({"id"}), "id"),
    ("#loc", frozenset({"name"}), "name"),
    ("#org", frozenset(), "organisation"),
    ("#service", frozenset({"type", "code"}), "categories"),
    ("#service", frozenset({"type"}), "categories"),
    ("#geo", frozenset({"lat"}), "lat"),
    ("#geo", frozenset({"lon"}), "lon"),
    ("#geo", frozenset({"coord"}), "coordinates"),
    ("#loc", frozenset({"address"}), "address"),
    ("#adm2", frozenset({"name"}), "area"),
    ("#adm3", frozenset({"name"}), "area"),
    ("#service", frozenset({"hours"}), "hours"),
    ("#service", frozenset({"hours", "note"}), "hours_note"),
    ("#service", frozenset({"languages"}), "languages"),
    ("#meta", frozenset({"languages"}), "languages"),
    ("#service", frozenset({"interpretation"}), "interpretation"),
    ("#service", frozenset({"entry_point"}), "entry_point"),
    ("#beneficiary", frozenset({"type"}), "serves"),
    ("#beneficiary", frozenset({"age_min"}), "age_min"),
    ("#beneficiary", frozenset({"age_max"}), "age_max"),
    ("#beneficiary", frozenset({"legal_status"}), "legal_status"),
    ("#access", frozenset({"cost"}), "cost"),
    ("#access", frozenset({"requires"}), "requires"),
    ("#contact", frozenset({"phone"}), "phone"),
    ("#contact", frozenset({"email"}), "email"),
    ("#contact", frozenset({"url"}), "website"),
    ("#date", frozenset({"verified"}), "last_verified"),
    ("#description", frozenset(), "description"),
    ("#description", frozenset({"notes"}), "notes"),
    ("#meta", frozenset({"confidential"}), "confidential"),
    ("#country", frozenset({"code"}), "country"),
]

DERIVED_HXL = {
    "#meta+site": "the site id (given by --site)",
    "#adm1+name": "the site's name (given by --name)",
    "#meta+data_status": "the data status (given by --data-status)",
    "#service+type+name": "category labels (the ids are read)",
    "#sector": "sectors (derived from the categories)",
    "#geo+precision": "an export's place precision",
    "#geo+label": "an export's place label",
}
"""Columns of our own HXL export that the importer knows it does not need."""

PERSONAL = ("contact+name", "nom du contact", "contact person", "point focal", "focal point")
"""Columns naming people: never imported (the tool maps services, not people)."""

REFERRAL_HEADERS: dict[str, tuple[str, ...]] = {
    "from": (
        "de",
        "from",
        "depuis",
        "service orienteur",
        "orienteur",
        "referring service",
        "service d origine",
        "origine",
    ),
    "to": (
        "vers",
        "to",
        "a",
        "service recevant",
        "destination",
        "receiving service",
        "service de destination",
    ),
    "for": ("pour", "for", "besoin", "besoins", "needs", "categorie", "category"),
    "mode": ("mode", "modalite", "how", "comment"),
    "delay_hours": ("delai", "delai heures", "delay", "delay hours", "delai h"),
    "source": ("source", "reference", "protocole"),
    "last_tested": ("derniere verification", "last tested", "teste le", "date du test"),
    "notes": ("remarques", "notes", "commentaires", "comments"),
}

MODE_WORDS = {
    "escorted": "escorted",
    "accompagnement": "escorted",
    "accompagnement physique": "escorted",
    "accompagne": "escorted",
    "accompanied call": "accompanied-call",
    "appel accompagne": "accompanied-call",
    "phone": "phone",
    "telephone": "phone",
    "tel": "phone",
    "form": "form",
    "fiche": "form",
    "fiche de reference": "form",
    "formulaire": "form",
    "self": "self",
    "seule": "self",
    "auto orientation": "self",
    "auto referencement": "self",
}

MAX_HEADER_SCAN = 12
"""The header row is looked for in the first rows of a sheet."""


@dataclass
class Grid:
    """A sheet's cells as rows of values (merged ranges filled), with its name."""

    name: str
    rows: list[list[Any]]


def column_letter(i: int) -> str:
    """0 -> 'A', 27 -> 'AB'."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


# --- reading ---------------------------------------------------------------------------------


def _read_xlsx(path: Path) -> list[Grid]:
    """The sheets of a workbook, bounded: a zip bomb, a stray value at XFD1048576 or a merged
    range over the whole sheet is refused (or trimmed) before it costs memory or time."""
    import openpyxl

    name = display_path(path)
    with open_zip(path, "Excel workbook (.xlsx)") as z:
        _check_ranges(z, path)
    with path.open("rb") as f:  # ours to close: openpyxl leaves a file open when it fails
        try:
            wb = openpyxl.load_workbook(f, data_only=True)
        except Exception as e:  # openpyxl raises whatever its zip and XML readers raise
            detail = " ".join(str(e).split())[:200] or type(e).__name__
            raise ValidationError(
                [Problem(name, 0, "", f"not a readable Excel workbook (.xlsx): {detail}")]
            ) from None
        try:
            return [_grid(ws, name) for ws in wb.worksheets]
        finally:
            wb.close()


_RANGE = re.compile(
    rb"<(?:\w+:)?(mergeCell|hyperlink)\b[^>]*?\sref\s*=\s*[\"']([A-Za-z$]+[$0-9]+:[A-Za-z$]+[$0-9]+)"
)


def _check_ranges(z: zipfile.ZipFile, path: Path) -> None:
    """Refuse merged ranges and hyperlinks over huge ranges before openpyxl reads them: it
    makes an object for every cell they cover (A1:XFD1048576 is 17 billion)."""
    from openpyxl.utils.cell import range_boundaries

    total = 0
    for info in z.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        for m in _RANGE.finditer(read_member(z, info, path, "Excel workbook (.xlsx)")):
            ref = m.group(2).decode("ascii")
            try:
                c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
            except (ValueError, TypeError):
                continue  # openpyxl will refuse it, with its own message
            total += (abs((r1 or r0 or 1) - (r0 or 1)) + 1) * (abs((c1 or c0 or 1) - (c0 or 1)) + 1)
            if total > MAX_CELLS:
                what = "merged range" if m.group(1) == b"mergeCell" else "hyperlink range"
                raise ValidationError(
                    [
                        Problem(
                            display_path(path),
                            0,
                            Path(info.filename).stem,
                            f"{what} {ref} covers more than {MAX_CELLS:,} cells: unmerge or "
                            "delete it",
                        )
                    ]
                )


def _grid(ws: Any, file: str) -> Grid:
    """A worksheet's values as rows, up to the last value of each row; merged ranges filled
    (within the table: the rows and columns that hold values)."""
    # openpyxl keeps the cells it read in `_cells`; iter_rows would visit every empty cell of
    # the sheet's dimension, which a single value at XFD1048576 makes 17 billion cells
    values = {k: c.value for k, c in ws._cells.items() if c.value is not None}
    n_rows = max((r for r, _ in values), default=0)
    n_cols = max((c for _, c in values), default=0)
    rows: list[list[Any]] = [[] for _ in range(n_rows)]
    for (r, c), value in values.items():
        row = rows[r - 1]
        if len(row) < c:
            row.extend([None] * (c - len(row)))
        row[c - 1] = value
    filled = len(values)
    for rng in ws.merged_cells.ranges:
        value = values.get((rng.min_row, rng.min_col))
        top, right = min(rng.max_row, n_rows), min(rng.max_col, n_cols)
        filled += max(0, top - rng.min_row + 1) * max(0, right - rng.min_col + 1)
        if filled > MAX_CELLS:
            raise ValidationError(
                [
                    Problem(
                        file,
                        rng.min_row,
                        f"{ws.title}!{rng.coord}",
                        f"merged cells fill more than {MAX_CELLS:,} cells: unmerge them",
                    )
                ]
            )
        for r in range(rng.min_row, top + 1):
            row = rows[r - 1]
            if len(row) < right:
                row.extend([None] * (right - len(row)))
            for c in range(rng.min_col, right + 1):
                row[c - 1] = value
    return Grid(ws.title, rows)


def _decode(raw: bytes, path: Path, report: ImportReport) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode
    text"), else Windows-1252 or Latin-1 (and the report says so)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding, label in (("cp1252", "Windows-1252 (Excel's default)"), ("latin-1", "Latin-1")):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        report.notes.append(f"{path.name} is not UTF-8: read as {label}")
        return text
    raise AssertionError("Latin-1 decodes any bytes")  # pragma: no cover


def _read_csv(path: Path, report: ImportReport) -> list[Grid]:
    check_size(path)
    text = _decode(path.read_bytes(), path, report)
    if "\x00" in text:
        raise ValidationError(
            [
                Problem(
                    display_path(path),
                    0,
                    "",
                    "binary content (NUL bytes); not a CSV file: save the sheet as CSV UTF-8",
                )
            ]
        )
    try:
        sample = text[:4096].replace("\r\n", "\n").replace("\r", "\n")  # the sniffer splits on \n
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = [list(r) for r in reader]
    except csv.Error as e:
        raise ValidationError(
            [Problem(display_path(path), reader.line_num, "", f"not readable as CSV: {e}")]
        ) from None
    return [Grid(path.stem, rows)]


# --- header matching -------------------------------------------------------------------------


def _is_hxl_row(row: list[Any]) -> bool:
    cells = [str(c).strip() for c in row if c not in (None, "")]
    return bool(cells) and sum(c.startswith("#") for c in cells) >= max(1, len(cells) // 2)


def _hxl_field(tag: str) -> str | None:
    parts = tag.strip().lower().replace(" ", "").split("+")
    hashtag, attrs = parts[0], set(parts[1:])
    best: tuple[int, str] | None = None
    for h, need, fld in HXL:
        if h == hashtag and need <= attrs and (best is None or len(need) > best[0]):
            best = (len(need), fld)
    return best[1] if best else None


def _header_field(text: Any, table: dict[str, tuple[str, ...]]) -> str | None:
    key = v.norm(text)
    if not key:
        return None
    for fld, words in table.items():
        if key in words:
            return fld
    best: tuple[int, str] | None = None
    for fld, words in table.items():
        for w in words:
            near = len(w) > 3 and (key.startswith(w + " ") or key.endswith(" " + w))
            if near and (best is None or len(w) > best[0]):
                best = (len(w), fld)
    return best[1] if best else None


@dataclass
class Header:
    """Where the data starts and which column holds which field."""

    row: int  # 0-based index of the header row
    data_start: int
    fields: dict[str, int]  # field -> column index
    labels: dict[int, str]  # column index -> header text (for messages)
    ignored: list[str]


def find_header(
    grid: Grid, table: dict[str, tuple[str, ...]], *, required: tuple[str, ...]
) -> Header | None:
    """The header of a sheet: the row matching most known columns (an HXL row counts most)."""
    best: tuple[int, int] | None = None
    for i, row in enumerate(grid.rows[:MAX_HEADER_SCAN]):
        score = len({f for c in row if (f := _header_field(c, table))})
        if best is None or score > best[0]:
            best = (score, i)
    hxl_row = next((i for i, r in enumerate(grid.rows[:MAX_HEADER_SCAN]) if _is_hxl_row(r)), None)
    if hxl_row is not None and table is HEADERS:
        head = hxl_row - 1 if hxl_row > 0 else hxl_row
        return _header_from(grid, head, hxl_row, table)
    if best is None or best[0] < len(required):
        return None
    return _header_from(grid, best[1], None, table)


def _header_from(
    grid: Grid, head: int, hxl_row: int | None, table: dict[str, tuple[str, ...]]
) -> Header:
    header_row = grid.rows[head] if head < len(grid.rows) else []
    above = grid.rows[head - 1] if head > 0 and hxl_row is None else []
    width = max(len(header_row), len(grid.rows[hxl_row]) if hxl_row is not None else 0)
    fields: dict[str, int] = {}
    labels: dict[int, str] = {}
    ignored: list[str] = []
    for j in range(width):
        text = header_row[j] if j < len(header_row) else None
        tag = grid.rows[hxl_row][j] if hxl_row is not None and j < len(grid.rows[hxl_row]) else None
        label = str(text).strip() if text not in (None, "") else (str(tag).strip() if tag else "")
        if not label:
            continue
        labels[j] = f"{column_letter(j)} ({label})"
        fld = _hxl_field(str(tag)) if tag not in (None, "") else None
        if fld is None and table is HEADERS and tag and str(tag).strip().lower() in DERIVED_HXL:
            ignored.append(f"{label} [{tag}]: {DERIVED_HXL[str(tag).strip().lower()]}")
            continue
        fld = fld or _header_field(text, table)
        if fld is None and j < len(above) and above[j] not in (None, ""):
            fld = _header_field(f"{above[j]} {text}", table) or (
                _header_field(above[j], table) if text in (None, "") else None
            )
        if any(p in v.norm(label) or p in str(tag or "").lower() for p in PERSONAL):
            ignored.append(f"{label} (names a person: never imported)")
            continue
        if fld is None or fld in fields:
            ignored.append(label + ("" if fld is None else f" (a second {fld} column)"))
            continue
        fields[fld] = j
    start = (hxl_row if hxl_row is not None else head) + 1
    return Header(head, start, fields, labels, ignored)


# --- rows -> services --------------------------------------------------------------------------

Parser = Callable[[Any], Any]

PARSERS: dict[str, Parser] = {
    "categories": v.parse_categories,
    "lat": v.parse_float,
    "lon": v.parse_float,
    "languages": v.parse_languages,
    "phone": v.parse_phone,
    "entry_point": v.parse_bool,
    "interpretation": v.parse_bool,
    "confidential": v.parse_bool,
    "serves": v.parse_groups,
    "age_min": v.parse_int,
    "age_max": v.parse_int,
    "cost": v.parse_cost,
    "last_verified": v.parse_date,
    "requires": v.parse_requires,
    "legal_status": v.parse_legal_status,
}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Reader:
    """Turns the rows of one sheet into service records, collecting every problem."""

    def __init__(self, path: Path, grid: Grid, header: Header, report: ImportReport) -> None:
        self.file = display_path(path)
        self.grid = grid
        self.header = header
        self.report = report
        self.problems: list[Problem] = []

    def column(self, fld: str) -> str:
        j = self.header.fields.get(fld)
        return column_letter(j) if j is not None else ""

    def problem(self, row: int, fld: str, message: str) -> None:
        j = self.header.fields.get(fld)
        label = self.header.labels.get(j, "") if j is not None else ""
        head = label.split(" (", 1)[1].rstrip(")") if " (" in label else fld
        self.problems.append(
            Problem(self.file, row, f"{self.grid.name}!{self.column(fld)}", f"{head}: {message}")
        )

    def services(self) -> tuple[list[dict[str, Any]], list[Origin]]:
        out: list[dict[str, Any]] = []
        origins: list[Origin] = []
        ids: set[str] = set()
        for i in range(self.header.data_start, len(self.grid.rows)):
            cells = self.grid.rows[i]
            if all(_empty(c) for c in cells):
                continue
            row = i + 1
            rec = self._record(cells, row)
            if rec is None:
                continue
            rec["id"] = self._unique(rec.get("id") or rec["name"], ids)
            ids.add(rec["id"])
            columns = {f: f"{column_letter(j)}" for f, j in self.header.fields.items()}
            columns["location"] = "/".join(
                x for x in (self.column("lat"), self.column("lon")) if x
            ) or self.column("coordinates")
            origins.append(Origin(self.file, self.grid.name, row, columns))
            out.append(ordered(rec))
        return out, origins

    def _unique(self, text: str, ids: set[str]) -> str:
        base = v.slug(text)
        sid, n = base, 2
        while sid in ids:
            sid, n = f"{base}-{n}", n + 1
        return sid

    def _get(self, cells: list[Any], fld: str) -> Any:
        j = self.header.fields.get(fld)
        if j is None or j >= len(cells):
            return None
        value = cells[j]
        return None if _empty(value) else value

    def _record(self, cells: list[Any], row: int) -> dict[str, Any] | None:
        rec: dict[str, Any] = {}
        name = self._get(cells, "name")
        if name is None:
            self.problem(row, "name", "the service has no name")
            return None
        rec["id"] = self._get(cells, "id")
        rec["name"] = str(name).strip()
        for fld in (
            "organisation",
            "description",
            "address",
            "area",
            "email",
            "website",
            "notes",
            "hours_note",
        ):
            value = self._get(cells, fld)
            if value is not None:
                rec[fld] = str(value).strip()
        parsed: dict[str, Any] = {}
        failed: set[str] = set()
        for fld, parse in PARSERS.items():
            value = self._get(cells, fld)
            if value is None:
                continue
            try:
                parsed[fld] = parse(value)
            except ValueError as e:
                self.problem(row, fld, str(e))
                failed.add(fld)
        if "categories" not in parsed:
            if "categories" not in self.header.fields or self._get(cells, "categories") is None:
                self.problem(row, "categories", "no category given")
            return None
        rec["categories"] = parsed.pop("categories")
        lat, lon = parsed.pop("lat", None), parsed.pop("lon", None)
        coords = self._get(cells, "coordinates")
        if coords is not None and (lat is None or lon is None):
            try:
                lat, lon = v.parse_coordinates(coords)
            except ValueError as e:
                self.problem(row, "coordinates", str(e))
                return None
        if failed & {"lat", "lon"}:
            return None
        if lat is None or lon is None:
            self.problem(
                row,
                "lat" if lat is None else "lon",
                "no coordinates: every service needs a latitude and a longitude",
            )
            return None
        location: dict[str, Any] = {"lat": lat, "lon": lon}
        for key in ("address", "area"):
            if key in rec:
                location[key] = rec.pop(key)
        rec["location"] = location
        hours = self._get(cells, "hours")
        if hours is not None:
            try:
                rec["hours"] = v.parse_hours_text(hours)
            except ValueError:
                note = str(hours).strip()
                rec["hours_note"] = f"{rec['hours_note']}; {note}" if "hours_note" in rec else note
                self.report.notes.append(
                    f"{self.grid.name} row {row}: hours '{note}' not understood: kept as "
                    "hours_note, hours unknown"
                )
        contact: dict[str, Any] = {}
        if "phone" in parsed:
            contact["phone"] = parsed.pop("phone")
        contact.update({k: rec.pop(k) for k in ("email", "website") if k in rec})
        if contact:
            rec["contact"] = contact
        rec.update(parsed)
        if "country" in rec:
            rec.pop("country")
        return {k: val for k, val in rec.items() if val is not None}


# --- referrals sheet ---------------------------------------------------------------------------


def _referrals(
    path: Path, grid: Grid, services: list[dict[str, Any]], report: ImportReport
) -> tuple[list[dict[str, Any]], list[Origin], list[Problem]]:
    header = find_header(grid, REFERRAL_HEADERS, required=("from", "to"))
    if header is None or not {"from", "to"} <= set(header.fields):
        return [], [], []
    file = display_path(path)
    by_key: dict[str, str] = {}
    for s in services:
        by_key[v.norm(s["id"])] = s["id"]
        by_key.setdefault(v.norm(s["name"]), s["id"])
    out, origins, problems = [], [], []
    for i in range(header.data_start, len(grid.rows)):
        cells = grid.rows[i]
        if all(_empty(c) for c in cells):
            continue
        row = i + 1

        def get(fld: str, cells: list[Any] = cells) -> Any:
            j = header.fields.get(fld)
            return None if j is None or j >= len(cells) or _empty(cells[j]) else cells[j]

        def fail(fld: str, message: str, row: int = row) -> None:
            j = header.fields.get(fld)
            problems.append(
                Problem(
                    file, row, f"{grid.name}!{column_letter(j) if j is not None else fld}", message
                )
            )

        rec: dict[str, Any] = {}
        for end in ("from", "to"):
            value = get(end)
            sid = by_key.get(v.norm(value)) if value is not None else None
            if sid is None:
                from pathways.model.inventory import suggest

                fail(
                    end,
                    f"'{value}' is not a service of the mapping"
                    + suggest(str(value), [s["name"] for s in services]),
                )
            rec[end] = sid
        if get("for") is not None:
            try:
                rec["for"] = v.parse_categories(get("for"))
            except ValueError as e:
                fail("for", str(e))
        if get("mode") is not None:
            mode = MODE_WORDS.get(v.norm(get("mode")))
            if mode is None:
                fail(
                    "mode",
                    f"'{get('mode')}' is not a referral mode "
                    "(escorted, accompanied-call, phone, form, self)",
                )
            rec["mode"] = mode
        for fld, parse in (("delay_hours", v.parse_float), ("last_tested", v.parse_date)):
            if get(fld) is not None:
                try:
                    rec[fld] = parse(get(fld))
                except ValueError as e:
                    fail(fld, str(e))
        for fld in ("source", "notes"):
            if get(fld) is not None:
                rec[fld] = str(get(fld)).strip()
        columns = {f: column_letter(j) for f, j in header.fields.items()}
        origins.append(Origin(file, grid.name, row, columns))
        out.append({k: val for k, val in rec.items() if val is not None})
    report.matched += [
        (f"{grid.name}!{header.labels[j]}", f"referrals.{f}") for f, j in header.fields.items()
    ]
    return out, origins, problems


# --- the whole import --------------------------------------------------------------------------


def read_sheet(path: Path, site: SiteOptions, *, sheet: str | None = None) -> Imported:
    """Read an XLSX or CSV service mapping into inventory records and a report."""
    report = ImportReport(display_path(path))
    grids = (
        _read_csv(path, report)
        if path.suffix.lower() in (".csv", ".tsv", ".txt")
        else _read_xlsx(path)
    )
    if sheet is not None:
        chosen = [g for g in grids if g.name == sheet]
        if not chosen:
            raise InventoryError(
                f"{display_path(path)}: no sheet '{sheet}' "
                f"(sheets: {', '.join(g.name for g in grids)})"
            )
        grids = chosen + [g for g in grids if g.name != sheet]
    services_grid, header = None, None
    for g in grids:
        header = find_header(g, HEADERS, required=("name", "categories"))
        if header is not None and "name" in header.fields:
            services_grid = g
            break
    if services_grid is None or header is None:
        raise ValidationError(
            [
                Problem(
                    display_path(path),
                    1,
                    grids[0].name if grids else "",
                    "no header row found: expected columns such as 'Nom du service' / 'Service', "
                    "'Catégorie' / 'Category', 'Latitude', 'Longitude' (or HXL #loc+name, "
                    "#service+type, #geo+lat, #geo+lon) in the first rows",
                )
            ]
        )
    problems: list[Problem] = []
    for fld in ("categories",):
        if fld not in header.fields:
            problems.append(
                Problem(
                    display_path(path),
                    header.row + 1,
                    services_grid.name,
                    "no column for the service categories (e.g. 'Catégorie', 'Category', "
                    "'Type de service', #service+type)",
                )
            )
    if not ({"lat", "lon"} <= set(header.fields) or "coordinates" in header.fields):
        problems.append(
            Problem(
                display_path(path),
                header.row + 1,
                services_grid.name,
                "no columns for the coordinates (e.g. 'Latitude' and 'Longitude', #geo+lat "
                "and #geo+lon)",
            )
        )
    if problems:
        raise ValidationError(problems)
    reader = _Reader(path, services_grid, header, report)
    services, origins = reader.services()
    report.matched += [
        (f"{services_grid.name}!{header.labels[j]}", f) for f, j in header.fields.items()
    ]
    report.ignored += header.ignored
    referrals: list[dict[str, Any]] = []
    ref_origins: list[Origin] = []
    for g in grids:
        if g is services_grid or reader.problems:  # routes wait until the services are right
            continue
        refs, ref_origins, ref_problems = _referrals(path, g, services, report)
        if refs or ref_problems:
            referrals, problems = refs, ref_problems
            break
        report.left_out.append(f"sheet '{g.name}': neither services nor referral routes")
    problems = capped(reader.problems + problems, display_path(path))
    if problems:
        raise ValidationError(problems)
    if not services:
        raise ValidationError(
            [
                Problem(
                    display_path(path),
                    header.row + 1,
                    services_grid.name,
                    "no service rows under the header",
                )
            ]
        )
    countries = {
        str(c).strip().upper()
        for i in range(header.data_start, len(services_grid.rows))
        if (j := header.fields.get("country")) is not None
        and j < len(services_grid.rows[i])
        and not _empty(c := services_grid.rows[i][j])
    }
    found = {"country": countries.pop()} if len(countries) == 1 else {}
    block = site_block(site, found=found, source=display_path(path), report=report)
    confidential = sum(1 for s in services if s.get("confidential"))
    if confidential:
        report.notes.append(
            f"{confidential} confidential service(s): their exact locations stay in the YAML; "
            "maps and exports show them at area level only"
        )
    report.services, report.referrals = len(services), len(referrals)
    data = {"site": block, "services": services, "referrals": referrals}
    return Imported(data, report, origins, ref_origins)
