"""Tables of sites, services and gaps as pandas DataFrames, for the app and for spreadsheets.

Only public information goes in: names, what a service offers, when and in which languages, and
whether it is confidential. No table carries coordinates or addresses, so a confidential
service's location cannot leak through one (maps go through `pathways.public.privacy` instead).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from pathways.analysis.gaps import SEVERITY_ORDER, Gap
from pathways.i18n import STRINGS, t
from pathways.model.inventory import Inventory, Service, category_label
from pathways.public.card import hours_text, who_text
from views.viewmodels.explore import service_key

if TYPE_CHECKING:
    from views.viewmodels.explore import Found

SERVICE_COLUMNS = (
    "site",
    "service",
    "organisation",
    "categories",
    "entry_point",
    "hours",
    "languages",
    "interpretation",
    "confidential",
)
"""The columns of `services_table`, in order: public information only."""

SITE_COLUMNS = (
    "site",
    "name",
    "country",
    "data_status",
    "updated",
    "services",
    "entry_points",
    "confidential",
    "referrals",
    "categories",
)
"""The columns of `sites_table`, in order (then one per severity when gaps are given)."""

GAP_COLUMNS = ("site", "severity", "kind", "message", "services", "categories")
"""The columns of `gaps_table`, in order."""


def offers_any(service: Service, categories: Iterable[str]) -> bool:
    """True if the service offers one of these categories (or a sub-category of one)."""
    return any(service.has(c) for c in categories)


def categories_present(inventories: Iterable[Inventory]) -> list[str]:
    """The categories offered at these sites, sorted (the choices of a category filter)."""
    return sorted({c for inv in inventories for c in inv.categories()})


def services_table(
    inventories: Sequence[Inventory], *, categories: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per service (public information only), optionally only those in `categories`.

    `categories=None` keeps every service; a service is kept if it offers any of the given
    categories or a sub-category of one. The index is `site/service-id`.
    """
    wanted = None if categories is None else tuple(categories)
    rows = {
        f"{inv.site.id}/{s.id}": _service_row(inv, s)
        for inv in inventories
        for s in inv.services
        if wanted is None or offers_any(s, wanted)
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(SERVICE_COLUMNS))


def _service_row(inventory: Inventory, s: Service) -> dict[str, object]:
    return {
        "site": inventory.site.name,
        "service": s.name,
        "organisation": s.organisation or "",
        "categories": ", ".join(s.categories),
        "entry_point": s.entry_point,
        "hours": s.hours.describe(),
        "languages": ", ".join(s.languages),
        "interpretation": s.interpretation,
        "confidential": s.confidential,
    }


def sites_table(
    inventories: Sequence[Inventory], *, gaps: Iterable[Gap] | None = None
) -> pd.DataFrame:
    """One row per site: its status, how many services, entry points and routes it maps.

    With `gaps`, one more column per severity (critical, major, minor) counts each site's gaps.
    """
    rows = [
        {
            "site": inv.site.id,
            "name": inv.site.name,
            "country": inv.site.country,
            "data_status": inv.site.data_status,
            "updated": inv.site.updated.isoformat() if inv.site.updated else "",
            "services": len(inv.services),
            "entry_points": sum(s.entry_point for s in inv.services),
            "confidential": sum(s.confidential for s in inv.services),
            "referrals": len(inv.referrals),
            "categories": len(inv.categories()),
        }
        for inv in inventories
    ]
    df = pd.DataFrame(rows, columns=list(SITE_COLUMNS))
    if gaps is not None:
        counts: Counter[tuple[str, str]] = Counter((g.site, g.severity) for g in gaps)
        for sev in SEVERITY_ORDER:
            df[sev] = [counts[(site, sev)] for site in df["site"]]
    return df


def gaps_table(
    gaps: Iterable[Gap], *, severities: Iterable[str] | None = None, lang: str = "en"
) -> pd.DataFrame:
    """One row per gap (of these severities, if given), in the order given, in English or French."""
    keep = None if severities is None else set(severities)
    rows = [
        {
            "site": g.site,
            "severity": g.severity,
            "kind": g.kind,
            "message": g.text(lang),
            "services": ", ".join(g.services),
            "categories": ", ".join(g.categories),
        }
        for g in gaps
        if keep is None or g.severity in keep
    ]
    return pd.DataFrame(rows, columns=list(GAP_COLUMNS))


FOUND_COLUMNS = (
    "site",
    "service",
    "organisation",
    "categories",
    "entry_point",
    "hours",
    "languages",
    "interpretation",
    "serves",
    "confidential",
)
"""The columns of `found_table` (before `localize_columns`): public information only."""


def found_table(found: Iterable[Found], *, lang: str = "en") -> pd.DataFrame:
    """One row per service found by `views.viewmodels.explore.filter_services`, in words of `lang`.

    The index is `site/service-id`; no coordinates or addresses (see the module docstring).
    """
    rows = {
        service_key(inv, s): {
            "site": inv.site.name,
            "service": s.name,
            "organisation": s.organisation or "",
            "categories": ", ".join(category_label(c, lang) for c in s.categories),
            "entry_point": s.entry_point,
            "hours": hours_text(s.hours, lang),
            "languages": ", ".join(s.languages),
            "interpretation": s.interpretation,
            "serves": who_text(s, lang),
            "confidential": s.confidential,
        }
        for inv, s in found
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(FOUND_COLUMNS))


def localize_columns(df: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The table with its column names in `lang` (columns without a translation kept as is)."""
    names = {c: t(f"col_{c}", lang) for c in df.columns if f"col_{c}" in STRINGS}
    return df.rename(columns=names)


def localize_values(df: pd.DataFrame, column: str, prefix: str, lang: str = "en") -> pd.DataFrame:
    """The table with the values of `column` put into words (`t(prefix + value, lang)`)."""
    out = df.copy()
    out[column] = [
        t(prefix + str(v), lang) if f"{prefix}{v}" in STRINGS else v for v in out[column]
    ]
    return out
