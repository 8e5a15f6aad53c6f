"""Open Referral HSDS 3: the standard service-directory format, as JSON or a CSV data package.

One site becomes the HSDS tables (organization, service, location, service_at_location,
phone, schedule, language, taxonomy, taxonomy_term, attribute), keyed as in the
official compiled tabular schema. Our categories are the terms of a "Referral Atlas SGBV
categories" taxonomy; what HSDS has no field for (entry point, confidentiality, who is served,
deterring conditions, referral routes...) is carried as attributes whose terms belong to a
"Referral Atlas attributes" taxonomy, so an HSDS reader that ignores them still gets a valid
directory, and `pathways import` gets the whole inventory back. The site block travels in a
`referral_atlas` member (JSON) or property (datapackage.json).

Addresses are free text in our inventories, while an HSDS `address` row needs a city, a
province and a postal code we do not have: the address goes in the location's description and
in an `address` attribute rather than into half-empty address rows.

Ids are UUIDs derived from the site and record ids, so exporting twice gives the same file.
Privacy: a confidential service's location is its public place; a hidden one has no location.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pycountry

from pathways.io.export._hsds_fields import FIELDS
from pathways.io.export._write import atomic_folder, atomic_output
from pathways.io.export.options import ExportOptions, one_site
from pathways.io.export.public import PublicService, public_services
from pathways.io.export.records import (
    hours_value,
    referral_record,
    relocated_site_record,
    site_record,
)
from pathways.model.errors import InventoryError
from pathways.model.inventory import TAXONOMY, Inventory, category_label

NAMESPACE = uuid.UUID("8a6f1f0e-3c1b-5d8e-9f47-2b1f6c1e7a10")
"""Namespace of the UUIDs this exporter derives (uuid5 of 'site/kind/key')."""

CATEGORY_TAXONOMY = "Referral Atlas SGBV service categories"
ATTRIBUTE_TAXONOMY = "Referral Atlas attributes"

EXTENSION_TERMS: dict[str, str] = {
    "service_id": "The service's id in the Referral Atlas inventory.",
    "organisation_recorded": "'false' when the inventory names no organisation for the service.",
    "entry_point": "'true' when survivors can arrive at the service directly.",
    "confidential": "'true' for shelters and safe houses: the location is withheld.",
    "location_precision": "How a confidential location is shown: area or hidden.",
    "place_precision": "What the location is: exact, area (withheld) or intake (public point).",
    "address": "The public place's address as written in the inventory (free text).",
    "area": "The admin area of the public place.",
    "hours": "Opening hours as written in the inventory (JSON).",
    "hours_note": "A note on opening hours.",
    "interpretation": "'true' when the service can bring an interpreter or cultural mediator.",
    "serves": "Who is eligible: women, men, girls, boys, nonbinary (comma-separated).",
    "legal_status": "any or documented-only.",
    "cost": "free, low or fee.",
    "requires": "Conditions that may deter survivors (comma-separated).",
    "notes": "Notes on the service.",
    "translations": "Name, organisation, description, hours note and notes per language (JSON).",
    "pep_stock_confirmed": "Date the post-exposure prophylaxis kit stock was last confirmed.",
    "female_staff": "'true' when a woman can see the survivor; 'false' when none can.",
    "appointment": "'true' when survivors need an appointment.",
    "interpreter_lead_hours": "Hours needed to book the service's interpreter.",
    "phone_network": "Mobile phone coverage where the service is: good, poor or none.",
    "focal_point": "'true' for a community focal point.",
    "referral": "A referral route from this service (JSON: from, to, for, mode, delay_hours...).",
}
"""The GBV extension attributes: code -> meaning (the term's description)."""

TABLES = (
    "organization",
    "service",
    "location",
    "service_at_location",
    "phone",
    "schedule",
    "language",
    "taxonomy",
    "taxonomy_term",
    "attribute",
)

CSV_FILES: dict[str, str] = {
    "organization": "organizations.csv",
    "service": "services.csv",
    "location": "locations.csv",
    "service_at_location": "service_at_locations.csv",
    "phone": "phones.csv",
    "schedule": "schedules.csv",
    "language": "languages.csv",
    "taxonomy": "taxonomies.csv",
    "taxonomy_term": "taxonomy_terms.csv",
    "attribute": "attributes.csv",
}
"""File names of the CSV data package (as in the HSDS 3 tabular schema's `path`)."""

_RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_COST = {"free": "Free of charge", "low": "Low cost", "fee": "A fee is charged"}


def uid(site: str, kind: str, key: str) -> str:
    """A stable UUID for a record of this site."""
    return str(uuid.uuid5(NAMESPACE, f"{site}/{kind}/{key}"))


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v is not None}


