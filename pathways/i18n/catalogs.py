"""The gettext catalogs of the interface: where they are, which languages they give, their texts.

Each language is a folder `locale/<lang>/LC_MESSAGES/` holding `atlas.po` (the source, edited by
translators) and `atlas.mo` (compiled with `pybabel compile`, read here). The message ids are
symbolic keys (`nav_explore`); `en/atlas.po` holds the English texts.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
"""The catalogs' folder, shipped with the package (read at call time: tests may point it
elsewhere, then clear the caches with `clear_caches`)."""

DOMAIN = "atlas"
"""The gettext domain: the catalogs' file name."""

SOURCE_LANG = "en"
"""The language every key has a text in, and the last stop of every lookup before the key."""

_FIRST = (SOURCE_LANG, "fr")


def mo_path(lang: str) -> Path:
    """The compiled catalog of `lang` (it may not exist)."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def po_path(lang: str) -> Path:
    """The source catalog of `lang` (it may not exist)."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def template_path() -> Path:
    """The template that `pybabel extract` writes and `pybabel init` / `update` read."""
    return LOCALE_DIR / f"{DOMAIN}.pot"


def discover_languages() -> tuple[str, ...]:
    """The languages with a compiled catalog: English, French, then the others alphabetically."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    first = [lang for lang in _FIRST if lang in found]
    return (*first, *sorted(found - set(first)))


@lru_cache(maxsize=32)
def translations(lang: str) -> NullTranslations:
    """The compiled catalog of `lang` (without fallback), or an empty one when there is none."""
    path = mo_path(lang)
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as fp:
        return Translations(fp, domain=DOMAIN)


@lru_cache(maxsize=32)
def messages(lang: str) -> dict[str, str]:
    """Key -> text of every translated singular message of `lang` (plural messages left out)."""
    path = mo_path(lang)
    if not path.is_file():
        return {}
    with path.open("rb") as fp:
        catalog = read_mo(fp)
    return {m.id: str(m.string) for m in catalog if m.id and isinstance(m.id, str) and m.string}


def clear_caches() -> None:
    """Forget the catalogs read so far (after `LOCALE_DIR` or a catalog changed)."""
    translations.cache_clear()
    messages.cache_clear()


def lookup(key: str, lang: str, n: int | None = None) -> str:
    """The text of `key` in `lang`, else in English, else the key itself.

    With `n`, the plural form for `n` by the catalog's own `Plural-Forms` (ngettext). An
    untranslated message compiles to its key, so a text equal to the key means "not here".
    """
    for code in (lang, SOURCE_LANG) if lang != SOURCE_LANG else (lang,):
        catalog = translations(code)
        text = catalog.gettext(key) if n is None else catalog.ngettext(key, key, n)
        if text != key:
            return text
    return key
