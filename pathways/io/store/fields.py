"""What `--set FIELD=VALUE` means: a dotted path into a service record, and the value typed.

The paths and types come from the `Service` model (`pathways.model.inventory`), not from a
list kept here: `hours.mon`, `contact.phone`, `location.lat`, `suspended.until`, `name.fr` (a
text given per language). A value is read by its field's type: `true`/`false`, whole numbers,
numbers, `YYYY-MM-DD` dates, lists as `fr,ar`; an empty value unsets the field (its default).
What cannot be read so is kept as text, and the loader's own rules then say what is wrong with
it, in the words `pathways validate` uses.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pydantic

from pathways.model.errors import InventoryError
from pathways.model.inventory import DAYS, TRANSLATED, Hours, Service, check_language, suggest

Kind = Literal["text", "bool", "int", "float", "date", "list", "hours", "model"]

UNSET: Any = object()
"""The value of `FIELD=` (nothing after `=`): remove the field, so its default applies."""

WITHHELD = "(withheld)"
"""What the history and the messages say instead of a confidential service's place."""

PLACE_FIELDS = ("location", "intake")
"""A confidential service's fields that are never written to the history or a message."""

NOT_EDITABLE = {
    "id": "a service's id cannot change (add a new service, then remove this one)",
    "translations": "set a text per language as name.fr, notes.en, ...",
}


@dataclass(frozen=True)
class FieldSpec:
    """A dotted path into a service record and how its value is read."""

    path: tuple[str, ...]
    kind: Kind
    item: Kind | None = None
    """The kind of a list's items."""

    @property
    def name(self) -> str:
        return ".".join(self.path)


def field_spec(dotted: str) -> FieldSpec:
    """The spec of `dotted` (`hours.mon`), or InventoryError naming the fields there are."""
    parts = tuple(p.strip() for p in dotted.strip().split("."))
    if not all(parts):
        raise InventoryError(f"'{dotted}' is not a field (FIELD or FIELD.PART, e.g. hours.mon)")
    if parts[0] in NOT_EDITABLE:
        raise InventoryError(f"{parts[0]}: {NOT_EDITABLE[parts[0]]}")
    model: type[pydantic.BaseModel] = Service
    for depth, part in enumerate(parts):
        fields = _fields_of(model)
        if part not in fields:
            where = ".".join(parts[:depth]) or "a service"
            raise InventoryError(
                f"'{'.'.join(parts[: depth + 1])}' is not a field of {where}{suggest(part, fields)}"
            )
        kind, item, inner = _kind(fields[part])
        rest = parts[depth + 1 :]
        if kind == "model" and rest and inner is not None:
            model = inner
            continue
        return _leaf(parts, depth, kind, item)
    raise AssertionError("unreachable")  # the loop returns or raises


def _leaf(parts: tuple[str, ...], depth: int, kind: Kind, item: Kind | None) -> FieldSpec:
    """The spec of a path whose part `depth` is a field that is not a record."""
    rest = parts[depth + 1 :]
    here = ".".join(parts[: depth + 1])
    if kind == "model":
        raise InventoryError(f"{here}: set its parts ({here}.PART=VALUE), not the whole of it")
    if not rest:
        return FieldSpec(parts, kind, item)
    if len(rest) == 1 and kind == "hours":
        if rest[0] not in DAYS:
            raise InventoryError(
                f"'{'.'.join(parts)}': hours has one part per day ({', '.join(DAYS)})"
            )
        return FieldSpec(parts, "text")
    if len(rest) == 1 and depth == 0 and parts[0] in TRANSLATED:
        try:
            check_language(rest[0])
        except ValueError as e:
            raise InventoryError(f"'{'.'.join(parts)}': {e}") from None
        return FieldSpec(parts, "text")
    raise InventoryError(f"'{'.'.join(parts)}': {here} has no parts (set {here}=VALUE)")


def _fields_of(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """A record's fields by the name the inventory writes (its alias, if any)."""
    return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}


def _kind(annotation: Any) -> tuple[Kind, Kind | None, type[pydantic.BaseModel] | None]:
    """How a field of this type is read: its kind, its items' kind, its record type."""
    ann = _unwrap(annotation)
    origin = typing.get_origin(ann)
    if origin in (tuple, list):
        return "list", _kind(typing.get_args(ann)[0])[0], None
    if isinstance(ann, type) and issubclass(ann, pydantic.BaseModel):
        return "model", None, ann
    simple: dict[Any, Kind] = {bool: "bool", int: "int", float: "float", dt.date: "date"}
    if ann is Hours:
        return "hours", None, None
    return simple.get(ann, "text"), None, None


def _unwrap(annotation: Any) -> Any:
    """The type inside `Annotated[...]` and `X | None`."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def parse_value(spec: FieldSpec, text: str) -> Any:
    """The value of `FIELD=text` for the inventory (UNSET for an empty text)."""
    text = text.strip()
    if text == "":
        return UNSET
    if spec.kind == "list":
        return [_scalar(spec.item or "text", v.strip()) for v in text.split(",") if v.strip()]
    return _scalar(spec.kind, text)


_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})


def _scalar(kind: Kind, text: str) -> Any:
    """One value read by its kind; kept as text when it does not read (the loader says why)."""
    if kind == "bool" and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if kind == "int":
        return _number(text, int)
    if kind == "float":
        value = _number(text, int)
        return _number(text, float) if isinstance(value, str) else value
    if kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text


def _number(text: str, kind: type[int] | type[float]) -> Any:
    try:
        return kind(text)
    except ValueError:
        return text


def value_at(record: Any, path: tuple[str, ...]) -> Any:
    """The value at a dotted path of a raw record (None where it is not set).

    A text given per language answers its `en` text (else the first) for the whole field, as
    the loader reads it; `name.fr` answers the French one.
    """
    value = record
    for n, part in enumerate(path):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
        last = n == len(path) - 1
        if last and path[0] in TRANSLATED and len(path) == 1 and isinstance(value, Mapping):
            return value.get("en", next(iter(value.values()), None))
    return value


def is_place(path: tuple[str, ...] | str) -> bool:
    """A field that holds (part of) a place: withheld for a confidential service."""
    first = path[0] if isinstance(path, tuple) else path.split(".")[0]
    return first in PLACE_FIELDS


def shown(value: Any, path: tuple[str, ...] | str, confidential: bool) -> Any:
    """A value as the history and the messages may show it."""
    return WITHHELD if confidential and is_place(path) and value is not None else value
