"""Non-interference, proven (issue 14): no public output depends on where a confidential service
lies inside its public place.

Hypothesis draws two versions of the secret site (tests/data/secret/, a confidential service of
every tier), A and B, in which every confidential service is moved (independently in each) to
another true location inside its own public place: the same admin area or grid cell region
(`pathways.public.privacy.public_place` unchanged), the same intake point (still more than 1 km from
it), anywhere valid for a hidden one. Only the `lat:`/`lon:` text of those locations is edited.
Each version is written to its own working folder with the same relative layout, commands run
there with relative paths, and every public output must then be the same, byte for byte, after
normalising only what differs between two runs of one input (folium's random element ids, zip
member timestamps, a GeoPackage's `last_change`, PDF dates and ids, the app's random download
ids):

- **every command**, found by walking `pathways.cli.build_parser()`: invocations are synthesised
  from each argument's name, type and choices (`synthesise`, `_fill`), varying one argument at a
  time from a base invocation (every export format with every kind of file it writes, `diff`
  with the unmoved fixture first and last), plus some drawn at random with several arguments
  at once (any entry point, need, hour, day, place, ...). Exit code, stdout, stderr, the
  project's own log records and every file written are compared. `import` reads the moved
  inventory's own exports. A command, or a required argument, the synthesiser cannot fill fails
  with its name (`test_every_command_and_argument_is_synthesised`), so a new command is tested
  without anyone adding a line here, or is noticed;
- **every app page** navigated to by `app.py`, in English and French, with the interactions that
  show more (every service's card, routes from every entry point to a shelter and closures,
  every export preview, every coverage category): the serialised element trees are compared,
  and what each download button gives.

Two runs on the *same* input in two folders are compared first (`test_two_runs_*`,
`test_two_renderings_*`), so that a difference between A and B means a dependence on the true
location, not noise; and `test_the_comparison_finds_a_broken_gate` breaks the gate
(`pathways.public.privacy.public_view` lets true locations through) and demands that the same
comparison then finds differences.

Outputs (`--out`) are written beside the inventory, as a user would, so that the boundary paths
written into them (and read back by `import`) lead where the inventory's do. No Hypothesis
health check is suppressed: the tests take only the module-scoped `work_root` fixture (and an
autouse one), and change directory and environment with `pytest.MonkeyPatch.context()` inside
each example. About three minutes in the default profile; `HYPOTHESIS_PROFILE=long` draws many
more examples (about half an hour).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import difflib
import functools
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, note, reject, settings
from hypothesis import strategies as st
from pyproj import Geod

from pathways.cli import build_parser, main
from pathways.io.load import read_site
from pathways.model.errors import InventoryError
from pathways.model.inventory import TAXONOMY, Inventory
from pathways.public.card import record_version
from pathways.public.privacy import (
    MIN_DISTANCE_M,
    PublicInventory,
    distance_m,
    public_place,
    public_view,
)
from pathways.public.privacy import public_places as places_of
from tests.test_confidentiality_sweep import _keys, app_texts

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "data" / "secret"
SITE_FILE = "sites/secret.yaml"
"""The inventory's path inside the fixture, and inside every working folder."""
ORIGINAL = "original"
"""The subfolder of a working folder holding the unmoved fixture (for `diff OLD NEW`)."""
INPUTS = f"{SITE_FILE.rsplit('/', 1)[0]}/input-"
OUTPUTS = f"{SITE_FILE.rsplit('/', 1)[0]}/output-"
"""Files commands write (`--out`), and files a command reads that another writes (`import` reads
exports): beside the inventory, as a user would put them, so that the paths to boundary files
written in them lead where they do for the inventory."""
ROADS = "roads.graphml"
"""A road graph over the site in every working folder (for `coverage --roads`)."""

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
HEAVY_EXAMPLES = 25 if LONG else 2
"""Examples for commands that write files (every format, the PNG map): a few seconds each."""
CHEAP_EXAMPLES = 200 if LONG else 5
"""Examples for commands that only print: well under a second each."""
APP_EXAMPLES = 10 if LONG else 2
RANDOM_INVOCATIONS = {True: 3, False: 12}
"""Invocations drawn at random, per example, beside the one-at-a-time ones (by heaviness)."""

MAX_OFFSET_M = 4000.0
"""How far (at most) a confidential service is moved from where the fixture has it."""
TRIES = 40
"""Moves tried per service before the example is rejected."""

GEOD = Geod(ellps="WGS84")


# --- the fixture, laid out so that it validates -------------------------------------------------


@functools.cache
def _scratch() -> Path:
    """A folder for validating drawn inventories (outside pytest's fixtures: strategies use it)."""
    import atexit

    path = Path(tempfile.mkdtemp(prefix="non-interference-"))
    atexit.register(shutil.rmtree, path, True)
    return path


@dataclass(frozen=True)
class Layout:
    """The fixture's files (boundaries, areas, population) and its inventory text, laid out."""

    files: tuple[tuple[str, bytes], ...]  # every file but the inventory, by relative path
    text: str  # the inventory, unmoved
    how: str  # as shipped, or how it was rearranged (see `layout`)

    def write(self, folder: Path, text: str | None = None) -> Path:
        for rel, data in self.files:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
        site = folder / SITE_FILE
        site.parent.mkdir(parents=True, exist_ok=True)
        site.write_text(self.text if text is None else text, encoding="utf-8")
        return site


def _valid(layout: Layout, text: str | None = None, *, keep: bool = False) -> Any:
    """The inventory `text` as validation reads it (true locations) in this layout, and the
    public place of each of its services; None if it does not validate. The files are removed
    afterwards unless `keep`."""
    folder = Path(tempfile.mkdtemp(dir=_scratch()))
    try:
        inventory = read_site(layout.write(folder, text))
        return inventory, places_of(inventory)
    except InventoryError:
        return None
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


@functools.cache
def layout() -> Layout:
    """tests/data/secret as shipped; if the loader refuses its `../boundaries/` (boundary and
    areas files may have to lie inside the inventory's own folder), the same files moved beside
    the inventory, `sites/boundaries/`, and the paths in the inventory changed to match."""
    files = {
        p.relative_to(FIXTURE).as_posix(): p.read_bytes()
        for p in sorted(FIXTURE.rglob("*"))
        if p.is_file()
    }
    text = files.pop(SITE_FILE).decode("utf-8")
    shipped = Layout(tuple(sorted(files.items())), text, "as shipped")
    if _valid(shipped) is not None:
        return shipped
    folder = SITE_FILE.rsplit("/", 1)[0]
    inside = {
        rel if rel.startswith(folder + "/") else f"{folder}/{rel}": d for rel, d in files.items()
    }
    moved = Layout(
        tuple(sorted(inside.items())),
        text.replace("../", ""),
        f"boundary files moved into {folder}/ (the fixture's ../ paths do not validate)",
    )
    if _valid(moved) is None:
        try:
            read_site(shipped.write(Path(tempfile.mkdtemp(dir=_scratch()))))
        except InventoryError as e:
            message = f"tests/data/secret does not validate, in either layout:\n{e}"
            raise AssertionError(message) from None
    return moved


