"""Scripts and writing directions in the printable protocol.

An Arabic service name is shaped (its letters joined) and reads back in order from the PDF, in
an English protocol and in a right-to-left one; a right-to-left protocol is right-to-left in HTML
(`dir="rtl"`) and in PDF (paragraphs from the right edge, the table's first column on the right);
phone numbers keep their order in both; a script no font draws prints '?' and nothing breaks.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pypdf
import pytest
from fontTools.ttLib import TTFont
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.io.export import ExportOptions, export
from pathways.io.export._pdf import LRM, _value, protocol_pdf
from pathways.io.export.protocol import build_protocol, day_names, protocol_html
from pathways.io.export.protocol_content import SiteProtocol
from pathways.model.inventory import Inventory
from pathways.public.privacy import public_view
from tests.factories import make_inventory, referral, service

ARABIC = "مركز الإرشاد القانوني"  # "legal counselling centre"
ORGANISATION = "جمعية النساء"  # "women's association"
PHONE = "+32 2 000 00 01"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="pdftotext is not installed (Debian package poppler-utils)",
)


def _inventory(name: str = ARABIC, organisation: str = ORGANISATION) -> Inventory:
    return make_inventory(
        [
            service(
                "legal",
                ["legal"],
                entry=True,
                name=name,
                organisation=organisation,
                contact={"phone": PHONE, "email": "legal@example.org"},
            ),
            service("cmr", ["health.cmr"], i=1, name="Hospital care centre"),
        ],
        [referral("legal", "cmr", mode="escorted")],
    )


def _protocol(
    *, lang: str = "en", name: str = ARABIC, organisation: str = ORGANISATION
) -> SiteProtocol:
    """The protocol of `_inventory`; in a right-to-left language it keeps the English words
    (the protocol has none in Arabic yet), so only the direction changes."""
    p = build_protocol(public_view(_inventory(name, organisation)), lang="en")
    return dataclasses.replace(p, lang=lang)


def _plain(text: str) -> str:
    """Extracted text as comparable letters: NFKC (shaping gives presentation forms), without
    format characters (direction marks) or white space (a reader's guess between glyphs)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf" and not c.isspace())


def _pdftotext(path: Path, *args: str) -> str:
    result = subprocess.run(
        ["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def _write(tmp_path: Path, p: SiteProtocol, name: str = "p.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(protocol_pdf([p]))
    return path


# --- Arabic in an English protocol -------------------------------------------------------------


@needs_poppler
def test_arabic_name_reads_back_in_order_with_pdftotext(tmp_path: Path) -> None:
    path = export(
        _inventory(), tmp_path / "p.pdf", format="protocol", options=ExportOptions(lang="en")
    )
    text = _pdftotext(path)
    assert "?" not in text  # nothing replaced
    plain = _plain(text)
    assert _plain(ARABIC) in plain and _plain(ORGANISATION) in plain
    assert PHONE in text  # the number after an Arabic name keeps its order
    assert "Hospital care centre" in text


def test_arabic_words_read_back_with_pypdf(tmp_path: Path) -> None:
    """pypdf puts right-to-left words in visual order, but each word reads in order."""
    reader = pypdf.PdfReader(_write(tmp_path, _protocol()))
    text = "".join(c for c in reader.pages[0].extract_text() if unicodedata.category(c)[0] != "C")
    words = set(unicodedata.normalize("NFKC", text).split())
    assert set(ARABIC.split()) <= words
    assert "?" not in text


def test_arabic_letters_take_their_joined_forms(tmp_path: Path) -> None:
    """The embedded Arabic font holds contextual forms (HarfBuzz shaped the name): the meem
    of 'مركز' in its initial form, not the isolated letters a plain font lookup would give."""
    reader = pypdf.PdfReader(_write(tmp_path, _protocol()))
    glyphs: set[str] = set()
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        if "NotoSansArabic" not in descendant["/BaseFont"]:
            continue
        data = descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()
        glyphs |= set(TTFont(io.BytesIO(data)).getGlyphOrder())
    forms = {g for g in glyphs if re.fullmatch(r"uniF[BE][0-9A-F]{2}", g)}
    assert "uniFEE3" in forms  # ARABIC LETTER MEEM INITIAL FORM
    assert len(forms) >= 5


def test_a_latin_protocol_embeds_no_arabic_font(tmp_path: Path) -> None:
    latin = _protocol(name="Legal counselling centre", organisation="Women's association")
    reader = pypdf.PdfReader(_write(tmp_path, latin))
    fonts = [f.get_object()["/BaseFont"] for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts and not any("Arabic" in f for f in fonts)


def test_a_script_no_font_draws_prints_question_marks(tmp_path: Path) -> None:
    """Devanagari: neither font has it. The PDF is still written (no fpdf2 warning, which the
    test configuration turns into an error), with '?' in its place and the rest intact."""
    devanagari = _protocol(name="सेवा केंद्र Legal", organisation="Women's association")
    reader = pypdf.PdfReader(_write(tmp_path, devanagari))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "???? ?????? Legal" in text and "सेवा" not in text
    assert "Hospital care centre" in text


# --- right to left -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        *[(lang, "rtl") for lang in ("ar", "fa", "ur", "he", "ps", "ar_SY", "fa-IR")],
        *[(lang, "ltr") for lang in ("en", "fr", "uk", "sw", "xx", "")],
    ],
)
def test_protocol_direction_follows_its_language(lang: str, expected: str) -> None:
    assert dataclasses.replace(_PROTOCOLS["en"], lang=lang).direction == expected


def test_html_protocol_is_right_to_left_in_a_right_to_left_language() -> None:
    rtl = protocol_html([_protocol(lang="ar")])
    assert '<html lang="ar" dir="rtl">' in rtl
    ltr = protocol_html([_protocol(lang="en")])
    assert '<html lang="en" dir="ltr">' in ltr
    for html in (rtl, ltr):  # names isolated; numbers left to right whatever the page
        assert f"<bdi>{ARABIC}</bdi>" in html
        assert f'<bdi dir="ltr">{PHONE}</bdi>' in html


def test_protocol_in_a_language_without_a_catalog_is_english_left_to_right() -> None:
    p = build_protocol(_inventory(), lang="ps")
    assert p.lang == "en" and p.direction == "ltr"
    assert p.text["entry_title"] == "Where survivors can arrive directly"


def test_protocol_in_a_catalog_language_is_its_own_with_english_for_the_rest() -> None:
    """The Arabic sample catalog translates no protocol words yet: the page is right to left,
    its words English, its weekdays CLDR's Arabic."""
    p = build_protocol(_inventory(), lang="ar")
    assert p.lang == "ar" and p.direction == "rtl"
    assert p.text["entry_title"] == "Where survivors can arrive directly"
    assert day_names("ar")[0] == "الاثنين" and day_names("fr")[0] == "lun"


def _word_x(path: Path, pattern: str) -> float:
    """The left edge (points) of the first word on page 1 matching `pattern`."""
    bbox = _pdftotext(path, "-bbox", "-f", "1", "-l", "1")
    for m in re.finditer(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', bbox):
        if re.search(pattern, m.group(2)):
            return float(m.group(1))
    raise AssertionError(f"no word matching {pattern!r} on page 1")


@needs_poppler
def test_pdf_protocol_is_laid_out_right_to_left(tmp_path: Path) -> None:
    """In a right-to-left protocol the 'Service' column is the rightmost, the Arabic name in
    it; in a left-to-right one both sit at the left. A4 is 595 points wide."""
    rtl = _write(tmp_path, _protocol(lang="ar"), "rtl.pdf")
    ltr = _write(tmp_path, _protocol(lang="en"), "ltr.pdf")
    arabic = "[\u0600-\u06ff]"
    assert _word_x(rtl, "^Service$") > 450 and _word_x(rtl, arabic) > 400
    assert _word_x(ltr, "^Service$") < 100 and _word_x(ltr, arabic) < 100
    text = _pdftotext(rtl)
    assert PHONE in text  # '+32 2 000 00 01', not '01 00 000 2 +32'
    assert _plain(ARABIC) in _plain(text) and "?" not in text


@given(text=st.text(max_size=40), rtl=st.booleans())
def test_direction_marks_only_add_marks(text: str, rtl: bool) -> None:
    p = _PROTOCOLS["ar" if rtl else "en"]
    marked = _value(p, text)
    assert marked.replace(LRM, "") == text.replace(LRM, "")
    assert marked.count("\n") == text.count("\n")


_PROTOCOLS = {lang: _protocol(lang=lang) for lang in ("en", "ar")}

_SCRIPTS = st.sampled_from(
    [
        "a",
        "é",
        "ж",
        "م",
        "ﻻ",
        "ٹ",
        "۱",
        "א",
        "क",
        "\u200f",
        "\u202e",
        "\u2067",
        "\u0301",
        " ",
        "\n",
        "*",
        "_",
        "-",
        "1",
        "😀",
    ]
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.lists(_SCRIPTS, min_size=1, max_size=30).map("".join),
    lang=st.sampled_from(["en", "ar"]),
)
def test_any_name_in_any_script_gives_a_readable_pdf(name: str, lang: str) -> None:
    """Names mixing scripts, combining marks, direction controls and markdown markers: the PDF
    is written (no error, no warning) and pypdf reads it."""
    p = dataclasses.replace(_PROTOCOLS[lang], site_name=name.strip() or "x")
    cards = tuple(dataclasses.replace(c, name=name) for c in p.directory)
    data = protocol_pdf([dataclasses.replace(p, directory=cards)])
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert "Contacts" in "".join(page.extract_text() for page in reader.pages)
