"""The referral protocol as PDF (A4), laid out with fpdf2 from `SiteProtocol` content.

fpdf2 is pure Python; the font is Source Sans Pro (SIL OFL) from the `font-source-sans-pro`
package, so accents, Cyrillic and typographic dashes print on any machine. A character the
font lacks (Arabic script, for one) prints as '?': the HTML protocol shows it in full.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pathways.model import clock

if TYPE_CHECKING:
    from pathways.io.export.protocol import Card, SiteProtocol

FONT = "SourceSans"
PURPLE = (91, 42, 134)
RED = (179, 38, 30)
GREY = (85, 85, 85)
HEAD_FILL = (239, 232, 246)
TOTAL_PAGES = "{pages}"
"""The alias fpdf2 replaces with the page count once the document is done; its width is the room
kept for the number (the default "{nb}" is too narrow for a national protocol's 2,000+ pages)."""


@lru_cache(maxsize=1)
def _font_files() -> dict[str, Path]:
    import font_source_sans_pro

    folder = Path(font_source_sans_pro.__file__).parent / "files"
    return {
        "": folder / "SourceSansPro-Regular.ttf",
        "B": folder / "SourceSansPro-Bold.ttf",
        "I": folder / "SourceSansPro-It.ttf",
    }


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(_font_files()[""]) as font:
        return frozenset(font.getBestCmap())


def _safe(text: str) -> str:
    """The text with characters the font cannot draw replaced by '?'."""
    covered = _covered()
    return "".join(c if ord(c) in covered or c in "\n\t" else "?" for c in text)


def _make_pdf(protocols: Sequence[SiteProtocol]) -> Any:
    from fpdf import FPDF

    class _Protocol(FPDF):
        current: SiteProtocol | None = None

        def footer(self) -> None:
            p = self.current
            if p is None:
                return
            self.set_y(-12)
            self.set_font(FONT, "", 8)
            self.set_text_color(*GREY)
            text = p.text["footer"].format(site=p.site_name, date=p.printed.isoformat())
            self.cell(0, 4, _safe(f"{text} · {p.status_short}"), align="L")
            self.set_y(-12)
            self.cell(0, 4, f"{self.page_no()}/{TOTAL_PAGES}", align="R")

    pdf = _Protocol(orientation="portrait", unit="mm", format="A4")
    for style, path in _font_files().items():
        pdf.add_font(FONT, style, str(path))
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, margin=16)
    pdf.alias_nb_pages(TOTAL_PAGES)
    printed = protocols[0].printed if protocols else clock.today()
    pdf.set_creation_date(dt.datetime(printed.year, printed.month, printed.day, tzinfo=dt.UTC))
    pdf.set_title(_safe(protocols[0].text["title"]) if protocols else "Referral protocol")
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


