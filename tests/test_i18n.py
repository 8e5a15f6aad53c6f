"""pathways.i18n: every string in both languages, and every key the app asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from pathways.i18n import LANGS, STRINGS, clock_text, day_name, language_name, pick_lang, t

ROOT = Path(__file__).resolve().parent.parent
APP_FILES = [
    ROOT / "app.py",
    *sorted((ROOT / "views").rglob("*.py")),
]
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_key_has_every_language_with_the_same_placeholders(key: str) -> None:
    texts = STRINGS[key]
    assert set(texts) == set(LANGS), f"{key}: languages {sorted(texts)}"
    assert all(texts[lang].strip() for lang in LANGS), f"{key}: an empty text"
    assert _fields(texts["en"]) == _fields(texts["fr"]), f"{key}: placeholders differ"


def test_every_literal_key_used_by_the_app_exists() -> None:
    used = {k for f in APP_FILES for k in LITERAL_KEY.findall(f.read_text(encoding="utf-8"))}
    assert used, "the pattern found no t(...) call"
    assert used <= set(STRINGS), sorted(used - set(STRINGS))


def test_t_fills_placeholders_and_falls_back_to_english() -> None:
    assert t("found", "fr", n=2, total=5) == "2 services sur 5 correspondent."
    assert t("found", "de", n=2, total=5) == "2 of 5 services match."
    with pytest.raises(KeyError):
        t("no such key", "en")


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (("fr",), "fr"),
        ((None, "fr-BE"), "fr"),
        (("FR_ca",), "fr"),
        (("de", "fr"), "fr"),
        (("en-GB", "fr"), "en"),
        ((None, None), "en"),
        (("",), "en"),
    ],
)
def test_pick_lang(candidates: tuple[str | None, ...], expected: str) -> None:
    assert pick_lang(*candidates) == expected


def test_days_and_languages_in_words() -> None:
    assert day_name(5, "en") == "Saturday" and day_name(12, "fr") == "samedi"
    assert clock_text(6, 15 * 60 + 30, "fr") == "dim. 15:30"
    assert language_name("ar", "en") == "Arabic"
    assert language_name("ar", "fr") == "arabe"
    assert language_name("xx", "fr") == "xx"


def test_every_gap_kind_has_a_label_in_both_languages() -> None:
    from pathways.analysis.gaps import FINDERS

    for kind in FINDERS:
        assert STRINGS[f"gapkind_{kind}"]["en"] and STRINGS[f"gapkind_{kind}"]["fr"], kind
