"""The errors a user's input can cause: each names the file, the line, the field and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, printed as `FILE:LINE: field: message`."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        """One line, always: a message with line breaks is folded."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        message = " ".join(self.message.split())
        return f"{where}: {self.field}: {message}" if self.field else f"{where}: {message}"


class InventoryError(ValueError):
    """An inventory (or other user input) cannot be used. Never a bug in the program."""


class ValidationError(InventoryError):
    """An inventory has one or more problems; all of them are listed, one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.field))
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: Path | str) -> str:
    """A path as the user would recognise it: relative to the working folder when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)
