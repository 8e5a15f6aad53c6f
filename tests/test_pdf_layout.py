"""The PDF protocol's own line breaking (`pathways.io.export._pdf_layout`, issue #19).

Its lines are the ones fpdf2 makes (a Hypothesis property against `multi_cell`, for table cells
and for paragraphs with a bold lead); a table prints word for word where fpdf2's `table()` put
it (a shipped site's directory, both ways); a long cell wraps inside its column; every service
of a directory that runs over many pages is in it, under a heading row on every page.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.io.export._pdf import (
    FONT,
    HEAD_FILL,
    _directory,
    _heading,
    _make_pdf,
    protocol_pdf,
)
from pathways.io.export._pdf_layout import (
    TableStyle,
    _break_runs,
    _Measure,
    _Table,
    draw_table,
)
from pathways.io.export.protocol import build_protocol
from pathways.io.load import load_site
from pathways.public.privacy import public_view
from tests.factories import make_inventory, service

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2025-01-01"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="pdftotext is not installed (Debian package poppler-utils)",
)

_LETTERS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCMW0123456789éàçñ.,;:()/+'–·"))
LATIN = st.one_of(
    st.lists(st.text(_LETTERS, min_size=1, max_size=14), min_size=1, max_size=40).map(" ".join),
    st.text(st.one_of(_LETTERS, st.just(" ")), max_size=80),
)
"""Inventory-like text: words of letters of different widths, digits and punctuation; or any
run of those and spaces (leading, trailing, double)."""


def _pdf() -> Any:
    pdf = _make_pdf([])
    pdf.add_page()
    return pdf


@pytest.fixture(scope="module")
def pdf() -> Iterator[Any]:
    """One document for the properties' examples; written at the end (which closes its font
    files)."""
    document = _pdf()
    yield document
    document.output()


@settings(max_examples=200, deadline=None)
@given(text=LATIN, width=st.floats(8, 60), bold=st.booleans())
def test_a_cell_breaks_into_the_lines_fpdf2_makes(
    pdf: Any, text: str, width: float, bold: bool
) -> None:
    style = "B" if bold else ""
    pdf.set_font(FONT, style, 8.5)
    theirs = pdf.multi_cell(width, 3.9, text, padding=1, dry_run=True, output="LINES")
    table = _Table(pdf, TableStyle(FONT), shaped=lambda _: False)
    ours = [line.text for line in table.lines(((style, text),), width - 2)]
    assert ours == (theirs or [""])


@settings(max_examples=100, deadline=None)
@given(text=LATIN, width=st.floats(30, 182))
def test_a_paragraph_breaks_into_the_lines_fpdf2_makes(pdf: Any, text: str, width: float) -> None:
    """A bold lead, then regular text ('critical: ...'), as `multi_cell` with markdown."""
    pdf.set_font(FONT, "", 9.5)
    theirs = pdf.multi_cell(
        width, 4.3, f"**critical:** {text}", markdown=True, dry_run=True, output="LINES"
    )
    limit = width - 2 * pdf.c_margin
    lines = _break_runs([("B", "critical:"), ("", f" {text}")], limit, _Measure(pdf, FONT, 9.5))
    assert ["".join(t for _, t in line) for line in lines] == [s.replace("**", "") for s in theirs]


# --- as fpdf2 printed it -----------------------------------------------------------------------


def _md(text: str) -> str:
    for mark in ("**", "__", "--", "~~"):
        text = text.replace(mark, "\\" + mark)
    return text


def _fpdf2_table(
    pdf: Any, headings: list[str], rows: list[list[str]], *, widths: tuple[int, ...]
) -> None:
    """The directory as the protocol drew it before issue #19: fpdf2's `table()`."""
    from fpdf.fonts import FontFace

    pdf.set_font(FONT, "", 8.5)
    pdf.set_draw_color(187, 187, 187)
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        text_align="LEFT",
        v_align="TOP",
        line_height=3.9,
        padding=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL, color=(40, 20, 60)),
        markdown=True,
        repeat_headings=1,
    ) as table:
        for values in [headings, *rows]:
            row = table.row()
            for v in values:
                row.cell(v)


