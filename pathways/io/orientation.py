"""Read a danger grid (`data/orientation/grid.yaml`, or a site's own) and validate it.

The grid is read like an inventory: UTF-8, safe YAML with the same limits, and every problem
reported as `FILE:LINE: field: message` (`pathways.io.load`'s machinery).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pathways.io.load import DATA_DIR, _decode, _Document, _model, _parse_text, _read_bytes
from pathways.model.errors import Problem, ValidationError, display_path
from pathways.model.inventory import Inventory
from pathways.model.orientation import Grid, Scenario, ScenarioDeck

GRID_PATH = DATA_DIR / "orientation" / "grid.yaml"
"""The shipped danger grid."""

SCENARIOS_DIR = DATA_DIR / "orientation" / "scenarios"
"""The shipped scenario cards, a file per site (`SITE_ID.yaml`)."""


def load_grid(path: str | os.PathLike[str] | None = None) -> Grid:
    """The danger grid in `path` (the shipped one by default), validated.

    Raises `ValidationError` listing every problem with its file and line.
    """
    if path is None:
        return _shipped_grid()
    return _read_grid(Path(path))


@lru_cache(maxsize=1)
def _shipped_grid() -> Grid:
    return _read_grid(GRID_PATH)


def _read_grid(path: Path) -> Grid:
    name = display_path(path)
    raw = _read_bytes(path, name)
    text = _decode(raw, name)
    try:
        root, data = _parse_text(raw, text, name)
    except ValidationError as e:
        raise ValidationError([_as_grid_problem(p) for p in e.problems]) from None
    doc = _Document(name, root, text)
    _check_duplicates(data, doc)
    grid: Grid | None = None if doc.problems else _model(Grid, data, [], doc)
    if grid is not None:
        for key, i, j, sid in grid.undeclared_sources():
            known = ", ".join(s.id for s in grid.sources)
            doc.add([key, i, "sources", j], f"'{sid}' is not a source of the grid ({known})")
    if grid is None or doc.problems:
        raise ValidationError(doc.problems or [Problem(name, 1, "", "not a danger grid")])
    return grid


def load_scenarios(
    inventory: Inventory, grid: Grid, path: str | os.PathLike[str] | None = None
) -> tuple[Scenario, ...]:
    """The scenario cards of a site (`path`, by default the shipped file named by its id; none
    when there is no such file), validated: each card's entry must be an entry point of the
    site and its signs the grid's. Raises `ValidationError` listing every problem with its
    file and line."""
    file = Path(path) if path is not None else SCENARIOS_DIR / f"{inventory.site.id}.yaml"
    if path is None and not file.is_file():
        return ()
    name = display_path(file)
    raw = _read_bytes(file, name)
    text = _decode(raw, name)
    root, data = _parse_text(raw, text, name)
    doc = _Document(name, root, text)
    deck: ScenarioDeck | None = _model(ScenarioDeck, data, [], doc)
    if deck is not None:
        entries = [s.id for s in inventory.services if s.entry_point]
        signs = [s.id for s in grid.signs]
        if deck.site != inventory.site.id:
            doc.add(["site"], f"'{deck.site}' is not this site ('{inventory.site.id}')")
        seen: set[str] = set()
        for i, card in enumerate(deck.scenarios):
            if card.id in seen:
                doc.add(["scenarios", i, "id"], f"'{card.id}' is given twice; ids must be unique")
            seen.add(card.id)
            if card.entry not in entries:
                doc.add(
                    ["scenarios", i, "entry"],
                    f"'{card.entry}' is not an entry point of the site ({', '.join(entries)})",
                )
            for j, sign in enumerate(card.signs):
                if sign not in signs:
                    doc.add(
                        ["scenarios", i, "signs", j],
                        f"'{sign}' is not a sign of the grid ({', '.join(signs)})",
                    )
    if deck is None or doc.problems:
        raise ValidationError(doc.problems or [Problem(name, 1, "", "not a scenario deck")])
    return deck.scenarios


def _as_grid_problem(p: Problem) -> Problem:
    """The loader's words for an inventory, said of a grid."""
    if p.message.startswith("expected a mapping"):
        return Problem(p.file, p.line, p.field, "expected a mapping with id, notice, signs")
    return p


def _check_duplicates(data: dict[str, object], doc: _Document) -> None:
    """An id given twice among the sources, signs or windows, at the line of the second."""
    for key in ("sources", "signs", "windows"):
        items = data.get(key)
        if not isinstance(items, list):
            continue
        seen: set[str] = set()
        for i, item in enumerate(items):
            sid = item.get("id") if isinstance(item, dict) else None
            if isinstance(sid, str) and sid in seen:
                doc.add([key, i, "id"], f"'{sid}' is given twice; ids must be unique")
            if isinstance(sid, str):
                seen.add(sid)
