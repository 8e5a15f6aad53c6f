"""The danger grid of frontline orientation (`pathways orient`): signs, time windows, incidents.

The grid is data (`data/orientation/grid.yaml`, or a site's or network's own file): each sign has
a plain question in English and French, its weight on urgency (a level, never added up: the grid
is an aid to orientation, not a risk score), the categories it calls for, and its sources.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from pathways.model.inventory import GROUPS, CategoryId, Group, suggest

INCIDENTS = ("sexual", "physical", "psychological", "economic", "unknown")
"""What happened, as `pathways orient --incident` asks it."""

Incident = Literal["sexual", "physical", "psychological", "economic", "unknown"]
Weight = Literal["immediate", "urgent"]

_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"'{value}' is not an id (lower-case letters, digits, '_' and '-')")
    return value


GridId = Annotated[str, AfterValidator(_check_id)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Record):
    """A sentence in English and French (both required: frontline staff use either)."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    def in_lang(self, lang: str) -> str:
        """The French text for French, else the English one."""
        return self.fr if lang == "fr" else self.en


class GridSource(_Record):
    """A published instrument or guide the grid's questions come from."""

    id: GridId
    title: str = Field(min_length=1)
    url: str | None = None


class Sign(_Record):
    """A sign of danger: the question to ask, what a "yes" does, and where it comes from."""

    id: GridId
    question: Text
    weight: Weight
    categories: tuple[CategoryId, ...] = Field(min_length=1)
    sources: tuple[GridId, ...] = Field(min_length=1)
    adapted: bool = True
    """True when the question is a rewording of the source's item, not its own words."""


class Window(_Record):
    """A care that works only within so many hours of an incident (PEP: 72 h after rape)."""

    id: GridId
    name: Text
    incident: Incident
    category: CategoryId
    hours: float = Field(gt=0, le=24 * 365)
    groups: tuple[Group, ...] = GROUPS
    """Who the care applies to (emergency contraception: women and girls)."""
    sources: tuple[GridId, ...] = Field(min_length=1)


class IncidentNeeds(_Record):
    """What an incident calls for, in order, and why (in plain words)."""

    categories: tuple[CategoryId, ...] = Field(min_length=1)
    why: Text


class Grid(_Record):
    """A danger grid: its notice (an aid, not a score), sources, signs, windows, incidents."""

    id: GridId
    version: str | None = None
    title: Text
    notice: Text
    sources: tuple[GridSource, ...] = Field(min_length=1)
    signs: tuple[Sign, ...] = Field(min_length=1)
    windows: tuple[Window, ...] = ()
    incidents: dict[Incident, IncidentNeeds] = Field(default_factory=dict)
    why: dict[CategoryId, Text] = Field(default_factory=dict)
    """A sentence per category, said when a service of that category is proposed."""

    @model_validator(mode="after")
    def _unique_ids(self) -> Grid:
        for kind, ids in (
            ("source", [s.id for s in self.sources]),
            ("sign", [s.id for s in self.signs]),
            ("window", [w.id for w in self.windows]),
        ):
            twice = sorted({i for i in ids if ids.count(i) > 1})
            if twice:
                raise ValueError(f"{kind} id(s) given twice: {', '.join(twice)}")
        return self

    @property
    def sign_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.signs)

    def sign(self, sign_id: str) -> Sign:
        """The sign with this id; `KeyError` naming the valid ids otherwise."""
        for s in self.signs:
            if s.id == sign_id:
                return s
        raise KeyError(
            f"'{sign_id}' is not a sign of the grid{suggest(sign_id, self.sign_ids)} "
            f"(valid: {', '.join(self.sign_ids)})"
        )

    def undeclared_sources(self) -> list[tuple[str, int, int, str]]:
        """(list, item, position, id) of every source id a sign or window names that the
        grid's `sources` do not declare."""
        known = {s.id for s in self.sources}
        out = []
        lists: tuple[tuple[str, tuple[Sign | Window, ...]], ...] = (
            ("signs", self.signs),
            ("windows", self.windows),
        )
        for key, items in lists:
            for i, item in enumerate(items):
                out += [(key, i, j, sid) for j, sid in enumerate(item.sources) if sid not in known]
        return out


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Scenario(_Record):
    """A case vignette for a workshop (issue #20): a short story a room reads, and the answers
    `pathways orient` takes, so the app can reveal what to do, the route and the gaps met.
    A story about nobody: no name, no case, only what orientation depends on."""

    id: GridId
    title: Text
    story: Text
    entry: str = Field(min_length=1)
    """The entry point of the site where the person is (a service id)."""
    incident: Incident = "unknown"
    hours_since: float | None = Field(default=None, ge=0, le=24 * 365)
    signs: tuple[GridId, ...] = ()
    age: int | None = Field(default=None, ge=0, le=120)
    gender: Literal["female", "male", "nonbinary"] | None = None
    language: str | None = None
    day: Day = "mon"
    hour: float = Field(default=10, ge=0, lt=24)


class ScenarioDeck(_Record):
    """A site's scenario cards (`data/orientation/scenarios/SITE.yaml`)."""

    site: str = Field(min_length=1)
    scenarios: tuple[Scenario, ...] = Field(min_length=1)
