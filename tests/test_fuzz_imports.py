"""Bad input never crashes `pathways import`: it imports, or it fails with InventoryError naming
the file (and sheet, row and column where there is one), and the output is never half-written.

Hypothesis drives random spreadsheets (CSV in any encoding, line ending and delimiter; XLSX with
random cells of every type, merged ranges and several sheets), mutated workbooks and zips, and
random or mutated HSDS packages (JSON, CSV folder, zip) and GeoJSON. Pathological files (binary
garbage named .xlsx, zip bombs as .xlsx and as HSDS zips, a cell at XFD1048576, a merged range
over the whole sheet, XML entity bombs, deep JSON, huge sparse files, non-UTF-8 CSV) are tried
one by one on the command line in a child process with its memory capped
(`MEMORY_LIMIT`) and a time limit (`TIME_LIMIT`): exit 1, one line per problem, no traceback.

Each example must finish within `EXAMPLE_SECONDS` (a hang fails the test). The default profile
is quick (the file runs in well under 30 s); `HYPOTHESIS_PROFILE=long pytest
tests/test_fuzz_imports.py` runs the long one.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import io
import json
import os
import random
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pathways.cli import main
from pathways.io.export import ExportOptions, export
from pathways.io.imports import SiteOptions, import_file, write_inventory
from pathways.io.load import load_site
from pathways.model.errors import InventoryError, ValidationError

settings.register_profile(
    "long", max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "default", max_examples=25, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny.yaml"
SITE = SiteOptions(id="fuzz", country="BE", name="Fuzz Town")
EXAMPLE_SECONDS = 20
"""No single import may take longer (a hang fails the test)."""
TIME_LIMIT = 60
"""A hang guard, not a speed check: the child importing every pathological file is killed after
twice this (each takes under 2 s; the seconds are printed, and `bench/` measures speed)."""
MEMORY_LIMIT = 2 * 2**30
"""Address space of the child process that imports the pathological files (RLIMIT_AS)."""
PREVIOUS = "# the previous version of the inventory\n"


class Hang(Exception):
    """An import ran past EXAMPLE_SECONDS."""


@contextlib.contextmanager
def bounded(seconds: float = EXAMPLE_SECONDS) -> Iterator[None]:
    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"no answer after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def check(path: Path, *, sheet: str | None = None) -> str:
    """Import `path` over an existing output: it imports and loads, or it fails cleanly and
    leaves the output as it was. Returns "ok" or "refused"."""
    out = path.parent / "out.yaml"
    out.write_text(PREVIOUS, encoding="utf-8")
    try:
        with bounded():
            inventory = write_inventory(import_file(path, SITE, sheet=sheet), out)
    except ValidationError as e:
        assert e.problems, "a ValidationError lists its problems"
        for p in e.problems:
            assert path.name in p.file or out.name in p.file, p
            assert p.line >= 0 and "\n" not in str(p), p
        result = "refused"
    except InventoryError as e:
        assert path.name in str(e) or out.name in str(e) or "--" in str(e), e
        result = "refused"
    else:
        assert load_site(out) == inventory
        result = "ok"
    if result == "refused":
        assert out.read_text(encoding="utf-8") == PREVIOUS, "the previous version was touched"
    leftovers = [f.name for f in path.parent.iterdir() if f.name.startswith(".out.")]
    assert not leftovers, leftovers
    return result


# --- cells ---------------------------------------------------------------------------------------

HEADER_WORDS = [
    "Nom du service",
    "Service",
    "Organisation",
    "Catégorie",
    "Category",
    "Type de service",
    "Latitude",
    "Longitude",
    "Coordonnées",
    "Adresse",
    "Commune",
    "Horaires",
    "Langues",
    "Point d'entrée",
    "Téléphone",
    "Email",
    "Site web",
    "Public cible",
    "Âge min",
    "Âge max",
    "Coût",
    "Confidentiel",
    "Remarques",
    "Dernière vérification",
    "Conditions",
    "Statut légal",
    "Pays",
    "Interprète",
    "Nom du contact",
    "#loc+name",
    "#service+type",
    "#geo+lat",
    "#geo+lon",
    "#meta+id",
    "",
]
WORDS = [
    "Police",
    "Santé mentale",
    "Prise en charge clinique du viol",
    "health.cmr",
    "legal, mhpss",
    "Hébergement",
    "oui",
    "non",
    "x",
    "24/7",
    "lun-ven 9h-17h",
    "ven 22h-6h",
    "Français, Arabe",
    "fr",
    "50.835",
    "4,348",
    "50,8466; 4,3528",
    "femmes, filles",
    "gratuit",
    "2026-01-31",
    "31/02/2026",
    "+32 2 000 00 01",
    "BE",
    "nan",
    "inf",
    "-0",
    "1e400",
    "=1/0",
    "<script>alert(1)</script>",
    "\u202eevil\u202c",
    "\ufeff",
    "a\x00b",
    "\r\n",
    "\U0001f600",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\ud800",
]
text_cells = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=30),
    st.from_regex(r"-?\d{1,3}([.,]\d{1,8})?", fullmatch=True),
)
csv_cells = text_cells
xlsx_cells = st.one_of(
    st.none(),
    text_cells,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1)),
    st.times(),
)


def header_rows(cells: st.SearchStrategy[Any]) -> st.SearchStrategy[list[list[Any]]]:
    """A header (known words or random) and up to 6 rows of cells."""
    header = st.lists(st.sampled_from(HEADER_WORDS) | cells, min_size=1, max_size=10)
    return header.flatmap(
        lambda h: st.lists(st.lists(cells, min_size=0, max_size=len(h) + 2), max_size=6).map(
            lambda rows: [h, *rows]
        )
    )


# --- CSV -----------------------------------------------------------------------------------------


def _csv_bytes(rows: list[list[Any]], delimiter: str, newline: str, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerows([[str(c) for c in r] for r in rows])
    return buffer.getvalue().encode(
        encoding, errors="surrogatepass" if "utf" in encoding else "replace"
    )


@given(
    header_rows(csv_cells),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]),
)
def test_random_csv(tmp_path_factory, rows, delimiter, newline, encoding):
    folder = tmp_path_factory.mktemp("csv")
    path = folder / "mapping.csv"
    path.write_bytes(_csv_bytes(rows, delimiter, newline, encoding))
    check(path)


@given(st.binary(max_size=600), st.sampled_from(["x.csv", "x.tsv", "x.txt"]))
def test_binary_garbage_as_csv(tmp_path_factory, blob, name):
    path = tmp_path_factory.mktemp("bin") / name
    path.write_bytes(blob)
    check(path)


def _valid_csv_rows() -> list[list[Any]]:
    return [
        ["Nom du service", "Catégorie", "Latitude", "Longitude", "Horaires", "Confidentiel"],
        ["Hôpital", "Prise en charge clinique du viol", "50.835", "4.348", "24/7", "non"],
        ["Police", "Police", "50,8466", "4,3528", "lun-ven 8h-18h", ""],
        ["Maison", "Hébergement", "50.82", "4.37", "", "oui"],
    ]


@given(st.integers(0, 3), st.integers(0, 5), text_cells)
def test_one_bad_cell_in_a_good_csv(tmp_path_factory, row, column, value):
    rows = _valid_csv_rows()
    rows[row][column] = value
    path = tmp_path_factory.mktemp("cell") / "mapping.csv"
    path.write_bytes(_csv_bytes(rows, ",", "\r\n", "utf-8-sig"))
    check(path)


# --- XLSX ----------------------------------------------------------------------------------------


def _workbook(sheets: list[list[list[Any]]], merges: list[tuple[int, int, int, int]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for n, rows in enumerate(sheets):
        ws = wb.create_sheet(f"S{n}" if n else "Services")
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if isinstance(value, str):
                    value = "".join(ch for ch in value if ch.isprintable() or ch in "\t\n")
                    value = value.encode("utf-8", "ignore").decode("utf-8")
                with contextlib.suppress(ValueError, TypeError):  # openpyxl refuses some values
                    ws.cell(r, c).value = value
        for r0, c0, dr, dc in merges if n == 0 else ():
            with contextlib.suppress(ValueError):
                ws.merge_cells(start_row=r0, start_column=c0, end_row=r0 + dr, end_column=c0 + dc)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


merges = st.lists(
    st.tuples(st.integers(1, 8), st.integers(1, 8), st.integers(0, 3), st.integers(0, 3)),
    max_size=3,
)


@given(st.lists(header_rows(xlsx_cells), min_size=1, max_size=3), merges)
def test_random_workbook(tmp_path_factory, sheets, merged):
    path = tmp_path_factory.mktemp("xlsx") / "mapping.xlsx"
    path.write_bytes(_workbook(sheets, merged))
    check(path)


def _field_workbook() -> bytes:
    from tests.test_imports import field_workbook

    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    path = field_workbook(folder / f"fuzz-field-{os.getpid()}.xlsx")
    data = path.read_bytes()
    path.unlink()
    return data


FIELD_WORKBOOK = _field_workbook()


def _mutate_zip(blob: bytes, seed: int, how: str) -> bytes:
    """A zip with one member's XML damaged (bytes flipped, cut, or tags duplicated)."""
    rnd = random.Random(seed)
    src = zipfile.ZipFile(io.BytesIO(blob))
    names = src.namelist()
    victim = names[seed % len(names)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in names:
            data = src.read(name)
            if name == victim and data:
                if how == "flip":
                    data = bytearray(data)
                    for _ in range(rnd.randint(1, 8)):
                        data[rnd.randrange(len(data))] = rnd.randrange(256)
                    data = bytes(data)
                elif how == "cut":
                    data = data[: rnd.randrange(len(data))]
                elif how == "dup":
                    i = rnd.randrange(len(data))
                    data = data[:i] + data[i : i + 200] * 3 + data[i:]
            if how != "drop" or name != victim:
                z.writestr(name, data)
    return out.getvalue()


@given(st.integers(0, 10**6), st.sampled_from(["flip", "cut", "dup", "drop"]))
def test_damaged_workbook(tmp_path_factory, seed, how):
    path = tmp_path_factory.mktemp("damaged") / "mapping.xlsx"
    path.write_bytes(_mutate_zip(FIELD_WORKBOOK, seed, how))
    check(path)


@given(st.integers(0, 10**6), st.integers(1, 40))
def test_workbook_bytes_flipped(tmp_path_factory, seed, n):
    rnd = random.Random(seed)
    data = bytearray(FIELD_WORKBOOK)
    for _ in range(n):
        data[rnd.randrange(len(data))] = rnd.randrange(256)
    path = tmp_path_factory.mktemp("flipped") / "mapping.xlsx"
    path.write_bytes(bytes(data))
    check(path)


@given(st.binary(max_size=600))
def test_binary_garbage_as_xlsx(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("garbage") / "mapping.xlsx"
    path.write_bytes(b"PK\x03\x04" + blob if blob[:1] == b"\x00" else blob)
    check(path)


# --- HSDS ----------------------------------------------------------------------------------------


def _tiny_hsds(folder: Path, suffix: str) -> Path:
    return export(
        load_site(TINY), folder / f"tiny-hsds{suffix}", format="hsds", options=ExportOptions()
    )


HSDS_KEYS = [
    "service",
    "services",
    "contents",
    "organization",
    "location",
    "service_at_location",
    "attribute",
    "attributes",
    "taxonomy_term",
    "schedule",
    "phones",
    "languages",
    "referral_atlas",
    "site",
    "id",
    "name",
    "latitude",
    "longitude",
    "service_id",
    "location_id",
    "link_id",
    "taxonomy_term_id",
    "code",
    "value",
    "from",
    "to",
    "status",
    "byday",
    "opens_at",
    "closes_at",
    "minimum_age",
]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.text(max_size=15),
    st.sampled_from(["health.cmr", "referral", "50.8", "4.3", "MO,TU", "09:00", "inactive"]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(HSDS_KEYS), children, max_size=6)
    ),
    max_leaves=30,
)