@dataclass(frozen=True)
class Base:
    """The unmoved site: its true inventory (as validation reads it), and public places."""

    true: Inventory
    places: dict[str, Any]  # service id -> PublicPlace, or None (hidden)

    @property
    def confidential(self) -> list[Any]:
        return [s for s in self.true.services if s.confidential]


def _spans(text: str) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    """Where each service's `location` lat and lon are written in the YAML text."""

    def get(node: Any, key: str) -> Any:
        return next(v for k, v in node.value if k.value == key)

    out = {}
    for service in get(yaml.compose(text, Loader=yaml.SafeLoader), "services").value:
        loc = get(service, "location")
        lat, lon = get(loc, "lat"), get(loc, "lon")
        out[get(service, "id").value] = (
            (lat.start_mark.index, lat.end_mark.index),
            (lon.start_mark.index, lon.end_mark.index),
        )
    return out


@functools.cache
def base() -> Base:
    lay = layout()
    true, places = _valid(lay, keep=True)  # kept: the areas file is read again later
    return Base(true, places)


def with_moves(text: str, moves: dict[str, tuple[float, float]]) -> str:
    """The inventory text with these services' `lat:` and `lon:` replaced (nothing else)."""
    spans = _spans(text)
    edits = []
    for sid, (lat, lon) in moves.items():
        (lat_span, lon_span) = spans[sid]
        edits += [(lat_span, f"{lat:.6f}"), (lon_span, f"{lon:.6f}")]
    for (start, end), new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


@dataclass(frozen=True)
class Moved:
    """A version of the site with its confidential services moved inside their public places."""

    text: str = field(repr=False)
    moves: dict[str, tuple[float, float]]


def _stays(service: Any, lat: float, lon: float) -> bool:
    """Whether `service` at (lat, lon) keeps its public place (and, with an intake, is still
    far enough from it to validate)."""
    b = base()
    moved = service.model_copy(
        update={"location": service.location.model_copy(update={"lat": lat, "lon": lon})}
    )
    if public_place(moved, b.true) != b.places[service.id]:
        return False
    intake = service.intake
    return intake is None or distance_m(lat, lon, intake.lat, intake.lon) > MIN_DISTANCE_M + 1


@st.composite
def moved_sites(draw: st.DrawFn) -> Moved:
    """Every confidential service moved up to `MAX_OFFSET_M`, each within its public place.

    Offsets are drawn as distance and bearing (distances skewed short, so that a service in an
    area's 1 km core often stays in it) and rejected when the public place changes; the whole
    inventory must then validate and give every service the same public place as the fixture.
    """
    b = base()
    moves: dict[str, tuple[float, float]] = {}
    for s in b.confidential:
        for _ in range(TRIES):
            u = draw(st.floats(0.05, 1))  # at least 10 m
            bearing = draw(st.floats(-180, 180))
            lon, lat, _ = GEOD.fwd(s.location.lon, s.location.lat, bearing, MAX_OFFSET_M * u * u)
            lat, lon = round(float(lat), 6), round(float(lon), 6)
            if _stays(s, lat, lon):
                moves[s.id] = (lat, lon)
                break
        else:
            reject()
    text = with_moves(layout().text, moves)
    read = _valid(layout(), text)
    assume(read is not None and read[1] == b.places)
    return Moved(text, moves)


FIXED_MOVES = {
    # each a few hundred metres, each inside its public place (checked where used)
    "shelter-area": (50.8180, 4.3200),
    "shelter-grid": (50.7790, 4.2660),
    "shelter-intake": (50.8120, 4.4040),
    "shelter-hidden": (50.8730, 4.4460),
    "shelter-close": (50.8310, 4.3930),
    "safe-clinic": (50.8830, 4.4060),
}


def unmoved() -> Moved:
    return Moved(layout().text, {})


def fixed_move() -> Moved:
    """The fixture with every confidential service moved a few hundred metres, same places."""
    moves = {sid: p for sid, p in FIXED_MOVES.items() if sid in base().places}
    text = with_moves(layout().text, moves)
    read = _valid(layout(), text)
    assert read is not None and read[1] == base().places, "FIXED_MOVES leave a place"
    return Moved(text, moves)


# --- working folders ----------------------------------------------------------------------------


def _road_grid(path: Path) -> None:
    """A street grid over the site (every 0.01°), saved the way `ox.save_graphml` does."""
    import math

    import networkx as nx

    south, west, north, east = facts().bbox
    G = nx.MultiDiGraph(crs="epsg:4326")
    lats = [round(0.01 * i, 4) for i in range(math.floor(south * 100), math.ceil(north * 100) + 1)]
    lons = [round(0.01 * j, 4) for j in range(math.floor(west * 100), math.ceil(east * 100) + 1)]
    for i, lat in enumerate(lats):
        for j, lon in enumerate(lons):
            G.add_node(f"{i}-{j}", x=str(lon), y=str(lat), street_count="4")
    for i, lat in enumerate(lats):
        for j, lon in enumerate(lons):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < len(lats) and j + dj < len(lons):
                    a, b = f"{i}-{j}", f"{i + di}-{j + dj}"
                    metres = distance_m(lat, lon, lats[i + di], lons[j + dj])
                    attrs = {"length": f"{metres:.1f}", "osmid": "1", "oneway": "False"}
                    G.add_edge(a, b, **attrs)
                    G.add_edge(b, a, **attrs)
    nx.write_graphml(G, path)


@functools.cache
def _road_bytes() -> bytes:
    path = _scratch() / ROADS
    _road_grid(path)
    return path.read_bytes()


def prepare(folder: Path, version: Moved) -> Path:
    """A working folder: `version` at SITE_FILE, the unmoved fixture under ORIGINAL/, roads."""
    folder.mkdir(parents=True, exist_ok=True)
    layout().write(folder, version.text)
    layout().write(folder / ORIGINAL)
    (folder / ROADS).write_bytes(_road_bytes())
    return folder


@contextlib.contextmanager
def folders(root: Path, n: int) -> Iterator[list[Path]]:
    """`n` new, empty working folders under `root`, removed afterwards."""
    made = [Path(tempfile.mkdtemp(dir=root)) for _ in range(n)]
    try:
        yield made
    finally:
        for f in made:
            shutil.rmtree(f, ignore_errors=True)


@pytest.fixture(scope="module")
def work_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("non-interference")


