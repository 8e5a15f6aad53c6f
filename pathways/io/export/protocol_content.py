"""The protocol's content: what `pathways.io.export.protocol.build_protocol` computes and the two
renderers (HTML in `protocol`, PDF in `_pdf`) lay out, so neither renderer imports the other.

Every field is text in the protocol's language, inventory text as the inventory writes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pathways.i18n import direction


class Printed:
    """What a printed sheet (the protocol, the pocket guide) says of itself: the direction of
    its language and its data status, in its words (`text`)."""

    lang: str
    illustrative: bool
    text: dict[str, str]

    @property
    def direction(self) -> str:
        """'rtl' or 'ltr', as the sheet's language is written: its paragraphs, tables, page."""
        return direction(self.lang)

    @property
    def status(self) -> str:
        """The data status line: illustrative data said loudly, or field-verified."""
        return self.text["illustrative"] if self.illustrative else self.text["verified"]


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
class Gap:
    """A gap as the protocol lists it."""

    severity: str  # critical | major
    label: str  # the severity in the protocol's language
    message: str
    todo: str  # what to do, and who


@dataclass(frozen=True)
class SiteProtocol(Printed):
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
    gaps: tuple[Gap, ...]
    minor_gaps: int
    minor_text: str  # 'and 3 minor gaps (...)', in the protocol's language
    policy: tuple[str, ...]  # the site's adaptations of the gap rules, with their reasons
    directory: tuple[Card, ...]
    text: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def status_short(self) -> str:
        return self.text["status_short"] if self.illustrative else self.text["verified_short"]