class _Tables:
    """The tables being filled, with the site's id helper."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def id(self, kind: str, key: str) -> str:
        return uid(self.site, kind, key)

    def add(self, table: str, **row: Any) -> str:
        clean = _clean(row)
        self.rows[table].append(clean)
        return str(clean["id"])

    def attribute(self, link_id: str, term: str, value: str | None = None, *, n: int = 0) -> None:
        self.add(
            "attribute",
            id=self.id("attribute", f"{link_id}/{term}/{n}"),
            link_id=link_id,
            link_type="service",
            link_entity="service",
            taxonomy_term_id=self.id("term", term),
            value=value,
        )


def _taxonomies(t: _Tables, inventory: Inventory) -> None:
    cat_tax = t.add(
        "taxonomy",
        id=t.id("taxonomy", "categories"),
        name=CATEGORY_TAXONOMY,
        description="Service categories of SGBV referral pathways (Referral Atlas taxonomy).",
        version="1",
    )
    ext_tax = t.add(
        "taxonomy",
        id=t.id("taxonomy", "attributes"),
        name=ATTRIBUTE_TAXONOMY,
        description="Referral Atlas extensions to HSDS for SGBV referral pathways.",
        version="1",
    )
    used = sorted({c for s in inventory.services for c in s.categories} - set(TAXONOMY))
    for code in [*TAXONOMY, *used]:
        parent = code.rsplit(".", 1)[0] if code not in TAXONOMY else None
        t.add(
            "taxonomy_term",
            id=t.id("term", f"category/{code}"),
            code=code,
            name=category_label(code, "en"),
            description=f"{category_label(code, 'en')} / {category_label(code, 'fr')}",
            parent_id=t.id("term", f"category/{parent}") if parent else None,
            taxonomy=CATEGORY_TAXONOMY,
            taxonomy_id=cat_tax,
            language="en",
        )
    for code, meaning in EXTENSION_TERMS.items():
        t.add(
            "taxonomy_term",
            id=t.id("term", code),
            code=code,
            name=code,
            description=meaning,
            taxonomy=ATTRIBUTE_TAXONOMY,
            taxonomy_id=ext_tax,
            language="en",
        )


def _organization(t: _Tables, ps: PublicService, site_name: str) -> str:
    name = ps.service.organisation or ps.service.name
    oid = t.id("organization", name)
    if not any(o["id"] == oid for o in t.rows["organization"]):
        t.add(
            "organization",
            id=oid,
            name=name,
            description=f"Provides SGBV response services mapped at {site_name}.",
        )
    return oid


def _schedules(t: _Tables, ps: PublicService, sid: str) -> None:
    hours = ps.service.hours
    if not hours.known:
        return
    by_range: dict[tuple[int, int], list[str]] = {}
    for day, ranges in zip(_RRULE_DAYS, hours.week, strict=True):
        for r in ranges:
            by_range.setdefault(r, []).append(day)
    for (a, b), days in sorted(by_range.items()):
        closes = "23:59" if b == 1440 else f"{b // 60:02d}:{b % 60:02d}"
        t.add(
            "schedule",
            id=t.id("schedule", f"{ps.service.id}/{a}-{b}"),
            service_id=sid,
            freq="WEEKLY",
            wkst="MO",
            byday=",".join(days),
            opens_at=f"{a // 60:02d}:{a % 60:02d}",
            closes_at=closes,
            description=hours.describe(),
        )


def _location(t: _Tables, ps: PublicService, sid: str, inventory: Inventory) -> None:
    if ps.place is None:  # hidden: no location at all
        return
    s = ps.service
    lid = t.add(
        "location",
        id=t.id("location", s.id),
        location_type="physical",
        name=s.name if ps.precision == "exact" else f"{s.name} ({ps.place_label('en')})",
        description="; ".join(x for x in (ps.address, ps.area, ps.place_label("en")) if x),
        latitude=ps.place.lat,
        longitude=ps.place.lon,
    )
    t.add(
        "service_at_location", id=t.id("service_at_location", s.id), service_id=sid, location_id=lid
    )


def _service(t: _Tables, ps: PublicService, inventory: Inventory) -> None:
    s = ps.service
    sid = t.id("service", s.id)
    eligibility = ", ".join(s.serves) + (
        "; documented people only" if s.legal_status == "documented-only" else ""
    )
    t.add(
        "service",
        id=sid,
        organization_id=_organization(t, ps, inventory.site.name),
        name=s.name,
        description=s.description,
        url=s.contact.website if s.contact else None,
        email=s.contact.email if s.contact else None,
        status="active",
        interpretation_services="Interpreter or cultural mediator available"
        if s.interpretation
        else None,
        application_process="Survivors can come directly (entry point)."
        if s.entry_point
        else "By referral from another service.",
        fees_description=_COST[s.cost],
        eligibility_description=f"Serves: {eligibility}",
        minimum_age=s.age_min,
        maximum_age=s.age_max,
        assured_date=s.last_verified.isoformat() if s.last_verified else None,
        alert=f"Confidential location: {ps.place_label('en')}." if s.confidential else None,
    )
    if s.contact and s.contact.phone:
        t.add("phone", id=t.id("phone", s.id), service_id=sid, number=s.contact.phone)
    for code in s.languages:
        t.add(
            "language",
            id=t.id("language", f"{s.id}/{code}"),
            service_id=sid,
            code=code,
            name=_language_name(code),
        )
    _schedules(t, ps, sid)
    _location(t, ps, sid, inventory)
    for c in s.categories:
        t.add(
            "attribute",
            id=t.id("attribute", f"{s.id}/category/{c}"),
            link_id=sid,
            link_type="service",
            link_entity="service",
            taxonomy_term_id=t.id("term", f"category/{c}"),
        )
    _extensions(t, ps, sid)


def _extensions(t: _Tables, ps: PublicService, sid: str) -> None:
    s = ps.service
    values: dict[str, str | None] = {
        "service_id": s.id,
        "organisation_recorded": None if s.organisation else "false",
        "entry_point": "true" if s.entry_point else None,
        "confidential": "true" if s.confidential else None,
        "location_precision": s.location_precision,
        "place_precision": ps.precision,
        "address": ps.address,
        "area": ps.area,
        "hours": json.dumps(hours_value(s.hours)) if s.hours.known else None,
        "hours_note": s.hours_note,
        "interpretation": "true" if s.interpretation else None,
        "serves": ",".join(s.serves),
        "legal_status": s.legal_status,
        "cost": s.cost,
        "requires": ",".join(s.requires) or None,
        "notes": s.notes,
        "translations": json.dumps(
            {k: v.model_dump(exclude_none=True) for k, v in s.translations.items()},
            ensure_ascii=False,
        )
        if s.translations
        else None,
        "pep_stock_confirmed": s.pep_stock_confirmed.isoformat() if s.pep_stock_confirmed else None,
        "female_staff": None if s.female_staff is None else str(s.female_staff).lower(),
        "appointment": "true" if s.appointment else None,
        "interpreter_lead_hours": None
        if s.interpreter_lead_hours is None
        else f"{s.interpreter_lead_hours:g}",
        "phone_network": s.phone_network,
        "focal_point": "true" if s.focal_point else None,
    }
    for term, value in values.items():
        if value is not None:
            t.attribute(sid, term, value)


def _language_name(code: str) -> str | None:
    lang = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    lang = lang or pycountry.languages.get(alpha_3=code)
    return getattr(lang, "name", None)


def to_hsds(inventory: Inventory, *, folder: Path | None = None) -> dict[str, Any]:
    """One site as HSDS tables: `{table: [rows]}` plus the `referral_atlas` member."""
    t = _Tables(inventory.site.id)
    _taxonomies(t, inventory)
    for ps in public_services(inventory):
        _service(t, ps, inventory)
    for i, r in enumerate(inventory.referrals):
        t.attribute(t.id("service", r.source_id), "referral", json.dumps(referral_record(r)), n=i)
    site = relocated_site_record(inventory, folder) if folder else site_record(inventory.site)
    return {
        **t.rows,
        "referral_atlas": {"version": 1, "site": site},
    }


# --- writing -------------------------------------------------------------------------------


def _columns(table: str) -> list[str]:
    """The scalar fields of an HSDS table, in the order of the official tabular schema."""
    return list(FIELDS[table])


def _csv_text(table: str, rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    out = csv.DictWriter(buf, fieldnames=_columns(table), lineterminator="\n")
    out.writeheader()
    for row in rows:
        out.writerow({k: _csv_value(v) for k, v in row.items()})
    return buf.getvalue()


def _csv_value(v: Any) -> Any:
    return ("true" if v else "false") if isinstance(v, bool) else v


def datapackage(data: dict[str, Any], *, name: str) -> dict[str, Any]:
    """The `datapackage.json` of the CSV form (Frictionless tabular data package)."""
    resources = []
    for table in TABLES:
        fields = [{"name": f, **spec} for f, spec in FIELDS[table].items()]
        resources.append(
            {
                "name": table,
                "path": CSV_FILES[table],
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": fields, "primaryKey": "id"},
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": f"Referral Atlas: {name} (HSDS 3)",
        "description": "SGBV services and referral routes in Open Referral HSDS 3 tables.",
        "resources": resources,
        "referral_atlas": data["referral_atlas"],
    }


def _package_files(data: dict[str, Any], name: str) -> dict[str, str]:
    files = {
        "datapackage.json": json.dumps(datapackage(data, name=name), ensure_ascii=False, indent=1)
    }
    for table in TABLES:
        files[CSV_FILES[table]] = _csv_text(table, data[table])
    return files


def write_hsds(inventories: Sequence[Inventory], path: Path, options: ExportOptions) -> None:
    """Write HSDS: `.json` (tables in one JSON), `.zip` (zipped CSV package) or a folder."""
    inventory = one_site(inventories, "hsds")
    path = Path(path)
    folder = path if path.suffix == "" else path.parent
    data = to_hsds(inventory, folder=folder if options.relocate else None)
    name = f"referral-atlas-{inventory.site.id}"
    if path.suffix == ".json":
        with atomic_output(path) as tmp, tmp.open("w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)  # streamed (see geojson.py)
            f.write("\n")
    elif path.suffix == ".zip":
        with atomic_output(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for fname, text in _package_files(data, name).items():
                z.writestr(fname, text)
    elif path.suffix == "":
        with atomic_folder(path, marker="datapackage.json") as tmp:
            for fname, text in _package_files(data, name).items():
                (tmp / fname).write_text(text, encoding="utf-8")
    else:
        raise InventoryError(
            f"--out {path}: HSDS is written as .json, .zip or a folder (no suffix), "
            f"not {path.suffix}"
        )
