"""The gettext catalogs agree with the code and with each other.

The template (`atlas.pot`) is what `pybabel extract` finds in the code today; every catalog has
exactly its keys; English and French translate all of them; each `.mo` is its `.po` compiled;
each translation keeps the English placeholders. Adding a language is a catalog: a compiled
catalog in a new folder is a new interface language, with English for what it leaves out.
"""

from __future__ import annotations

import io
import shutil
import string
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from pathways.analysis import gaps
from pathways.i18n import LANGS, STRINGS, catalogs, direction, language_name, t, tn
from pathways.i18n.extract import extract_keys
from pathways.i18n.runtime_keys import RUNTIME_KEYS
from pathways.model import inventory, public

ROOT = Path(__file__).resolve().parent.parent
ARABIC = range(0x0600, 0x0700)


def _po(lang: str) -> Catalog:
    with catalogs.po_path(lang).open("rb") as fp:
        return read_po(fp, locale=lang)


def _template() -> Catalog:
    with catalogs.template_path().open("rb") as fp:
        return read_po(fp)


def _ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id for m in catalog if m.id}


def _forms(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if message.pluralizable else (str(message.string),)


def _texts(catalog: Catalog) -> dict[object, object]:
    """id -> text(s) of every message, plural ids and forms as tuples (read_mo gives lists)."""
    return {
        m.id if isinstance(m.id, str) else tuple(m.id): (
            m.string if isinstance(m.string, str) else tuple(m.string)
        )
        for m in catalog
    }


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# --- the template and the code --------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What `pybabel extract -F babel.cfg` finds in the code now."""
    out = tmp_path_factory.mktemp("pot") / "atlas.pot"
    cli = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(out), str(ROOT)]
    CommandLineInterface().run(cli)
    with out.open("rb") as fp:
        return read_po(fp)


def test_the_template_is_up_to_date_with_the_code(extracted: Catalog) -> None:
    new, gone = _ids(extracted) - _ids(_template()), _ids(_template()) - _ids(extracted)
    assert not new and not gone, f"run pybabel extract, then update: new {new}, gone {gone}"


def test_every_key_the_code_uses_has_an_english_text(extracted: Catalog) -> None:
    english = _po("en")
    missing = [m.id for m in extracted if m.id and not all(_forms(english[m.id] or m))]
    assert missing == []


def test_keys_composed_at_run_time_exist() -> None:
    composed = [
        *RUNTIME_KEYS,
        *(f"gapkind_{kind}" for kind in inventory.GAP_KINDS),
        *(f"group_{group}" for group in inventory.GROUPS),
        *(f"req_{r}" for r in inventory.REQUIREMENTS),
        *(f"mode_{m}" for m in inventory.REFERRAL_MODES),
        *(f"cost_{c}" for c in typing.get_args(inventory.Service.model_fields["cost"].annotation)),
        *(c.key for c in inventory.TAXONOMY.values()),
        *gaps.MESSAGES.values(),
        *gaps.ACTIONS.values(),
        *gaps.GROUP_NAMES.values(),
        *gaps.CONDITION_TEXT.values(),
        *(key for _, key in gaps.NIGHT_AND_WEEKEND.values()),
        *public.LABELS.values(),
    ]
    assert [key for key in composed if key not in STRINGS] == []


# --- the catalogs ---------------------------------------------------------------------------


def test_every_catalog_has_exactly_the_templates_keys() -> None:
    template = _ids(_template())
    for lang in LANGS:
        ids = _ids(_po(lang))
        assert ids == template, f"{lang}: pybabel update ({sorted(map(str, ids ^ template))})"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_english_and_french_translate_every_message(lang: str) -> None:
    catalog = _po(lang)
    empty = [m.id for m in catalog if m.id and not all(_forms(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert empty == [] and fuzzy == []


@pytest.mark.parametrize("lang", LANGS)
def test_each_translation_keeps_the_english_placeholders(lang: str) -> None:
    english = _po("en")
    wrong = []
    for m in _po(lang):
        if not m.id:
            continue
        want = set().union(*map(_fields, _forms(english[m.id])))
        for form in filter(None, _forms(m)):
            got = _fields(form)
            # a plural form may leave out the count ("one month" for n = 1), nothing else
            if got != want and not (m.pluralizable and got | {"n"} == want):
                wrong.append((m.id, form))
    assert wrong == []


@pytest.mark.parametrize("lang", LANGS)
def test_each_compiled_catalog_is_its_source(lang: str) -> None:
    buffer = io.BytesIO()
    write_mo(buffer, _po(lang))
    buffer.seek(0)
    with catalogs.mo_path(lang).open("rb") as fp:
        committed = read_mo(fp)
    fresh = read_mo(buffer)
    assert _texts(committed) == _texts(fresh), (
        f"run pybabel compile -d pathways/i18n/locale -D atlas ({lang})"
    )
    assert committed.plural_forms == fresh.plural_forms


# --- a new language -------------------------------------------------------------------------


def test_the_arabic_sample_is_a_language_with_english_for_the_rest() -> None:
    assert "ar" in LANGS
    explore = t("nav_explore", "ar")
    assert explore != t("nav_explore", "en") and all(ord(c) in ARABIC for c in explore)
    assert t("found", "ar", n=2, total=5) == t("found", "en", n=2, total=5)  # not translated
    assert tn("gap_n_services", 3, "ar") == "3 services"  # no plural forms yet: English
    assert language_name("ar", "fr") == "arabe"
    assert direction("ar") == "rtl"


@pytest.fixture
def locale_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the catalogs' folder, read instead of the package's."""
    folder = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, folder)
    monkeypatch.setattr(catalogs, "LOCALE_DIR", folder)
    catalogs.clear_caches()
    yield folder
    catalogs.clear_caches()


def test_adding_a_catalog_adds_a_language(locale_dir: Path) -> None:
    catalog = Catalog(locale="it", domain=catalogs.DOMAIN)
    catalog.add("nav_explore", "Esplora")
    forms = ("{n} servizio",) + ("{n} servizi",) * (catalog.num_plurals - 1)
    catalog.add(("gap_n_services", "gap_n_services"), forms)
    folder = locale_dir / "it" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "atlas.mo").open("wb") as fp:
        write_mo(fp, catalog)
    assert catalogs.discover_languages() == ("en", "fr", "ar", "it")
    assert catalogs.lookup("nav_explore", "it") == "Esplora"
    assert tn("gap_n_services", 1, "it") == "1 servizio"
    assert tn("gap_n_services", 2, "it") == "2 servizi"
    assert t("nav_gaps", "it") == "Gaps"  # English for the rest


# --- the extractor --------------------------------------------------------------------------

SOURCE = """
from pathways import i18n
from pathways.i18n import N_, tn
from pathways.i18n import t as say

KINDS = {"a": N_("kind_a")}
t = {"title": "not a key"}
say("literal", lang)
say("cost_" + value, lang)
say(f"col_{name}", lang)
i18n.t("through_module", lang)
tn("counted", n, lang)
t["title"]
"""


def test_the_extractor_takes_only_our_functions_with_a_literal_key() -> None:
    found = list(extract_keys(io.BytesIO(SOURCE.encode()), (), (), {}))
    assert [(keyword, key) for _, keyword, key, _ in found] == [
        ("gettext", "kind_a"),
        ("gettext", "literal"),
        ("gettext", "through_module"),
        ("ngettext", ("counted", "counted")),
    ]
