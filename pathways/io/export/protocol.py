"""The printable referral protocol: the page a frontline worker pins on the wall.

Per site: the data status (illustrative data said loudly), the 72 h / 120 h windows after
rape, the entry points, then for each need the services that meet it and who refers there,
the known gaps, and a contact directory. In English or French, as HTML (every inventory text
escaped by Jinja2's autoescape) or PDF (`pathways.io.export._pdf`, fpdf2).

`build_protocol` computes the content once; the two renderers only lay it out.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pathways.i18n import join, number, plural, semicolon
from pathways.io.export._write import atomic_output
from pathways.io.export.public import PublicService, public_services
from pathways.model import clock
from pathways.model.inventory import Hours, Inventory, Service, category_label
from pathways.public.card import week_text

if TYPE_CHECKING:
    import networkx as nx

    from pathways.io.export import ExportOptions

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

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Referral pathway for survivors of sexual and gender-based violence",
        "printed": "Printed",
        "updated": "data updated",
        "illustrative": "ILLUSTRATIVE DATA: not a directory of real services. Do not use it to "
        "refer survivors.",
        "verified": "Field-verified data. Check a contact by phone before referring.",
        "urgent_title": "After rape: act within 72 hours",
        "urgent": "HIV post-exposure prophylaxis (PEP) must start within 72 hours and emergency "
        "contraception within 120 hours. Refer to clinical care first, before anything else.",
        "principles": "Safety first. Confidentiality. Respect the survivor's choices. "
        "No discrimination. Refer only with her informed consent.",
        "entry_title": "Where survivors can arrive directly",
        "steps_title": "Steps for each need",
        "window_cmr": "within 72 h (PEP) and 120 h (emergency contraception)",
        "to_care": "To clinical care (weekday, 10:00)",
        "on_site": "on site",
        "too_late": "beyond 72 h: too late for PEP",
        "about": "about",
        "no_route": "no referral route leads to clinical care",
        "cmr_where": "Clinical care after rape",
        "referred_by": "Referred by",
        "and_more_one": "and {n} more",
        "and_more_other": "and {n} more",
        "none_mapped": "No service is mapped for this need: see the gaps below.",
        "gaps_title": "Known gaps in this pathway",
        "no_gaps": "No gap found.",
        "more_gaps_one": "and {n} minor gap (the full list: pathways gaps)",
        "more_gaps_other": "and {n} minor gaps (the full list: pathways gaps)",
        "todo": "What to do",
        "policy_title": "This site's policy on gaps",
        "colon": ":",
        "status_short": "ILLUSTRATIVE DATA",
        "verified_short": "field-verified data",
        "directory_title": "Contacts",
        "service": "Service",
        "offers": "Offers",
        "hours": "Hours",
        "languages": "Languages",
        "phone": "Phone",
        "contact": "Contact",
        "place": "Place",
        "who": "Who",
        "conditions": "Conditions",
        "interpreter": "interpreter available",
        "everyone": "everyone",
        "ages": "ages {a}–{b}",
        "from_age": "from age {a}",
        "documented": "documented people only",
        "unknown_hours": "hours not known",
        "always": "24 h a day, 7 days a week",
        "closed": "closed",
        "hidden": "location not shown: contact by phone",
        "footer": "Referral Atlas · {site} · printed {date}",
        "critical": "critical",
        "major": "major",
        "minor": "minor",
    },
    "fr": {
        "title": "Circuit de référencement des survivant·es de violences sexuelles et basées sur "
        "le genre",
        "printed": "Imprimé le",
        "updated": "données mises à jour le",
        "illustrative": "DONNÉES ILLUSTRATIVES : ce n'est pas un annuaire de services réels. "
        "Ne pas l'utiliser pour orienter des survivant·es.",
        "verified": "Données vérifiées sur le terrain. Vérifiez un contact par téléphone avant "
        "d'orienter.",
        "urgent_title": "Après un viol : agir dans les 72 heures",
        "urgent": "La prophylaxie post-exposition au VIH (PPE) doit commencer dans les 72 heures "
        "et la contraception d'urgence dans les 120 heures. Orientez d'abord vers les soins "
        "cliniques, avant toute autre démarche.",
        "principles": "La sécurité d'abord. Confidentialité. Respect des choix de la survivante. "
        "Non-discrimination. Orienter seulement avec son consentement éclairé.",
        "entry_title": "Où les survivant·es peuvent se présenter directement",
        "steps_title": "Étapes pour chaque besoin",
        "window_cmr": "dans les 72 h (PPE) et 120 h (contraception d'urgence)",
        "to_care": "Vers les soins cliniques (en semaine, 10:00)",
        "on_site": "sur place",
        "too_late": "au-delà de 72 h : trop tard pour la PPE",
        "about": "environ",
        "no_route": "aucune voie de référencement ne mène aux soins cliniques",
        "cmr_where": "Soins cliniques après un viol",
        "referred_by": "Orienté par",
        "and_more_one": "et {n} autre",
        "and_more_other": "et {n} autres",
        "none_mapped": "Aucun service n'est recensé pour ce besoin : voir les lacunes ci-dessous.",
        "gaps_title": "Lacunes connues de ce circuit",
        "no_gaps": "Aucune lacune trouvée.",
        "more_gaps_one": "et {n} lacune mineure (liste complète : pathways gaps)",
        "more_gaps_other": "et {n} lacunes mineures (liste complète : pathways gaps)",
        "todo": "Que faire",
        "policy_title": "Politique du site sur les lacunes",
        "colon": " :",
        "status_short": "DONNÉES ILLUSTRATIVES",
        "verified_short": "données vérifiées",
        "directory_title": "Contacts",
        "service": "Service",
        "offers": "Offre",
        "hours": "Horaires",
        "languages": "Langues",
        "phone": "Téléphone",
        "contact": "Contact",
        "place": "Lieu",
        "who": "Public",
        "conditions": "Conditions",
        "interpreter": "interprète disponible",
        "everyone": "tout le monde",
        "ages": "de {a} à {b} ans",
        "from_age": "à partir de {a} ans",
        "documented": "personnes en situation régulière uniquement",
        "unknown_hours": "horaires non connus",
        "always": "24 h/24, 7 j/7",
        "closed": "fermé",
        "hidden": "adresse non communiquée : contacter par téléphone",
        "footer": "Referral Atlas · {site} · imprimé le {date}",
        "critical": "critique",
        "major": "majeure",
        "minor": "mineure",
    },
}

DAY_NAMES = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun", "mar", "mer", "jeu", "ven", "sam", "dim"),
}

MODES = {
    "en": {
        "escorted": "accompanied in person",
        "accompanied-call": "phone call with the survivor present",
        "phone": "phone referral",
        "form": "referral form",
        "self": "she goes on her own",
    },
    "fr": {
        "escorted": "accompagnement physique",
        "accompanied-call": "appel en présence de la survivante",
        "phone": "orientation par téléphone",
        "form": "fiche de référencement",
        "self": "elle s'y rend seule",
    },
}

GROUPS = {
    "en": {
        "women": "women",
        "men": "men",
        "girls": "girls",
        "boys": "boys",
        "nonbinary": "non-binary people",
    },
    "fr": {
        "women": "femmes",
        "men": "hommes",
        "girls": "filles",
        "boys": "garçons",
        "nonbinary": "personnes non binaires",
    },
}

REQUIRES = {
    "en": {
        "police_report": "police report",
        "mandatory_reporting": "mandatory reporting",
        "documents": "identity documents",
        "referral_letter": "referral letter",
        "fee": "fee",
    },
    "fr": {
        "police_report": "plainte à la police",
        "mandatory_reporting": "signalement obligatoire",
        "documents": "papiers d'identité",
        "referral_letter": "lettre de référence",
        "fee": "frais",
    },
}


# --- content -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """One service as the protocol shows it: every field already text in the chosen language."""

    id: str
    name: str
    organisation: str
    offers: str
    hours: str
    languages: str
    phone: str
    email: str
    who: str
    conditions: str
    place: str
    referred_by: tuple[str, ...] = ()
    to_care: str = ""  # entry points: the way to clinical care after rape, and its time


@dataclass(frozen=True)
class Need:
    """One step of the pathway: a need, its time window, the services that meet it."""

    category: str
    label: str
    window: str
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class SiteProtocol:
    """Everything one site's protocol shows, ready to lay out."""

    site_id: str
    site_name: str
    lang: str
    printed: dt.date
    updated: dt.date | None
    illustrative: bool
    entry_points: tuple[Card, ...]
    needs: tuple[Need, ...]
    cmr: tuple[Card, ...]  # clinical care after rape: the urgent box
    gaps: tuple[tuple[str, str, str, str], ...]  # (severity, its label, sentence, what to do)
    minor_gaps: int
    minor_text: str  # 'and 3 minor gaps (...)', in the protocol's language
    policy: tuple[str, ...]  # the site's adaptations of the gap rules, with their reasons
    directory: tuple[Card, ...]
    text: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def status(self) -> str:
        return self.text["illustrative"] if self.illustrative else self.text["verified"]

    @property
    def status_short(self) -> str:
        return self.text["status_short"] if self.illustrative else self.text["verified_short"]


