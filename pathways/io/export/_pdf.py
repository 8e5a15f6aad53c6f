"""The referral protocol as PDF (A4), laid out with fpdf2 from `SiteProtocol` content.

fpdf2 is pure Python. Fonts (SIL OFL, from pip packages, so any machine prints the same):
Source Sans Pro (`font-source-sans-pro`) for Latin, with accents, Cyrillic and typographic
dashes; Noto Sans Arabic (`fontpkg-noto-sans-arabic`) as fpdf2's fallback for the Arabic script
(Arabic, Persian, Urdu, Pashto, Kurdish), added only to a document that has such letters. Text
is shaped by HarfBuzz (`uharfbuzz`), so Arabic letters join, and fpdf2's bidirectional
algorithm orders right-to-left runs: an Arabic service name in an English protocol reads right,
and a right-to-left protocol (an Arabic-script language) has right-aligned paragraphs and its
table columns from the right. A character that neither font draws (another script) prints as
'?': the HTML protocol shows it in full.

Tables and the paragraphs that need no shaping are laid out by `_pdf_layout` (fpdf2's line
breaking took minutes for a national protocol), as fpdf2 would lay them out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pathways.io.export._pdf_layout import (
    MARKDOWN,
    Cell,
    Line,
    TableStyle,
    draw_paragraph,
    draw_table,
)
from pathways.io.export.protocol_content import Card, Gap, Need, SiteProtocol
from pathways.model import clock

FONT = "SourceSans"
ARABIC_FONT = "NotoSansArabic"
ARABIC_FAMILY = "Noto Sans Arabic"
"""The fallback font's family name in `fontpkg` (the package `fontpkg-noto-sans-arabic`).

Its one file is a variable font, used at its default instance (regular): fpdf2 takes seconds to
make a bold instance, so bold Arabic prints regular. Of the static Arabic fonts on PyPI, IBM
Plex Sans Arabic draws lam-alef as one ligature glyph, which PDF readers extract as alef-lam:
copied or searched Arabic text would be wrong."""
PURPLE = (91, 42, 134)
RED = (179, 38, 30)
ORANGE = (161, 92, 0)
GREY = (85, 85, 85)
HEAD_FILL = (239, 232, 246)
TOTAL_PAGES = "{pages}"
"""The alias fpdf2 replaces with the page count once the document is done; its width is the room
kept for the number (the default "{nb}" is too narrow for a national protocol's 2,000+ pages)."""
LRM = "\u200e"
"""LEFT-TO-RIGHT MARK: put before a left-to-right value (a phone number) in a right-to-left
paragraph, it keeps the value's order ('+32 2 000 00 01', not '01 00 000 2 +32')."""
KEPT = frozenset("\n\t\u200e\u200f")
"""Characters `_safe` keeps though no font draws them: line breaks, tabs, direction marks
(HarfBuzz draws those as nothing)."""


# --- fonts -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _latin_files() -> dict[str, Path]:
    import font_source_sans_pro  # the font packages load with the first PDF, not every export

    folder = Path(font_source_sans_pro.__file__).parent / "files"
    return {
        "": folder / "SourceSansPro-Regular.ttf",
        "B": folder / "SourceSansPro-Bold.ttf",
        "I": folder / "SourceSansPro-It.ttf",
    }


@lru_cache(maxsize=1)
def _arabic_file() -> Path:
    import fontpkg

    return Path(fontpkg.path(ARABIC_FAMILY))


@lru_cache(maxsize=4)
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path) as font:
        return frozenset(font.getBestCmap())


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """The code points some font of the document draws."""
    return _cmap(_latin_files()[""]) | _cmap(_arabic_file())


@lru_cache(maxsize=1)
def _fallback_only() -> frozenset[int]:
    """The code points only the fallback font draws: the Arabic script's."""
    return _cmap(_arabic_file()) - _cmap(_latin_files()[""])


def _safe(text: str) -> str:
    """The text with characters no font can draw replaced by '?'."""
    covered = _covered()
    if covered.issuperset(map(ord, text)):
        return text
    return "".join(c if ord(c) in covered or c in KEPT else "?" for c in text)