def _words(path: Path) -> list[tuple[str, ...]]:
    """Every word with its page and box (points, two decimals), in reading order."""
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    out, page = [], 0
    for line in bbox.splitlines():
        if "<page " in line:
            page += 1
        if m := re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" [^>]*>([^<]*)<', line):
            out.append((str(page), *(f"{float(v):.2f}" for v in m.groups()[:3]), m.group(4)))
    return out


@needs_poppler
def test_a_directory_prints_word_for_word_where_fpdf2s_table_put_it(tmp_path: Path) -> None:
    """Brussels' directory (pages of it, names that wrap), drawn as the protocol drew it
    before (fpdf2's `table()`, markdown cells) and as it does now: the same words in the same
    places."""
    p = build_protocol(load_site(ROOT / "data/sites/brussels.yaml"))
    t = p.text
    before, now = _pdf(), _pdf()
    _heading(before, p, t["directory_title"])
    _fpdf2_table(
        before,
        [_md(t[k]) for k in ("service", "phone", "hours", "languages", "place")],
        [
            [
                f"**{_md(c.name)}**" + (f"\n{_md(c.organisation)}" if c.organisation else ""),
                _md("\n".join(x for x in (c.phone, c.email) if x)),
                _md(c.hours),
                _md(c.languages),
                _md(c.place),
            ]
            for c in p.directory
        ],
        widths=(50, 34, 36, 28, 34),
    )
    _directory(now, p)
    (tmp_path / "before.pdf").write_bytes(bytes(before.output()))
    (tmp_path / "now.pdf").write_bytes(bytes(now.output()))
    words = _words(tmp_path / "now.pdf")
    assert words == _words(tmp_path / "before.pdf")
    assert len({w[0] for w in words}) >= 3  # the table ran over pages


# --- wrapping and completeness -----------------------------------------------------------------


@needs_poppler
def test_a_long_cell_wraps_inside_its_column(tmp_path: Path) -> None:
    """A name of many words and an address without a space, in a 40 mm column: many lines,
    every letter inside the column's padding, nothing lost."""
    pdf = _pdf()
    name = "Centre for the clinical management of rape and intimate partner violence " * 3
    email = "a-very-long-address-without-any-space-at-all@example.org"
    draw_table(
        pdf,
        [(("B", "Service"),), (("B", "Phone"),)],
        [[(("B", name.strip()), ("", email)), (("", "+32 2 000 00 01"),)]],
        widths=(40, 30),
        style=TableStyle(FONT),
        shaped=lambda _: False,
    )
    path = tmp_path / "t.pdf"
    path.write_bytes(bytes(pdf.output()))
    left = pdf.l_margin * pdf.k
    column = [w for w in _words(path) if float(w[1]) < left + 40 * pdf.k][1:]  # not its heading
    assert all(float(w[3]) <= left + 39 * pdf.k for w in column)
    assert len({w[2] for w in column}) > 5  # on many lines
    assert "".join(w[4] for w in column) == (name + email).replace(" ", "")


def test_every_service_is_in_a_directory_over_many_pages() -> None:
    """250 services with names that wrap: every one in the directory, and the heading row
    repeated on each of its pages."""
    names = [f"Service {i:03d} for survivors, a name long enough to wrap" for i in range(250)]
    inv = make_inventory(
        [
            service(f"s{i}", ["community"], i=i % 40, name=n, contact={"phone": f"+32 {i}"})
            for i, n in enumerate(names)
        ]
    )
    p = build_protocol(public_view(inv))
    p = dataclasses.replace(p, needs=(), entry_points=())  # the directory only, mostly
    reader = pypdf.PdfReader(io.BytesIO(protocol_pdf([p])))
    pages = [page.extract_text() for page in reader.pages]
    text = " ".join(" ".join(pages).split())
    assert all(n in text for n in names)
    directory = [page for page in pages if "Service 1" in page or "Service 2" in page]
    assert len(directory) >= 5
    assert all(re.search(r"Service\s+Phone\s+Hours\s+Languages\s+Place", p) for p in directory)