@pytest.fixture(autouse=True)
def _folium_as_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app speeds up branca's templates for its process (`mapping.rendering`): undo it after
    each test, as tests/test_app.py does, so other modules see folium as it ships."""
    import branca.element

    monkeypatch.setattr(branca.element, "Template", branca.element.Template)


@pytest.fixture(autouse=True)
def _clock_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """The program's clock stands still (`pathways.model.clock`): outputs that default to now (the
    app's arrival time, the protocol's print date) would otherwise differ between A and B when
    a half hour, or midnight, passes between them."""
    from pathways.model import clock

    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 11, 21, 22, 40, tzinfo=dt.UTC))
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 11, 21))


# --- synthesising invocations from the parser ---------------------------------------------------


@dataclass(frozen=True)
class Value:
    """The words one argument adds to argv, and the commands to run first to make its input."""

    words: tuple[str, ...]
    setup: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Slot:
    """One argument (or, for OLD NEW, the inventory positionals together) and its values."""

    name: str
    positional: bool
    values: tuple[Value, ...]
    required: bool
    group: int | None = None  # its mutually exclusive group
    fan: bool = False  # every value is a base of its own (format and file, inventory order)
    draw: Callable[[], st.SearchStrategy[Value]] | None = None  # beyond `values`, for random runs


@dataclass(frozen=True)
class Invocation:
    argv: tuple[str, ...]
    setup: tuple[tuple[str, ...], ...] = ()

    def __str__(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True)
class Command:
    name: str
    slots: tuple[Slot, ...]
    required_groups: frozenset[int]
    unfilled: tuple[str, ...]  # optional arguments left out (see SKIPPED)

    @property
    def writes_files(self) -> bool:
        return any(s.fan and any("--out" in v.words for v in s.values) for s in self.slots)


INVENTORY_NAMES = {"PATH", "SOURCE", "OLD", "NEW", "paths", "path", "source", "old", "new"}
"""Positionals (metavar or dest) that take an inventory."""

SKIPPED = {
    ("import", "--sheet"): "only read for .xlsx input, and no command writes .xlsx",
    ("add", "--service"): "reads a service record file no command writes (--referral is run)",
    ("orient", "--grid"): "reads a danger grid no command writes (the shipped grid is the default)",
}
"""Optional arguments the synthesiser leaves out, each with the reason. Any other it cannot fill
fails `test_every_command_and_argument_is_synthesised`."""

HOURS = ("0", "2.5", "7.25", "10", "16.75", "23.99")
DATES = ("2026-11-20", "2031-01-01")
INTS = ("5", "16", "30", "70")
FLOATS = ("0.5", "1", "12.25")
KNOWN = {  # free-text options of `import` and of the editing commands, by dest
    "site": ("again",),
    "country": ("BE",),
    "name": ("Again Site",),
    "timezone": ("Europe/Brussels",),
    "languages": ("fr,ar",),
    "user": ("coord",),
    "changes": ("notes=checked", "age_min=abc"),
    "reason": ("kit stock-out",),
    "note": ("not now",),
    "proposal": ("p1",),
    "sign": ("threat_to_kill", ("weapon", "children_at_risk")),  # `orient`: the shipped grid's
}
TEXT_SUFFIXES = {"yaml": ".yaml", "json": ".json", "html": ".html", "csv": ".csv"}


@dataclass(frozen=True)
class Facts:
    """What the synthesiser fills arguments with, read from the unmoved site."""

    services: tuple[str, ...]
    entries: tuple[str, ...]
    confidential: tuple[str, ...]
    categories: tuple[str, ...]  # confidential services' first, then the others offered
    missing_category: str  # a category no service offers
    languages: tuple[str, ...]
    places: tuple[str, ...]  # LAT,LON: true and public places of shelters, between entry points
    bbox: tuple[float, float, float, float]  # south, west, north, east: the services and 5 km


@functools.cache
def facts() -> Facts:
    b = base()
    inv = b.true
    conf = sorted({c for s in b.confidential for c in s.categories})
    offered = sorted({c for s in inv.services for c in s.categories})
    langs = [*inv.site.languages, *sorted({x for s in inv.services for x in s.languages})]
    points = [(s.location.lat, s.location.lon) for s in b.confidential]
    points += [(p.lat, p.lon) for p in b.places.values() if p is not None]
    lats = [s.location.lat for s in inv.services]
    lons = [s.location.lon for s in inv.services]
    south, west, north, east = (
        min(lats) - 0.05,
        min(lons) - 0.05,
        max(lats) + 0.05,
        max(lons) + 0.05,
    )
    points += [((south + north) / 2, (west + east) / 2), (south, west), (north, east)]
    # between two entry points (where they lie, confidential or not), where a start `--at`
    # goes to the nearest one: the places whose answer a move of a few metres could change
    entries = [(s.location.lat, s.location.lon) for s in inv.services if s.entry_point]
    for i, (lat1, lon1) in enumerate(entries):
        for lat2, lon2 in entries[i + 1 :]:
            for t in (0.49, 0.5, 0.51):
                points.append((lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1)))
    return Facts(
        services=tuple(s.id for s in inv.services),
        entries=tuple(s.id for s in inv.services if s.entry_point),
        confidential=tuple(s.id for s in b.confidential),
        categories=tuple([*conf, *(c for c in offered if c not in conf)]),
        missing_category=next(c for c in TAXONOMY if c not in offered),
        languages=tuple(dict.fromkeys([*langs, "en", "ln"])),
        places=tuple(dict.fromkeys(f"{lat:.6f},{lon:.6f}" for lat, lon in points)),
        bbox=(south, west, north, east),
    )


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _meta(a: argparse.Action) -> str:
    """The metavar an argument shows in help (a tuple metavar names nothing we know)."""
    return a.metavar if isinstance(a.metavar, str) else ""


def _label(a: argparse.Action) -> str:
    """How messages name an argument: its option string, or its metavar."""
    return a.option_strings[0] if a.option_strings else (_meta(a) or a.dest)


def _is_inventory(a: argparse.Action) -> bool:
    return not a.option_strings and (_meta(a) in INVENTORY_NAMES or a.dest in INVENTORY_NAMES)


def _out_suffixes(help_text: str, fmt: str | None) -> list[str]:
    """The file suffixes `--out` takes, read from its help ("" for a folder)."""
    if fmt is not None:
        said = re.search(rf"\b{re.escape(fmt)}: ([^;)]*)", help_text)
        if not said:
            return [f".{fmt}"]
        text = said.group(1)
    else:
        text = help_text
    found = list(dict.fromkeys(re.findall(r"(?<![\w.])\.[a-z]{2,7}\b", text)))
    if "folder" in text:
        found.append("")
    if not found:
        words = [w for w in TEXT_SUFFIXES if w in text.lower()]
        found = [TEXT_SUFFIXES[words[0]]] if words else [".out"]
    return found


def _export_inputs() -> tuple[Value, ...]:
    """Every file `export` writes from the moved inventory, as input to a command reading files."""
    export = synthesise_fans().get("export")
    if not export:
        return ()
    out = []
    for v in export:
        target = v.words[v.words.index("--out") + 1]
        name = INPUTS + target.removeprefix(OUTPUTS)
        argv = ("export", SITE_FILE, *v.words[: v.words.index("--out")], "--out", name)
        out.append(Value((name,), (argv,)))
    return tuple(out)


@functools.cache
def synthesise_fans() -> dict[str, tuple[Value, ...]]:
    """The `--format`/`--out` values of each command that writes files."""
    out = {}
    for name, parser in _subcommands().items():
        fan = _format_and_out(name, parser)
        if fan:
            out[name] = fan
    return out


def _format_and_out(name: str, parser: argparse.ArgumentParser) -> tuple[Value, ...]:
    out_action = next((a for a in parser._actions if a.dest == "out"), None)
    fmt = next((a for a in parser._actions if a.dest == "format" and a.choices), None)
    if out_action is None:
        return ()
    help_text = out_action.help or ""
    values = []
    formats: list[str | None] = [str(c) for c in fmt.choices or ()] if fmt else [None]
    for f in formats:
        for suffix in _out_suffixes(help_text, f):
            stem = f"{OUTPUTS}{f or name}"
            target = f"{stem}{suffix}" if suffix else f"{stem}-folder"
            words = ("--format", f) if f else ()
            values.append(Value((*words, "--out", target)))
    return tuple(values)


def _fill(a: argparse.Action) -> tuple[Value, ...] | None:
    """The values the synthesiser gives one argument, or None if it does not know how."""
    f = facts()
    opt = tuple(a.option_strings[:1])
    meta = _meta(a)
    many = a.nargs in ("+", "*")

    def vals(*items: str | tuple[str, ...]) -> tuple[Value, ...]:
        return tuple(Value((*opt, *((i,) if isinstance(i, str) else i))) for i in items)

    if isinstance(a, argparse._StoreTrueAction | argparse._StoreFalseAction):
        return (Value(opt),)
    if isinstance(a, argparse._StoreConstAction | argparse._AppendConstAction):
        return (Value(opt),)
    if a.choices:
        # an optional argument's default is its absence (the base invocation)
        choices = [str(c) for c in a.choices if a.required or c != a.default]
        return vals(*choices, *([tuple(choices)] if many and len(choices) > 1 else []))
    if meta == "SERVICE_ID" or a.dest in ("entry", "service", "close"):
        if a.dest == "entry" or "--from" in a.option_strings:
            return vals(*f.entries)
        return vals(*f.services, *([f.confidential] if many else []))
    if meta == "CATEGORY" or a.dest in ("need", "category", "categories"):
        cats = f.categories
        items: list[str | tuple[str, ...]] = [*cats, f.missing_category]
        if "comma" in (a.help or ""):  # several at once, first (the base)
            items.insert(0, ",".join(cats[:3]))
        if isinstance(a, argparse._AppendAction) and opt:
            items.append((cats[0], *opt, cats[-1]))
        return vals(*items)
    if meta == "LAT,LON":
        return vals(*f.places)
    if "hour" in a.dest:
        return vals(*HOURS)
    if "date" in getattr(a.type, "__name__", "") or a.dest in ("as_of", "date"):
        return vals(*DATES)
    if meta.lower().endswith(".graphml"):
        return vals(ROADS)
    if a.dest == "language":
        return vals(*f.languages)
    if a.dest == "scenario":
        return vals(*(lim.id for lim in base().true.site.access_limits))
    if a.dest == "base":  # the versions `pathways show --json` prints: of the public records
        return vals(*(versions()[sid] for sid in f.services))
    if a.dest == "referral":  # FROM TO: a route that is not there yet, then one that is
        return vals(*routes())
    if a.dest in KNOWN:
        return vals(*KNOWN[a.dest])
    if a.type is int:
        return vals(*INTS)
    if a.type is float:
        return vals(*FLOATS)
    if not a.option_strings and meta.upper().startswith("FILE"):
        return _export_inputs() or None
    return None


def _draw(a: argparse.Action) -> Callable[[], st.SearchStrategy[Value]] | None:
    """Values beyond the listed ones, for invocations drawn at random (hours, places, ages)."""
    opt = tuple(a.option_strings[:1])
    if "hour" in a.dest:
        return lambda: st.floats(0, 24).map(lambda h: Value((*opt, f"{h:.4f}")))
    if a.metavar == "LAT,LON":
        s, w, n, e = facts().bbox
        return lambda: st.tuples(st.floats(s, n), st.floats(w, e)).map(
            lambda p: Value((*opt, f"{p[0]:.6f},{p[1]:.6f}"))
        )
    if a.type is int:
        return lambda: st.integers(0, 99).map(lambda x: Value((*opt, str(x))))
    return None


@functools.cache
def versions() -> dict[str, str]:
    """Each service's version, as the editing commands check it (the same for A and B)."""
    public = public_view(base().true)
    return {s.id: record_version(s) for s in public.services}


