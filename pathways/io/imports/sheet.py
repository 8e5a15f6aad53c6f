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

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pathways.io.imports import values as v
from pathways.io.imports.grid import Grid, read_csv, read_xlsx
from pathways.io.imports.records import (
    Imported,
    ImportReport,
    Origin,
    SiteOptions,
    capped,
    ordered,
)
from pathways.io.imports.site import site_block
from pathways.model.errors import InventoryError, Problem, ValidationError, display_path
from pathways.model.inventory import suggest

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


def column_letter(i: int) -> str:
    """0 -> 'A', 27 -> 'AB'."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


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


TEXT_FIELDS = (
    "organisation",
    "description",
    "address",
    "area",
    "email",
    "website",
    "notes",
    "hours_note",
)
"""Fields kept as the text the cell holds."""


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
        """One row as a service record, or None (and its problems noted) when it cannot be."""
        name = self._get(cells, "name")
        if name is None:
            self.problem(row, "name", "the service has no name")
            return None
        rec: dict[str, Any] = {"id": self._get(cells, "id"), "name": str(name).strip()}
        rec.update(self._texts(cells))
        parsed, failed = self._parsed(cells, row)
        if "categories" not in parsed:
            if "categories" not in self.header.fields or self._get(cells, "categories") is None:
                self.problem(row, "categories", "no category given")
            return None
        rec["categories"] = parsed.pop("categories")
        location = self._location(cells, row, parsed, failed)
        if location is None:
            return None
        for key in ("address", "area"):
            if key in rec:
                location[key] = rec.pop(key)
        rec["location"] = location
        self._hours(rec, cells, row)
        contact: dict[str, Any] = {}
        if "phone" in parsed:
            contact["phone"] = parsed.pop("phone")
        contact.update({k: rec.pop(k) for k in ("email", "website") if k in rec})
        if contact:
            rec["contact"] = contact
        rec.update(parsed)
        rec.pop("country", None)
        return {k: val for k, val in rec.items() if val is not None}

    def _texts(self, cells: list[Any]) -> dict[str, str]:
        """The row's free-text fields, as written (stripped)."""
        out: dict[str, str] = {}
        for fld in TEXT_FIELDS:
            value = self._get(cells, fld)
            if value is not None:
                out[fld] = str(value).strip()
        return out

    def _parsed(self, cells: list[Any], row: int) -> tuple[dict[str, Any], set[str]]:
        """The row's values read by `PARSERS`, and the fields that could not be read."""
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
        return parsed, failed

    def _location(
        self, cells: list[Any], row: int, parsed: dict[str, Any], failed: set[str]
    ) -> dict[str, Any] | None:
        """{lat, lon} from the latitude and longitude columns (taken out of `parsed`) or the
        coordinates column; None (and a problem) when the row has no readable point."""
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
        return {"lat": lat, "lon": lon}

    def _hours(self, rec: dict[str, Any], cells: list[Any], row: int) -> None:
        """Opening hours read from the text, or kept as `hours_note` (never guessed)."""
        hours = self._get(cells, "hours")
        if hours is None:
            return
        try:
            rec["hours"] = v.parse_hours_text(hours)
        except ValueError:
            note = str(hours).strip()
            rec["hours_note"] = f"{rec['hours_note']}; {note}" if "hours_note" in rec else note
            self.report.notes.append(
                f"{self.grid.name} row {row}: hours '{note}' not understood: kept as "
                "hours_note, hours unknown"
            )


# --- referrals sheet ---------------------------------------------------------------------------


class _Routes:
    """Turns the rows of a referral sheet into referral records, collecting every problem."""

    def __init__(
        self, file: str, grid: Grid, header: Header, services: list[dict[str, Any]]
    ) -> None:
        self.file = file
        self.grid = grid
        self.header = header
        self.names = [s["name"] for s in services]
        self.by_key: dict[str, str] = {}  # a service's id or name, normalised -> its id
        for s in services:
            self.by_key[v.norm(s["id"])] = s["id"]
            self.by_key.setdefault(v.norm(s["name"]), s["id"])
        self.problems: list[Problem] = []

    def get(self, cells: list[Any], fld: str) -> Any:
        j = self.header.fields.get(fld)
        return None if j is None or j >= len(cells) or _empty(cells[j]) else cells[j]

    def fail(self, row: int, fld: str, message: str) -> None:
        j = self.header.fields.get(fld)
        column = column_letter(j) if j is not None else fld
        self.problems.append(Problem(self.file, row, f"{self.grid.name}!{column}", message))

    def record(self, cells: list[Any], row: int) -> dict[str, Any]:
        """One row as a referral record (its bad values noted as problems)."""
        rec: dict[str, Any] = {}
        for end in ("from", "to"):
            value = self.get(cells, end)
            sid = self.by_key.get(v.norm(value)) if value is not None else None
            if sid is None:
                self.fail(
                    row,
                    end,
                    f"'{value}' is not a service of the mapping" + suggest(str(value), self.names),
                )
            rec[end] = sid
        self._details(rec, cells, row)
        return {k: val for k, val in rec.items() if val is not None}

    def _details(self, rec: dict[str, Any], cells: list[Any], row: int) -> None:
        """What the route is for, its mode, delay, last test, source and notes."""
        if (needs := self.get(cells, "for")) is not None:
            try:
                rec["for"] = v.parse_categories(needs)
            except ValueError as e:
                self.fail(row, "for", str(e))
        if (given := self.get(cells, "mode")) is not None:
            rec["mode"] = MODE_WORDS.get(v.norm(given))
            if rec["mode"] is None:
                self.fail(
                    row,
                    "mode",
                    f"'{given}' is not a referral mode "
                    "(escorted, accompanied-call, phone, form, self)",
                )
        for fld, parse in (("delay_hours", v.parse_float), ("last_tested", v.parse_date)):
            if (value := self.get(cells, fld)) is not None:
                try:
                    rec[fld] = parse(value)
                except ValueError as e:
                    self.fail(row, fld, str(e))
        for fld in ("source", "notes"):
            if (value := self.get(cells, fld)) is not None:
                rec[fld] = str(value).strip()


