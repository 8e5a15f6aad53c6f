"""What was worked out from an inventory, kept for the next caller of the same inventory.

A server shares one loaded inventory between every session (the app's `cache_resource`), and
each page drew it again: at 10,000 services the national map's popups, public places and
routes took over a second of every Workshop page, for the same answer (issue #19). Inventories
are immutable, so a result is kept per inventory object: keyed on its identity (the memo keeps
the inventory alive while it holds the entry, so the identity cannot be reused), never on a
digest of its content, so a one-off command pays nothing for it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from pathways.model.inventory import Inventory

V = TypeVar("V")


class InventoryMemo(Generic[V]):
    """The last `size` results of one computation, per inventory object and key; safe to share
    between threads (two threads may both work out a missing result; the last one is kept)."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, Hashable], tuple[Inventory, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, inventory: Inventory, key: Hashable, make: Callable[[], V]) -> V:
        """The kept result for this inventory and key, else `make()` (kept for next time)."""
        slot = (id(inventory), key)
        with self._lock:
            hit = self._entries.get(slot)
            if hit is not None and hit[0] is inventory:
                self._entries.move_to_end(slot)
                return hit[1]
        value = make()
        with self._lock:
            self._entries[slot] = (inventory, value)
            self._entries.move_to_end(slot)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every kept result."""
        with self._lock:
            self._entries.clear()
