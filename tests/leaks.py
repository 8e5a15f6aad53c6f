"""A leak checker: does a text or a file carry a confidential location or a secret word?

Used by tests/test_confidentiality_sweep.py (and its self-test). A location counts as leaked when
two numbers written near each other, read as latitude and longitude in either order, lie within
`MIN_DISTANCE_M` of a confidential service's true location, whatever the encoding:

- decimals of any precision, with a decimal point or a decimal comma, in plain text, JSON,
  XML, CSV, HTML (entities decoded), URLs (percent-decoded), JavaScript or JSON strings
  (`\\uXXXX` decoded) and Markdown (backslash escapes dropped);
- integers scaled by 1e5, 1e6 or 1e7 (E7 coordinates, as OpenStreetMap stores them);
- packed IEEE doubles and floats in binary files (WKB, GeoPackage envelopes, SQLite, Arrow),
  little- or big-endian, at any byte offset, up to three values apart.

A pair made only of numbers of public coordinates (`public_values`, rounded to 5 digits) is
skipped: a shelter's latitude never equals a public one in the fixtures, so a real leak is never
skipped, and the mix of one public point's latitude with another's longitude is not a leak.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from pyproj import Geod

MIN_DISTANCE_M = 1000.0
PAIR_GAP = 100
"""At most this many characters between a latitude and its longitude."""
NEIGHBOURS = 3
"""A number is paired with the next `NEIGHBOURS` numbers (an id or a precision may sit between)."""

_GEOD = Geod(ellps="WGS84")
_DECIMAL = re.compile(r"(?<![\d.])-?\d{1,3}\.\d+(?:[eE][-+]?\d+)?(?![\d])")
_COMMA_DECIMAL = re.compile(r"(?<![\w.,])(-?\d{1,3}),(\d{2,})(?![\d])")
_INTEGER = re.compile(r"(?<![\w.])-?\d{6,11}(?![\d.])")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_BACKSLASH = re.compile(r"\\(.)")


@dataclass
class Secrets:
    """What must never be shown: true locations (lat, lon) and words (addresses, areas)."""

    points: list[tuple[float, float]]
    words: list[str] = field(default_factory=list)
    public_values: set[float] = field(default_factory=set)

    def add_public(self, points: Iterable[tuple[float, float]]) -> None:
        for a, b in points:
            self.public_values.update((round(a, 5), round(b, 5)))


def _variants(text: str) -> dict[str, str]:
    """The text as written and decoded the ways outputs encode it."""
    out = {"plain": text}
    unescaped = html.unescape(text)
    if unescaped != text:
        out["html"] = unescaped
    if "%" in text:
        out["url"] = urllib.parse.unquote(text)
    if "\\u" in text:
        out["json"] = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if "\\" in text:
        out["backslash"] = _BACKSLASH.sub(r"\1", text)
    return out


def _tokens(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numbers in order: (candidates, start, end), `candidates` of shape (3, n).

    A decimal is its value three times; an integer is read as E5, E6 and E7.
    """
    found: list[tuple[int, int, tuple[float, float, float]]] = []
    for m in _DECIMAL.finditer(text):
        x = float(m.group())
        found.append((m.start(), m.end(), (x, x, x)))
    for m in _COMMA_DECIMAL.finditer(text):
        x = float(f"{m.group(1)}.{m.group(2)}")
        found.append((m.start(), m.end(), (x, x, x)))
    for m in _INTEGER.finditer(text):
        n = int(m.group())
        found.append((m.start(), m.end(), (n / 1e5, n / 1e6, n / 1e7)))
    found.sort(key=lambda x: x[0])
    values = np.array([f[2] for f in found], dtype=float).reshape(-1, 3).T
    starts = np.array([f[0] for f in found], dtype=np.int64)
    ends = np.array([f[1] for f in found], dtype=np.int64)
    return values, starts, ends