def routes() -> tuple[tuple[str, str], ...]:
    """A referral route the site does not have (between two of its services), then one it has."""
    true = base().true
    have = {(r.source_id, r.target_id) for r in true.referrals}
    ids = [s.id for s in true.services]
    new = next((a, b) for a in ids for b in ids if a != b and (a, b) not in have)
    first = true.referrals[0]
    return (new, (first.source_id, first.target_id))


def state_first(name: str) -> tuple[tuple[str, ...], ...]:
    """Commands to run before each invocation of an editing command that needs a state: a
    suspension to resume, a proposal (p1 first) to accept or reject. The proposal unsets the
    notes of a service that has none, so accepting it changes no version."""
    true = base().true
    if name == "resume":
        sid = true.services[0].id
        words = ("--as", "coord", "--until", DATES[-1], "--reason", "x")
        return (("suspend", SITE_FILE, sid, *words),)
    if name in ("accept", "reject"):
        sid = next(s.id for s in true.services if s.notes is None)
        words = ("--set", "notes=", "--as", "field", "--base", versions()[sid])
        return (("propose", SITE_FILE, sid, *words),)
    return ()


class Unfillable(Exception):
    """A required argument the synthesiser cannot fill."""


@functools.cache
def synthesise(name: str) -> Command:
    """The slots of one command, from its parser; Unfillable names a required argument it
    cannot fill."""
    parser = _subcommands()[name]
    groups: dict[int, int] = {}
    required_groups = set()
    for i, g in enumerate(parser._mutually_exclusive_groups):
        for a in g._group_actions:
            groups[id(a)] = i
        if g.required:
            required_groups.add(i)
    actions = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
    slots: list[Slot] = []
    unfilled: list[str] = []
    inventories = [a for a in actions if _is_inventory(a)]
    fan = synthesise_fans().get(name, ())
    if fan:
        slots.append(Slot("--format/--out", False, fan, True, fan=True))
    for a in actions:
        label = _label(a)
        if a.dest in ("format", "out") and fan:
            continue
        if a in inventories:
            if len(inventories) == 1:
                slots.append(Slot(label, True, (Value((SITE_FILE,)),), True))
            elif a is inventories[0]:
                # two versions (diff OLD NEW): the unmoved fixture at each place in turn
                orders = tuple(
                    Value(
                        tuple(
                            f"{ORIGINAL}/{SITE_FILE}" if j == i else SITE_FILE
                            for j in range(len(inventories))
                        )
                    )
                    for i in range(len(inventories))
                )
                slots.append(
                    Slot(
                        "/".join(_label(x) for x in inventories),
                        True,
                        orders,
                        True,
                        fan=True,
                    )
                )
            continue
        values = _fill(a)
        required = bool(a.required) or (not a.option_strings and a.nargs != "?")
        if not values:
            if required:
                raise Unfillable(f"`pathways {name}`: the synthesiser cannot fill {label}")
            unfilled.append(label)
            continue
        slots.append(
            Slot(label, not a.option_strings, values, required, groups.get(id(a)), draw=_draw(a))
        )
    for i in required_groups:
        if not any(s.group == i for s in slots):
            raise Unfillable(f"`pathways {name}`: no member of a required group can be filled")
    return Command(name, tuple(slots), frozenset(required_groups), tuple(unfilled))


