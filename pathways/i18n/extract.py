"""The `pybabel extract` method for the atlas's message keys (named `atlas` in babel.cfg).

Babel's own Python extractor takes every call of a name in its keyword list, and `t` is also a
local name in this code (a dict of texts, a shortcut of the map's labels): it extracted
`t["title"]` and the prefix of `t("cost_" + value)` as keys. This one reads the module with
`ast` and takes only calls of the functions imported from `pathways.i18n` (`t`, `tn`, `N_`,
also as `i18n.t(...)`), and only when their first argument is a plain string. Keys composed at
run time are marked where they are listed, with `N_("...")`.

`t` and `N_` give a message, `tn` a plural message (msgid and msgid_plural both the key).
Babel's default keywords map them (`gettext`, `ngettext`), so `pybabel extract -F babel.cfg`
needs no `-k` option; do not pass `--no-default-keywords`.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

PACKAGE = "pathways.i18n"
FUNCTIONS = {"t": "gettext", "N_": "gettext", "tn": "ngettext"}
"""Our functions, and the babel keyword whose spec each one's messages follow."""

Found = tuple[int, str, str | tuple[str, str], list[str]]


def extract_keys(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Found]:
    """Yield (line, babel keyword, key or (key, key), comments) for each literal key.

    `options["defines"]` (babel.cfg) lists the functions the file defines itself, for the
    modules of `pathways.i18n` that call `t` without importing it.
    """
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    tree = ast.parse(source)
    names, modules = _imported(tree)
    names.update({f: f for f in str(options.get("defines", "")).split() if f in FUNCTIONS})
    calls = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.Call)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    for call in calls:
        function = _callee(call.func, names, modules)
        key = _literal(call.args[0]) if function and call.args else None
        if function is None or key is None:
            continue
        keyword = FUNCTIONS[function]
        yield call.lineno, keyword, (key, key) if keyword == "ngettext" else key, []


def _imported(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """Local name -> our function, and the local names of the `pathways.i18n` module."""
    names: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):  # imports inside functions count too
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            names.update({a.asname or a.name: a.name for a in node.names if a.name in FUNCTIONS})
        elif isinstance(node, ast.ImportFrom) and node.module == PACKAGE.rsplit(".", 1)[0]:
            modules.update(a.asname or a.name for a in node.names if a.name == "i18n")
        elif isinstance(node, ast.Import):
            modules.update(a.asname for a in node.names if a.name == PACKAGE and a.asname)
    return names, modules


def _callee(func: ast.expr, names: dict[str, str], modules: set[str]) -> str | None:
    if isinstance(func, ast.Name):
        return names.get(func.id)
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in modules
        and func.attr in FUNCTIONS
    ):
        return func.attr
    return None


def _literal(arg: ast.expr) -> str | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
        return arg.value
    return None
