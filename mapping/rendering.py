"""Cheaper map rendering for a long-running server: branca's per-element template compilation.

A standalone export renders a map once; the app renders one on every rerun of every session, so
what folium spends there is paid again at each filter change.
"""

from __future__ import annotations

from typing import Any

import branca.element


class _LiteralTemplate:
    """A template without Jinja syntax: renders to its source, as Jinja would, uncompiled."""

    def __init__(self, source: str) -> None:
        text = source.replace("\r\n", "\n").replace("\r", "\n")
        self.source = text[:-1] if text.endswith("\n") else text  # Jinja drops one final \n

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.source


def speed_up_map_rendering() -> None:
    """Stop branca compiling every rendered map element as a Jinja template (once per process).

    When folium renders a map, each element's script (its text already rendered) is wrapped in
    a new `branca.element.Element(text)`, whose constructor compiles the text as a Jinja
    template: about 400 compilations and 0.2-0.7 s for Brussels, the bulk of a rerun of the
    Explore page. Text without `{{`, `{%` or `{#` renders to itself (less one final newline),
    so this returns such text uncompiled; anything else still goes to Jinja. The map's HTML is
    the same (tests/test_app.py compares it).
    """
    jinja_template = branca.element.Template
    if getattr(jinja_template, "_referral_atlas", False):
        return

    def template(source: Any = None, *args: Any, **kwargs: Any) -> Any:
        if (
            isinstance(source, str)
            and not args
            and not kwargs
            and not any(mark in source for mark in ("{{", "{%", "{#"))
        ):
            return _LiteralTemplate(source)
        return jinja_template(source, *args, **kwargs)

    template._referral_atlas = True  # type: ignore[attr-defined]
    branca.element.Template = template  # type: ignore[assignment,misc]
