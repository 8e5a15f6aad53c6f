"""A scanner for English left in French output, and the inventory texts it must let through.

`english_pieces(text, allowed)` finds the words of `ENGLISH_WORDS` (whole words, any case) and
English-style decimals ('0.5 h', '12.5 %') in a French text, once the `allowed` texts (service
and organisation names, addresses... that the inventory gives only in English) are taken out.
HTML is read as text: tags, `<style>` and `<script>` blocks are dropped and entities unescaped,
so the allowed texts match as the inventory writes them. Used on cards, the protocol, route
texts, gap sentences and pages.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from pathways.model.inventory import TRANSLATED, Inventory

ENGLISH_WORDS: frozenset[str] = frozenset(
    """
    the and of with without for from to by at is are was be been not no none nor but than then
    this that these those which who whom whose when where there their they she her his its
    has have had can cannot could will would should must may might any every each all other
    others more most only also about after before between within until into over under per
    open opened closed opening hours hour days day week weekday weekend weekends night nights
    requires required require referral referrals referred refers letter fee papers paper
    identity reporting mandatory documented undocumented people women girls boys men
    children child everyone anyone nobody speaks speak language languages interpretation
    interpreter available unavailable unknown recorded yes seen waits arrival arrives
    reached reach reachable unreachable missing late too more gap gaps minor major critical
    entry care health safety shelter free low cost phone call escorted accompanied
    own self excluded left why how what
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
"""Common English words that a French sentence never uses (whole words, any case). Words that
are also French ('a', 'on', 'or', 'as', 'an', 'en', 'route', 'service', 'case', 'via', 'police',
'point', 'total', 'support', 'report'...) are left out on purpose."""

ALWAYS_ALLOWED = ("Referral Atlas",)
"""The app's name, the same in every language."""

_DECIMAL = re.compile(r"\b\d+\.\d+\s*(?:h\b|km\b|%|min\b)")
_WORD = re.compile(r"\b[^\W\d_]+\b")  # letters only: not in hashes; apostrophes split
_URL = re.compile(r"(?:https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+\.(?:org|com|be)\S*)")
_BLOCK = re.compile(r"<(style|script)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def as_text(text: str) -> str:
    """HTML (or plain text) as the words a reader sees: no tags, styles, scripts or entities."""
    text = _BLOCK.sub(" ", text)
    text = _TAG.sub(" ", text)
    return html.unescape(text)


def english_pieces(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The English words and English-style decimals in a French `text`, each with its context.

    `allowed` texts (exact, case-sensitive) are removed first, longest first, so that an
    English name the inventory gives does not count. An empty list means no English piece.
    """
    text = as_text(text)
    for piece in sorted({*ALWAYS_ALLOWED, *(a for a in allowed if a)}, key=len, reverse=True):
        text = text.replace(piece, " · ")
    text = _URL.sub(" ", text)
    found = []
    for m in _DECIMAL.finditer(text):
        found.append(f"{m.group(0)!r} in {_context(text, m.start(), m.end())!r}")
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word.lower() in ENGLISH_WORDS:
            found.append(f"{word!r} in {_context(text, m.start(), m.end())!r}")
    return found


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    return " ".join(text[max(0, start - width) : end + width].split())


def untranslated_texts(inventory: Inventory, lang: str = "fr") -> list[str]:
    """Every inventory text a `lang` reader may see that the inventory does not give in `lang`.

    Service ids; the translatable texts (names, organisations, descriptions, hours notes, notes)
    of services without a `lang` version; addresses, areas; the site's name and description;
    referral notes and sources.
    These are the inventory's words, shown as written: a scanner lets them through.
    """
    site = inventory.site
    out = [site.name, site.description or ""]
    for s in inventory.services:
        out.append(s.id)  # ids are printed in brackets by the command line
        given = s.translations.get(lang)
        for key in TRANSLATED:
            if getattr(given, key, None) is None:
                out.append(getattr(s, key) or "")
        for point in (s.location, s.intake):
            if point is not None:
                out += [point.address or "", point.area or ""]
    for r in inventory.referrals:
        out += [r.notes or "", r.source or ""]
    return [x for x in out if x]
