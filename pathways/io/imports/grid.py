"""A spreadsheet's sheets as grids of values: an XLSX workbook or a CSV file, read within bounds.

A workbook is streamed with openpyxl's read-only mode, which reads only the cells the file
stores: a sheet whose declared dimension is A1:XFD1048576, or which holds one stray value
there, costs its stored cells, never the 17 billion cells between. Read-only mode skips merged
ranges, so they are read from each worksheet's `<mergeCells>` with openpyxl's own classes (and
its XML parser, defusedxml's when installed) and refused when they cover more than `MAX_CELLS`.
Every value of a merged range is the value of its top-left cell, as Excel shows it.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pathways.io.imports.limits import MAX_CELLS, check_size, open_zip
from pathways.io.imports.records import ImportReport
from pathways.model.errors import Problem, ValidationError, display_path

WORKBOOK = "Excel workbook (.xlsx)"
"""How messages name the kind of file."""

MAX_ROWS = 1_048_576
"""Excel's last row: a sheet claiming rows past it is not read further."""


@dataclass
class Grid:
    """A sheet's cells as rows of values (merged ranges filled), with its name."""

    name: str
    rows: list[list[Any]]


# --- XLSX --------------------------------------------------------------------------------------


def read_xlsx(path: Path) -> list[Grid]:
    """The sheets of a workbook, bounded: a zip bomb, a stray value at XFD1048576 or a merged
    range over the whole sheet is refused (or trimmed) before it costs memory or time."""
    name = display_path(path)
    open_zip(path, WORKBOOK).close()  # its size and members checked before openpyxl reads it
    with path.open("rb") as f:  # ours to close: openpyxl leaves a file open when it fails
        try:
            return _read_workbook(f, name)
        except ValidationError:
            raise
        except Exception as e:  # openpyxl raises whatever its zip and XML readers raise
            detail = " ".join(str(e).split())[:200] or type(e).__name__
            raise ValidationError(
                [Problem(name, 0, "", f"not a readable {WORKBOOK}: {detail}")]
            ) from None


def _read_workbook(f: IO[bytes], file: str) -> list[Grid]:
    # openpyxl is imported when a workbook is read: the command line starts without it
    from openpyxl.reader.excel import ExcelReader

    reader = ExcelReader(f, read_only=True, data_only=True)
    reader.read()
    try:
        merged = _merged_ranges(reader, file)
        return [_grid(ws, merged.get(ws.title, []), file) for ws in reader.wb.worksheets]
    finally:
        reader.wb.close()


def _merged_ranges(reader: Any, file: str) -> dict[str, list[Any]]:
    """Each worksheet's merged ranges (openpyxl `CellRange`s), by sheet title; refused when
    they cover more than `MAX_CELLS` cells in all (A1:XFD1048576 is 17 billion)."""
    out: dict[str, list[Any]] = {}
    total = 0
    for sheet, rel in reader.parser.find_sheets():
        if "chartsheet" in rel.Type or rel.target not in reader.valid_files:
            continue
        xml = reader.archive.read(rel.target)  # its size checked by `open_zip`
        out[sheet.name] = ranges = _merge_cells(xml) if b"mergeCell" in xml else []
        for rng in ranges:
            total += rng.size["rows"] * rng.size["columns"]
            if total > MAX_CELLS:
                raise ValidationError(
                    [
                        Problem(
                            file,
                            rng.min_row,
                            f"{sheet.name}!{rng.coord}",
                            f"merged range {rng.coord} covers more than {MAX_CELLS:,} cells: "
                            "unmerge it",
                        )
                    ]
                )
    return out


def _merge_cells(xml: bytes) -> list[Any]:
    """The merged ranges of one worksheet's XML, each once, in the order the file lists them
    (the last `<mergeCells>` counts, as when openpyxl reads the sheet in full)."""
    from openpyxl.worksheet.merge import MergeCells  # openpyxl: see _read_workbook
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    ranges, one = f"{{{SHEET_MAIN_NS}}}mergeCells", f"{{{SHEET_MAIN_NS}}}mergeCell"
    found: list[Any] = []
    for _, element in iterparse(io.BytesIO(xml)):
        if element.tag == ranges:
            found = list(MergeCells.from_tree(element).mergeCell)
        if element.tag != one:
            element.clear()  # a sheet's rows are not kept: only its merged ranges
    unique: dict[str, Any] = {}
    for rng in found:
        unique.setdefault(rng.coord, rng)
    return list(unique.values())


