"""pathways.i18n: lookups and their fallbacks, plurals, and the words that come from CLDR."""

from __future__ import annotations

from pathlib import Path

import branca.element
import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from pathways.analysis.gaps import FINDERS
from pathways.i18n import (
    LANGS,
    LANGUAGE_NAMES,
    STRINGS,
    clock_text,
    day_name,
    direction,
    join,
    known,
    language_name,
    number,
    pick_lang,
    semicolon,
    t,
    territory_name,
    tn,
)

ROOT = Path(__file__).resolve().parent.parent
KEYS = sorted(STRINGS)
PLURAL_KEYS = ("gap_n_entry_points", "gap_n_services", "gap_n_routes", "gap_n_months")


def test_t_fills_placeholders_and_falls_back_to_english_then_to_the_key() -> None:
    assert t("found", "fr", n=2, total=5) == "2 services sur 5 correspondent."
    assert t("found", "de", n=2, total=5) == "2 of 5 services match."
    assert t("no such key", "fr") == "no such key"


@given(key=st.sampled_from(KEYS), lang=st.text(max_size=5).filter(lambda s: s not in LANGS))
def test_an_unknown_language_reads_english(key: str, lang: str) -> None:
    assert t(key, lang) == t(key, "en") == STRINGS[key]["en"]


def test_english_and_french_give_every_message() -> None:
    assert LANGS[:2] == ("en", "fr")
    missing = [k for k in KEYS if set(STRINGS[k]) < {"en", "fr"}]
    assert missing == []


@given(n=st.integers(min_value=0, max_value=10**7), key=st.sampled_from(PLURAL_KEYS))
def test_plural_messages_carry_the_count_in_the_languages_digits(n: int, key: str) -> None:
    for lang in LANGS:
        assert tn(key, n, lang).startswith(number(n, lang, 0) + " ")


@pytest.mark.parametrize(
    ("n", "en", "fr"),
    [
        (0, "0 entry points", "0 point d'entrée"),  # French: 0 takes the singular
        (1, "1 entry point", "1 point d'entrée"),
        (2, "2 entry points", "2 points d'entrée"),
        (1500, "1,500 entry points", "1\u202f500 points d'entrée"),
    ],
)
def test_plural_forms_follow_each_catalog(n: int, en: str, fr: str) -> None:
    assert tn("gap_n_entry_points", n, "en") == en
    assert tn("gap_n_entry_points", n, "fr") == fr


def test_verbs_agree_with_the_count() -> None:
    assert [tn("gap_lose", n, "fr") for n in (1, 2)] == ["perd", "perdent"]
    assert [tn("gap_verified", n, "fr") for n in (1, 3)] == ["vérifié", "vérifiés"]
    assert [tn("gap_lose", n, "en") for n in (1, 2)] == ["loses", "lose"]


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (("fr",), "fr"),
        ((None, "fr-BE"), "fr"),
        (("FR_ca",), "fr"),
        (("de", "fr"), "fr"),
        (("en-GB", "fr"), "en"),
        (("ar-EG",), "ar"),
        ((None, None), "en"),
        (("",), "en"),
    ],
)
def test_pick_lang(candidates: tuple[str | None, ...], expected: str) -> None:
    assert pick_lang(*candidates) == expected


def test_days_from_cldr() -> None:
    assert day_name(5, "en") == "Saturday" and day_name(12, "fr") == "samedi"
    assert day_name(6, "fr", short=True) == "dim." and day_name(0, "en", short=True) == "Mon"
    assert clock_text(6, 15 * 60 + 30, "fr") == "dim. 15:30"
    assert day_name(5, "ar") == "السبت"


def test_language_and_territory_names_from_cldr() -> None:
    assert language_name("ar", "en") == "Arabic"
    assert language_name("ar", "fr") == "arabe"
    assert language_name("ara", "fr") == "arabe"  # ISO 639-3 codes too
    assert language_name("bg", "ar") == "البلغارية"
    assert language_name("xx", "fr") == "xx"
    assert territory_name("BE", "fr") == "Belgique" and territory_name("ml", "en") == "Mali"
    assert territory_name("QQ", "fr") == "QQ"


def test_a_language_cldr_does_not_list_is_named_by_iso_639_3() -> None:
    assert language_name("dts", "en") == "Toro So Dogon"
    assert language_name("dts", "fr") == "dogon de Toro So"  # French: lower case, like CLDR


def test_the_language_switch_names_each_language_in_itself() -> None:
    assert LANGUAGE_NAMES["en"] == "English"
    assert LANGUAGE_NAMES["fr"] == "Français"
    assert LANGUAGE_NAMES["ar"] == "العربية"
    assert list(LANGUAGE_NAMES) == list(LANGS)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("ar", "rtl"), ("fa", "rtl"), ("ps", "rtl"), ("ur", "rtl"), ("he", "rtl"), ("ar-EG", "rtl")],
)
def test_right_to_left_languages(lang: str, expected: str) -> None:
    assert direction(lang) == expected


@pytest.mark.parametrize("lang", ["en", "fr", "bg", "hr", "it", "bm", "zz", "", "not a code"])
def test_left_to_right_languages(lang: str) -> None:
    assert direction(lang) == "ltr"


def test_punctuation_and_lists_per_language() -> None:
    assert semicolon("en") == "; " and semicolon("fr") == " ; "
    assert join(["a", "b", "c"], "fr") == "a, b et c"
    assert join(["a", "b"], "en", style="or") == "a or b"


def test_every_gap_kind_has_a_label_in_english_and_french() -> None:
    for kind in FINDERS:
        assert known(f"gapkind_{kind}"), kind
        assert set(STRINGS[f"gapkind_{kind}"]) >= {"en", "fr"}, kind


# --- the app --------------------------------------------------------------------------------


def _styles(lang: str, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, str]:
    # the app speeds up branca's templates for its process: undo it after the test
    monkeypatch.setattr(branca.element, "Template", branca.element.Template)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at, "".join(getattr(e.proto, "body", "") for e in at.get("html"))


def test_the_app_reads_right_to_left_in_arabic(
    app_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, css = _styles("ar", monkeypatch)
    assert '[data-testid="stMain"], [data-testid="stSidebar"] { direction: rtl; }' in css
    assert "td, th { unicode-bidi: plaintext; }" in css  # names in any script, in any language
    assert at.sidebar.radio[0].label == "اللغة"
    assert at.sidebar.radio[0].options == ["English", "Français", "العربية"]


def test_the_app_reads_left_to_right_in_french(
    app_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, css = _styles("fr", monkeypatch)
    assert "direction: rtl" not in css
    assert "unicode-bidi: plaintext" in css
