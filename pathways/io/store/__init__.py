"""Stores: where a site's inventory lives and how it changes, behind one interface.

`open_store(source)` gives a `Store` for a SOURCE: an inventory file today (`YamlStore`, the
embedded default that needs no server), a database URL with a site later
(`postgresql://HOST/DB#SITE`, the PostGIS store). Every command and page that reads or edits an
inventory goes through it, so both stores answer alike.

Every change names its user (a staff identifier, never a survivor), is checked against the
version the user read (`base`: no lost update), is validated with the loader's full rules before
anything is written, and lands in the history in the same step. Nothing about survivors is
stored, ever; free-text reasons are about services.
"""

from __future__ import annotations

from pathways.io.store.interface import (
    Action,
    Change,
    Conflict,
    FieldChange,
    Proposal,
    Store,
)
from pathways.io.store.yaml_store import YamlStore


def open_store(source: str) -> Store:
    """The store for SOURCE: an inventory file path (the YAML store)."""
    return YamlStore(source)


__all__ = [
    "Action",
    "Change",
    "Conflict",
    "FieldChange",
    "Proposal",
    "Store",
    "YamlStore",
    "open_store",
]
