"""The printable referral protocol: the page a frontline worker pins on the wall.

Per site: the data status (illustrative data said loudly), the 72 h / 120 h windows after
rape, the entry points, then for each need the services that meet it and who refers there,
the known gaps, and a contact directory. In any interface language, as HTML (the Jinja2
template `templates/protocol.html.j2`, every inventory text escaped by autoescape) or PDF
(`pathways.io.export._pdf`, fpdf2). A right-to-left language gives a right-to-left page in both.

The words are the gettext catalogs' (`protocol_*` keys, `WORDS`): a language's catalog gives
its protocol, English standing in for the texts it does not translate yet. Weekday names come
from CLDR.

`build_protocol` computes the content once (`protocol_content`); the two renderers only lay it
out.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import jinja2
import networkx as nx
import pycountry

from pathways.analysis.gaps import find_gaps, policy_lines
from pathways.analysis.graph import build_referral_graph, serves_need
from pathways.analysis.routes import Profile, route
from pathways.i18n import LANGS, N_, day_name, join, number, semicolon, t, tn
from pathways.i18n.catalogs import SOURCE_LANG
from pathways.io.export._pdf import protocol_pdf
from pathways.io.export._write import atomic_output
from pathways.io.export.options import ExportOptions
from pathways.io.export.protocol_content import Card, Gap, Need, SiteProtocol
from pathways.io.export.public import PublicService, public_services
from pathways.model import clock
from pathways.model.errors import InventoryError
from pathways.model.inventory import Hours, Inventory, Service, category_label
from pathways.public.card import week_text

__all__ = [
    "Card",
    "Gap",
    "Need",
    "SiteProtocol",
    "build_protocol",
    "day_names",
    "hours_text",
    "language_name",
    "protocol_html",
    "protocol_pdf",
    "protocol_words",
    "write_protocol",
]

NEED_ORDER = (
    "health.cmr",
    "mhpss",
    "case_management",
    "safety.shelter",
    "safety.police",
    "legal",
    "child_protection",
    "health.srh",
    "health.general",
    "hotline",
    "interpretation",
    "basic_needs",
    "livelihoods",
    "community",
)
"""The order of the steps: clinical care first (it cannot wait), then the minimum package."""

PEP_HOURS = 72.0
"""Post-exposure prophylaxis must start within 72 hours."""

MAX_REFERRERS = 4
"""At most this many 'referred by' lines per service (the rest are counted)."""

WORDS: dict[str, str] = {
    "title": N_("protocol_title"),
    "printed": N_("protocol_printed"),
    "updated": N_("protocol_updated"),
    "illustrative": N_("protocol_illustrative"),
    "verified": N_("protocol_verified"),
    "urgent_title": N_("protocol_urgent_title"),
    "urgent": N_("protocol_urgent"),
    "principles": N_("protocol_principles"),
    "entry_title": N_("protocol_entry_title"),
    "steps_title": N_("protocol_steps_title"),
    "window_cmr": N_("protocol_window_cmr"),
    "to_care": N_("protocol_to_care"),
    "on_site": N_("protocol_on_site"),
    "too_late": N_("protocol_too_late"),
    "about": N_("protocol_about"),
    "no_route": N_("protocol_no_route"),
    "cmr_where": N_("protocol_cmr_where"),
    "referred_by": N_("protocol_referred_by"),
    "none_mapped": N_("protocol_none_mapped"),
    "gaps_title": N_("protocol_gaps_title"),
    "no_gaps": N_("protocol_no_gaps"),
    "todo": N_("protocol_todo"),
    "policy_title": N_("protocol_policy_title"),
    "status_short": N_("protocol_status_short"),
    "verified_short": N_("protocol_verified_short"),
    "directory_title": N_("protocol_directory_title"),
    "service": N_("protocol_service"),
    "offers": N_("protocol_offers"),
    "hours": N_("protocol_hours"),
    "languages": N_("protocol_languages"),
    "phone": N_("protocol_phone"),
    "contact": N_("protocol_contact"),
    "place": N_("protocol_place"),
    "who": N_("protocol_who"),
    "conditions": N_("protocol_conditions"),
    "interpreter": N_("protocol_interpreter"),
    "everyone": N_("protocol_everyone"),
    "ages": N_("protocol_ages"),
    "from_age": N_("protocol_from_age"),
    "documented": N_("protocol_documented"),
    "unknown_hours": N_("protocol_unknown_hours"),
    "always": N_("protocol_always"),
    "closed": N_("protocol_closed"),
    "hidden": N_("protocol_hidden"),
    "footer": N_("protocol_footer"),
    "colon": N_("colon"),
    "critical": N_("sev_critical"),
    "major": N_("sev_major"),
    "minor": N_("sev_minor"),
}
"""The protocol's words: the name the template and the PDF layout use -> its catalog key."""

