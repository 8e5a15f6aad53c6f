"""The words of the interface: gettext catalogs for texts, CLDR (through Babel) for the rest.

`t(key, lang, **fmt)` returns the text of a message key in a language and fills its
`{placeholders}`; `tn(key, n, lang, **fmt)` the plural form for `n`. The texts live in gettext
catalogs, `pathways/i18n/locale/<lang>/LC_MESSAGES/atlas.po` (compiled to `atlas.mo`, which is
what the program reads). A lookup falls back from the language asked to English, then to the key.

Message ids are symbolic keys (`nav_explore`, `gap_msg_dead_end`), not English sentences: the
English texts are the English catalog, `en/atlas.po`, edited like any other. Keys composed at run
time (`"gapkind_" + kind`) are marked with `N_("...")` where they are listed, so that
`pybabel extract` finds every key (`pathways.i18n.extract`, `pathways.i18n.runtime_keys`).

Language, territory and weekday names, number and list formats, plural rules and the writing
direction come from CLDR through Babel, for any language. Names of services, organisations and
sites are never translated: they are shown as the inventory writes them.

The interface languages (`LANGS`) are the catalogs present: English, French, then the others
alphabetically. Adding a language is a catalog, not code. From the repository root::

    pybabel init -i pathways/i18n/locale/atlas.pot -d pathways/i18n/locale -D atlas -l ar
    # translate pathways/i18n/locale/ar/LC_MESSAGES/atlas.po (English: en/atlas.po), then
    pybabel compile -d pathways/i18n/locale -D atlas --statistics

After adding or removing keys in the code (and their English text in `en/atlas.po`)::

    pybabel extract -F babel.cfg -o pathways/i18n/locale/atlas.pot --sort-output \\
        --add-location=file --project "Referral Atlas" \\
        --header-comment "# Message ids are keys: translate from the English of en/atlas.po." .
    pybabel update -i pathways/i18n/locale/atlas.pot -d pathways/i18n/locale -D atlas \\
        --no-fuzzy-matching --ignore-pot-creation-date
    # fill in the new msgstr of every catalog (English first), then compile as above

Commit the `.po` and `.mo` files and the template; tests/test_catalogs.py checks that they agree
with each other and with the code.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import pycountry
from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from babel.numbers import format_decimal

from pathways.i18n.catalogs import SOURCE_LANG, discover_languages, lookup, messages

LANGS: tuple[str, ...] = discover_languages()
"""The languages of the interface (a compiled catalog each), the first being the default."""


def N_(key: str) -> str:
    """Mark a key that is looked up later (`t(table[kind], lang)`): returns it unchanged."""
    return key


def t(key: str, lang: str = "en", /, **fmt: Any) -> str:
    """The text of `key` in `lang` (else English, else the key), with `fmt` filled in."""
    text = lookup(key, lang)
    return text.format(**fmt) if fmt else text


def tn(key: str, n: int, lang: str = "en", /, **fmt: Any) -> str:
    """The plural form of `key` for `n` in `lang`, with `{n}` (written the language's way) and
    `fmt` filled in: '1 entry point' / '3 entry points' / '0 point d'entrée'."""
    return lookup(key, lang, n).format(**{"n": number(n, lang, 0), **fmt})


def known(key: str) -> bool:
    """True if `key` has an English text (every key the program uses does)."""
    return key in messages(SOURCE_LANG)


class _Strings(Mapping[str, Mapping[str, str]]):
    """key -> {lang: text} for every singular message, read from the compiled catalogs."""

    def __getitem__(self, key: str) -> Mapping[str, str]:
        texts = {lang: messages(lang)[key] for lang in LANGS if key in messages(lang)}
        if not texts:
            raise KeyError(key)
        return texts

    def __contains__(self, key: object) -> bool:
        return key in messages(SOURCE_LANG)

    def __iter__(self) -> Iterator[str]:
        return iter(messages(SOURCE_LANG))

    def __len__(self) -> int:
        return len(messages(SOURCE_LANG))


STRINGS: Mapping[str, Mapping[str, str]] = _Strings()
"""The catalogs as one read-only table, key -> {lang: text} (the languages that translate it)."""


def _locale(lang: str) -> str:
    return lang if lang in LANGS else LANGS[0]


@lru_cache(maxsize=64)
def _cldr(lang: str) -> Locale:
    return Locale.parse(_locale(lang))


def language_names() -> dict[str, str]:
    """Each interface language named in itself, for the language switch ('Français')."""
    return {code: _capitalised(Locale.parse(code).get_display_name(code) or code) for code in LANGS}


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]


LANGUAGE_NAMES: dict[str, str] = language_names()
"""Each interface language named in itself (the language switch), from CLDR."""


