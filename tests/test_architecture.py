"""The house rules of docs/ARCHITECTURE.md that import-linter cannot see.

`lint-imports` (contracts in pyproject.toml) checks the layers, cycles and where Streamlit and
folium may be imported. These tests check the rest, on the source text: no imports of our own
modules inside functions (they hid import loops) except in the command line's lazy entry
points; no reaching into other libraries' private attributes; no function longer than
`MAX_LINES` unless a comment on the line above says why; no timed assertion in the tests.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("pathways", "mapping", "views")
SOURCES = sorted([ROOT / "app.py"] + [p for top in OURS for p in (ROOT / top).rglob("*.py")])
LAZY_ALLOWED = ROOT / "pathways" / "cli"
"""The command line's command modules load the heavy layers (maps, exports) when they run."""

PRIVATE = {"_succ", "_pred", "_adj", "_node", "_cells"}
"""networkx's and openpyxl's private storage: their public API gives the same."""

MAX_LINES = 60
LONG_REASON = re.compile(r"#\s*long:", re.IGNORECASE)
"""`# long: <why>` on the line above a `def` lets a function be longer than `MAX_LINES`."""


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _is_ours(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] in OURS
    return any(a.name.split(".")[0] in OURS for a in node.names)


def test_the_sources_are_found() -> None:
    assert len(SOURCES) > 60
    assert ROOT / "pathways" / "analysis" / "gaps.py" in SOURCES


def test_no_function_imports_our_own_modules() -> None:
    found = []
    for path in SOURCES:
        if LAZY_ALLOWED in path.parents:
            continue
        for fn in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom) and _is_ours(node):
                    found.append(f"{_rel(path)}:{node.lineno} in {fn.name}()")
    assert found == [], "import at the top of the module (a loop means a misplaced piece)"


def test_no_private_attributes_of_other_libraries() -> None:
    found = [
        f"{_rel(path)}:{node.lineno}: .{node.attr}"
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE
    ]
    assert found == []


def test_functions_are_short_or_say_why() -> None:
    found = []
    for path in SOURCES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for fn in _functions(ast.parse("\n".join(lines))):
            first = min([fn.lineno] + [d.lineno for d in fn.decorator_list])
            length = fn.end_lineno - fn.lineno + 1 if fn.end_lineno else 0
            if length > MAX_LINES and not LONG_REASON.search(lines[first - 2]):
                found.append(f"{_rel(path)}:{fn.lineno} {fn.name}() is {length} lines")
    assert found == []


def _clock_names(tree: ast.AST) -> set[str]:
    """Names assigned from a clock reading (`x = time.perf_counter() - start` and the like)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(c, ast.Call)
            and isinstance(c.func, ast.Attribute)
            and c.func.attr in {"perf_counter", "monotonic", "time"}
            for c in ast.walk(node.value)
        ):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "tests").glob("test_*.py")), ids=lambda p: p.name)
def test_no_timed_assertions(path: Path) -> None:
    """Speed is measured in bench/, never asserted: a slow CI machine is not a failing test."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    clocks = _clock_names(tree) | {"seconds", "elapsed"}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for sub in ast.walk(node.test):
            if isinstance(sub, ast.Compare) and any(
                (isinstance(x, ast.Name) and x.id in clocks)
                or (
                    isinstance(x, ast.Subscript)
                    and isinstance(x.slice, ast.Constant)
                    and x.slice.value in clocks
                )
                for x in [sub.left, *sub.comparators]
            ):
                found.append(f"line {node.lineno}")
    assert found == []