def _referrals(
    path: Path, grid: Grid, services: list[dict[str, Any]], report: ImportReport
) -> tuple[list[dict[str, Any]], list[Origin], list[Problem]]:
    """The referral routes of a sheet (none if it has no 'from' and 'to' columns)."""
    header = find_header(grid, REFERRAL_HEADERS, required=("from", "to"))
    if header is None or not {"from", "to"} <= set(header.fields):
        return [], [], []
    file = display_path(path)
    routes = _Routes(file, grid, header, services)
    columns = {f: column_letter(j) for f, j in header.fields.items()}
    out, origins = [], []
    for i in range(header.data_start, len(grid.rows)):
        cells = grid.rows[i]
        if all(_empty(c) for c in cells):
            continue
        out.append(routes.record(cells, i + 1))
        origins.append(Origin(file, grid.name, i + 1, dict(columns)))
    report.matched += [
        (f"{grid.name}!{header.labels[j]}", f"referrals.{f}") for f, j in header.fields.items()
    ]
    return out, origins, routes.problems


# --- the whole import --------------------------------------------------------------------------


def read_sheet(path: Path, site: SiteOptions, *, sheet: str | None = None) -> Imported:
    """Read an XLSX or CSV service mapping into inventory records and a report."""
    file = display_path(path)
    report = ImportReport(file)
    grids = _grids(path, report, sheet=sheet)
    services_grid, header = _services_sheet(path, grids)
    reader = _Reader(path, services_grid, header, report)
    services, origins = reader.services()
    report.matched += [
        (f"{services_grid.name}!{header.labels[j]}", f) for f, j in header.fields.items()
    ]
    report.ignored += header.ignored
    referrals: list[dict[str, Any]] = []
    ref_origins: list[Origin] = []
    problems: list[Problem] = []
    if not reader.problems:  # routes wait until the services are right
        referrals, ref_origins, problems = _routes(path, grids, services_grid, services, report)
    problems = capped(reader.problems + problems, file)
    if problems:
        raise ValidationError(problems)
    if not services:
        raise ValidationError(
            [Problem(file, header.row + 1, services_grid.name, "no service rows under the header")]
        )
    found = _site_country(services_grid, header)
    block = site_block(site, found=found, source=file, report=report)
    confidential = sum(1 for s in services if s.get("confidential"))
    if confidential:
        report.notes.append(
            f"{confidential} confidential service(s): their exact locations stay in the YAML; "
            "maps and exports show them at area level only"
        )
    report.services, report.referrals = len(services), len(referrals)
    data = {"site": block, "services": services, "referrals": referrals}
    return Imported(data, report, origins, ref_origins)


def _grids(path: Path, report: ImportReport, *, sheet: str | None) -> list[Grid]:
    """The file's sheets; the one named `sheet` first."""
    csv_like = path.suffix.lower() in (".csv", ".tsv", ".txt")
    grids = read_csv(path, report) if csv_like else read_xlsx(path)
    if sheet is None:
        return grids
    chosen = [g for g in grids if g.name == sheet]
    if not chosen:
        raise InventoryError(
            f"{display_path(path)}: no sheet '{sheet}' (sheets: {', '.join(g.name for g in grids)})"
        )
    return chosen + [g for g in grids if g.name != sheet]


def _services_sheet(path: Path, grids: list[Grid]) -> tuple[Grid, Header]:
    """The first sheet with a header of services, and that header; a `ValidationError` naming
    what is missing when there is none, or when it has no category or coordinate columns."""
    for g in grids:
        header = find_header(g, HEADERS, required=("name", "categories"))
        if header is not None and "name" in header.fields:
            _check_columns(path, g, header)
            return g, header
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


def _check_columns(path: Path, grid: Grid, header: Header) -> None:
    """Refuse a services header without a category column or coordinate columns."""
    missing = []
    if "categories" not in header.fields:
        missing.append(
            "no column for the service categories (e.g. 'Catégorie', 'Category', "
            "'Type de service', #service+type)"
        )
    if not ({"lat", "lon"} <= set(header.fields) or "coordinates" in header.fields):
        missing.append(
            "no columns for the coordinates (e.g. 'Latitude' and 'Longitude', #geo+lat "
            "and #geo+lon)"
        )
    if missing:
        file = display_path(path)
        raise ValidationError([Problem(file, header.row + 1, grid.name, m) for m in missing])


def _routes(
    path: Path,
    grids: list[Grid],
    services_grid: Grid,
    services: list[dict[str, Any]],
    report: ImportReport,
) -> tuple[list[dict[str, Any]], list[Origin], list[Problem]]:
    """The referral routes of the first other sheet that has some (or problems with them)."""
    for g in grids:
        if g is services_grid:
            continue
        refs, origins, problems = _referrals(path, g, services, report)
        if refs or problems:
            return refs, origins, problems
        report.left_out.append(f"sheet '{g.name}': neither services nor referral routes")
    return [], [], []


def _site_country(grid: Grid, header: Header) -> dict[str, Any]:
    """{country} when every service row that names a country names the same one."""
    j = header.fields.get("country")
    if j is None:
        return {}
    countries = {
        str(row[j]).strip().upper()
        for row in grid.rows[header.data_start :]
        if j < len(row) and not _empty(row[j])
    }
    return {"country": countries.pop()} if len(countries) == 1 else {}
