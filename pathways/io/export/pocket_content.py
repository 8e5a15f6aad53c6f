"""The pocket guide's content: what `pathways.io.export.pocket.build_pocket` computes and
`_pocket_pdf` lays out, so neither imports the other.

Every field is text in the guide's language, inventory text as the inventory writes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pathways.i18n import t
from pathways.io.export.protocol_content import Card, Printed


@dataclass(frozen=True)
class PocketNeed:
    """One need: its label, the services to call in office hours and at night or on weekends,
    and how many more of each the full protocol lists."""

    label: str
    office: tuple[Card, ...]
    night: tuple[Card, ...]
    more_office: int = 0
    more_night: int = 0


@dataclass(frozen=True)
class Pocket(Printed):
    """Everything one site's pocket guide shows, as text in its language."""

    site_name: str
    lang: str
    printed: dt.date
    illustrative: bool
    flow: tuple[tuple[str, str, str], ...]  # (question, if yes, if no)
    needs: tuple[PocketNeed, ...]
    gaps: tuple[tuple[str, str], ...]  # (what is missing, what to do instead)
    more_gaps: int
    text: dict[str, str] = field(repr=False, default_factory=dict)

    def more(self, n: int) -> str:
        """'+ 2 more: see the full protocol', in the guide's language."""
        return t("pocket_more", self.lang, n=n)