@given(json_values)
def test_random_hsds_json(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("hsds") / "package.json"
    path.write_text(json.dumps(data, allow_nan=True), encoding="utf-8")
    check(path)


def _tables(folder: Path) -> dict[str, Any]:
    return json.loads(_tiny_hsds(folder, ".json").read_text(encoding="utf-8"))


def _poke(doc: Any, path: list[int], value: Any) -> Any:
    """Set the item found by following indices `path` through dicts and lists to `value`."""
    node = doc
    for i, step in enumerate(path):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = keys[step % len(keys)]
        child = node[key]
        if i == len(path) - 1 or not isinstance(child, dict | list):
            node[key] = value
            break
        node = child
    return doc


@given(st.lists(st.integers(0, 50), min_size=1, max_size=4), json_values, st.integers(1, 3))
def test_mutated_hsds_tables(tmp_path_factory, where, value, times):
    folder = tmp_path_factory.mktemp("tables")
    doc = _tables(folder)
    for k in range(times):
        doc = _poke(copy.deepcopy(doc), [w + k for w in where], value)
    path = folder / "mutated.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    check(path)


TINY_ZIP = None


def _zip_members() -> dict[str, bytes]:
    global TINY_ZIP
    if TINY_ZIP is None:
        folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"fuzz-hsds-{os.getpid()}"
        folder.mkdir(exist_ok=True)
        path = _tiny_hsds(folder, ".zip")
        with zipfile.ZipFile(path) as z:
            TINY_ZIP = {n: z.read(n) for n in z.namelist()}
        path.unlink()
        folder.rmdir()
    return TINY_ZIP


@given(
    st.integers(0, 10**6),
    st.sampled_from(["cell", "flip", "cut", "drop", "bom", "latin1", "extra"]),
    text_cells,
    st.sampled_from([".zip", "folder"]),
)
@example(11891, "cell", "Police", ".zip")  # a 'serves' extension cell that is no group (CI)
def test_mutated_hsds_package(tmp_path_factory, seed, how, value, form):
    rnd = random.Random(seed)
    members = dict(_zip_members())
    name = sorted(members)[seed % len(members)]
    data = members[name]
    if how == "cell" and name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        if len(rows) > 1:
            r, c = rnd.randrange(len(rows)), rnd.randrange(len(rows[0]))
            rows[r] += [""] * (c + 1 - len(rows[r]))
            rows[r][c] = value
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        data = buffer.getvalue().encode("utf-8", "surrogatepass")
    elif how == "flip" and data:
        b = bytearray(data)
        b[rnd.randrange(len(b))] = rnd.randrange(256)
        data = bytes(b)
    elif how == "cut":
        data = data[: rnd.randrange(len(data) + 1)]
    elif how == "bom":
        data = b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    elif how == "latin1":
        data = data.decode("utf-8").encode("latin-1", "replace")
    elif how == "extra":
        safe = "".join(c for c in value if c.isalnum()) or "x"
        members[f"../../{safe}.csv"[:60]] = value.encode("utf-8", "surrogatepass")
    if how == "drop":
        members.pop(name)
    else:
        members[name] = data
    folder = tmp_path_factory.mktemp("package")
    if form == ".zip":
        path = folder / "package.zip"
        with zipfile.ZipFile(path, "w") as z:
            for n, d in members.items():
                z.writestr(n, d)
    else:
        path = folder / "package"
        path.mkdir()
        for n, d in members.items():
            target = path / Path(n).name
            if target.name and not target.name.startswith("."):
                target.write_bytes(d)
    check(path)


@given(st.binary(max_size=600), st.sampled_from(["x.zip", "x.json", "x.geojson"]))
def test_binary_garbage_as_hsds_or_geojson(tmp_path_factory, blob, name):
    path = tmp_path_factory.mktemp("garbage") / name
    path.write_bytes(blob)
    check(path)


@given(st.lists(st.integers(0, 50), min_size=1, max_size=4), json_values)
def test_mutated_geojson(tmp_path_factory, where, value):
    folder = tmp_path_factory.mktemp("geojson")
    source = export(
        load_site(TINY), folder / "tiny.geojson", format="geojson", options=ExportOptions()
    )
    doc = _poke(json.loads(source.read_text(encoding="utf-8")), where, value)
    path = folder / "mutated.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    check(path)


# --- pathological files, on the command line, memory and time capped -----------------------------


def _xlsx_parts(sheet: bytes, *, shared: bytes | None = None) -> dict[str, bytes]:
    ct = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        b'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
        b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        b'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        b'Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
        b'.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
        b"</sheets></workbook>"
    )
    wb_rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        b'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        b'Target="worksheets/sheet1.xml"/></Relationships>'
    )
    parts = {
        "[Content_Types].xml": ct,
        "_rels/.rels": rels,
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": wb_rels,
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    return parts


def _row(r: int, *cells: str | float) -> bytes:
    out = []
    for c, value in zip("ABCD", cells, strict=False):
        if isinstance(value, str):
            out.append(f'<c r="{c}{r}" t="inlineStr"><is><t>{value}</t></is></c>')
        else:
            out.append(f'<c r="{c}{r}"><v>{value}</v></c>')
    return f'<row r="{r}">{"".join(out)}</row>'.encode()


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main"><sheetData>'
    + _row(1, "Nom du service", "Catégorie", "Latitude", "Longitude")
    + _row(2, "Police", "Police", 50.8466, 4.3528)
)
"""A header and one good service; the cases add what breaks it."""