def _strings(value: Any) -> Iterator[str]:
    """Every string in a protocol's content (dataclasses, tuples, dicts of strings)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        yield from _strings(list(value.values()))


def _needs_fallback(protocols: Sequence[SiteProtocol]) -> bool:
    """Whether some text needs the Arabic font (loading it costs about half a second)."""
    only = _fallback_only()
    return any(not only.isdisjoint(map(ord, s)) for p in protocols for s in _strings(p))


def _add_fonts(pdf: Any, *, fallback: bool) -> None:
    for style, path in _latin_files().items():
        pdf.add_font(FONT, style, str(path))
    if fallback:  # bold and italic Arabic print in the regular face (see ARABIC_FAMILY)
        pdf.add_font(ARABIC_FONT, "", str(_arabic_file()))
        pdf.set_fallback_fonts([ARABIC_FONT], exact_match=False)


def _shaping(pdf: Any, p: SiteProtocol, *texts: str) -> None:
    """HarfBuzz shaping and fpdf2's bidirectional algorithm on for the text about to be laid out
    if it has Arabic-script or right-to-left letters, off otherwise: fpdf2's line breaking
    reshapes a fragment at each character it adds, which makes a protocol ten times slower."""
    on = any(_needs_shaping(t) for t in texts)
    pdf.set_text_shaping(on, direction=p.direction if on else None)


def _needs_shaping(text: str) -> bool:
    return not _shaped_letters().isdisjoint(map(ord, text))


@lru_cache(maxsize=1)
def _shaped_letters() -> frozenset[int]:
    """The code points that need shaping: the fallback font's and right-to-left letters."""
    return _fallback_only() | _rtl_letters()


# --- the document ------------------------------------------------------------------------------


def _footer(pdf: Any) -> None:
    """The site, print date and data status at the page's foot; the page number at its end."""
    p: SiteProtocol | None = pdf.current
    if p is None:
        return
    start, end = ("R", "L") if p.direction == "rtl" else ("L", "R")
    pdf.set_y(-12)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*GREY)
    text = p.text["footer"].format(site=p.site_name, date=p.printed.isoformat())
    text = f"{text} · {p.status_short}"
    shaping = pdf.text_shaping  # a page can break inside a table: leave its setting as it was
    _shaping(pdf, p, text)
    pdf.cell(0, 4, _safe(text), align=start)
    pdf.set_y(-12)
    pdf.cell(0, 4, f"{pdf.page_no()}/{TOTAL_PAGES}", align=end)
    pdf.text_shaping = shaping


def _make_pdf(protocols: Sequence[SiteProtocol]) -> Any:
    from fpdf import FPDF  # loads with the first PDF, not with every export

    class _Protocol(FPDF):
        current: SiteProtocol | None = None  # the site being laid out, for the footer

        def footer(self) -> None:
            _footer(self)

    pdf = _Protocol(orientation="portrait", unit="mm", format="A4")
    _add_fonts(pdf, fallback=_needs_fallback(protocols))
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, margin=16)
    pdf.alias_nb_pages(TOTAL_PAGES)
    printed = protocols[0].printed if protocols else clock.today()
    pdf.set_creation_date(dt.datetime(printed.year, printed.month, printed.day, tzinfo=dt.UTC))
    pdf.set_title(_safe(protocols[0].text["title"]) if protocols else "Referral protocol")
    pdf.set_lang(protocols[0].lang if protocols else "en")
    pdf.set_creator("Referral Atlas")
    return pdf


def protocol_pdf(protocols: Sequence[SiteProtocol]) -> bytes:
    """The protocols as one PDF document, each site starting on a new page."""
    pdf = _make_pdf(protocols)
    for p in protocols:
        pdf.current = p
        pdf.add_page()
        _site(pdf, p)
    return bytes(pdf.output())


def _site(pdf: Any, p: SiteProtocol) -> None:
    """One site's protocol, section after section."""
    t = p.text
    _title(pdf, p)
    _status(pdf, p)
    _urgent(pdf, p)
    pdf.set_text_color(50, 50, 50)
    _para(pdf, p, t["principles"], style="I")
    pdf.set_text_color(0, 0, 0)
    _entry_points(pdf, p)
    _heading(pdf, p, t["steps_title"])
    for i, need in enumerate(p.needs, 1):
        _need(pdf, p, i, need)
    _gaps(pdf, p)
    _directory(pdf, p)


