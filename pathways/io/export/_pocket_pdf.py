"""The pocket guide as PDF: two sides of A4, laid out with fpdf2 from `Pocket` content.

The protocol PDF's fonts, right-to-left handling and table layout (`_pdf`, `_pdf_layout`).
Black and white first: boxes, rules, bold and greys carry the structure, never colour alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pathways.io.export._pdf import (
    FONT,
    _add_fonts,
    _fallback_only,
    _marked,
    _needs_shaping,
    _safe,
    _strings,
)
from pathways.io.export._pdf_layout import Cell, TableStyle, draw_paragraph, draw_table
from pathways.io.export.pocket_content import Pocket, PocketNeed
from pathways.io.export.protocol_content import Card

MARGIN = 10.0
BLACK = (0, 0, 0)
DARK = (60, 60, 60)
LIGHT = (232, 232, 232)


def pocket_pdf(p: Pocket) -> tuple[bytes, int]:
    """The guide as PDF bytes, and how many pages it took (the caller wants two)."""
    from fpdf import FPDF  # loads with the first PDF, not with every export

    class _Pocket(FPDF):
        def footer(self) -> None:
            _footer(self, p)

    pdf = _Pocket(orientation="portrait", unit="mm", format="A4")
    only = _fallback_only()
    _add_fonts(pdf, fallback=any(not only.isdisjoint(map(ord, s)) for s in _strings(p)))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=13)
    printed = p.printed
    pdf.set_creation_date(dt.datetime(printed.year, printed.month, printed.day, tzinfo=dt.UTC))
    pdf.set_title(_safe(f"{p.site_name}: {p.text['title']}"))
    pdf.set_lang(p.lang)
    pdf.set_creator("Referral Atlas")
    pdf.add_page()
    _header(pdf, p)
    _flow(pdf, p)
    _heading(pdf, p, p.text["needs_title"])
    for i, need in enumerate(p.needs, 1):
        _need(pdf, p, i, need)
    if pdf.page_no() == 1:  # the gaps go on the back
        pdf.add_page()
    _gaps(pdf, p)
    return bytes(pdf.output()), pdf.page_no()


# --- text --------------------------------------------------------------------------------------


def _align(p: Pocket) -> str:
    return "R" if p.direction == "rtl" else "L"


def _write(
    pdf: Any,
    p: Pocket,
    text: str,
    *,
    size: float,
    style: str = "",
    box: bool = False,
    fill: bool = False,
    indent: float = 0.0,
) -> None:
    """A paragraph across the page (`indent` in from its start edge), in a box if asked: laid
    out by `_pdf_layout` as the protocol's paragraphs are, by fpdf2 when it needs shaping."""
    pdf.set_font(FONT, style, size)
    on = _needs_shaping(text)
    pdf.set_text_shaping(on, direction=p.direction if on else None)
    side = "r_margin" if p.direction == "rtl" else "l_margin"
    kept = getattr(pdf, side)
    setattr(pdf, side, kept + indent)
    pdf.set_x(pdf.l_margin)
    top, pad = pdf.get_y(), (1.2, 1.2) if box else (0.0, 0.0)
    if on:
        pdf.multi_cell(
            0,
            size * 0.45,
            _safe(_value(p, text)),
            align=_align(p),
            fill=fill,
            padding=(pad[0], 1, pad[1], 1),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    else:
        draw_paragraph(
            pdf,
            [(style, _safe(text))],
            family=FONT,
            size=size,
            line_height=size * 0.45,
            align=_align(p),
            fill=fill,
            padding=pad,
        )
    if box:
        pdf.rect(pdf.l_margin, top, pdf.epw, pdf.get_y() - top)
    setattr(pdf, side, kept)
    pdf.set_x(pdf.l_margin)
    pdf.set_text_shaping(False)


def _value(p: Pocket, text: str) -> str:
    return "\n".join(_marked(line, rtl=p.direction == "rtl") for line in text.split("\n"))


def _cell(p: Pocket, *texts: str, style: str = "") -> Cell:
    rtl = p.direction == "rtl"
    return tuple((style, _safe(_marked(x, rtl=rtl))) for x in texts if x)


# --- blocks ------------------------------------------------------------------------------------


def _header(pdf: Any, p: Pocket) -> None:
    """The site and title, then the data status in a heavy box."""
    pdf.set_text_color(*BLACK)
    _write(pdf, p, p.site_name, size=17, style="B")
    _write(pdf, p, p.text["title"], size=11)
    pdf.ln(1.5)
    pdf.set_line_width(0.8 if p.illustrative else 0.3)
    pdf.set_draw_color(*BLACK)
    pdf.set_fill_color(*LIGHT)
    _write(pdf, p, p.status, size=10 if p.illustrative else 9, style="B", box=True, fill=True)
    pdf.set_line_width(0.2)
    pdf.ln(2)
    pdf.set_text_color(*DARK)
    _write(pdf, p, p.text["principles"], size=8.5, style="I")
    pdf.set_text_color(*BLACK)


def _heading(pdf: Any, p: Pocket, text: str) -> None:
    pdf.ln(1.5)
    _write(pdf, p, text, size=12, style="B")
    pdf.set_line_width(0.5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(1.5)


def _flow(pdf: Any, p: Pocket) -> None:
    """The decision flow: a box per question, its answers under it, an arrow to the next."""
    w = p.text
    _heading(pdf, p, w["flow_title"])
    indent = 6.0
    for i, (question, yes, no) in enumerate(p.flow, 1):
        pdf.set_draw_color(*BLACK)
        pdf.set_line_width(0.5)
        _write(pdf, p, f"{i}. {question}", size=10, style="B", box=True)
        pdf.set_line_width(0.2)
        for mark, text in ((w["yes"], yes), (w["no"], no)):
            if not text:
                continue
            _write(pdf, p, f"→ {mark}{w['colon']} {text}", size=9, indent=indent)
        pdf.ln(1.2)
    pdf.ln(1)


def _need(pdf: Any, p: Pocket, i: int, need: PocketNeed) -> None:
    """One need: its label, then who to call in office hours | at night or on weekends."""
    w = p.text
    rtl = p.direction == "rtl"
    office = _slot(p, need.office, need.more_office, w["none"])
    night = _slot(p, need.night, need.more_night, w["none_night"] if need.office else w["none"])
    label = _cell(p, f"{i}. {need.label}", style="B")
    headings = [label + _cell(p, w["office"]), _cell(p, " ", w["night"])]
    rows = [[office, night]]
    widths = [pdf.epw / 2, pdf.epw / 2]
    if rtl:
        headings, rows = headings[::-1], [r[::-1] for r in rows]
    style = TableStyle(
        FONT,
        size=8,
        line_height=3.5,
        head_color=BLACK,
        head_fill=LIGHT,
        border=(90, 90, 90),
        rtl=rtl,
        direction=p.direction,
    )
    draw_table(pdf, headings, rows, widths=widths, style=style, shaped=_needs_shaping)
    pdf.ln(1.2)


def _slot(p: Pocket, cards: Sequence[Card], more: int, none: str) -> Cell:
    """The services of one time of day: name in bold, phone and hours, languages, conditions."""
    w = p.text
    lines: list[Cell] = []
    for c in cards:
        lines.append(_cell(p, f"{c.name} · {c.phone}" if c.phone else c.name, style="B"))
        lines.append(_cell(p, " · ".join(x for x in (c.hours, c.languages) if x)))
        if c.conditions:
            lines.append(_cell(p, f"{w['conditions']}{w['colon']} {c.conditions}"))
    if not cards:
        lines.append(_cell(p, none, style="B"))
    if more:
        lines.append(_cell(p, p.more(more)))
    return tuple(line for cell in lines for line in cell)


def _gaps(pdf: Any, p: Pocket) -> None:
    """The gaps, each a bold line and what to do instead, marked by a black bar."""
    w = p.text
    _heading(pdf, p, w["gaps_title"])
    if not p.gaps:
        _write(pdf, p, w["no_gaps"], size=9)
    for message, todo in p.gaps:
        top = pdf.get_y()
        _write(pdf, p, message, size=9, style="B")
        _write(pdf, p, f"{w['instead']}{w['colon']} {todo}", size=8.5)
        x = pdf.w - pdf.r_margin + 1.5 if p.direction == "rtl" else pdf.l_margin - 2.5
        pdf.set_fill_color(*BLACK)
        pdf.rect(x, top + 0.3, 1.0, pdf.get_y() - top - 0.6, style="F")
        pdf.ln(1.5)
    if p.more_gaps:
        pdf.set_text_color(*DARK)
        _write(pdf, p, p.more(p.more_gaps), size=8.5, style="I")
        pdf.set_text_color(*BLACK)


def _footer(pdf: Any, p: Pocket) -> None:
    """The site, print date and data status at the foot; the side (1/2, 2/2) at the end."""
    start, end = ("R", "L") if p.direction == "rtl" else ("L", "R")
    pdf.set_y(-10)
    pdf.set_text_color(*DARK)
    text = p.text["footer"].format(site=p.site_name, date=p.printed.isoformat())
    pdf.set_font(FONT, "", 7.5)
    shaping = pdf.text_shaping  # a page can break inside a table: leave its setting as it was
    pdf.set_text_shaping(False)
    pdf.cell(0, 4, f"{pdf.page_no()}/2", align=end)
    pdf.set_y(-10)
    on = _needs_shaping(text)
    pdf.set_text_shaping(on, direction=p.direction if on else None)
    pdf.cell(0, 4, _safe(_value(p, text)), align=start)
    pdf.text_shaping = shaping
    pdf.set_text_color(*BLACK)