def _argv(command: Command, chosen: dict[str, Value]) -> Invocation:
    words: list[str] = [command.name]
    setup: list[tuple[str, ...]] = list(state_first(command.name))
    for positional in (True, False):
        for s in command.slots:
            if s.positional == positional and s.name in chosen:
                words += chosen[s.name].words
                setup += chosen[s.name].setup
    return Invocation(tuple(words), tuple(dict.fromkeys(setup)))


def _bases(command: Command) -> list[dict[str, Value]]:
    fans = [s for s in command.slots if s.fan]
    bases: list[dict[str, Value]] = [{}]
    for s in fans:
        bases = [{**b, s.name: v} for b in bases for v in s.values]
    for b in bases:
        for s in command.slots:
            if not s.fan and s.required and s.group is None:
                b[s.name] = s.values[0]
        for g in sorted(command.required_groups):
            first = next(s for s in command.slots if s.group == g)
            b[first.name] = first.values[0]
    return bases


def one_at_a_time(command: Command) -> list[Invocation]:
    """Each base (every format and file kind, every order of two inventories), and each base
    with one argument changed to each of its values (the other members of its group removed)."""
    out: dict[tuple[str, ...], Invocation] = {}
    for b in _bases(command):
        inv = _argv(command, b)
        out.setdefault(inv.argv, inv)
        for s in command.slots:
            if s.fan:
                continue
            for v in s.values:
                chosen = {
                    k: x for k, x in b.items() if s.group is None or _group(command, k) != s.group
                }
                chosen[s.name] = v
                inv = _argv(command, chosen)
                out.setdefault(inv.argv, inv)
    return list(out.values())


def _group(command: Command, name: str) -> int | None:
    return next(s.group for s in command.slots if s.name == name)


def random_invocation(command: Command, data: st.DataObject) -> Invocation:
    """Several arguments at once: each optional one present or not, each value drawn."""
    chosen: dict[str, Value] = {}

    def value(s: Slot) -> Value:
        options = st.sampled_from(s.values)
        return data.draw(st.one_of(options, s.draw()) if s.draw else options, label=s.name)

    for s in command.slots:
        if s.group is None and (s.required or data.draw(st.booleans(), label=f"{s.name}?")):
            chosen[s.name] = value(s)
    for g in sorted({s.group for s in command.slots if s.group is not None}):
        members = [s for s in command.slots if s.group == g]
        if g not in command.required_groups:
            members = [None, *members]  # type: ignore[list-item]
        pick = data.draw(st.sampled_from(members), label=f"group {g}")
        if pick is not None:
            chosen[pick.name] = value(pick)
    return _argv(command, chosen)


def commands() -> list[str]:
    return list(_subcommands())


# --- running a command, and what counts as its output -------------------------------------------


@dataclass(frozen=True)
class Run:
    """Everything an invocation gives, normalised: exit code, stdout, stderr, the project's own
    log records, and every file it wrote or changed in the working folder."""

    code: int
    stdout: str
    stderr: str
    logs: str
    files: tuple[tuple[str, Any], ...]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")


@contextlib.contextmanager
def _project_logs() -> Iterator[_Records]:
    """Every record of the project's loggers (pathways, mapping, views), at DEBUG."""
    handler = _Records()
    loggers = [logging.getLogger(n) for n in ("pathways", "mapping", "views")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)


def _main(argv: Sequence[str]) -> tuple[int, str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _project_logs() as logs,
    ):
        try:
            code = main(list(argv))
        except SystemExit as e:  # argparse: a usage error
            code = e.code if isinstance(e.code, int) else 1
    return code, out.getvalue(), err.getvalue(), "\n".join(logs.lines)


def _snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under `folder`: inode, size and modification time (what a write changes)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            info = p.stat()
            out[p.relative_to(folder).as_posix()] = (info.st_ino, info.st_size, info.st_mtime_ns)
    return out


def run(folder: Path, invocation: Invocation) -> Run:
    """Run `invocation` in `folder` (the working directory), with no inputs or outputs left
    from another invocation."""
    for old in [*folder.glob(f"{INPUTS}*"), *folder.glob(f"{OUTPUTS}*")]:
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for argv in invocation.setup:
            code, out, err, _ = _main(argv)
            assert code == 0, (argv, out, err)
        before = _snapshot(folder)
        code, out, err, logs = _main(invocation.argv)
        after = _snapshot(folder)
    files = [
        (rel, normalise(rel, (folder / rel).read_bytes()))
        for rel, stamp in after.items()
        if before.get(rel) != stamp
    ]
    files += [(rel, "<deleted>") for rel in before if rel not in after]
    return Run(code, out, err, logs, tuple(sorted(files, key=lambda x: x[0])))


# --- normalising what differs between two runs of the same input --------------------------------

FOLIUM_ID = re.compile(r"_[0-9a-f]{32}")
"""folium's element names (`map_<uuid4 hex>`): random in every rendering."""


def folium_ids(text: str) -> str:
    return FOLIUM_ID.sub("_ID", text)