def _grid(ws: Any, merged: list[Any], file: str) -> Grid:
    """A worksheet's values as rows, up to the last value of each row; merged ranges filled
    (within the table: the rows and columns that hold values)."""
    rows = _values(ws, file)
    _unmerge(rows, merged)
    _trim(rows)
    _fill(rows, merged, ws.title, file)
    return Grid(ws.title, rows)


def _values(ws: Any, file: str) -> list[list[Any]]:
    """The stored values of a read-only worksheet, row by row (empty rows as `[]`)."""
    ws.reset_dimensions()  # the declared dimension may be huge or wrong: rows end at their cells
    stream = itertools.islice(ws.iter_rows(values_only=True), MAX_ROWS + 1)
    rows = [_cut(list(values)) if values else [] for values in stream]
    if len(rows) > MAX_ROWS:
        raise ValidationError(
            [
                Problem(
                    file,
                    MAX_ROWS + 1,
                    ws.title,
                    f"rows past Excel's last row ({MAX_ROWS:,}): save the sheet again from "
                    "Excel or a spreadsheet program",
                )
            ]
        )
    return rows


def _cut(row: list[Any]) -> list[Any]:
    """A row without its trailing empty (None) cells."""
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    del row[end:]
    return row


def _trim(rows: list[list[Any]]) -> None:
    """The rows after the last value dropped."""
    while rows and not rows[-1]:
        rows.pop()


def _cells(rng: Any, rows: list[list[Any]], width: int | None = None) -> Iterable[tuple[int, int]]:
    """The (row, column) indexes (0-based) of a merged range inside the table: its rows that
    exist, up to `width` columns (each row's length when None)."""
    for r in range(rng.min_row - 1, min(rng.max_row, len(rows))):
        right = min(rng.max_col, len(rows[r]) if width is None else width)
        for c in range(rng.min_col - 1, right):
            yield r, c


def _unmerge(rows: list[list[Any]], merged: list[Any]) -> None:
    """Only the top-left cell of a merged range holds a value, as when openpyxl reads the sheet
    in full (a value stored under the range is not shown by Excel)."""
    touched: set[int] = set()
    for rng in merged:
        for r, c in _cells(rng, rows):
            if (r, c) != (rng.min_row - 1, rng.min_col - 1):
                rows[r][c] = None
                touched.add(r)
    for r in touched:
        _cut(rows[r])


def _fill(rows: list[list[Any]], merged: list[Any], title: str, file: str) -> None:
    """Every cell of a merged range inside the table gets the range's top-left value."""
    if not merged:
        return
    width = max(map(len, rows), default=0)
    filled = sum(1 for row in rows for value in row if value is not None)
    tops = [_at(rows, rng.min_row - 1, rng.min_col - 1) for rng in merged]
    for rng, value in zip(merged, tops, strict=True):
        top, right = min(rng.max_row, len(rows)), min(rng.max_col, width)
        filled += max(0, top - rng.min_row + 1) * max(0, right - rng.min_col + 1)
        if filled > MAX_CELLS:
            raise ValidationError(
                [
                    Problem(
                        file,
                        rng.min_row,
                        f"{title}!{rng.coord}",
                        f"merged cells fill more than {MAX_CELLS:,} cells: unmerge them",
                    )
                ]
            )
        for r, c in _cells(rng, rows, width):
            row = rows[r]
            if len(row) <= c:
                row.extend([None] * (c + 1 - len(row)))
            row[c] = value


def _at(rows: list[list[Any]], r: int, c: int) -> Any:
    return rows[r][c] if r < len(rows) and c < len(rows[r]) else None


# --- CSV ---------------------------------------------------------------------------------------


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


def read_csv(path: Path, report: ImportReport) -> list[Grid]:
    """A CSV file as one grid: its delimiter sniffed (comma, semicolon or tab), its encoding
    guessed (`_decode`)."""
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