def hours_text(hours: Hours, lang: str = "en") -> str:
    """Opening hours in words, days with the same hours grouped: 'Mon–Fri 09:00–17:00'."""
    t = TEXT[lang]
    if not hours.known:
        return t["unknown_hours"]
    if hours.is_24_7:
        return t["always"]
    return week_text(hours, DAY_NAMES[lang], semicolon(lang)) or t["closed"]


@lru_cache(maxsize=256)
def language_name(code: str, lang: str = "en") -> str:
    """The name of a language in English or French ('ar' -> 'Arabic' / 'arabe')."""
    import pycountry

    record = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    record = record or pycountry.languages.get(alpha_3=code)
    if record is None:
        return code
    name = str(record.name)
    if lang == "fr":
        try:
            tr = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["fr"])
            name = tr.gettext(name)
        except OSError:
            pass
    return name


def _who(s: Service, lang: str) -> str:
    t = TEXT[lang]
    groups = (
        t["everyone"] if len(s.serves) == 5 else join((GROUPS[lang][g] for g in s.serves), lang)
    )
    parts = [groups]
    if s.age_max is not None:
        parts.append(t["ages"].format(a=s.age_min, b=s.age_max))
    elif s.age_min:
        parts.append(t["from_age"].format(a=s.age_min))
    if s.legal_status == "documented-only":
        parts.append(t["documented"])
    return "; ".join(parts)


