"""An inventory as the database store's rows, and the rows back as an inventory.

A service is one row of `atlas.services` holding its *public* record (what `public_view`
gives: a confidential service at its public place, without its own address) and, when it is
confidential, one row of `atlas.exact_places` with its true location and intake, which only
those who run it read. The site block is one row; its boundary and areas files are stored in
`atlas.site_files` and written, when a site is read, to a folder of their own
(`site_folder`), where the analyses find them as they find files beside an inventory.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import shapely
import yaml
from shapely.geometry import MultiPolygon, Polygon, shape

from pathways.analysis.population import MANIFEST, find_manifest
from pathways.io.export.records import (
    point_record,
    referral_record,
    service_record,
    site_record,
)
from pathways.model.errors import InventoryError, display_path
from pathways.model.inventory import Inventory, Referral, Service, Site
from pathways.public.card import record_version
from pathways.public.privacy import PublicInventory, public_view, reference_point

_SERVICES = pydantic.TypeAdapter(tuple[Service, ...])
_REFERRALS = pydantic.TypeAdapter(tuple[Referral, ...])


@dataclass(frozen=True)
class ServiceRow:
    """One service as `atlas.services` (and `atlas.exact_places`) hold it."""

    id: str
    organisation: str | None
    confidential: bool
    record: dict[str, Any]
    """The public record (`service_record` of the public view's service)."""
    version: str
    lat: float
    lon: float
    exact: dict[str, Any] | None = None
    """A confidential service's true `location` and `intake` (records), else None."""

    @property
    def point(self) -> str:
        """The public place as EWKT (a PostGIS geography's text)."""
        return f"SRID=4326;POINT({self.lon!r} {self.lat!r})"

    @property
    def exact_point(self) -> str | None:
        if self.exact is None:
            return None
        loc = self.exact["location"]
        return f"SRID=4326;POINT({loc['lon']!r} {loc['lat']!r})"


def service_row(public: Service, true: Service) -> ServiceRow:
    """The row of one service: `public` as the public view holds it, `true` as validated."""
    exact = None
    if true.confidential:
        exact = {
            "location": point_record(true.location),
            "intake": point_record(true.intake) if true.intake is not None else None,
        }
    return ServiceRow(
        id=true.id,
        organisation=true.organisation,
        confidential=true.confidential,
        record=service_record(public),
        version=record_version(public),
        lat=public.location.lat,
        lon=public.location.lon,
        exact=exact,
    )


def service_rows(inventory: Inventory) -> Iterator[ServiceRow]:
    """The rows of every service of a validated inventory (true locations included), made
    one by one as they are read."""
    public = public_view(inventory)
    for p, s in zip(public.services, inventory.services, strict=True):
        yield service_row(p, s)


def referral_rows(inventory: Inventory) -> list[tuple[str, str, dict[str, Any]]]:
    """Each route as (from, to, record)."""
    return [(r.source_id, r.target_id, referral_record(r)) for r in inventory.referrals]


# --- the site block and its files ---------------------------------------------------------------


def site_files(inventory: Inventory) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The site record with its boundary and areas paths rewritten to where the store keeps
    them (`../boundaries/SITE/NAME`, from the site's folder), and the files by that path: the
    boundary, the areas, and the population manifest beside them with the files it names (so
    coverage counts the same people)."""
    record = site_record(inventory.site)
    site = inventory.site
    folder = f"boundaries/{site.id}"
    files: dict[str, bytes] = {}
    kept: dict[Path, str] = {}

    def keep(source: Path, name: str, *, renamed: bool = True) -> str:
        source = source.resolve()
        if source in kept:
            return kept[source]
        data = _read(source)
        key, n = f"{folder}/{name}", 1
        while renamed and files.get(key, data) != data:
            n += 1
            stem, dot, suffix = name.rpartition(".")
            key = f"{folder}/{stem}-{n}{dot}{suffix}" if dot else f"{folder}/{name}-{n}"
        if files.get(key, data) != data:
            raise InventoryError(
                f"{display_path(source)}: another file of the site has the same name "
                f"({name}); the store keeps a site's files in one folder: rename one"
            )
        files[key], kept[source] = data, key
        return key

    if site.boundary:
        path = inventory.resolve_path(site.boundary)
        record["boundary"] = "../" + keep(path, path.name)
    if site.areas:
        path = inventory.resolve_path(site.areas.path)
        record["areas"] = {**record["areas"], "path": "../" + keep(path, path.name)}
    manifest = find_manifest(inventory)
    if manifest is not None:
        keep(manifest, MANIFEST, renamed=False)
        for relative in _manifest_files(manifest):
            keep(manifest.parent / relative, relative, renamed=False)
    return record, files


def _manifest_files(manifest: Path) -> list[str]:
    """The files a population manifest names (relative to its folder)."""
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # coverage says what is wrong with it, as it does beside a file
    if not isinstance(data, dict):
        return []
    total = data.get("total")
    names = [
        data.get("path"),
        data.get("within"),
        total.get("path") if isinstance(total, dict) else None,
    ]
    return [n for n in names if isinstance(n, str) and n and (manifest.parent / n).is_file()]


def _read(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except OSError as e:
        raise InventoryError(f"{display_path(source)}: cannot read: {e.strerror}") from None


def boundary_wkt(record: Mapping[str, Any], files: Mapping[str, bytes]) -> str | None:
    """The site boundary as a MultiPolygon's EWKT (for the PostGIS column), or None."""
    relative = record.get("boundary")
    if not relative:
        return None
    data = json.loads(files[str(relative).removeprefix("../")].decode("utf-8"))
    features = data.get("features", [data]) if isinstance(data, dict) else []
    polygons: list[Polygon] = []
    for feature in features:
        geometry = feature.get("geometry", feature) if isinstance(feature, dict) else None
        if not geometry:
            continue
        geom = shape(geometry)
        if isinstance(geom, Polygon):
            polygons.append(geom)
        elif isinstance(geom, MultiPolygon):
            polygons.extend(geom.geoms)
    if not polygons:
        return None
    return f"SRID=4326;{shapely.to_wkt(MultiPolygon(polygons), rounding_precision=-1)}"


def site_folder(dsn_shown: str, site: str, files: Mapping[str, bytes]) -> Path:
    """A folder holding the site's files as the analyses expect them beside an inventory:
    `ROOT/sites/` (the inventory's folder) and `ROOT/boundaries/SITE/...`. Written once per
    content; returns the inventory's folder (`ROOT/sites`)."""
    digest = hashlib.sha256(json.dumps([dsn_shown, site]).encode("utf-8"))
    for relative, data in sorted(files.items()):
        digest.update(relative.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    name = f"{site}-{digest.hexdigest()[:16]}"
    root = Path(tempfile.gettempdir()) / f"referral-atlas-{os.getuid()}" / name
    folder = root / "sites"
    if not folder.is_dir():
        for relative, data in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(data)
            partial.replace(target)
        folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- rows back as an inventory -------------------------------------------------------------------


def validate_services(records: Sequence[Mapping[str, Any]]) -> tuple[Service, ...]:
    """Services of records the store validated when they were written (each is checked again
    by its model; the rules across records are not run again)."""
    return _SERVICES.validate_python(records)


def validate_referrals(records: Sequence[Mapping[str, Any]]) -> tuple[Referral, ...]:
    """Referral routes of records the store validated when they were written."""
    return _REFERRALS.validate_python(records)


def inventory_of(
    site: Site, services: tuple[Service, ...], referrals: tuple[Referral, ...], path: Path
) -> Inventory:
    """An inventory of records validated one by one (see `validate_services`)."""
    return Inventory.model_construct(site=site, services=services, referrals=referrals, path=path)


def public_inventory(inventory: Inventory) -> PublicInventory:
    """The public view of rows that hold public records: as `public_view` gives it, with a
    hidden service at the site's reference point (which moves with the public services)."""
    services = inventory.services
    if any(s.confidential and s.tier == "hidden" for s in services):
        reference = reference_point(inventory)
        services = tuple(
            s.model_copy(update={"location": reference})
            if s.confidential and s.tier == "hidden"
            else s
            for s in services
        )
    return PublicInventory.model_construct(
        site=inventory.site,
        services=services,
        referrals=inventory.referrals,
        path=inventory.path,
    )


def with_exact(record: Mapping[str, Any], exact: Mapping[str, Any] | None) -> dict[str, Any]:
    """A public record with its true location and intake put back (a confidential service,
    for those who run it)."""
    out = dict(record)
    if exact is None:
        return out
    out["location"] = dict(exact["location"])
    if exact.get("intake") is not None:
        out["intake"] = dict(exact["intake"])
    else:
        out.pop("intake", None)
    return out


__all__ = [
    "ServiceRow",
    "boundary_wkt",
    "inventory_of",
    "public_inventory",
    "referral_rows",
    "service_row",
    "service_rows",
    "site_files",
    "site_folder",
    "validate_referrals",
    "validate_services",
    "with_exact",
]