def _heading(
    pdf: Any, text: str, *, size: float = 12.5, color: tuple[int, int, int] = PURPLE
) -> None:
    if pdf.will_page_break(34):
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, size * 0.5, _safe(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(201, 184, 220)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_text_color(0, 0, 0)


def _para(pdf: Any, text: str, *, style: str = "", size: float = 9.5) -> None:
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(0, size * 0.45, _safe(text), align="L", new_x="LMARGIN", new_y="NEXT")


def _site(pdf: Any, p: SiteProtocol) -> None:
    t = p.text
    # title block
    pdf.set_font(FONT, "B", 19)
    pdf.set_text_color(*PURPLE)
    pdf.multi_cell(0, 8, _safe(p.site_name), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    pdf.set_text_color(40, 40, 40)
    pdf.multi_cell(0, 5, _safe(t["title"]), align="L", new_x="LMARGIN", new_y="NEXT")
    dates = f"{t['printed']} {p.printed.isoformat()}"
    if p.updated:
        dates += f" · {t['updated']} {p.updated.isoformat()}"
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 4.5, _safe(dates), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*PURPLE)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
    pdf.set_line_width(0.2)
    pdf.ln(3.5)
    _status(pdf, p)
    _urgent(pdf, p)
    pdf.set_text_color(50, 50, 50)
    _para(pdf, t["principles"], style="I")
    pdf.set_text_color(0, 0, 0)

    _heading(pdf, t["entry_title"])
    _table(
        pdf,
        [t["service"], t["offers"], t["hours"], t["phone"], t["to_care"]],
        [
            [
                _name(c, c.organisation),
                c.offers,
                "\n".join(x for x in (c.hours, c.languages) if x),
                c.phone,
                c.to_care,
            ]
            for c in p.entry_points
        ],
        widths=(44, 34, 36, 24, 44),
    )

    _heading(pdf, t["steps_title"])
    for i, need in enumerate(p.needs, 1):
        if pdf.will_page_break(40):
            pdf.add_page()
        pdf.set_font(FONT, "B", 11)
        pdf.set_text_color(0, 0, 0)
        title = f"{i}. {need.label}"
        pdf.write(5.5, _safe(title))
        if need.window:
            pdf.set_text_color(*RED)
            pdf.write(5.5, _safe(f" — {need.window}"))
            pdf.set_text_color(0, 0, 0)
        pdf.ln(6.5)
        if not need.cards:
            pdf.set_text_color(*RED)
            _para(pdf, t["none_mapped"], style="B")
            pdf.set_text_color(0, 0, 0)
            pdf.ln(1)
            continue
        _table(
            pdf,
            [t["service"], t["contact"], t["hours"], t["who"], t["referred_by"]],
            [
                [
                    _name(c, c.place),
                    "\n".join(x for x in (c.phone, c.email) if x),
                    "\n".join(x for x in (c.hours, c.languages) if x),
                    c.who
                    + (f"\n{t['conditions']}{t['colon']} {c.conditions}" if c.conditions else ""),
                    "\n".join(c.referred_by),
                ]
                for c in need.cards
            ],
            widths=(46, 32, 38, 30, 36),
        )

    _heading(pdf, t["gaps_title"])
    if not p.gaps:
        _para(pdf, t["no_gaps"])
    for sev, label, msg, todo in p.gaps:
        pdf.set_font(FONT, "B", 9.5)
        pdf.set_text_color(*(RED if sev == "critical" else (161, 92, 0)))
        pdf.write(4.3, _safe(f"• {label}{t['colon']} "))
        pdf.set_font(FONT, "", 9.5)
        pdf.set_text_color(0, 0, 0)
        pdf.write(4.3, _safe(msg))
        pdf.ln(4.6)
        pdf.set_font(FONT, "I", 9)
        pdf.write(4.1, _safe(f"   {t['todo']}{t['colon']} "))
        pdf.set_font(FONT, "", 9)
        pdf.write(4.1, _safe(todo))
        pdf.ln(5.4)
    if p.minor_gaps:
        pdf.set_text_color(*GREY)
        _para(pdf, p.minor_text, size=8.5)
        pdf.set_text_color(0, 0, 0)
    if p.policy:
        pdf.set_text_color(*GREY)
        _para(pdf, t["policy_title"], size=8.5)
        for line in p.policy:
            _para(pdf, f"• {line}", size=8.5)
        pdf.set_text_color(0, 0, 0)

    _heading(pdf, t["directory_title"])
    _table(
        pdf,
        [t["service"], t["phone"], t["hours"], t["languages"], t["place"]],
        [
            [
                _name(c, c.organisation),
                "\n".join(x for x in (c.phone, c.email) if x),
                c.hours,
                c.languages,
                c.place,
            ]
            for c in p.directory
        ],
        widths=(50, 34, 36, 28, 34),
    )


def _name(c: Card, extra: str) -> str:
    """The service name in bold, then a detail line (markdown, both escaped)."""
    return f"**{_md(c.name)}**" + (f"\n{_md(extra)}" if extra else "")


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
    pdf.multi_cell(
        0,
        6,
        _safe(p.status),
        border=1,
        fill=True,
        padding=2,
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_line_width(0.2)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def _urgent(pdf: Any, p: SiteProtocol) -> None:
    t = p.text
    where = [f"• {c.name} · {c.phone} · {c.hours}" for c in p.cmr]
    lines = [t["urgent"], f"{t['cmr_where']}{t['colon']}", *where]
    pdf.set_draw_color(*RED)
    pdf.set_fill_color(255, 245, 244)
    pdf.set_line_width(0.6)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*RED)
    top = pdf.get_y()
    pdf.multi_cell(
        0,
        6,
        _safe(t["urgent_title"]),
        fill=True,
        padding=(2, 2, 0, 2),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, "", 9.5)
    pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(
        0,
        4.4,
        _safe("\n".join(lines)),
        fill=True,
        padding=(1, 2, 2, 2),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if pdf.page_no() and pdf.get_y() > top:  # frame the box when it did not break across pages
        pdf.rect(pdf.l_margin, top, pdf.w - pdf.l_margin - pdf.r_margin, pdf.get_y() - top)
    pdf.set_line_width(0.2)
    pdf.ln(3)


def _table(
    pdf: Any, headings: list[str], rows: list[list[str]], *, widths: tuple[int, ...]
) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(FONT, "", 8.5)
    pdf.set_draw_color(187, 187, 187)
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        text_align="LEFT",
        v_align="TOP",
        line_height=3.9,
        padding=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL, color=(40, 20, 60)),
        markdown=True,
        repeat_headings=1,
    ) as table:
        head = table.row()
        for h in headings:
            head.cell(_safe(h))
        for values in rows:
            row = table.row()
            for i, v in enumerate(values):
                row.cell(_safe(v if i == 0 else _md(v)))
    pdf.ln(2.5)


def _md(text: str) -> str:
    """Inventory text as literal text in fpdf2's markdown (its markers escaped)."""
    for mark in ("**", "__", "--", "~~"):
        text = text.replace(mark, "\\" + mark)
    return text