def _near(lats: np.ndarray, lons: np.ndarray, secrets: Secrets) -> np.ndarray:
    """Mask of the (lat, lon) pairs within MIN_DISTANCE_M of a secret point."""
    hit = np.zeros(len(lats), dtype=bool)
    for slat, slon in secrets.points:
        near = np.flatnonzero((np.abs(lats - slat) < 0.012) & (np.abs(lons - slon) < 0.02))
        if len(near):
            _, _, d = _GEOD.inv(
                np.full(len(near), slon), np.full(len(near), slat), lons[near], lats[near]
            )
            hit[near[np.asarray(d) < MIN_DISTANCE_M]] = True
    return hit


def _public(a: float, b: float, secrets: Secrets) -> bool:
    return round(a, 5) in secrets.public_values and round(b, 5) in secrets.public_values


def text_leaks(text: str, secrets: Secrets) -> list[str]:
    """Every secret word and every number pair near a secret location in `text` (any variant)."""
    found: list[str] = []
    public = np.array(sorted(secrets.public_values), dtype=float)
    for name, variant in _variants(text).items():
        found += [f"{name}: secret word {w!r}" for w in secrets.words if w in variant]
        values, starts, ends = _tokens(variant)
        n = values.shape[1]
        is_public = np.isin(np.round(values, 5), public)
        lats, lons, first, last = [], [], [], []
        for k in range(1, min(NEIGHBOURS, n - 1) + 1):
            idx = np.flatnonzero(starts[k:] - ends[:-k] <= PAIR_GAP * k)
            combos = ((0, 0),) if n and (values[0] == values[2]).all() else _COMBOS
            for ca, cb in combos:
                keep = idx[~(is_public[ca, idx] & is_public[cb, idx + k])]
                a, b = values[ca, keep], values[cb, keep + k]
                lats += [a, b]
                lons += [b, a]
                first += [keep, keep]
                last += [keep + k, keep + k]
        if not lats:
            continue
        la, lo = np.concatenate(lats), np.concatenate(lons)
        i0, i1 = np.concatenate(first), np.concatenate(last)
        for h in np.flatnonzero(_near(la, lo, secrets)):
            snippet = variant[max(0, starts[i0[h]] - 20) : ends[i1[h]] + 20].replace("\n", " ")
            found.append(f"{name}: {la[h]}, {lo[h]} near a secret: …{snippet}…")
    return sorted(set(found))


_COMBOS = tuple((a, b) for a in range(3) for b in range(3))


def _packed(blob: bytes, dtype: str, width: int) -> list[np.ndarray]:
    """The blob read as packed numbers at every byte offset."""
    out = []
    for offset in range(width):
        n = (len(blob) - offset) // width
        if n > 0:
            with np.errstate(all="ignore"):  # any bytes: NaN, infinities, subnormals
                values = np.frombuffer(blob, dtype=dtype, count=n, offset=offset).astype(float)
                out.append(np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0))
    return out


def bytes_leaks(blob: bytes, secrets: Secrets) -> list[str]:
    """Secret words (UTF-8 or UTF-16) and packed or written coordinates in a binary file."""
    found: list[str] = []
    for w in secrets.words:
        for enc in ("utf-8", "utf-16-le", "utf-16-be"):
            if w.encode(enc) in blob:
                found.append(f"bytes: secret word {w!r} ({enc})")
    for dtype, width in (("<f8", 8), (">f8", 8), ("<f4", 4), (">f4", 4)):
        for values in _packed(blob, dtype, width):
            for slat, slon in secrets.points:
                with np.errstate(all="ignore"):
                    is_lat = np.flatnonzero(np.abs(values - slat) < 0.012)
                for i in is_lat:
                    for k in (-3, -2, -1, 1, 2, 3):
                        j = i + k
                        if 0 <= j < len(values) and abs(values[j] - slon) < 0.02:
                            lat, lon = float(values[i]), float(values[j])
                            d = _GEOD.inv(slon, slat, lon, lat)[2]
                            if d < MIN_DISTANCE_M and not _public(lat, lon, secrets):
                                found.append(f"bytes: packed {dtype} {lat}, {lon} ({d:.0f} m)")
    text = blob.decode("latin-1")
    found += [
        f"bytes-as-text: {x}"
        for x in text_leaks(text, Secrets(secrets.points, [], secrets.public_values))
    ]
    return found