def _card(ps: PublicService, lang: str, referred_by: tuple[str, ...] = ()) -> Card:
    s = ps.service
    t = TEXT[lang]
    langs = ", ".join(language_name(c, lang) for c in s.languages)
    if s.interpretation:
        langs = f"{langs}; {t['interpreter']}" if langs else t["interpreter"]
    if ps.place is None:
        place = t["hidden"]
    elif ps.precision == "exact":
        place = ", ".join(x for x in (ps.address, ps.area) if x)
    else:
        place = ps.place_label(lang) + (f": {ps.address}" if ps.address else "")
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
        conditions=join((REQUIRES[lang][r] for r in s.requires), lang),
        place=place,
        referred_by=referred_by,
    )


def _hours(h: float, lang: str) -> str:
    """'2 h', '1.5 h' / '1,5 h': hours with a decimal only when they have one."""
    return f"{number(h, lang, 0 if float(h).is_integer() else 1)} h"


def build_protocol(
    inventory: Inventory, *, lang: str = "en", as_of: dt.date | None = None
) -> SiteProtocol:
    """The content of one site's protocol, computed from the inventory, graph and gaps."""
    from pathways.analysis.gaps import find_gaps, policy_lines
    from pathways.analysis.graph import build_referral_graph, serves_need

    today = as_of or clock.today()
    t = TEXT[lang]
    G = build_referral_graph(inventory)
    public = {ps.service.id: ps for ps in public_services(inventory)}
    modes = MODES[lang]

    def name(sid: str) -> str:
        return inventory.by_id[sid].name_in(lang)

    def referred_by(sid: str, need: str) -> tuple[str, ...]:
        out = []
        for u in sorted(G.predecessors(sid), key=name):
            if serves_need(G, u, sid, need):
                r = G.edges[u, sid]["referral"]
                out.append(f"{name(u)} ({modes[r.mode]}, ~{_hours(r.delay, lang)})")
        if len(out) > MAX_REFERRERS:  # a wall chart, not a network listing
            rest = len(out) - MAX_REFERRERS + 1
            more = plural(rest, lang, t["and_more_one"], t["and_more_other"])
            out = [*out[: MAX_REFERRERS - 1], more.format(n=number(rest, lang, 0))]
        return tuple(out)

    needs = []
    package = {c for item in inventory.minimum_package() for c in item}
    for need in NEED_ORDER:
        providers = [s for s in inventory.services if s.has(need)]
        if not providers and need not in package:
            continue
        cards = tuple(_card(public[s.id], lang, referred_by(s.id, need)) for s in providers)
        window = t["window_cmr"] if need == "health.cmr" else ""
        needs.append(Need(need, category_label(need, lang), window, cards))

    to_care = _to_care(G, inventory, lang)
    gaps = find_gaps(inventory, G=G, as_of=today)
    shown = [
        (
            g.severity,
            t[g.severity],
            g.text(lang),
            f"{g.action_text(lang)} ({g.owner_text(lang)})",
        )
        for g in gaps
        if g.severity != "minor"
    ]
    minor = len(gaps) - len(shown)
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
        needs=tuple(needs),
        cmr=tuple(_card(public[s.id], lang) for s in inventory.services if s.has("health.cmr")),
        gaps=tuple(shown),
        minor_gaps=minor,
        minor_text=plural(minor, lang, t["more_gaps_one"], t["more_gaps_other"]).format(
            n=number(minor, lang, 0)
        ),
        policy=tuple(policy_lines(inventory, lang)),
        directory=tuple(
            _card(public[s.id], lang)
            for s in sorted(inventory.services, key=lambda s: s.name_in(lang).casefold())
        ),
        text=t,
    )


