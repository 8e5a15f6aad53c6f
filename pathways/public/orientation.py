"""An orientation (`pathways.analysis.orient`) in words: what the command line prints and the
app's Orientation page shows, one text for both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pathways.analysis.graph import is_remote
from pathways.analysis.orient import Action, Deadline
from pathways.analysis.reasons import reason_text
from pathways.i18n import N_, colon, number, semicolon, t
from pathways.model.inventory import Inventory, category_label

LEVELS = {
    "immediate": N_("orient_level_immediate"),
    "urgent": N_("orient_level_urgent"),
    "routine": N_("orient_level_routine"),
}
"""The catalog key of each urgency level's word."""
OPEN = {
    True: N_("orient_open_now"),
    False: N_("orient_closed_now"),
    None: N_("orient_hours_unknown"),
}
"""The catalog key of "open now", "closed now" and "hours not known"."""


def action_lines(
    i: int, a: Action, inventory: Inventory, names: Mapping[str, str], lang: str
) -> list[str]:
    """Action `i` of an orientation as lines of text: the service (or that none exists), why,
    how to get there, its deadlines and phone; the first line numbered, the others indented."""
    category = category_label(a.category, lang)
    if a.service is None:
        lines = [f"{i}. {t('orient_none_exists', lang, category=category)}"]
        why = [
            names.get(e["service"], e["service"])
            + colon(lang)
            + reason_text(e["reason"], lang, names)
            for e in a.excluded
        ]
        if why:
            lines.append("   " + t("orient_left_out", lang, reasons=semicolon(lang).join(why)))
        return lines + [f"   {d}" for d in deadline_texts(a.deadlines, None, lang)]
    name = names.get(a.service, a.service)
    lines = [f"{i}. {category}{colon(lang)}{name} ({t(OPEN[a.open], lang)})"]
    lines.append("   " + t("orient_why", lang, why=a.why.in_lang(lang)))
    seen = a.seen_hours or 0.0
    h = number(seen, lang, 1 if seen < 10 else 0)
    if a.access == "here":
        lines.append("   " + t("orient_access_here", lang, h=h))
    elif (
        a.access == "direct"
        and a.service in inventory.by_id
        and is_remote(inventory.by_id[a.service])
    ):  # a helpline: the person calls it from where they are
        lines.append("   " + t("orient_access_call", lang))
    elif a.access == "direct":
        lines.append("   " + t("orient_access_direct", lang, h=h))
    else:
        path = " → ".join(names.get(s, s) for s in a.route)
        lines.append("   " + t("orient_access_referral", lang, route=path, h=h))
    lines += [f"   {d}" for d in deadline_texts(a.deadlines, a.seen_hours, lang)]
    contact = inventory.by_id[a.service].contact if a.service in inventory.by_id else None
    if contact and contact.phone:
        lines.append("   " + t("orient_phone", lang, phone=contact.phone))
    return lines


def deadline_texts(deadlines: Sequence[Deadline], seen: float | None, lang: str) -> list[str]:
    """Each time window as a sentence: hours left, passed, unknown, or too late to be seen."""
    out = []
    for d in deadlines:
        name, limit = d.name.in_lang(lang), number(d.hours, lang, 0)
        if d.hours_left is None:
            out.append(t("orient_deadline_unknown", lang, name=name, limit=limit))
        elif not d.running:
            out.append(t("orient_deadline_passed", lang, name=name, limit=limit))
        elif d.in_time is False and seen is not None:
            left, h = number(d.hours_left, lang, 0), number(seen, lang, 0)
            out.append(t("orient_deadline_too_late", lang, name=name, left=left, h=h))
        else:
            left = number(d.hours_left, lang, 0)
            out.append(t("orient_deadline_left", lang, name=name, left=left, limit=limit))
    return out