# --- blocks ------------------------------------------------------------------------------------


def _align(p: SiteProtocol) -> str:
    """Where a paragraph starts: the right edge in a right-to-left protocol."""
    return "R" if p.direction == "rtl" else "L"


def _heading(
    pdf: Any, p: SiteProtocol, text: str, *, size: float = 12.5, color: tuple[int, ...] = PURPLE
) -> None:
    if pdf.will_page_break(34):
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(*color)
    _shaping(pdf, p, text)
    pdf.multi_cell(0, size * 0.5, _safe(text), align=_align(p), new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(201, 184, 220)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_text_color(0, 0, 0)


def _para(
    pdf: Any,
    p: SiteProtocol,
    text: str,
    *,
    style: str = "",
    size: float = 9.5,
    lead: Line | None = None,
) -> None:
    """A paragraph of inventory or catalog text, after a `lead` in its own style ('B', 'I')
    when there is one: 'critical: ...'."""
    runs = [lead, (style, f" {text}")] if lead else [(style, text)]
    pdf.set_font(FONT, style, size)
    _shaping(pdf, p, *(t for _, t in runs))
    if not pdf.text_shaping:  # laid out by `_pdf_layout`, fpdf2's line breaking is slow
        runs = [(s, _safe(t)) for s, t in runs]
        draw_paragraph(pdf, runs, family=FONT, size=size, line_height=size * 0.45, align=_align(p))
        return
    pdf.multi_cell(
        0,
        size * 0.45,
        _safe(f"{_styled(p, *lead)} {_md(p, text)}" if lead else text),
        align=_align(p),
        markdown=lead is not None,
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _styled(p: SiteProtocol, style: str, text: str) -> str:
    """A run as fpdf2 markdown: between the style's markers, its own text escaped (`_md`)."""
    mark = MARKDOWN[style]
    return f"{mark}{_md(p, text)}{mark}"


def _title(pdf: Any, p: SiteProtocol) -> None:
    """The site's name, the protocol's title, the dates, and a rule."""
    t = p.text
    align = _align(p)
    pdf.set_font(FONT, "B", 19)
    pdf.set_text_color(*PURPLE)
    _shaping(pdf, p, p.site_name)
    pdf.multi_cell(0, 8, _safe(p.site_name), align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    pdf.set_text_color(40, 40, 40)
    _shaping(pdf, p, t["title"])
    pdf.multi_cell(0, 5, _safe(t["title"]), align=align, new_x="LMARGIN", new_y="NEXT")
    dates = f"{t['printed']} {p.printed.isoformat()}"
    if p.updated:
        dates += f" · {t['updated']} {p.updated.isoformat()}"
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*GREY)
    _shaping(pdf, p, dates)
    pdf.cell(0, 4.5, _safe(dates), align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*PURPLE)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
    pdf.set_line_width(0.2)
    pdf.ln(3.5)


def _status(pdf: Any, p: SiteProtocol) -> None:
    if p.illustrative:
        pdf.set_fill_color(253, 226, 225)
        pdf.set_draw_color(*RED)
        pdf.set_text_color(*RED)
        pdf.set_line_width(0.6)
        pdf.set_font(FONT, "B", 12)
    else:
        pdf.set_fill_color(230, 244, 234)
        pdf.set_draw_color(30, 123, 52)
        pdf.set_text_color(30, 95, 46)
        pdf.set_font(FONT, "B", 10)
    _shaping(pdf, p, p.status)
    pdf.multi_cell(
        0,
        6,
        _safe(p.status),
        border=1,
        fill=True,
        padding=2,
        align=_align(p),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_line_width(0.2)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def _urgent(pdf: Any, p: SiteProtocol) -> None:
    """The boxed 72 h / 120 h warning and where clinical care after rape is given."""
    t = p.text
    where = ["• " + " · ".join(_value(p, x) for x in (c.name, c.phone, c.hours)) for c in p.cmr]
    lines = [t["urgent"], f"{t['cmr_where']}{t['colon']}", *where]
    pdf.set_draw_color(*RED)
    pdf.set_fill_color(255, 245, 244)
    pdf.set_line_width(0.6)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*RED)
    top = pdf.get_y()
    _shaping(pdf, p, t["urgent_title"])
    pdf.multi_cell(
        0,
        6,
        _safe(t["urgent_title"]),
        fill=True,
        padding=(2, 2, 0, 2),
        align=_align(p),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, "", 9.5)
    pdf.set_text_color(0, 0, 0)
    for i, line in enumerate(lines):  # a paragraph each: fpdf2 orders the runs of one line only
        _shaping(pdf, p, line)
        padding = (1 if i == 0 else 0, 2 if i == len(lines) - 1 else 0)
        if not pdf.text_shaping:  # a national protocol lists hundreds: `_pdf_layout` is faster
            draw_paragraph(
                pdf,
                [("", _safe(line))],
                family=FONT,
                size=9.5,
                line_height=4.4,
                align=_align(p),
                fill=True,
                margin=2,
                padding=padding,
            )
            continue
        pdf.multi_cell(
            0,
            4.4,
            _safe(line),
            fill=True,
            padding=(padding[0], 2, padding[1], 2),
            align=_align(p),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if pdf.page_no() and pdf.get_y() > top:  # frame the box when it did not break across pages
        pdf.rect(pdf.l_margin, top, pdf.w - pdf.l_margin - pdf.r_margin, pdf.get_y() - top)
    pdf.set_line_width(0.2)
    pdf.ln(3)


def _entry_points(pdf: Any, p: SiteProtocol) -> None:
    t = p.text
    _heading(pdf, p, t["entry_title"])
    rows = [
        [
            _name(p, c, c.organisation),
            _cell(p, c.offers),
            _cell(p, c.hours, c.languages),
            _cell(p, c.phone),
            _cell(p, c.to_care),
        ]
        for c in p.entry_points
    ]
    headings = [t["service"], t["offers"], t["hours"], t["phone"], t["to_care"]]
    _table(pdf, p, headings, rows, widths=(44, 34, 36, 24, 44))


def _need(pdf: Any, p: SiteProtocol, i: int, need: Need) -> None:
    """One step: its number and need, its time window (in red), the services that meet it."""
    t = p.text
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.set_text_color(0, 0, 0)
    _para(pdf, p, f"{i}. {need.label}", style="B", size=11)
    if need.window:
        pdf.set_text_color(*RED)
        _para(pdf, p, need.window, style="B")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(1.5)
    if not need.cards:
        pdf.set_text_color(*RED)
        _para(pdf, p, t["none_mapped"], style="B")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
        return
    rows = [
        [
            _name(p, c, c.place),
            _cell(p, c.phone, c.email),
            _cell(p, c.hours, c.languages),
            _cell(
                p, c.who, f"{t['conditions']}{t['colon']} {c.conditions}" if c.conditions else ""
            ),
            _cell(p, *c.referred_by),
        ]
        for c in need.cards
    ]
    headings = [t["service"], t["contact"], t["hours"], t["who"], t["referred_by"]]
    _table(pdf, p, headings, rows, widths=(46, 32, 38, 30, 36))


def _gaps(pdf: Any, p: SiteProtocol) -> None:
    """The critical and major gaps with what to do, the count of minor ones, the site's policy."""
    t = p.text
    _heading(pdf, p, t["gaps_title"])
    if not p.gaps:
        _para(pdf, p, t["no_gaps"])
    for gap in p.gaps:
        _gap(pdf, p, gap)
    pdf.set_text_color(*GREY)
    if p.minor_gaps:
        _para(pdf, p, p.minor_text, size=8.5)
    if p.policy:
        _para(pdf, p, t["policy_title"], size=8.5)
        for line in p.policy:
            _para(pdf, p, f"• {line}", size=8.5)
    pdf.set_text_color(0, 0, 0)


def _gap(pdf: Any, p: SiteProtocol, gap: Gap) -> None:
    """One gap, marked at its start edge by a bar in its severity's colour."""
    t = p.text
    top, page = pdf.get_y(), pdf.page_no()
    _para(pdf, p, gap.message, lead=("B", f"{gap.label}{t['colon']}"))
    _para(pdf, p, gap.todo, size=9, lead=("I", f"{t['todo']}{t['colon']}"))
    if pdf.page_no() == page:  # not when the gap broke across pages
        x = pdf.w - pdf.r_margin + 1 if p.direction == "rtl" else pdf.l_margin - 2.2
        pdf.set_fill_color(*(RED if gap.severity == "critical" else ORANGE))
        pdf.rect(x, top + 0.4, 1.2, pdf.get_y() - top - 0.8, style="F")
    pdf.ln(1.6)


def _directory(pdf: Any, p: SiteProtocol) -> None:
    t = p.text
    _heading(pdf, p, t["directory_title"])
    rows = [
        [
            _name(p, c, c.organisation),
            _cell(p, c.phone, c.email),
            _cell(p, c.hours),
            _cell(p, c.languages),
            _cell(p, c.place),
        ]
        for c in p.directory
    ]
    headings = [t["service"], t["phone"], t["hours"], t["languages"], t["place"]]
    _table(pdf, p, headings, rows, widths=(50, 34, 36, 28, 34))


def _table(
    pdf: Any,
    p: SiteProtocol,
    headings: list[str],
    rows: list[list[Cell]],
    *,
    widths: tuple[int, ...],
) -> None:
    """A table of cells; in a right-to-left protocol its first column is on the right."""
    rtl = p.direction == "rtl"
    if rtl:
        headings, rows, widths = headings[::-1], [r[::-1] for r in rows], widths[::-1]
    style = TableStyle(
        FONT,
        head_color=(40, 20, 60),
        head_fill=HEAD_FILL,
        rtl=rtl,
        direction=p.direction,
    )
    heads = [_cell(p, h, style="B") for h in headings]
    draw_table(pdf, heads, rows, widths=widths, style=style, shaped=_needs_shaping)
    pdf.ln(2.5)


# --- text --------------------------------------------------------------------------------------


def _name(p: SiteProtocol, c: Card, extra: str) -> Cell:
    """The service name in bold, then a detail line."""
    return _cell(p, c.name, style="B") + _cell(p, extra)


def _cell(p: SiteProtocol, *texts: str, style: str = "") -> Cell:
    """Inventory texts as a table cell: a line per line of the texts that are not empty, each
    kept in its own order (`_value`), with '?' for what no font draws."""
    rtl = p.direction == "rtl"
    lines = [line for text in texts if text for line in text.removesuffix("\n").split("\n")]
    return tuple((style, _safe(_marked(line, rtl=rtl))) for line in lines)


def _md(p: SiteProtocol, text: str) -> str:
    """Inventory text as literal text in fpdf2's markdown (its markers escaped), each line's
    order kept in the protocol's direction (`_value`)."""
    for mark in ("**", "__", "--", "~~"):
        text = text.replace(mark, "\\" + mark)
    return _value(p, text)


def _value(p: SiteProtocol, text: str) -> str:
    """Each line of an inventory value kept in its own order beside the protocol's words.

    In a right-to-left protocol a line without a right-to-left letter (a phone number, an e-mail
    address, a Latin name) starts with a LEFT-TO-RIGHT MARK; in a left-to-right one, a line
    with right-to-left letters (an Arabic name) ends with one, so what follows it on the line
    (' · +32 2 000 00 01') is not drawn into the right-to-left run.
    """
    rtl = p.direction == "rtl"
    return "\n".join(_marked(line, rtl=rtl) for line in text.split("\n"))


def _marked(line: str, *, rtl: bool) -> str:
    """One line of `_value`."""
    if line and rtl and not _has_rtl(line):
        return LRM + line
    if line and not rtl and _has_rtl(line):
        return line + LRM
    return line


def _has_rtl(text: str) -> bool:
    return not _rtl_letters().isdisjoint(map(ord, text))


@lru_cache(maxsize=1)
def _rtl_letters() -> frozenset[int]:
    """The code points of right-to-left letters (bidirectional class R or AL); none lies beyond
    the first two planes."""
    return frozenset(c for c in range(0x20000) if unicodedata.bidirectional(chr(c)) in ("R", "AL"))