def _to_care(G: nx.DiGraph, inventory: Inventory, lang: str) -> dict[str, str]:
    """Per entry point: 'X → Y, about 2 h' to clinical care after rape (weekday, 10:00)."""
    from pathways.analysis.routes import Profile, route

    t = TEXT[lang]
    out = {}
    for s in inventory.services:
        if not s.entry_point:
            continue
        r = route(G, Profile(entry=s.id, weekday=0, hour=10.0), need="health.cmr")
        if not (r.found and r.total_hours is not None):
            out[s.id] = t["no_route"]
        elif len(r.steps) <= 1:
            out[s.id] = t["on_site"]
        else:
            path = " → ".join(inventory.by_id[step.service].name_in(lang) for step in r.steps[1:])
            late = f" ({t['too_late']})" if r.total_hours > PEP_HOURS else ""
            hours = number(max(r.total_hours, 1), lang, 0)
            out[s.id] = f"{path}, {t['about']} {hours} h{late}"
    return out


# --- HTML --------------------------------------------------------------------------------------

_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<title>{{ text.title }}</title>
<style>
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Source Sans Pro", "Segoe UI", Arial, sans-serif; font-size: 10.5pt;
       color: #1b1b1b; margin: 0 auto; max-width: 190mm; line-height: 1.35; }
