"""A route's reasons in words: why a service was left out, why there is no route, a warning.

Routes (`pathways.analysis.routes`) give their reasons as short English phrases with service
ids; `reason_text` turns one into the reader's language with the services' names. The
command line, the Workshop and the maps all use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from pathways.i18n import labels, language_name, t
from pathways.i18n.catalogs import SOURCE_LANG
from pathways.model.inventory import TAXONOMY, category_label

# --- reasons --------------------------------------------------------------------------

_Sub = Callable[[re.Match[str], str, Mapping[str, str]], str]


def _group_list(text: str, lang: str) -> str:
    return ", ".join(labels("group_", tuple(g.strip() for g in text.split(",")), lang))


def _name(names: Mapping[str, str], service_id: str) -> str:
    return names.get(service_id.strip("'"), service_id.strip("'"))


def _need(text: str, lang: str) -> str:
    return category_label(text, lang)


_REASONS: tuple[tuple[re.Pattern[str], _Sub], ...] = (
    (
        re.compile(r"^serves (?P<groups>.+) only, not (?P<group>\w+)$"),
        lambda m, lang, n: t(
            "why_serves",
            lang,
            groups=_group_list(m["groups"], lang),
            group=t("group_" + m["group"], lang),
        ),
    ),
    (
        re.compile(r"^from age (?P<n>\d+) only$"),
        lambda m, lang, n: t("why_from_age", lang, **m.groupdict()),
    ),
    (
        re.compile(r"^up to age (?P<n>\d+) only$"),
        lambda m, lang, n: t("why_up_to_age", lang, **m.groupdict()),
    ),
    (re.compile(r"^documented people only$"), lambda m, lang, n: t("why_documented", lang)),
    (
        re.compile(r"^does not speak '(?P<code>[^']+)' and has no interpretation$"),
        lambda m, lang, n: t("why_no_language", lang, language=language_name(m["code"], lang)),
    ),
    (
        re.compile(r"^does not speak '(?P<code>[^']+)' and interpretation is unavailable$"),
        lambda m, lang, n: t("why_no_interpreter", lang, language=language_name(m["code"], lang)),
    ),
    (
        re.compile(r"^requires (?P<conds>[\w, ]+)$"),
        lambda m, lang, n: t(
            "why_requires",
            lang,
            conditions=", ".join(labels("req_", tuple(m["conds"].split(", ")), lang)),
        ),
    ),
    (re.compile(r"^closed$"), lambda m, lang, n: t("why_closed", lang)),
    (
        re.compile(r"^no referral route leads there from (?P<s>\S+)$"),
        lambda m, lang, n: t("why_no_route", lang, service=_name(n, m["s"])),
    ),
    (
        re.compile(r"^no referral route to it serves (?P<need>\S+)$"),
        lambda m, lang, n: t("why_no_route_for", lang, need=_need(m["need"], lang)),
    ),
    (
        re.compile(r"^reachable only through services this profile cannot use$"),
        lambda m, lang, n: t("why_through_unusable", lang),
    ),
    (
        re.compile(r"^closed every day of the week$"),
        lambda m, lang, n: t("why_never_open", lang),
    ),
    (
        re.compile(r"^reachable, but not sooner than (?P<s>\S+)$"),
        lambda m, lang, n: t("why_not_sooner", lang, service=_name(n, m["s"])),
    ),
    (
        re.compile(r"^(?P<s>'[^']+') is closed$"),
        lambda m, lang, n: t("why_entry_closed", lang, service=_name(n, m["s"])),
    ),
    (
        re.compile(r"^no entry point this survivor can use$"),
        lambda m, lang, n: t("why_no_entry", lang),
    ),
    (
        re.compile(r"^no route from (?P<s>\S+) to (?P<label>.+) for this profile$"),
        lambda m, lang, n: t(
            "why_no_route_to", lang, service=_name(n, m["s"]), need=_label(m["label"], lang)
        ),
    ),
    (
        re.compile(r"^the entry point (?P<s>\S+) (?P<reason>.+); counted as arrival only$"),
        lambda m, lang, n: t(
            "why_entry_warning",
            lang,
            service=_name(n, m["s"]),
            reason=reason_text(m["reason"], lang, n),
        ),
    ),
)


def _label(english_label: str, lang: str) -> str:
    """A category's label in `lang`, from its English label (route reasons carry those)."""
    for c in TAXONOMY.values():
        if c.label(SOURCE_LANG) == english_label:
            return c.label(lang)
    return english_label


def reason_text(reason: str, lang: str = "en", names: Mapping[str, str] | None = None) -> str:
    """A route's reason (why a service was left out, why there is no route, a warning) in
    `lang`, with service ids replaced by their names.

    A reason this version does not know is returned as written (in English).
    """
    names = names or {}
    for pattern, sub in _REASONS:
        m = pattern.match(reason)
        if m:
            return sub(m, lang, names)
    return reason


def is_known_reason(reason: str) -> bool:
    """True if `reason_text` can put this reason into words (tests use it to catch new ones)."""
    return any(p.match(reason) for p, _ in _REASONS)
