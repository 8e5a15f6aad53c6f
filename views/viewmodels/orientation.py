"""The Orientation page's content (issue #20): the answer as cards, and the one-page sheet a
frontline worker prints or saves for the person. No Streamlit here; nothing typed is kept: these
functions take the page's answers and return text, and the page forgets both at "Clear"."""

from __future__ import annotations

import html
from dataclasses import dataclass

from pathways.analysis.orient import Orientation
from pathways.i18n import direction, t
from pathways.model.inventory import Inventory, category_label
from pathways.public.orientation import LEVELS, action_lines
from views.viewmodels.workshop import service_names


@dataclass(frozen=True)
class Card:
    """One action: its heading (category and service, or that none exists) and its lines."""

    heading: str
    lines: tuple[str, ...]
    found: bool


def cards(answer: Orientation, inventory: Inventory, lang: str) -> list[Card]:
    """The actions in order, each as a card's heading and lines (the command line's words)."""
    names = service_names(inventory, lang)
    out = []
    for i, action in enumerate(answer.actions, 1):
        first, *rest = action_lines(i, action, inventory, names, lang)
        out.append(Card(first, tuple(line.strip() for line in rest), action.service is not None))
    return out


def urgency_text(answer: Orientation, lang: str) -> str:
    """ "Urgency: IMMEDIATE" and so on, in `lang`."""
    return t("orient_urgency", lang, level=t(LEVELS[answer.urgency], lang))


def sheet_html(answer: Orientation, inventory: Inventory, lang: str) -> str:
    """A one-page sheet for the person: where to go, in order, with phones and deadlines; the
    site's data status; nothing of what was asked (no sign, age or language is printed).
    Every inventory text is escaped."""
    e = html.escape
    site = inventory.site
    items = []
    for card in cards(answer, inventory, lang):
        lines = "".join(f"<div>{e(line)}</div>" for line in card.lines)
        items.append(f"<li><b>{e(card.heading.split('. ', 1)[-1])}</b>{lines}</li>")
    status = (
        f'<p class="status">{e(t("illustrative_notice", lang))}</p>'
        if site.data_status != "field-verified"
        else ""
    )
    categories = ", ".join(dict.fromkeys(category_label(a.category, lang) for a in answer.actions))
    return (
        f'<!DOCTYPE html><html lang="{e(lang)}" dir="{direction(lang)}"><head>'
        '<meta charset="utf-8"><title>Referral Atlas</title><style>'
        "body{font-family:sans-serif;max-width:40em;margin:1.5em auto;line-height:1.35}"
        "li{margin:.6em 0}.status{border:2px solid #000;padding:.4em;font-weight:bold}"
        "@page{size:A4;margin:15mm}</style></head><body>"
        f"<h1>{e(t('orpage_sheet_title', lang, site=site.name))}</h1>{status}"
        f"<p>{e(t('orpage_sheet_intro', lang, categories=categories))}</p>"
        f"<ol>{''.join(items)}</ol>"
        f"<p><small>{e(answer.grid.notice.in_lang(lang))}</small></p>"
        "</body></html>"
    )