header { border-bottom: 3px solid #5b2a86; padding-bottom: 4px; margin-bottom: 8px; }
h1 { font-size: 17pt; margin: 0; color: #5b2a86; }
h1 small { display: block; font-size: 10pt; color: #444; font-weight: normal; }
h2 { font-size: 13pt; color: #5b2a86; border-bottom: 1px solid #c9b8dc; margin: 14px 0 6px; }
h3 { font-size: 11pt; margin: 10px 0 4px; }
.status { padding: 6px 10px; font-weight: bold; margin: 6px 0; }
.status.illustrative { background: #fde2e1; border: 2px solid #b3261e; color: #b3261e;
                       font-size: 12pt; }
.status.verified { background: #e6f4ea; border: 1px solid #1e7b34; color: #1e5f2e; }
.urgent { border: 2px solid #b3261e; background: #fff5f4; padding: 6px 10px; margin: 8px 0; }
.urgent h2 { color: #b3261e; border: none; margin: 0 0 4px; }
.principles { font-style: italic; color: #333; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; page-break-inside: auto; }
th, td { border: 1px solid #bbb; padding: 3px 5px; text-align: left; vertical-align: top; }
th { background: #efe8f6; font-size: 9.5pt; }
td { font-size: 9.5pt; }
tr { page-break-inside: avoid; }
.window { color: #b3261e; font-weight: bold; }
.muted { color: #555; font-size: 9pt; }
.gap-critical { color: #b3261e; font-weight: bold; }
.gap-major { color: #a15c00; font-weight: bold; }
.site { page-break-after: always; }
.site:last-child { page-break-after: auto; }
footer { margin-top: 10px; font-size: 8.5pt; color: #555; border-top: 1px solid #ccc; }
</style>
</head>
<body>
{% macro name_cell(c, extra) -%}
<td><b>{{ c.name }}</b>{% if extra %}<br><span class="muted">{{ extra }}</span>{% endif %}</td>
{%- endmacro %}
{% macro contact_cell(c) -%}
<td>{{ c.phone }}{% if c.email %}<br>{{ c.email }}{% endif %}</td>
{%- endmacro %}
{% for p in protocols %}
<section class="site" id="{{ p.site_id }}">
<header>
<h1>{{ p.site_name }}<small>{{ text.title }}</small></h1>
<div class="muted">{{ text.printed }} {{ p.printed.isoformat() }}
{%- if p.updated %} · {{ text.updated }} {{ p.updated.isoformat() }}{% endif %}</div>
</header>
<div class="status {{ 'illustrative' if p.illustrative else 'verified' }}">{{ p.status }}</div>
<div class="urgent">
<h2>{{ text.urgent_title }}</h2>
<p>{{ text.urgent }}</p>
<p><b>{{ text.cmr_where }}{{ text.colon }}</b></p>
<ul>{% for c in p.cmr %}<li><b>{{ c.name }}</b> · {{ c.phone }} · {{ c.hours }}
{%- if c.place %} · <span class="muted">{{ c.place }}</span>{% endif %}</li>{% endfor %}</ul>
</div>
<p class="principles">{{ text.principles }}</p>

<h2>{{ text.entry_title }}</h2>
<table>
<tr><th>{{ text.service }}</th><th>{{ text.offers }}</th><th>{{ text.hours }}</th>
<th>{{ text.phone }}</th><th>{{ text.to_care }}</th></tr>
{% for c in p.entry_points %}<tr>{{ name_cell(c, c.organisation) }}<td>{{ c.offers }}</td>
<td>{{ c.hours }}<br><span class="muted">{{ c.languages }}</span></td><td>{{ c.phone }}</td>
<td>{{ c.to_care }}</td></tr>
{% endfor %}</table>

<h2>{{ text.steps_title }}</h2>
{% for n in p.needs %}
<h3>{{ loop.index }}. {{ n.label }}
{%- if n.window %} <span class="window">— {{ n.window }}</span>{% endif %}</h3>
{% if n.cards %}
<table>
<tr><th>{{ text.service }}</th><th>{{ text.contact }}</th><th>{{ text.hours }}</th>
<th>{{ text.who }}</th><th>{{ text.referred_by }}</th></tr>
{% for c in n.cards %}<tr>{{ name_cell(c, c.place) }}{{ contact_cell(c) }}
<td>{{ c.hours }}<br><span class="muted">{{ c.languages }}</span></td>
<td>{{ c.who }}{% if c.conditions %}<br>
<span class="muted">{{ text.conditions }}{{ text.colon }} {{ c.conditions }}</span>{% endif %}</td>
<td>{{ c.referred_by | join("; ") }}</td></tr>
{% endfor %}</table>
{% else %}<p class="gap-critical">{{ text.none_mapped }}</p>{% endif %}
{% endfor %}

<h2>{{ text.gaps_title }}</h2>
{% if p.gaps %}<ul>{% for sev, label, msg, todo in p.gaps %}
<li><span class="gap-{{ sev }}">{{ label }}</span>{{ text.colon }} {{ msg }}
<br><i>{{ text.todo }}</i>{{ text.colon }} {{ todo }}</li>{% endfor %}</ul>
{% else %}<p>{{ text.no_gaps }}</p>{% endif %}
{% if p.minor_gaps %}<p class="muted">{{ p.minor_text }}</p>{% endif %}
{% if p.policy %}<p class="muted"><b>{{ text.policy_title }}</b></p><ul class="muted">
{% for line in p.policy %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}

<h2>{{ text.directory_title }}</h2>
<table>
<tr><th>{{ text.service }}</th><th>{{ text.phone }}</th><th>{{ text.hours }}</th>
<th>{{ text.languages }}</th><th>{{ text.place }}</th></tr>
{% for c in p.directory %}<tr>{{ name_cell(c, c.organisation) }}{{ contact_cell(c) }}
<td>{{ c.hours }}</td><td>{{ c.languages }}</td><td>{{ c.place }}</td></tr>
{% endfor %}</table>
<footer>{{ text.footer.format(site=p.site_name, date=p.printed.isoformat()) }}
 · {{ p.status }}</footer>
</section>
{% endfor %}
</body>
</html>
"""


def protocol_html(protocols: Sequence[SiteProtocol]) -> str:
    """The protocols as one standalone HTML page (a page break between sites)."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    lang = protocols[0].lang if protocols else "en"
    return env.from_string(_TEMPLATE).render(protocols=protocols, lang=lang, text=TEXT[lang])


def write_protocol(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write the protocol of every site: `.html`, or `.pdf` (one site after the other)."""
    from pathways.model.errors import InventoryError

    path = Path(path)
    if path.suffix not in (".html", ".htm", ".pdf"):
        raise InventoryError(f"--out {path}: a protocol is written as .html or .pdf")
    protocols = [build_protocol(inv, lang=options.lang, as_of=options.as_of) for inv in inventories]
    with atomic_output(path) as tmp:
        if path.suffix == ".pdf":
            from pathways.io.export._pdf import protocol_pdf

            tmp.write_bytes(protocol_pdf(protocols))
        else:
            tmp.write_text(protocol_html(protocols), encoding="utf-8")
