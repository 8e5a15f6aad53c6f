"""Where things are in an inventory's YAML text: the top-level blocks and each list item's lines.

The YAML store edits one item of `services` or `referrals` as a piece of text (parsed and
written back by `ruamel.yaml`) and leaves every other line as it is; this module finds the
pieces. It reads the layout every shipped inventory and generated file has: top-level keys at
the start of a line, `services:` and `referrals:` as block lists of items each starting with
`- ` at one indentation. Anything else (flow lists, several documents, anchors, tabs) gives
None, and the store then edits and validates the whole document instead (slower, as safe).

An item's lines run from its `- ` to the last line before the next item that is not blank
and not a comment at the item's indentation or less: the comments that introduce the next item
stay where they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pathways.io.load import Outline

LISTS = ("services", "referrals")

_TOP_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]+(\S.*))?\Z")
_ITEM = re.compile(r"( *)- ")
_KEEP = re.compile(r"[|>][1-9]?\+")
"""A block scalar that keeps its trailing blank lines (`|+`): they belong to the item."""


@dataclass(frozen=True)
class Layout:
    """The lines of a text (without their ends) and where its blocks and items are."""

    lines: list[str]
    outline: Outline
    indent: dict[str, int]
    """The column of each list's `- `."""
    newline: str = "\n"

    def item_text(self, key: str, i: int) -> str:
        first, end = self.outline.items[key][i]
        return "\n".join(self.lines[first:end]) + "\n"

    def text(self) -> str:
        return self.newline.join(self.lines)

    def replaced(self, key: str, i: int, new_lines: Sequence[str]) -> Layout:
        """The layout with item `i` of `key` replaced by `new_lines`."""
        first, end = self.outline.items[key][i]
        lines, keys, items = self._spliced(first, end, new_lines)
        items[key][i] = (first, first + len(new_lines))
        return self._with(lines, keys, items)

    def removed(self, key: str, i: int) -> Layout:
        """The layout without item `i` of `key` (and a blank line that separated it)."""
        first, end = self.outline.items[key][i]
        lines = self.lines
        before_blank = first > 0 and not lines[first - 1].strip()
        if end < len(lines) and not lines[end].strip() and before_blank:
            end += 1
        lines, keys, items = self._spliced(first, end, [])
        del items[key][i]
        return self._with(lines, keys, items)

    def appended(self, key: str, new_lines: Sequence[str]) -> Layout:
        """The layout with a new last item of `key` (after a blank line when its items are
        separated by one)."""
        spans = self.outline.items[key]
        if spans:
            at = spans[-1][1]
            blank = len(spans) > 1 and not self.lines[spans[-1][0] - 1].strip()
        else:
            at, blank = self.outline.keys[key] + 1, False
        column = self.indent.get(key, 0)
        new_lines = [  # comments above the item, at its column
            " " * column + line.lstrip(" ") if line.lstrip(" ").startswith("#") else line
            for line in new_lines
        ]
        lead = [""] if blank else []
        start = next((n for n, line in enumerate(new_lines) if _ITEM.match(line)), 0)
        lines, keys, items = self._spliced(at, at, [*lead, *new_lines])
        items[key].append((at + len(lead) + start, at + len(lead) + len(new_lines)))
        return self._with(lines, keys, items)

    def _spliced(
        self, first: int, end: int, new_lines: Sequence[str]
    ) -> tuple[list[str], dict[str, int], dict[str, list[tuple[int, int]]]]:
        """Lines `[first, end)` replaced by `new_lines`; every key and span at or after `end`
        moved by the difference (the caller fixes the item it changed)."""
        delta = len(new_lines) - (end - first)
        lines = self.lines[:first] + list(new_lines) + self.lines[end:]
        if delta == 0:  # most edits: no line moves
            items = {name: list(spans) for name, spans in self.outline.items.items()}
            return lines, dict(self.outline.keys), items

        def moved(line: int) -> int:
            return line + delta if line >= end else line

        items = {
            name: [(moved(a), moved(b)) if a >= end else (a, b) for a, b in spans]
            for name, spans in self.outline.items.items()
        }
        keys = {name: moved(line) for name, line in self.outline.keys.items()}
        return lines, keys, items

    def _with(
        self, lines: list[str], keys: dict[str, int], items: dict[str, list[tuple[int, int]]]
    ) -> Layout:
        return replace(self, lines=lines, outline=Outline(keys=keys, items=items))