def number(x: float, lang: str = "en", /, digits: int = 1) -> str:
    """A number the way the language writes it: 1,234.5 in English, 1 234,5 in French."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(x, format=pattern, locale=_cldr(lang)))


def hours_text(h: float, lang: str = "en", /, digits: int = 0) -> str:
    """'147 h' / '0,5 h': a duration in hours, localised."""
    return f"{number(h, lang, digits)} h"


def join(items: Iterable[str], lang: str = "en", /, *, style: str = "standard") -> str:
    """A list joined by the language's rules: 'a, b and c' / 'a, b et c' (style "or": ou)."""
    values = list(items)
    return str(format_list(values, style=style, locale=_cldr(lang))) if values else ""  # type: ignore[arg-type]


def plural(n: int, lang: str, /, one: str, other: str) -> str:
    """`one` or `other` by the language's CLDR plural rule (French: 0 and 1 are singular).

    For texts of the catalogs, prefer `tn`, which lets each language give all its forms.
    """
    return one if _cldr(lang).plural_form(n) == "one" else other


def join_some(items: Iterable[str], lang: str = "en", /, limit: int = 3) -> str:
    """Up to `limit` items, then '... and 6 more' / '... et 6 autres'."""
    values = list(items)
    if len(values) <= limit + 1:
        return join(values, lang)
    rest = len(values) - limit
    return join([*values[:limit], t("n_more", lang, n=number(rest, lang, 0))], lang)


def colon(lang: str = "en", /) -> str:
    """': ' in English, ' : ' in French (a space before the colon)."""
    return t("colon", lang) + " "


def semicolon(lang: str = "en", /) -> str:
    """'; ' in English, ' ; ' in French."""
    return t("semicolon", lang) + " "


def pick_lang(*candidates: str | None) -> str:
    """The first candidate that names an interface language ("fr", "fr-BE", "FR"), else "en".

    Used with the `?lang=` query parameter first, then the browser's locale.
    """
    for value in candidates:
        if value:
            code = value.strip().replace("_", "-").split("-")[0].lower()
            if code in LANGS:
                return code
    return LANGS[0]


def direction(lang: str) -> str:
    """`"rtl"` for a language written right to left (Arabic, Persian, Pashto...), else `"ltr"`.

    From CLDR, for any language code; an unknown code reads left to right.
    """
    locale = _any_locale(lang)
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"


@lru_cache(maxsize=256)
def _any_locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def day_name(weekday: int, lang: str = "en", *, short: bool = False) -> str:
    """'Saturday' / 'samedi' (or 'Sat' / 'sam.' when short) for a weekday (0 = Monday), CLDR."""
    width = "abbreviated" if short else "wide"
    return str(_cldr(lang).days["format"][width][weekday % 7])


def clock_text(weekday: int, minute: int, lang: str = "en") -> str:
    """'Sat 23:00' / 'sam. 23:00'."""
    return f"{day_name(weekday, lang, short=True)} {minute // 60:02d}:{minute % 60:02d}"


def labels(prefix: str, values: Mapping[str, Any] | tuple[str, ...], lang: str) -> list[str]:
    """`t(prefix + value)` for each value (e.g. `labels("req_", s.requires, "fr")`)."""
    return [t(prefix + v, lang) for v in values]


@lru_cache(maxsize=512)
def language_name(code: str, lang: str = "en") -> str:
    """The name of a language in `lang` ('ar' -> 'Arabic' / 'arabe'); else the code.

    CLDR's name when CLDR has one; else ISO 639-3's (pycountry, with its translations), for
    languages CLDR does not list (Toro So Dogon, `dts`).
    """
    record = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    record = record or pycountry.languages.get(alpha_3=code)
    short = getattr(record, "alpha_2", None) or code
    name = _cldr(lang).languages.get(short)
    if name:
        return str(name)
    return _iso_name(str(record.name), lang) if record is not None else code


def _iso_name(english: str, lang: str) -> str:
    if _locale(lang) == SOURCE_LANG:
        return english
    try:
        names = _iso639_translations(_locale(lang))
    except OSError:
        return english
    name = names.gettext(english)
    # CLDR writes language names in lower case where the language does (French, Italian...)
    lower = _cldr(lang).languages.get("en", "")[:1].islower()
    return name[:1].lower() + name[1:] if lower else name


@lru_cache(maxsize=16)
def _iso639_translations(lang: str) -> gettext.NullTranslations:
    return gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[lang])


@lru_cache(maxsize=512)
def territory_name(code: str, lang: str = "en") -> str:
    """The name of a country or territory in `lang` ('ML' -> 'Mali', 'BE' -> 'Belgique'), CLDR;
    else the code."""
    return str(_cldr(lang).territories.get(code.upper(), code))
