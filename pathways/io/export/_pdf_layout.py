"""Line breaking for the PDF protocol: its tables and paragraphs, laid out here rather than by
fpdf2's `table()` and `multi_cell()`.

fpdf2 breaks lines a character at a time and measures the whole line again at each, and lays
out a table cell twice (to measure it, then to draw it): at 10,000 services (2,000+ pages) that
was most of a 162 s export. Here lines are broken a word at a time, a word's width summed once
from the font's advance widths. A table row is drawn with the PDF's text and rectangle
operators in one write; a paragraph line by fpdf2's one-line `cell()`.

The layout is fpdf2's: a line ends at the last space that fits (a word wider than a whole line
breaks between letters); a table has fpdf2's padding and line height, each row as tall as its
tallest cell, and a row that does not fit starts a new page under the repeated heading row (the
heading row never alone at a page's foot). A Latin protocol prints as it did through fpdf2.

A table line that needs shaping (`shaped`: Arabic script, right-to-left letters) is measured and
drawn by fpdf2 with HarfBuzz and its bidirectional algorithm, one line at a time; paragraphs
that need it stay with `multi_cell` (the caller's choice).

Table rows are written with two of fpdf2's internals, `FPDF._out` (content-stream operators)
and `FPDF._set_font_for_page` (a font's operator, the font listed in the page's resources);
fpdf2 is pinned below 3 and `tests/test_pdf_layout.py` checks the words land where its own
`table()` put them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Line = tuple[str, str]
"""Styled text: a font style ('' regular, 'B' bold, 'I' italic) and the text."""
Cell = tuple[Line, ...]
"""A table cell: its lines, each without a line break."""
Color = tuple[int, int, int]

TOLERANCE = 1e-9
"""How much wider than its room a line may measure (fpdf2's float tolerance)."""
MARKS = str.maketrans("", "", "\u200e")
"""LEFT-TO-RIGHT MARKs, dropped from a line with no right-to-left letter: they only guide the
bidirectional algorithm, which such a line is drawn without (left to right, as written)."""
MARKDOWN = {"": "", "B": "**", "I": "__"}
"""fpdf2's markdown marker of each style, for a paragraph line that mixes them."""
ESCAPED = {m: "\\" + m for m in ("**", "__", "--", "~~")}


@dataclass(frozen=True)
class TableStyle:
    """How a table looks: its font, lines, padding and colours (fpdf2's `table()` options)."""

    family: str
    size: float = 8.5
    line_height: float = 3.9
    padding: float = 1.0
    text_color: Color = (0, 0, 0)
    head_color: Color = (0, 0, 0)
    head_fill: Color = (255, 255, 255)
    border: Color = (187, 187, 187)
    rtl: bool = False
    direction: str = "ltr"


@dataclass(frozen=True, slots=True)
class _Laid:
    """A line broken to its column: its style, text, width, and whether fpdf2 shapes it."""

    style: str
    text: str
    width: float
    shaped: bool


class _Measure:
    """Widths of text in one font family and size, each word measured once."""

    def __init__(self, pdf: Any, family: str, size: float, styles: str = "BI") -> None:
        self.pdf, self.family, self.size = pdf, family, size
        self.fonts: dict[str, Any] = {}
        for style in ("", *styles):
            pdf.set_font(family, style, size)
            self.fonts[style] = pdf.current_font
        self.scale = size * 0.001 / pdf.k  # font units -> mm
        self.cache: dict[tuple[str, bool, str], float] = {}

    def __call__(
        self, style: str, text: str, *, shaped: bool = False, direction: str = ""
    ) -> float:
        """The width of `text` in mm: advance widths, or HarfBuzz's when it is shaped."""
        key = (style, shaped, text)
        w = self.cache.get(key)
        if w is None:
            if shaped:
                pdf = self.pdf
                shaping = pdf.text_shaping
                pdf.set_font(self.family, style, self.size)
                pdf.set_text_shaping(True, direction=direction)
                w = pdf.get_string_width(text)
                pdf.text_shaping = shaping
            else:
                w = self.plain(style, text)
            self.cache[key] = w
        return w

    def plain(self, style: str, text: str) -> float:
        """The width of unshaped `text` in mm (not cached: a line is seldom measured twice)."""
        return sum(map(self.fonts[style].cw.__getitem__, map(ord, text))) * self.scale


def _break(
    words: Sequence[str], limit: float, width: Callable[[str], float], space: float
) -> list[tuple[str, float]]:
    """Greedy line breaking, as fpdf2's: a line takes words while they fit `limit` (with a space
    between); a word wider than a line of its own is broken between letters."""
    out: list[tuple[str, float]] = []
    line: list[str] = []
    used = 0.0
    for word in words:
        w = width(word)
        if line and used + space + w <= limit + TOLERANCE:
            line.append(word)
            used += space + w
            continue
        if line:
            out.append((" ".join(line), used))
        while w > limit + TOLERANCE:  # too wide for a line of its own: break it
            head, word = _split(word, limit, width)
            out.append((head, width(head)))
            w = width(word)
        line, used = [word], w
    out.append((" ".join(line), used))
    return out


def _split(word: str, limit: float, width: Callable[[str], float]) -> tuple[str, str]:
    """The longest start of `word` that fits `limit` (at least one letter), and the rest."""
    used = 0.0
    for i, c in enumerate(word):
        used += width(c)
        if i and used > limit + TOLERANCE:
            return word[:i], word[i:]
    return word[:1], word[1:]


# --- tables ------------------------------------------------------------------------------------


class _Table:
    """Breaks and draws the lines of one table, with the fonts' encodings cached."""

    def __init__(self, pdf: Any, style: TableStyle, shaped: Callable[[str], bool]) -> None:
        self.pdf, self.style, self.shaped = pdf, style, shaped
        self.measure = _Measure(pdf, style.family, style.size, styles="B")
        self.fonts = self.measure.fonts
        self.encoded: dict[tuple[str, str], str] = {}
        self.baseline = 0.5 * style.line_height + 0.3 * style.size / pdf.k

    def lines(self, cell: Cell, limit: float) -> list[_Laid]:
        """The cell's lines broken to `limit` mm."""
        out: list[_Laid] = []
        measure, direction = self.measure, self.style.direction
        for style, marked in cell:
            text = marked.translate(MARKS)
            shaped = self.shaped(text)
            if shaped:
                text = marked
            elif (w := measure.plain(style, text)) <= limit + TOLERANCE:
                out.append(_Laid(style, text, w, False))  # most lines: no need to break
                continue

            def width(s: str, style: str = style, shaped: bool = shaped) -> float:
                return measure(style, s, shaped=shaped, direction=direction)

            for line, w in _break(text.split(" "), limit, width, width(" ")):
                out.append(_Laid(style, line, w, shaped))
        return out

    def height(self, cells: list[list[_Laid]]) -> float:
        """The row's height: its tallest cell's, with padding; one line if all are empty."""
        st = self.style
        most = max((len(lines) for lines in cells), default=0)
        return most * st.line_height + 2 * st.padding if most else st.line_height

    def draw_row(
        self, x: float, widths: Sequence[float], cells: list[list[_Laid]], *, head: bool
    ) -> None:
        """Draw a row at (x, the current y): cell frames, then the text, cell after cell (the
        order text is read back in); move under it."""
        pdf, st = self.pdf, self.style
        y, height = pdf.y, self.height(cells)
        k, page_h = pdf.k, pdf.h
        bottom, up = (page_h - y - height) * k, height * k
        frames = []
        cx = x
        for w in widths:  # filled (white under the heading row) and framed, as fpdf2 draws them
            frames.append(f"{cx * k:.2f} {bottom:.2f} {w * k:.2f} {up:.2f} re B")
            cx += w
        pdf._out(" ".join(frames))
        color = st.head_color if head else st.text_color
        ops: list[str] = []
        cx = x
        for w, lines in zip(widths, cells, strict=True):
            ly = y + st.padding
            for line in lines:
                if line.shaped:
                    self._flush(ops, color)
                    self._draw_shaped(cx, ly, w, line, color)
                elif line.text:
                    lx = cx + w - st.padding - line.width if st.rtl else cx + st.padding
                    ops.append(
                        f"BT {lx * k:.2f} {(page_h - ly - self.baseline) * k:.2f} Td "
                        f"{self._font_op(line.style)} {self._encode(line.style, line.text)} ET"
                    )
                ly += st.line_height
            cx += w
        self._flush(ops, color)
        pdf.y = y + height

    def _flush(self, ops: list[str], color: Color) -> None:
        """Write the text operators gathered, in the text colour (inside q ... Q), and empty
        the list."""
        if not ops:
            return
        r, g, b = color
        self.pdf._out(f"q {r / 255:.3f} {g / 255:.3f} {b / 255:.3f} rg {' '.join(ops)} Q")
        self.pdf.current_font_is_set_on_page = False  # their fonts were set inside q ... Q
        ops.clear()

    def _draw_shaped(self, cx: float, ly: float, w: float, line: _Laid, color: Color) -> None:
        """A line fpdf2 shapes: drawn by `cell`, inside the cell's padding (its cell margin)."""
        pdf, st = self.pdf, self.style
        shaping = pdf.text_shaping
        pdf.set_text_shaping(True, direction=st.direction)
        pdf.set_text_color(*color)
        pdf.set_font(st.family, "", st.size)
        pdf.current_font_is_set_on_page = False  # `cell` may set it inside its q ... Q
        margin = pdf.c_margin
        pdf.set_xy(cx + st.padding - margin, ly)
        room = w - 2 * st.padding + 2 * margin
        text = _markdown([(line.style, line.text)])  # fonts set per run, as `table()` did
        pdf.cell(room, st.line_height, text, align="R" if st.rtl else "L", markdown=True)
        pdf.text_shaping = shaping

    def _font_op(self, style: str) -> str:
        """The operator selecting the style's font, the font listed in the page's resources."""
        return str(self.pdf._set_font_for_page(self.fonts[style], self.style.size, False))

    def _encode(self, style: str, text: str) -> str:
        """`(glyph codes) Tj` for the text in the style's font (its glyphs kept in the subset)."""
        key = (style, text)
        op = self.encoded.get(key)
        if op is None:
            op = self.encoded[key] = str(self.fonts[style].encode_text(text))
        return op


def draw_table(
    pdf: Any,
    headings: Sequence[Cell],
    rows: Sequence[Sequence[Cell]],
    *,
    widths: Sequence[float],
    style: TableStyle,
    shaped: Callable[[str], bool],
) -> None:
    """Draw a table from the current position down, breaking pages between rows; leave the
    position under it at the left margin, in the table's regular font and text colour.

    `headings` repeat at the top of each page the table runs onto; `shaped` says which lines
    fpdf2 must shape. Columns go left to right as given (reverse them for a right-to-left page);
    `style.rtl` puts the table against the right margin and aligns its text at the right."""
    table = _Table(pdf, style, shaped)
    x = pdf.w - pdf.r_margin - sum(widths) if style.rtl else pdf.l_margin
    rooms = [w - 2 * style.padding for w in widths]

    def lay(cells: Sequence[Cell]) -> list[list[_Laid]]:
        return [table.lines(c, room) for c, room in zip(cells, rooms, strict=True)]

    def head() -> None:
        pdf.set_draw_color(*style.border)
        pdf.set_fill_color(*style.head_fill)
        table.draw_row(x, widths, top, head=True)
        pdf.set_fill_color(255, 255, 255)  # the body's cells

    top = lay(headings)
    first = lay(rows[0]) if rows else []
    if rows and pdf.will_page_break(table.height(top) + table.height(first)):
        pdf.add_page()  # not the heading row alone at the page's foot
    elif pdf.will_page_break(table.height(top)):
        pdf.add_page()
    head()
    for i, row in enumerate(rows):
        cells = first if i == 0 else lay(row)
        if pdf.will_page_break(table.height(cells)):
            pdf.add_page()
            head()
        table.draw_row(x, widths, cells, head=False)
    pdf.x = pdf.l_margin
    pdf.set_font(style.family, "", style.size)
    pdf.set_text_color(*style.text_color)


# --- paragraphs --------------------------------------------------------------------------------


def draw_paragraph(
    pdf: Any,
    runs: Sequence[Line],
    *,
    family: str,
    size: float,
    line_height: float,
    align: str = "L",
    fill: bool = False,
    margin: float | None = None,
    padding: tuple[float, float] = (0.0, 0.0),
) -> None:
    """A paragraph from the left margin at the current y to the right margin, across pages as
    needed, as `multi_cell(0, line_height, ...)` lays it out; leave the position under it.

    `runs` follow each other as written (a word ends at a space or a line break, not where a
    run does). Lines are broken here and each drawn by fpdf2's `cell`, with markdown for a line
    that mixes styles; the text must not need shaping (the caller checks). `margin` is the room
    between the text and the margins (fpdf2's cell margin by default), `padding` the room
    (top, bottom) above and under the text, `fill` paints it all in the fill colour."""
    top, bottom = padding
    kept = pdf.c_margin
    margin = kept if margin is None else margin
    measure = _Measure(pdf, family, size)
    width = pdf.w - pdf.r_margin - pdf.l_margin
    limit = width - 2 * margin
    lines = [line for part in _logical_lines(runs) for line in _break_runs(part, limit, measure)]
    for i, line in enumerate(lines):
        above = top if i == 0 else 0.0
        under = bottom if i == len(lines) - 1 else 0.0
        if pdf.will_page_break(above + line_height + under):
            pdf.add_page()
        if fill:
            pdf.rect(pdf.l_margin, pdf.y, width, above + line_height + under, style="F")
        pdf.y += above
        styles = {style for style, _ in line}
        mixed = len(styles) > 1  # markdown on the regular font; else the line's own font
        pdf.set_font(family, "" if mixed or not styles else styles.pop(), size)
        text = _markdown(line) if mixed else "".join(t for _, t in line)
        pdf.set_x(pdf.l_margin)
        pdf.c_margin = margin  # not while a page breaks: the footer keeps its own
        pdf.cell(
            0,
            line_height,
            text,
            align=align,
            markdown=mixed,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.c_margin = kept
        pdf.y += under


def _logical_lines(runs: Sequence[Line]) -> list[list[Line]]:
    """The runs cut at their line breaks: the runs of each line."""
    lines: list[list[Line]] = [[]]
    for style, text in runs:
        for i, part in enumerate(text.split("\n")):
            if i:
                lines.append([])
            if part:
                lines[-1].append((style, part))
    return lines


def _break_runs(runs: list[Line], limit: float, measure: _Measure) -> list[list[Line]]:
    """Styled text broken into lines of at most `limit` mm, as `_break`: each line's runs."""
    words: list[list[Line]] = [[]]  # a word: its styled pieces (a style may change inside it)
    spaces: list[str] = [""]  # the style of the space before each word
    for style, text in runs:
        for i, piece in enumerate(text.split(" ")):
            if i:
                words.append([])
                spaces.append(style)
            if piece:
                words[-1].append((style, piece))
    lines: list[list[Line]] = []
    line: list[list[Line]] = []
    seps: list[str] = []
    used = 0.0
    for word, sep in zip(words, spaces, strict=True):
        w = _width(word, measure)
        space = measure(sep, " ")
        if line and used + space + w <= limit + TOLERANCE:
            line.append(word)
            seps.append(sep)
            used += space + w
            continue
        if line:
            lines.append(_join(line, seps))
        while w > limit + TOLERANCE:  # too wide for a line of its own: break it
            head, word = _split_word(word, limit, measure)
            lines.append(head)
            w = _width(word, measure)
        line, seps, used = [word], [sep], w
    lines.append(_join(line, seps))
    return lines


def _width(word: list[Line], measure: _Measure) -> float:
    return sum(measure(style, text) for style, text in word)


def _split_word(word: list[Line], limit: float, measure: _Measure) -> tuple[list[Line], list[Line]]:
    """The longest start of a styled word that fits `limit` (at least one letter), the rest."""
    letters = [(style, c) for style, text in word for c in text]
    used, cut = 0.0, 1
    for i, (style, c) in enumerate(letters):
        used += measure(style, c)
        if i and used > limit + TOLERANCE:
            cut = i
            break
    return _join([letters[:cut]], [""]), _join([letters[cut:]], [""])


def _join(words: list[list[Line]], spaces: list[str]) -> list[Line]:
    """Words back into runs, with a space before each but the first."""
    out: list[Line] = []
    for i, word in enumerate(words):
        pieces = [(spaces[i], " "), *word] if i else word
        for style, text in pieces:
            if out and out[-1][0] == style:
                out[-1] = (style, out[-1][1] + text)
            else:
                out.append((style, text))
    return out


def _markdown(line: list[Line]) -> str:
    """A line of runs as fpdf2 markdown on the regular font: styled runs between markers, every
    marker in the text itself escaped."""
    out = []
    for style, text in line:
        for mark, escaped in ESCAPED.items():
            text = text.replace(mark, escaped)
        out.append(f"{MARKDOWN[style]}{text}{MARKDOWN[style]}")
    return "".join(out)