def scan(text: str) -> Layout | None:
    """The layout of an inventory's text, or None when it is not the plain block layout."""
    newline = "\r\n" if "\r\n" in text else "\n"
    if newline == "\r\n":
        text = text.replace("\r\n", "\n")
    if "\r" in text or "\t" in text or text.startswith("\ufeff") or _has_anchor(text):
        return None  # an anchor: changing one item could change another
    lines = text.split("\n")
    keys = _top_keys(lines)
    if keys is None or "site" not in keys or "services" not in keys:
        return None
    items: dict[str, list[tuple[int, int]]] = {}
    indent: dict[str, int] = {}
    order = sorted(keys.values())
    for key in LISTS:
        if key not in keys:
            continue
        start = keys[key]
        end = next((line for line in order if line > start), len(lines))
        found = _items(lines, start + 1, end)
        if found is None:
            return None
        items[key], indent[key] = found
    return Layout(lines, Outline(keys=keys, items=items), indent, newline)


def _has_anchor(text: str) -> bool:
    """Does the text define a YAML anchor (`&name` after a space, a bracket or `:`/`-`)?"""
    i = text.find("&")
    while i != -1:
        before, after = text[i - 1 : i] if i else "", text[i + 1 : i + 2]
        if (not before or before in " \n[{,:?-") and after and after not in " \n[]{},":
            return True
        i = text.find("&", i + 1)
    return False


def _top_keys(lines: list[str]) -> dict[str, int] | None:
    """The line of each top-level key; None for a layout this module does not read."""
    keys: dict[str, int] = {}
    for n, line in enumerate(lines):
        if not line or line[0] in " #":
            continue
        if line.startswith("- "):
            continue  # an item of a list at column 0 (checked with its list)
        m = _TOP_KEY.match(line)
        if m is None or m[1] in keys:
            return None  # a document marker, a flow mapping, a repeated key...
        value = m[2]
        if m[1] in LISTS and value is not None and not value.startswith("#"):
            return None  # `services: []`, a flow list
        if m[1] == "site" and value is not None and not value.startswith("#"):
            return None
        keys[m[1]] = n
    return keys


def _items(lines: list[str], start: int, end: int) -> tuple[list[tuple[int, int]], int] | None:
    """The `[first, end)` lines of each item of the block list in lines `[start, end)`, and
    the column of its `- `; None when the block is not one list of `- ` items."""
    column: int | None = None
    for n in range(start, end):
        stripped = lines[n].lstrip(" ")
        if stripped and not stripped.startswith("#"):
            m = _ITEM.match(lines[n])
            if m is None:
                return None  # the first content is not an item
            column = len(m[1])
            break
    if column is None:
        return [], 0
    prefix, deeper = " " * column + "- ", " " * (column + 1)
    firsts: list[int] = []
    for n in range(start, end):
        line = lines[n]
        if line.startswith(prefix):
            firsts.append(n)
        elif not line.startswith(deeper):
            stripped = line.lstrip(" ")
            if stripped and not stripped.startswith("#"):
                return None  # content at the list's column that is not an item
    spans = []
    for k, first in enumerate(firsts):
        stop = firsts[k + 1] if k + 1 < len(firsts) else end
        spans.append((first, _content_end(lines, first, stop, column)))
    return spans, column


def _content_end(lines: list[str], first: int, stop: int, column: int) -> int:
    """The end of an item: trailing blank lines and comments at its column or less are left
    out (they introduce what follows), unless a block scalar keeps its trailing lines."""
    end = stop
    keeps = "+" in "".join(lines[first:stop]) and any(
        _KEEP.search(line) for line in lines[first:stop]
    )
    while end > first + 1:
        line = lines[end - 1]
        stripped = line.lstrip(" ")
        blank = not stripped and not keeps
        comment = stripped.startswith("#") and len(line) - len(stripped) <= column
        if not (blank or comment):
            break
        end -= 1
    return end