def normalise(name: str, data: bytes, folder: str | None = None) -> Any:
    """A file's content with only run-to-run noise removed (by kind: zip, SQLite, PDF, HTML),
    and the working `folder`'s path (if given: files the app makes name it) replaced."""
    if name == SITE_FILE:
        return _edited_inventory(data)
    suffix = Path(name).suffix.lower()
    if data[:4] == b"PK\x03\x04":  # zip: member names and contents, not their timestamps
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return ("zip", tuple((m, normalise(m, z.read(m), folder)) for m in z.namelist()))
    if data.startswith(b"SQLite format 3\x00"):  # GeoPackage: its tables, not its header
        return ("sqlite", _tables(data, folder))
    if folder:
        data = data.replace(folder.encode(), b"<WORK>")
    if data.startswith(b"%PDF"):
        data = re.sub(rb"/(CreationDate|ModDate)\s*\(D:[^)]*\)", rb"/\1 (D:)", data)
        return ("pdf", re.sub(rb"/ID\s*\[\s*<[0-9A-Fa-f]*>\s*<[0-9A-Fa-f]*>\s*\]", b"/ID []", data))
    if suffix in (".html", ".htm"):
        return ("html", folium_ids(data.decode("utf-8")))
    return data


def _edited_inventory(data: bytes) -> Any:
    """The inventory an editing command rewrote: the true places of its confidential services
    are the store's own content (A and B differ there by construction), everything else is
    compared, the history and review queue beside it in full."""
    text = data.decode("utf-8")
    secret = {s.id for s in base().confidential}
    spans = sorted(
        (span for sid, pair in _spans(text).items() if sid in secret for span in pair),
        reverse=True,
    )
    for start, end in spans:
        text = text[:start] + "<true place>" + text[end:]
    return ("inventory", text)


def _tables(data: bytes, folder: str | None = None) -> tuple[Any, ...]:
    """Schema and rows of every table; a GeoPackage's `last_change` (write time) normalised."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "db.sqlite"
        path.write_bytes(data)
        con = sqlite3.connect(path)
        try:
            schema = con.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            ).fetchall()
            out: list[Any] = [("schema", tuple(schema))]
            for kind, name, _, _ in schema:
                if kind != "table":
                    continue
                try:
                    cur = con.execute(f'SELECT * FROM "{name}"')
                except sqlite3.OperationalError as e:  # a virtual table this sqlite lacks
                    out.append((name, f"unreadable: {e}"))
                    continue
                cols = [c[0] for c in cur.description]
                rows = tuple(
                    tuple(
                        "<time>"
                        if c == "last_change"
                        else v.replace(folder, "<WORK>")
                        if folder and isinstance(v, str)
                        else v
                        for c, v in zip(cols, row, strict=True)
                    )
                    for row in cur
                )
                out.append((name, tuple(cols), rows))
        finally:
            con.close()
    return tuple(out)


# --- comparing ----------------------------------------------------------------------------------


def _first_difference(a: Any, b: Any, where: str = "") -> str:
    """Where two normalised outputs first differ, with a little context."""
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, str) and isinstance(b, str):
        diff = difflib.unified_diff(a.splitlines(), b.splitlines(), "A", "B", lineterm="", n=1)
        lines = [line[:300] for line in diff]
        return f"{where}:\n" + "\n".join(lines[:24])
    if isinstance(a, bytes) and isinstance(b, bytes):
        i = next(
            (k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
        )
        k = max(0, i - 40)
        context = f"{a[k : i + 60]!r} vs {b[k : i + 60]!r}"
        return f"{where}: bytes differ at {i} (sizes {len(a)}, {len(b)}): {context}"
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            return f"{where}: {len(a)} vs {len(b)} items: {str(a)[:300]} vs {str(b)[:300]}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                label = x[0] if isinstance(x, tuple) and x and isinstance(x[0], str) else i
                return _first_difference(x, y, f"{where}/{label}")
    return f"{where}: {str(a)[:300]} vs {str(b)[:300]}"


def describe(a: Run, b: Run) -> str:
    parts = []
    for name in ("code", "stdout", "stderr", "logs", "files"):
        x, y = getattr(a, name), getattr(b, name)
        if x != y:
            parts.append(_first_difference(x, y, name))
    return "\n".join(parts)


@dataclass
class Difference:
    invocation: Invocation
    text: str

    def __str__(self) -> str:
        return f"`pathways {self.invocation}`:\n{self.text}"


def compare_runs(
    root: Path, invocations: Sequence[Invocation], a: Moved, b: Moved
) -> tuple[list[Difference], list[Run]]:
    """The invocations whose outputs differ between A and B (each in its own working folder),
    and A's runs."""
    found, runs = [], []
    with folders(root, 2) as (fa, fb):
        prepare(fa, a)
        prepare(fb, b)
        for inv in invocations:
            ra, rb = run(fa, inv), run(fb, inv)
            runs.append(ra)
            if ra != rb:
                found.append(Difference(inv, describe(ra, rb)))
    return found, runs


def differences(
    root: Path, invocations: Sequence[Invocation], a: Moved, b: Moved
) -> list[Difference]:
    return compare_runs(root, invocations, a, b)[0]


def check_commands(root: Path, invocations: Sequence[Invocation], a: Moved, b: Moved) -> None:
    """Fail, naming each invocation, if any output differs between A and B; say whether the
    output differs between two runs of A as well (noise) or only with the true location (leak)."""
    found = differences(root, invocations, a, b)
    if not found:
        return
    noisy = {str(d.invocation) for d in differences(root, [d.invocation for d in found], a, a)}
    lines = [
        (
            "NOT DETERMINISTIC (differs between two runs of A): "
            if str(d.invocation) in noisy
            else ""
        )
        + str(d)
        for d in found
    ]
    raise AssertionError(
        f"{len(found)} output(s) depend on where a confidential service lies inside its public "
        f"place (moves A: {a.moves}; B: {b.moves}):\n\n" + "\n\n".join(lines[:12])
    )


# --- the tests: commands ------------------------------------------------------------------------


def test_every_command_and_argument_is_synthesised() -> None:
    """Every command gets invocations; a required argument the synthesiser cannot fill, or an
    optional one left out without a reason in SKIPPED, fails here with its name."""
    from pathways.io.export import FORMATS

    problems = []
    for name in commands():
        try:
            command = synthesise(name)
        except Unfillable as e:
            problems.append(str(e))
            continue
        problems += [
            f"`pathways {name}`: the synthesiser cannot fill {arg} (fill it in `_fill`, or say "
            "why not in SKIPPED)"
            for arg in command.unfilled
            if (name, arg) not in SKIPPED
        ]
        assert one_at_a_time(command), name
    assert not problems, "\n".join(problems)
    fans = synthesise_fans()
    if "export" in fans:  # every export format, each with every kind of file it writes
        formats = {v.words[1] for v in fans["export"]}
        assert formats == set(FORMATS)
        outs = {v.words[-1] for v in fans["export"]}
        want = ["protocol.pdf", "protocol.html", "hsds.json", "hsds.zip", "hsds-folder"]
        assert {OUTPUTS + x for x in want} <= outs
    if "map" in fans:
        assert {v.words[-1] for v in fans["map"]} == {OUTPUTS + "map.html", OUTPUTS + "map.png"}


