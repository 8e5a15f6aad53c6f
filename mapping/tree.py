"""Reading a folium map's element tree (which layers, controls and markers a map holds).

branca keeps an element's children in `Element._children` and has no public way to read them
(its own `get_bounds` and `to_dict` read that attribute). This module is the one place in
`mapping` that does, so a change in branca is fixed here.
"""

from __future__ import annotations

from collections.abc import Iterator

from branca.element import Element


def children(element: Element) -> list[Element]:
    """The element's direct children, in the order they were added."""
    return list(element._children.values())


def walk(element: Element) -> Iterator[Element]:
    """The element and all its descendants, depth first, in the order they were added."""
    yield element
    for child in children(element):
        yield from walk(child)
