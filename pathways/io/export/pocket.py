"""The pocket guide: one sheet (two sides of A4) for frontline staff of a site.

In the spirit of the IASC GBV Pocket Guide: the data status said loudly, a decision flow (danger?
sexual assault within 72 h? a GBV actor to refer to?), then per need who to call in office hours
and at night or on weekends (phone, hours, languages, conditions), then the gaps a frontline
person must know about, each with what to do instead.

A confidential service shows only what the public view allows and the sheet never prints a place
at all: a name, a phone, hours. The service texts are the protocol's (`protocol._card`), the
words the catalogs' (`pocket_*` keys), the fonts and right-to-left handling the protocol PDF's.
The sheet always has exactly two pages: it lists at most `MAX_PER_SLOT` services per need and
time of day, fewer if that does not fit, and says how many more the full protocol has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pathways.analysis.gaps import Gap, find_gaps
from pathways.i18n import LANGS, N_, t
from pathways.io.export._pocket_pdf import pocket_pdf
from pathways.io.export._write import atomic_output
from pathways.io.export.options import ExportOptions, one_site
from pathways.io.export.pocket_content import Pocket, PocketNeed
from pathways.io.export.protocol import _card, hours_text
from pathways.io.export.protocol_content import Card
from pathways.io.export.public import PublicService, public_services
from pathways.model import clock
from pathways.model.errors import InventoryError
from pathways.model.inventory import Hours, Inventory, category_label

__all__ = [
    "Pocket",
    "PocketNeed",
    "build_pocket",
    "office_minutes",
    "pocket_bytes",
    "write_pocket",
]

NEEDS: tuple[tuple[str, ...], ...] = (
    ("health.cmr",),
    ("safety.police", "safety.shelter"),
    ("mhpss",),
    ("case_management",),
    ("legal",),
    ("child_protection",),
    ("hotline",),
)
"""The needs the guide lists, in order: each a tuple of taxonomy ids served together."""

OFFICE = (8 * 60, 18 * 60)
"""Office hours, Monday to Friday: from 08:00 to 18:00 (minutes of the day)."""

MAX_PER_SLOT = 3
"""At most this many services per need and time of day (fewer when the sheet would not fit)."""

NBSP = "\u00a0"
"""NO-BREAK SPACE: between the groups of a phone number, so a line never breaks inside it."""

MAX_GAPS = 6
"""At most this many gaps (missing categories first, then critical, then major ones)."""

WORDS: dict[str, str] = {
    "title": N_("pocket_title"),
    "flow_title": N_("pocket_flow_title"),
    "danger_q": N_("pocket_danger_q"),
    "danger_yes": N_("pocket_danger_yes"),
    "rape_q": N_("pocket_rape_q"),
    "rape_yes": N_("pocket_rape_yes"),
    "actor_q": N_("pocket_actor_q"),
    "actor_yes": N_("pocket_actor_yes"),
    "actor_no": N_("pocket_actor_no"),
    "principles": N_("pocket_principles"),
    "needs_title": N_("pocket_needs_title"),
    "office": N_("pocket_office"),
    "night": N_("pocket_night"),
    "none": N_("pocket_none"),
    "none_night": N_("pocket_none_night"),
    "gaps_title": N_("pocket_gaps_title"),
    "no_gaps": N_("pocket_no_gaps"),
    "instead": N_("pocket_instead"),
    "yes": N_("pocket_yes"),
    "no": N_("pocket_no"),
    "illustrative": N_("protocol_illustrative"),
    "verified": N_("protocol_verified"),
    "conditions": N_("protocol_conditions"),
    "footer": N_("protocol_footer"),
    "colon": N_("colon"),
}
"""The guide's words: the name the layout uses -> its catalog key."""


# --- hours -------------------------------------------------------------------------------------


def office_minutes(hours: Hours) -> tuple[int, int]:
    """Minutes a week open within office hours (Mon–Fri 08–18) and outside them.

    Unknown hours count as office hours only: nobody should be sent there at night on a guess.
    """
    if not hours.known:
        return 1, 0
    inside = outside = 0
    for day, spans in enumerate(hours.week):
        for start, end in spans:
            overlap = max(0, min(end, OFFICE[1]) - max(start, OFFICE[0])) if day < 5 else 0
            inside += overlap
            outside += end - start - overlap
    return inside, outside


# --- content -----------------------------------------------------------------------------------


def _ranked(services: Sequence[PublicService]) -> list[PublicService]:
    """Entry points first (a survivor can go there directly), then the longest open."""
    return sorted(services, key=lambda ps: (not ps.service.entry_point, -sum(_minutes(ps))))


def _minutes(ps: PublicService) -> tuple[int, int]:
    return office_minutes(ps.service.hours)


def _need(
    categories: tuple[str, ...], public: Sequence[PublicService], lang: str, limit: int
) -> PocketNeed:
    providers = _ranked([ps for ps in public if any(ps.service.has(c) for c in categories)])
    office = [ps for ps in providers if _minutes(ps)[0] > 0]
    night = [ps for ps in providers if _minutes(ps)[1] > 0]
    return PocketNeed(
        label=" / ".join(category_label(c, lang) for c in categories),
        office=tuple(_short_card(ps, lang) for ps in office[:limit]),
        night=tuple(_short_card(ps, lang) for ps in night[:limit]),
        more_office=max(0, len(office) - limit),
        more_night=max(0, len(night) - limit),
    )


def _short_card(ps: PublicService, lang: str) -> Card:
    """The protocol's card of a service, its hours without their note (the protocol has it)."""
    card = _card(ps, lang)
    phone = card.phone.replace(" ", NBSP)  # a phone number never broken across lines
    return replace(card, hours=hours_text(ps.service.hours, lang), phone=phone)


def _call(cards: Sequence[Card], lang: str) -> str:
    """'Name (phone)' of the first two services, or the 'no service mapped' words."""
    named = [f"{c.name} ({c.phone})" if c.phone else c.name for c in cards[:2]]
    return ", ".join(named) if named else t("pocket_none", lang)


def _flow(needs: dict[str, PocketNeed], lang: str) -> tuple[tuple[str, str, str], ...]:
    """The decision flow, each answer naming whom to call at this site."""

    def first(key: str) -> tuple[Card, ...]:
        need = needs[key]
        return need.office + tuple(c for c in need.night if c not in need.office)

    w = {name: t(key, lang) for name, key in WORDS.items()}
    return (
        (w["danger_q"], f"{w['danger_yes']} {_call(first('safety.police'), lang)}", ""),
        (w["rape_q"], f"{w['rape_yes']} {_call(first('health.cmr'), lang)}", ""),
        (
            w["actor_q"],
            f"{w['actor_yes']} {_call(first('case_management'), lang)}",
            f"{w['actor_no']} {_call(first('hotline'), lang)}",
        ),
    )


FRONTLINE_GAPS = (
    "missing_category",
    "unreachable",
    "time_critical",
    "hours",
    "language",
    "eligibility",
    "supplies",
    "deterrent",
)
"""The kinds of gap a frontline person meets with the person in front of them; the others (a
single point of failure, an orphan, a dead end, stale data) are the network's to mend."""


def _gaps(
    inventory: Inventory, needs: dict[str, PocketNeed], lang: str, today: dt.date
) -> tuple[list[tuple[str, str]], int]:
    """The gaps a frontline person must know about, missing categories first, each with whom
    to call instead at this site; and how many more (critical and major) the protocol lists."""
    gaps = [
        g
        for g in find_gaps(inventory, as_of=today)
        if g.severity != "minor" and g.kind in FRONTLINE_GAPS
    ]
    gaps.sort(key=lambda g: (g.kind != "missing_category", g.severity != "critical"))
    shown = [(g.text(lang), _instead(g, needs, lang)) for g in gaps[:MAX_GAPS]]
    return shown, len(gaps) - len(shown)


def _instead(gap: Gap, needs: dict[str, PocketNeed], lang: str) -> str:
    """What a frontline person does instead: call a service of the need the gap is about (sent
    directly, not through the broken route), else the helpline or a case worker."""

    def cards(key: str) -> tuple[Card, ...]:
        need = needs.get(key)
        if need is None:
            return ()
        return need.office + tuple(c for c in need.night if c not in need.office)

    def about(category: str, cats: tuple[str, ...]) -> bool:
        return any(category == c or f"{category}.".startswith(f"{c}.") for c in cats) or any(
            c.startswith(f"{category}.") for c in cats
        )

    language = gap.kind == "language"
    words = N_("pocket_instead_interpreter") if language else N_("pocket_instead_call")
    for category in gap.categories:
        for key, cats in zip(needs, NEEDS, strict=True):
            if about(category, cats) and cards(key):
                return t(words, lang, who=_call(cards(key), lang))
    fallback = cards("hotline") or cards("case_management")
    return t("pocket_instead_ask", lang, who=_call(fallback, lang))


def build_pocket(
    inventory: Inventory,
    *,
    lang: str = "en",
    as_of: dt.date | None = None,
    limit: int = MAX_PER_SLOT,
) -> Pocket:
    """The content of one site's pocket guide, `limit` services per need and time of day."""
    lang = lang if lang in LANGS else LANGS[0]  # a language without a catalog: English
    today = as_of or clock.today()
    public = public_services(inventory)
    needs = {cats[0]: _need(cats, public, lang, limit) for cats in NEEDS}
    gaps, more = _gaps(inventory, needs, lang, today)
    return Pocket(
        site_name=inventory.site.name,
        lang=lang,
        printed=today,
        illustrative=inventory.site.data_status != "field-verified",
        flow=_flow(needs, lang),
        needs=tuple(needs.values()),
        gaps=tuple(gaps),
        more_gaps=more,
        text={name: t(key, lang) for name, key in WORDS.items()},
    )


def pocket_bytes(inventory: Inventory, *, lang: str = "en", as_of: dt.date | None = None) -> bytes:
    """The guide as a two-page PDF: the most services per need that still fit on two pages."""
    for limit in range(MAX_PER_SLOT, 0, -1):
        pdf, pages = pocket_pdf(build_pocket(inventory, lang=lang, as_of=as_of, limit=limit))
        if pages <= 2:
            return pdf
    raise InventoryError(
        f"{inventory.site.id}: the pocket guide does not fit on two pages even with one service "
        "per need: export the full protocol (--format protocol) instead"
    )


def write_pocket(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write one site's pocket guide as a two-page PDF."""
    path = Path(path)
    if path.suffix != ".pdf":
        raise InventoryError(f"--out {path}: a pocket guide is written as .pdf")
    inventory = one_site(inventories, "pocket")
    data = pocket_bytes(inventory, lang=options.lang, as_of=options.as_of)
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