def test_a_new_command_is_tested_or_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command added to the parser gets invocations from its arguments alone; one with a
    required argument nobody knows how to fill is refused by name."""
    real = build_parser

    def more() -> argparse.ArgumentParser:
        parser = real()
        (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        p = sub.add_parser("frobnicate")
        p.add_argument("paths", nargs="+", metavar="PATH")
        p.add_argument("--out", required=True, type=Path, help="the file to write: .svg or .txt")
        p.add_argument("--lang", choices=["en", "fr"], default="en")
        p.add_argument("--from", dest="entry", metavar="SERVICE_ID")
        p.add_argument("--json", action="store_true")
        p = sub.add_parser("wibble")
        p.add_argument("source", metavar="SOURCE")
        p.add_argument("--widget", required=True)
        return parser

    monkeypatch.setattr(sys.modules[__name__], "build_parser", more)
    caches = (synthesise, synthesise_fans)
    for cache in caches:
        cache.cache_clear()
    try:
        assert {"frobnicate", "wibble"} <= set(commands())
        argvs = {str(i) for i in one_at_a_time(synthesise("frobnicate"))}
        out = f"frobnicate {SITE_FILE} --out {OUTPUTS}frobnicate"
        assert {f"{out}.svg", f"{out}.txt", f"{out}.svg --json", f"{out}.txt --lang fr"} <= argvs
        assert {f"{out}.svg --from {e}" for e in facts().entries} <= argvs
        with pytest.raises(Unfillable, match=r"pathways wibble.*--widget"):
            synthesise("wibble")
    finally:
        for cache in caches:
            cache.cache_clear()


LEAKS: dict[str, Any] = {}
"""Commands with a known dependence on the true location, each with
`pytest.mark.xfail(strict=True, reason=...)` until it is fixed (none today)."""


def _command_params(heavy: bool) -> list[Any]:
    out = []
    for name in commands():
        try:
            if synthesise(name).writes_files != heavy:
                continue
        except Unfillable:
            if heavy:
                continue  # listed once, with the cheap ones, to fail there
        out.append(pytest.param(name, marks=LEAKS[name]) if name in LEAKS else name)
    return out


def _command(name: str) -> Command:
    try:
        return synthesise(name)
    except Unfillable as e:
        raise AssertionError(str(e)) from None


@pytest.mark.parametrize("name", commands())
def test_two_runs_on_the_same_input_give_the_same_outputs(work_root: Path, name: str) -> None:
    """Without this, equal outputs for A and B would mean little: the normalisation removes
    all noise, and every command succeeds on at least one invocation."""
    command = _command(name)
    invocations = one_at_a_time(command)
    found, runs = compare_runs(work_root, invocations, unmoved(), unmoved())
    assert not found, "\n\n".join(map(str, found[:10]))
    assert any(r.code == 0 for r in runs), f"`pathways {name}` never succeeds: {runs[0]}"
    for inv, r in zip(invocations, runs, strict=True):
        if r.code == 0 and command.writes_files:
            assert r.files, f"`{inv}` wrote nothing"


def _check_examples(root: Path, name: str, a: Moved, b: Moved, data: st.DataObject) -> None:
    assume(a.moves != b.moves)
    note(f"A: {a.moves}\nB: {b.moves}")
    command = _command(name)
    drawn = [
        random_invocation(command, data) for _ in range(RANDOM_INVOCATIONS[command.writes_files])
    ]
    check_commands(root, [*one_at_a_time(command), *drawn], a, b)


@pytest.mark.parametrize("name", _command_params(heavy=False))
@settings(max_examples=CHEAP_EXAMPLES, deadline=None)
@given(a=moved_sites(), b=moved_sites(), data=st.data())
def test_no_printed_output_depends_on_where_a_shelter_lies(
    work_root: Path, name: str, a: Moved, b: Moved, data: st.DataObject
) -> None:
    _check_examples(work_root, name, a, b, data)


@pytest.mark.parametrize("name", _command_params(heavy=True))
@settings(max_examples=HEAVY_EXAMPLES, deadline=None)
@given(a=moved_sites(), b=moved_sites(), data=st.data())
def test_no_written_file_depends_on_where_a_shelter_lies(
    work_root: Path, name: str, a: Moved, b: Moved, data: st.DataObject
) -> None:
    _check_examples(work_root, name, a, b, data)


# --- the app ------------------------------------------------------------------------------------

HELPERS = ("_common.py", "keys.py")


def pages() -> list[str]:
    """The page files `app.py` navigates to, in its order."""
    text = (ROOT / "app.py").read_text(encoding="utf-8")
    return re.findall(r"st\.Page\(\s*[\"']([^\"']+\.py)[\"']", text)


def test_every_view_is_a_page_the_app_navigates_to() -> None:
    views = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "views").glob("*.py")
        if not p.name.startswith("_") and p.name not in HELPERS
    }
    assert pages(), "no st.Page(...) found in app.py"
    assert set(pages()) == views, "a page file is not navigated to, or a helper is not _named"


Interaction = Callable[[Any, Any], Iterator[str]]


def _explore(at: Any, keys: Any) -> Iterator[str]:
    from views.viewmodels.explore import Selection

    site = base().true.site.id
    for sid in facts().services:
        at.session_state[keys.PICKED] = Selection(f"{site}/{sid}")
        at.run()
        yield f"card {sid}"
    at.toggle(key=keys.MAP_GAPS).set_value(True).run()
    yield "gaps ringed"
    at.toggle(key=keys.OFFLINE).set_value(True).run()
    yield "offline"


def _workshop(at: Any, keys: Any) -> Iterator[str]:
    for entry in facts().entries:
        for needs in (["safety.shelter"], list(facts().categories[:3])):
            at.selectbox(key=keys.WS_ENTRY).set_value(entry)
            at.multiselect(key=keys.WS_NEEDS).set_value(needs).run()
            yield f"from {entry} for {needs}"
    at.selectbox(key=keys.WS_DAY).set_value(5)
    at.selectbox(key=keys.WS_TIME).set_value(23 * 60 + 30).run()
    yield "saturday 23:30"
    for sid in facts().confidential:
        at.multiselect(key=keys.WS_CLOSED).set_value([sid]).run()
        yield f"closed {sid}"
    at.toggle(key=keys.WS_PRESENT).set_value(True).run()
    yield "presentation"


def _export(at: Any, keys: Any) -> Iterator[str]:
    for i, label in enumerate(at.selectbox(key=keys.PREVIEW).options):
        at.selectbox(key=keys.PREVIEW).select_index(i).run()
        yield f"preview {label}"


def _compare(at: Any, keys: Any) -> Iterator[str]:
    box = at.selectbox(key=keys.COVERAGE_CATEGORY)
    for i, label in enumerate(box.options if box is not None else []):
        at.selectbox(key=keys.COVERAGE_CATEGORY).select_index(i).run()
        yield f"coverage {label}"


INTERACTIONS: dict[str, Interaction] = {
    "explore": _explore,
    "workshop": _workshop,
    "export": _export,
    "compare": _compare,
}
"""What reveals more on a page, by page file stem; every page is also rendered as it opens."""


def _downloads(
    texts: Sequence[tuple[str, Any]], media: Any, work: str
) -> Iterator[tuple[str, Any]]:
    """The elements, each deferred download's random file id replaced by what it downloads,
    made by the callable registered with the run's media file manager `media`; or by nothing
    (`media` None: after an interaction on a page, the same downloads again, too slow to make
    every time)."""
    for kind, payload in texts:
        if kind != "DownloadButton" or not isinstance(payload, str):
            yield kind, payload
            continue
        proto = json.loads(payload)
        file_id = proto.pop("deferredFileId", None)
        yield kind, json.dumps(proto, sort_keys=True)
        if file_id and media is not None:
            entry = media._deferred_callables[file_id]
            content = entry["callable"]()
            if hasattr(content, "read"):
                content = content.read()
            if isinstance(content, str):
                content = content.encode("utf-8")
            name = entry.get("filename") or ""
            yield f"{kind} file {name}", normalise(name, content, work)


def render_app(
    data: Path, *, only: Sequence[str] | None = None, langs: Sequence[str] = ("en", "fr")
) -> list[tuple[str, tuple[Any, ...]]]:
    """Every page's element tree, as it opens and after each interaction, in each language;
    on each page as it opens, what every download button gives too."""
    import streamlit
    from streamlit.testing.v1 import AppTest, app_test

    keys = _keys()
    work = str(data.parent)  # the working folder: where the app reads files from
    shots: list[tuple[str, tuple[Any, ...]]] = []
    media: list[Any] = []  # each run's media file manager (AppTest drops it after the run)
    manager = app_test.MediaFileManager

    def recording(*args: Any, **kw: Any) -> Any:
        media.append(manager(*args, **kw))
        return media[-1]

    def shot(at: Any, label: str, *, downloads: bool = False) -> None:
        assert not at.exception, (label, at.exception)
        texts = tuple(
            (kind, folium_ids(p.replace(work, "<WORK>")) if isinstance(p, str) else p)
            for kind, p in app_texts(at)
        )
        shots.append((label, tuple(_downloads(texts, media[-1] if downloads else None, work))))

    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()  # the shared analyses too: each run computes its own
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_test, "MediaFileManager", recording)
        mp.setenv("REFERRAL_ATLAS_DATA", str(data))
        # downloads are made in a temporary folder and name the boundary files relative to it:
        # the same place in every working folder, as the inventory's is
        (data.parent / ".tmp").mkdir(exist_ok=True)
        mp.setattr(tempfile, "tempdir", str(data.parent / ".tmp"))
        mp.chdir(work)
        for lang in langs:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
            at.run()
            at.sidebar.radio(key=keys.LANG).set_value(lang).run()
            for page in only or pages():
                at.switch_page(page).run()
                shot(at, f"{page} [{lang}]", downloads=True)
                interact = INTERACTIONS.get(Path(page).stem)
                for label in interact(at, keys) if interact else ():
                    shot(at, f"{page} [{lang}] {label}")
    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()  # the shared analyses too: each run computes its own
    return shots


def app_differences(root: Path, a: Moved, b: Moved, **kw: Any) -> list[str]:
    with folders(root, 2) as (fa, fb):
        shots = [
            render_app((prepare(f, v) / SITE_FILE).parent, **kw) for f, v in ((fa, a), (fb, b))
        ]
    assert [label for label, _ in shots[0]] == [label for label, _ in shots[1]]
    return [
        f"{label}: {_first_difference(x, y)}"
        for (label, x), (_, y) in zip(*shots, strict=True)
        if x != y
    ]


def test_two_renderings_of_the_same_input_give_the_same_pages(work_root: Path) -> None:
    found = app_differences(work_root, unmoved(), unmoved())
    assert not found, "\n\n".join(found[:10])


PAGE_LEAKS: dict[str, Any] = {}
"""Pages with a known dependence on the true location, each with
`pytest.mark.xfail(strict=True, reason=...)` until it is fixed (none today)."""


@pytest.mark.parametrize(
    "page", [pytest.param(p, marks=PAGE_LEAKS[p]) if p in PAGE_LEAKS else p for p in pages()]
)
@settings(max_examples=APP_EXAMPLES, deadline=None)
@given(a=moved_sites(), b=moved_sites())
def test_no_app_page_depends_on_where_a_shelter_lies(
    work_root: Path, page: str, a: Moved, b: Moved
) -> None:
    assume(a.moves != b.moves)
    note(f"A: {a.moves}\nB: {b.moves}")
    found = app_differences(work_root, a, b, only=[page])
    assert not found, f"A: {a.moves}\nB: {b.moves}\n" + "\n\n".join(found[:10])


# --- the test has teeth -------------------------------------------------------------------------


@contextlib.contextmanager
def broken_gate() -> Iterator[None]:
    """`pathways.public.privacy.public_view`, wherever it was imported, letting true locations
    through
    (the inventory, unchanged, dressed as a public view)."""
    import pathways.public.privacy

    real = pathways.public.privacy.public_view

    def leaky(inventory: Inventory) -> PublicInventory:
        if isinstance(inventory, PublicInventory):
            return inventory
        return PublicInventory.model_construct(
            site=inventory.site,
            services=inventory.services,
            referrals=inventory.referrals,
            path=inventory.path,
        )

    with pytest.MonkeyPatch.context() as mp:
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] in ("pathways", "mapping", "views") and (
                getattr(module, "public_view", None) is real
            ):
                mp.setattr(module, "public_view", leaky)
        yield


def test_the_comparison_finds_a_broken_gate(work_root: Path) -> None:
    """With the gate letting true locations through, the same comparison finds the services
    moved: in routes from a place (which entry point is nearest), coverage, the map (HTML and
    PNG), the exports; and on the app's Explore page."""
    a, b = unmoved(), fixed_move()
    with broken_gate():
        found = {}
        for name in ("route", "coverage", "map", "export"):
            found[name] = differences(work_root, one_at_a_time(_command(name)), a, b)
        app = app_differences(work_root, a, b, only=["views/explore.py"], langs=["en"])
    assert all(found.values()), {k: len(v) for k, v in found.items()}
    formats = {str(d.invocation).split("--format ")[1].split()[0] for d in found["export"]}
    assert formats >= {"geojson", "gpkg", "csv", "hsds"}, formats
    assert any(".png" in str(d.invocation) for d in found["map"])
    assert app
