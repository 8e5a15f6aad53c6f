"""Changing YAML text with `ruamel.yaml` in round-trip mode: only what changes is rewritten.

A piece of an inventory (one list item, as `pathways.io.store.layout` finds it, or the whole
document when the layout is unusual) is loaded with its comments, key order, quoting, flow or
block style and blank lines, changed in place, and written back; the rest of the file is never
touched. The writer's indentation is the one that gives the piece back unchanged: if none does,
the piece is refused (`NotFaithful`) and the store falls back to the whole document.

New text is written so the loader reads it back as meant: a text that PyYAML (YAML 1.1, what
the loader reads) would take for something else (`no`, `on`, `0x1F`, `1:30`) is quoted.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from pathways.io.store.fields import UNSET
from pathways.model.errors import InventoryError

Indent = tuple[int, int, int]
"""ruamel's (mapping, sequence, offset) indentation."""

INDENTS: tuple[Indent, ...] = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (4, 6, 2))
"""The indentations tried, most common first (`data/sites/` use the first; PyYAML's dumps, as
`bench.generate` writes, the second)."""

_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
_QUOTED_STYLES = (DoubleQuotedScalarString, SingleQuotedScalarString)


class NotFaithful(Exception):
    """A piece of YAML that ruamel.yaml would not write back as it was."""


def _yaml(indent: Indent) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold a long line that was not folded
    y.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return y


def _load(text: str, indent: Indent) -> Any:
    try:
        return _yaml(indent).load(text)
    except YAMLError as e:
        raise NotFaithful(str(e)) from None


def _dump(data: Any, indent: Indent) -> str:
    out = io.StringIO()
    _yaml(indent).dump(data, out)
    return out.getvalue()


def faithful_indent(text: str, first: Indent | None = None) -> Indent:
    """The indentation with which ruamel.yaml writes `text` back unchanged (`first` tried
    first); NotFaithful when none does."""
    return _faithful(text, first)[0]


def _faithful(text: str, first: Indent | None) -> tuple[Indent, Any]:
    """`faithful_indent` and the data loaded with it."""
    for indent in (first, *INDENTS) if first else INDENTS:
        if indent is None:
            continue
        data = _load(text, indent)
        if _dump(data, indent) == text:
            return indent, data
    raise NotFaithful("no indentation writes this YAML back unchanged")


def edit_item(
    key: str, item_text: str, change: Callable[[Any], None], indent: Indent | None = None
) -> tuple[str, Indent]:
    """Item text of list `key` (`  - id: ...` lines) changed by `change(record)`; returns
    the new item text and the indentation that writes it (NotFaithful if none is)."""
    found, data = _faithful(f"{key}:\n{item_text}", indent)
    change(data[key][0])
    out = _dump(data, found)
    return out.split("\n", 1)[1], found


def new_item(key: str, record: Any, indent: Indent, *, flow: bool = False) -> str:
    """The text of a new item of list `key` (a record from `plain_record` or a loaded file)."""
    if flow and isinstance(record, CommentedMap):
        record.fa.set_flow_style()
    out = _dump({key: [record]}, indent)
    return out.split("\n", 1)[1]


def edit_document(text: str, change: Callable[[Any], None]) -> str:
    """The whole document changed by `change(data)` (the store's fallback)."""
    try:
        indent = faithful_indent(text)
    except NotFaithful:
        indent = INDENTS[0]  # the document is kept as well as ruamel.yaml can
    data = _load(text, indent)
    change(data)
    return _dump(data, indent)


def load_record(text: str) -> Any:
    """A record file (`pathways add --service FILE`) with its comments: a mapping, or a list
    of one mapping."""
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as e:
        raise InventoryError(f"not YAML: {' '.join(str(e).split())}") from None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, Mapping):
        raise InventoryError("expected one service: a mapping of its fields")
    return data


# --- values --------------------------------------------------------------------------------


def set_path(record: Any, path: Sequence[str], value: Any) -> None:
    """Set (or, with UNSET, remove) the value at `path` of a record, keeping the style of what
    was there: its quotes, a flow list's brackets, its comments."""
    parent = record
    for n, part in enumerate(path[:-1]):
        child = parent.get(part)
        if child is None or isinstance(child, str):
            child = _container(parent, part, child)
        if not isinstance(child, Mapping):
            raise InventoryError(f"{'.'.join(path[: n + 1])} is not a mapping in the file")
        parent = child
    last = path[-1]
    if value is UNSET:
        if last in parent:
            del parent[last]
        return
    parent[last] = styled(value, parent.get(last))


def _container(parent: Any, part: str, current: str | None) -> Any:
    """A mapping where a path reaches inside a field that has none yet: a new empty one, or
    a text per language (`name.fr` on a plain `name`: its text is kept as `en`)."""
    new = CommentedMap()
    if part == "hours" and current not in (None, "unknown"):
        raise InventoryError(
            f"hours is written as one text ({current!r}): set all of it (hours=...), or unset "
            "it first (hours=) and then set each day"
        )
    if current is not None and part != "hours":
        new["en"] = styled(current, current)
    parent[part] = new
    return new


def styled(value: Any, old: Any) -> Any:
    """`value` as ruamel.yaml should write it where `old` was: same quotes, same flow style,
    quoted where YAML 1.1 would misread it."""
    if isinstance(value, list):
        seq = CommentedSeq(styled(v, None) for v in value)
        if isinstance(old, CommentedSeq):
            if old.fa.flow_style():
                seq.fa.set_flow_style()
            else:
                seq.fa.set_block_style()
        return seq
    if isinstance(value, dt.date) and isinstance(old, _QUOTED_STYLES):
        return type(old)(value.isoformat())
    if not isinstance(value, str):
        return value
    for kind in (*_QUOTED_STYLES, LiteralScalarString, FoldedScalarString):
        if isinstance(old, kind):
            return kind(value)
    if "\n" in value:
        return LiteralScalarString(value)
    if _misread(value):
        return DoubleQuotedScalarString(value)
    return value


def _misread(text: str) -> bool:
    """Would a YAML 1.1 reader (PyYAML, the loader) take this plain text for another type?"""
    return _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != _STR


def plain_record(record: Mapping[str, Any]) -> CommentedMap:
    """A record of plain values (JSON-like) as ruamel.yaml values, texts quoted where needed."""
    out = CommentedMap()
    for key, value in record.items():
        if isinstance(value, Mapping):
            out[key] = plain_record(value)
        else:
            out[key] = styled(value, None)
    return out