def _write_zip(path: Path, parts: dict[str, bytes], *, huge: dict[str, int] = {}) -> Path:  # noqa: B006
    """A zip of `parts`, plus members of `huge[name]` zero bytes (streamed: small on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            z.writestr(name, data)
        for name, size in huge.items():
            with z.open(name, "w", force_zip64=True) as f:
                chunk = b"\x00" * 2**20 if not name.endswith(".csv") else b"a," * 2**19
                for _ in range(size // len(chunk)):
                    f.write(chunk)
    return path


def _pathological(name: str, folder: Path) -> Path:
    far_cell = SHEET_HEAD + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'  # stray
    far_cell += b"</sheetData></worksheet>"
    far_row = SHEET_HEAD + b'<row r="99999999"><c r="A99999999"><v>1</v></c></row>'  # past Excel
    far_row += b"</sheetData></worksheet>"
    merged = SHEET_HEAD + b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/>'
    merged += b"</mergeCells></worksheet>"
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    laughs += b"".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    laughs += b'<!ELEMENT lolz (#PCDATA)>]><worksheet xmlns="http://schemas.openxmlformats.org/'
    laughs += b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    laughs += b"&lol9;</t></is></c></row></sheetData></worksheet>"
    many_rows = SHEET_HEAD + b"".join(  # 30,000 services without a category
        _row(r, f"S{r}", "", 50.8, 4.3) for r in range(3, 30_003)
    )
    many_rows += b"</sheetData></worksheet>"
    deep = "[" * 200_000 + "]" * 200_000
    huge_csv_row = b"Nom du service,Categorie,Latitude,Longitude\n" + b"A" * 300_000
    makers = {
        "bomb.xlsx": lambda p: _write_zip(
            p,
            _xlsx_parts(SHEET_HEAD + b"</sheetData></worksheet>"),
            huge={"xl/styles.xml": 100 * 2**20},
        ),
        "bomb-sheet.xlsx": lambda p: _write_zip(
            p,
            {k: v for k, v in _xlsx_parts(b"").items() if "sheet1" not in k},
            huge={"xl/worksheets/sheet1.xml": 100 * 2**20},
        ),
        "many-members.xlsx": lambda p: _write_zip(
            p, {**_xlsx_parts(far_cell), **{f"x/{i}.xml": b"" for i in range(20_000)}}
        ),
        "far-cell.xlsx": lambda p: _write_zip(p, _xlsx_parts(far_cell)),
        "far-row.xlsx": lambda p: _write_zip(p, _xlsx_parts(far_row)),
        "merged-everything.xlsx": lambda p: _write_zip(p, _xlsx_parts(merged)),
        "entity-bomb.xlsx": lambda p: _write_zip(p, _xlsx_parts(laughs)),
        "many-rows.xlsx": lambda p: _write_zip(p, _xlsx_parts(many_rows)),
        "garbage.xlsx": lambda p: _put(p, random.Random(1).randbytes(5000)),
        "empty.xlsx": lambda p: _put(p, b""),
        "bomb-hsds.zip": lambda p: _write_zip(
            p, {}, huge={"services.csv": 20 * 2**20, "locations.csv": 20 * 2**20}
        ),
        "bomb-one-member-hsds.zip": lambda p: _write_zip(p, {}, huge={"services.csv": 100 * 2**20}),
        "deep.json": lambda p: _put(p, deep),
        "deep-service.json": lambda p: _put(
            p, '{"services": [' + '{"phones": [' * 50_000 + "]}" * 50_000 + "]}"
        ),
        "huge.json": lambda p: _sparse(p, 300 * 2**20),
        "huge.csv": lambda p: _sparse(p, 300 * 2**20),
        "huge.xlsx": lambda p: _sparse(p, 300 * 2**20),
        "huge-field.csv": lambda p: _put(p, huge_csv_row + b",Police,50.8,4.3\n"),
        "utf16.csv": lambda p: _put(
            p, "Nom du service,Catégorie,Latitude,Longitude\nA,Police,50.8,4.3\n".encode("utf-16")
        ),
        "nul.csv": lambda p: _put(p, b"Nom du service,Categorie\x00\nA,B\n"),
        "overflow.csv": lambda p: _put(
            p,
            b"Nom du service,Categorie,Latitude,Longitude,Age min,Age max\n"
            b"A,Police,50.8,4.3,1e400,nan\n",
        ),
        "no-rows.csv": lambda p: _put(p, b"\xef\xbb\xbfNom du service;Cat\xe9gorie\r\n"),
        "surrogate.json": lambda p: _put(
            p, json.dumps({"service": [{"id": "s", "name": "\ud800"}], "attribute": [{}]})
        ),
    }
    path = folder / name
    result = makers[name](path)
    assert result == path and path.exists()
    return path


def _put(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as f:  # sparse: large on paper, nothing on disk
        f.truncate(size)
    return path


PATHOLOGICAL = [
    "bomb.xlsx",
    "bomb-sheet.xlsx",
    "many-members.xlsx",
    "far-cell.xlsx",
    "far-row.xlsx",
    "merged-everything.xlsx",
    "entity-bomb.xlsx",
    "many-rows.xlsx",
    "garbage.xlsx",
    "empty.xlsx",
    "bomb-hsds.zip",
    "bomb-one-member-hsds.zip",
    "deep.json",
    "deep-service.json",
    "huge.json",
    "huge.csv",
    "huge.xlsx",
    "huge-field.csv",
    "nul.csv",
    "overflow.csv",
    "no-rows.csv",
    "surrogate.json",
]


CHILD = """
import contextlib, io, json, resource, sys, time
from pathlib import Path

resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from pathways.cli import main

folder = Path(sys.argv[1])
results = {{}}
for name in sys.argv[2:]:
    out = folder / name / "out.yaml"
    err = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(["import", str(folder / name / name), "--site", "fuzz", "--country", "BE",
                         "--out", str(out)])
        except BaseException as e:  # a crash (MemoryError included) is the finding
            code = f"crash: {{type(e).__name__}}: {{e}}"[:500]
    results[name] = {{
        "code": code,
        "stderr": err.getvalue(),
        "seconds": round(time.perf_counter() - start, 2),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }}
(folder / "results.json").write_text(json.dumps(results, indent=1))
"""
"""Imports every pathological file in one child process (one interpreter start), its address
space capped at MEMORY_LIMIT, as `pathways import` does (`main`, output to stderr)."""


@pytest.fixture(scope="module")
def pathological(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("pathological")
    for name in PATHOLOGICAL:
        (folder / name).mkdir()
        _pathological(name, folder / name)
        (folder / name / "out.yaml").write_text(PREVIOUS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(limit=MEMORY_LIMIT), str(folder), *PATHOLOGICAL],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT * 2,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((folder / "results.json").read_text())
    print("\npathological imports (seconds, peak MiB so far):")
    for name, r in results.items():
        print(f"  {name:<28} {r['seconds']:>6} s {r['peak_mib']:>6} MiB  exit {r['code']}")
    return {"folder": folder, "results": results}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_files_fail_cleanly_on_the_command_line(pathological, name):
    result = pathological["results"][name]
    folder = pathological["folder"] / name
    lines = result["stderr"].strip().splitlines()
    assert result["code"] == 1, result
    assert lines and all(name in line for line in lines), lines[:5]
    assert "Traceback" not in result["stderr"]
    assert (folder / "out.yaml").read_text(encoding="utf-8") == PREVIOUS
    assert sorted(f.name for f in folder.iterdir()) == sorted([name, "out.yaml"])


def test_the_command_line_reports_every_bad_row(tmp_path, capsys):
    rows = _valid_csv_rows()
    rows[1][1] = "Boulangerie"  # not a category
    rows[2][2] = "quarante"  # not a number
    rows.append(["", "Police", "50.8", "4.3", "", ""])  # no name
    path = tmp_path / "mapping.csv"
    path.write_bytes(_csv_bytes(rows, ";", "\r\n", "cp1252"))
    out = tmp_path / "out.yaml"
    assert main(["import", str(path), "--site", "fuzz", "--country", "BE", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3, err
    assert [line.split(":")[1] for line in err] == ["2", "3", "5"]
    assert all(line.startswith(str(path)) or "mapping.csv" in line for line in err)
    assert not out.exists()


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [("utf-16", "\r\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r"), ("latin-1", "\n")],
)
def test_encodings_and_line_endings_that_excel_writes_import(tmp_path, encoding, newline):
    """Excel's "Unicode text" (UTF-16, tabs), CSV UTF-8 (BOM, CRLF), old Mac and Windows CSV."""
    rows = _valid_csv_rows()
    rows[1][0] = "Hôpital Saint-Père"
    path = tmp_path / "mapping.txt"
    path.write_bytes(_csv_bytes(rows, "\t" if encoding == "utf-16" else ";", newline, encoding))
    assert check(path) == "ok"
    assert load_site(tmp_path / "out.yaml").services[0].name == "Hôpital Saint-Père"


def test_workbook_xml_is_parsed_by_defusedxml():
    """openpyxl refuses XML entity tricks only when defusedxml is installed (a dependency)."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML
