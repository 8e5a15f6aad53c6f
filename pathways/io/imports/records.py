"""What an import gives back: inventory records, where each came from, and the report.

Shared by every format reader (`sheet`, `hsds`, `geojson`); `pathways.io.imports` re-exports
these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pathways.model.errors import Problem
from pathways.model.inventory import Service

MAX_PROBLEMS = 500
"""An import stops listing problems after this many (fix those first)."""


@dataclass
class Origin:
    """Where one service came from: its file, sheet (or table), row, and field -> column."""

    file: str
    sheet: str
    row: int
    columns: dict[str, str] = field(default_factory=dict)

    def problem(self, column: str, message: str) -> Problem:
        return Problem(
            self.file, self.row, f"{self.sheet}!{column}" if column else self.sheet, message
        )


@dataclass
class ImportReport:
    """What the importer did: columns matched, columns ignored, rows and values left out."""

    source: str
    matched: list[tuple[str, str]] = field(default_factory=list)  # (column, field)
    ignored: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    services: int = 0
    referrals: int = 0

    def text(self) -> str:
        """The report as a few readable lines."""
        lines = [f"{self.source}: {self.services} service(s), {self.referrals} referral(s)"]
        if self.matched:
            lines.append("columns matched:")
            lines += [f"  {col} -> {fld}" for col, fld in self.matched]
        if self.ignored:
            lines.append("columns ignored: " + ", ".join(self.ignored))
        if self.left_out:
            lines.append("left out:")
            lines += [f"  {x}" for x in self.left_out]
        if self.notes:
            lines.append("notes:")
            lines += [f"  {x}" for x in self.notes]
        return "\n".join(lines)


@dataclass
class Imported:
    """An import's result: inventory records (YAML shape), where each came from, the report."""

    data: dict[str, Any]
    report: ImportReport
    origins: list[Origin] = field(default_factory=list)  # one per service, in order
    referral_origins: list[Origin] = field(default_factory=list)


@dataclass(frozen=True)
class SiteOptions:
    """The site block the user gives on the command line (the file may give some of it)."""

    id: str
    country: str | None = None
    name: str | None = None
    timezone: str | None = None
    languages: tuple[str, ...] = ()
    data_status: str | None = None  # None: the file's, else illustrative


_SERVICE_KEYS = [f.alias or name for name, f in Service.model_fields.items()]


def ordered(record: dict[str, Any]) -> dict[str, Any]:
    """A service record's keys in the order of the inventory schema (id, name, ...)."""
    keys = _SERVICE_KEYS
    return {k: record[k] for k in sorted(record, key=lambda k: keys.index(k) if k in keys else 99)}


def capped(problems: list[Problem], source: str) -> list[Problem]:
    """At most `MAX_PROBLEMS` problems (the first ones), and one saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    shown = sorted(problems, key=lambda p: (p.file, p.line, p.field))[:MAX_PROBLEMS]
    return [*shown, Problem(source, 0, "", f"{more} more problem(s) not listed: fix these first")]