MODES: dict[str, str] = {
    "escorted": N_("protocol_mode_escorted"),
    "accompanied-call": N_("protocol_mode_accompanied-call"),
    "phone": N_("protocol_mode_phone"),
    "form": N_("protocol_mode_form"),
    "self": N_("protocol_mode_self"),
}
"""How a referral is made, in the protocol's words (catalog keys)."""

GROUPS: dict[str, str] = {
    "women": N_("protocol_group_women"),
    "men": N_("protocol_group_men"),
    "girls": N_("protocol_group_girls"),
    "boys": N_("protocol_group_boys"),
    "nonbinary": N_("protocol_group_nonbinary"),
}
"""Who a service serves, in the protocol's words (catalog keys)."""

REQUIRES: dict[str, str] = {
    "police_report": N_("protocol_req_police_report"),
    "mandatory_reporting": N_("protocol_req_mandatory_reporting"),
    "documents": N_("protocol_req_documents"),
    "referral_letter": N_("protocol_req_referral_letter"),
    "fee": N_("protocol_req_fee"),
}
"""What a service requires, in the protocol's words (catalog keys)."""


def protocol_words(lang: str = "en") -> dict[str, str]:
    """The protocol's words in `lang` (English where the catalog has no text), by name."""
    return {name: t(key, lang) for name, key in WORDS.items()}


def day_names(lang: str = "en") -> tuple[str, ...]:
    """Short weekday names from CLDR, without the abbreviation's dot: 'Mon' / 'lun'."""
    return tuple(day_name(i, lang, short=True).rstrip(".") for i in range(7))


# --- content -----------------------------------------------------------------------------------


def hours_text(hours: Hours, lang: str = "en") -> str:
    """Opening hours in words, days with the same hours grouped: 'Mon–Fri 09:00–17:00'."""
    if not hours.known:
        return t("protocol_unknown_hours", lang)
    if hours.is_24_7:
        return t("protocol_always", lang)
    return week_text(hours, day_names(lang), semicolon(lang)) or t("protocol_closed", lang)


@lru_cache(maxsize=256)
def language_name(code: str, lang: str = "en") -> str:
    """The ISO 639 name of a language in `lang` ('ar' -> 'Arabic' / 'arabe'), from pycountry's
    translations; English when it has none in `lang`."""
    record = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    record = record or pycountry.languages.get(alpha_3=code)
    if record is None:
        return code
    name = str(record.name)
    if lang != SOURCE_LANG:
        try:
            tr = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[lang])
            name = tr.gettext(name)
        except OSError:
            pass
    return name


def _who(s: Service, lang: str) -> str:
    groups = (
        t("protocol_everyone", lang)
        if len(s.serves) == len(GROUPS)
        else join((t(GROUPS[g], lang) for g in s.serves), lang)
    )
    parts = [groups]
    if s.age_max is not None:
        parts.append(t("protocol_ages", lang, a=s.age_min, b=s.age_max))
    elif s.age_min:
        parts.append(t("protocol_from_age", lang, a=s.age_min))
    if s.legal_status == "documented-only":
        parts.append(t("protocol_documented", lang))
    return "; ".join(parts)


def _place(ps: PublicService, lang: str) -> str:
    """Where the service is, as the public view allows: an address, an area, or withheld."""
    if ps.place is None:
        return t("protocol_hidden", lang)
    if ps.precision == "exact":
        return ", ".join(x for x in (ps.address, ps.area) if x)
    return ps.place_label(lang) + (f": {ps.address}" if ps.address else "")


def _card(ps: PublicService, lang: str, referred_by: tuple[str, ...] = ()) -> Card:
    s = ps.service
    langs = ", ".join(language_name(c, lang) for c in s.languages)
    if s.interpretation:
        interpreter = t("protocol_interpreter", lang)
        langs = f"{langs}; {interpreter}" if langs else interpreter
    return Card(
        id=s.id,
        name=s.name_in(lang),
        organisation=s.text_in("organisation", lang) or "",
        offers=", ".join(category_label(c, lang) for c in s.categories),
        hours=hours_text(s.hours, lang)
        + (f" ({note})" if (note := s.text_in("hours_note", lang)) else ""),
        languages=langs,
        phone=(s.contact.phone or "") if s.contact else "",
        email=(s.contact.email or "") if s.contact else "",
        who=_who(s, lang),
        conditions=join((t(REQUIRES[r], lang) for r in s.requires), lang),
        place=_place(ps, lang),
        referred_by=referred_by,
    )


@lru_cache(maxsize=4096)
def _hours(h: float, lang: str) -> str:
    """'2 h', '1.5 h' / '1,5 h': hours with a decimal only when they have one (a national
    protocol writes tens of thousands, of a few hundred values)."""
    return f"{number(h, lang, 0 if float(h).is_integer() else 1)} h"


def _referred_by(
    G: nx.DiGraph, inventory: Inventory, sid: str, need: str, lang: str
) -> tuple[str, ...]:
    """Who refers to `sid` for `need`: 'Name (how, ~2 h)', at most `MAX_REFERRERS` lines."""

    def name(u: str) -> str:
        return inventory.by_id[u].name_in(lang)

    out = []
    for u in sorted(G.predecessors(sid), key=name):
        if serves_need(G, u, sid, need):
            r = G.edges[u, sid]["referral"]
            out.append(f"{name(u)} ({t(MODES[r.mode], lang)}, ~{_hours(r.delay, lang)})")
    if len(out) > MAX_REFERRERS:  # a wall chart, not a network listing
        rest = len(out) - MAX_REFERRERS + 1
        out = [*out[: MAX_REFERRERS - 1], tn("protocol_and_more", rest, lang)]
    return tuple(out)


def _needs(
    G: nx.DiGraph, inventory: Inventory, public: dict[str, PublicService], lang: str
) -> tuple[Need, ...]:
    """The steps, in `NEED_ORDER`: every need a service meets or the minimum package asks for."""
    package = {c for item in inventory.minimum_package() for c in item}
    needs = []
    for need in NEED_ORDER:
        providers = [s for s in inventory.services if s.has(need)]
        if not providers and need not in package:
            continue
        cards = tuple(
            _card(public[s.id], lang, _referred_by(G, inventory, s.id, need, lang))
            for s in providers
        )
        window = t("protocol_window_cmr", lang) if need == "health.cmr" else ""
        needs.append(Need(need, category_label(need, lang), window, cards))
    return tuple(needs)


def _to_care(G: nx.DiGraph, inventory: Inventory, lang: str) -> dict[str, str]:
    """Per entry point: 'X → Y, about 2 h' to clinical care after rape (weekday, 10:00)."""
    out = {}
    for s in inventory.services:
        if not s.entry_point:
            continue
        r = route(G, Profile(entry=s.id, weekday=0, hour=10.0), need="health.cmr", explain=False)
        if not (r.found and r.total_hours is not None):
            out[s.id] = t("protocol_no_route", lang)
        elif len(r.steps) <= 1:
            out[s.id] = t("protocol_on_site", lang)
        else:
            path = " → ".join(inventory.by_id[step.service].name_in(lang) for step in r.steps[1:])
            late = f" ({t('protocol_too_late', lang)})" if r.total_hours > PEP_HOURS else ""
            hours = number(max(r.total_hours, 1), lang, 0)
            out[s.id] = f"{path}, {t('protocol_about', lang)} {hours} h{late}"
    return out


def _gaps(
    G: nx.DiGraph, inventory: Inventory, lang: str, today: dt.date
) -> tuple[tuple[Gap, ...], int]:
    """The critical and major gaps, in words, and how many minor ones are left out."""
    gaps = find_gaps(inventory, G=G, as_of=today)
    shown = tuple(
        Gap(
            g.severity,
            t(WORDS[g.severity], lang),
            g.text(lang),
            f"{g.action_text(lang)} ({g.owner_text(lang)})",
        )
        for g in gaps
        if g.severity != "minor"
    )
    return shown, len(gaps) - len(shown)


def build_protocol(
    inventory: Inventory, *, lang: str = "en", as_of: dt.date | None = None
) -> SiteProtocol:
    """The content of one site's protocol, computed from the inventory, graph and gaps."""
    lang = lang if lang in LANGS else LANGS[0]  # a language without a catalog: English
    today = as_of or clock.today()
    G = build_referral_graph(inventory)
    public = {ps.service.id: ps for ps in public_services(inventory)}
    to_care = _to_care(G, inventory, lang)
    gaps, minor = _gaps(G, inventory, lang, today)
    by_name = sorted(inventory.services, key=lambda s: s.name_in(lang).casefold())
    return SiteProtocol(
        site_id=inventory.site.id,
        site_name=inventory.site.name,
        lang=lang,
        printed=today,
        updated=inventory.site.updated,
        illustrative=inventory.site.data_status != "field-verified",
        entry_points=tuple(
            replace(_card(public[s.id], lang), to_care=to_care[s.id])
            for s in inventory.services
            if s.entry_point
        ),
        needs=_needs(G, inventory, public, lang),
        cmr=tuple(_card(public[s.id], lang) for s in inventory.services if s.has("health.cmr")),
        gaps=gaps,
        minor_gaps=minor,
        minor_text=tn("protocol_more_gaps", minor, lang),
        policy=tuple(policy_lines(inventory, lang)),
        directory=tuple(_card(public[s.id], lang) for s in by_name),
        text=protocol_words(lang),
    )


# --- HTML --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pathways.io.export", "templates"),
        autoescape=True,  # every inventory text is escaped, whatever the template's file name
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("protocol.html.j2")


def protocol_html(protocols: Sequence[SiteProtocol]) -> str:
    """The protocols as one standalone HTML page (a page break between sites)."""
    first = protocols[0] if protocols else None
    return _template().render(
        protocols=protocols,
        lang=first.lang if first else "en",
        direction=first.direction if first else "ltr",
        text=first.text if first else protocol_words(),
    )


def write_protocol(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write the protocol of every site: `.html`, or `.pdf` (one site after the other)."""
    path = Path(path)
    if path.suffix not in (".html", ".htm", ".pdf"):
        raise InventoryError(f"--out {path}: a protocol is written as .html or .pdf")
    protocols = [build_protocol(inv, lang=options.lang, as_of=options.as_of) for inv in inventories]
    with atomic_output(path) as tmp:
        if path.suffix == ".pdf":
            tmp.write_bytes(protocol_pdf(protocols))
        else:
            tmp.write_text(protocol_html(protocols), encoding="utf-8")
