"""Site comparisons as tables and chart rows, in English or French (the Compare page).

The figures come from `pathways.compare.summarise` and, for coverage, from
`mapping.coverage.site_coverage` (passed in: `pathways` never imports `mapping`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import pandas as pd

from pathways.compare import SiteSummary
from pathways.i18n import t
from pathways.inventory import TAXONOMY, category_label


def headline_table(summaries: Sequence[SiteSummary], lang: str = "en") -> pd.DataFrame:
    """One column per site, one row per headline figure (labels in `lang`)."""
    rows: dict[str, list[Any]] = {
        t("h_services", lang): [s.services for s in summaries],
        t("h_referrals", lang): [s.referrals for s in summaries],
        t("h_entry_points", lang): [s.entry_points for s in summaries],
        t("h_share_pep", lang): [
            "–" if s.share_pep_72h_always is None else f"{s.share_pep_72h_always:.0%}"
            for s in summaries
        ],
        t("h_handoffs", lang): [
            "–" if s.median_handoffs_to_care is None else f"{s.median_handoffs_to_care:g}"
            for s in summaries
        ],
        t("h_spof", lang): [s.single_points_of_failure for s in summaries],
        **{
            t(f"h_{sev}", lang): [s.gaps_by_severity.get(sev, 0) for s in summaries]
            for sev in ("critical", "major", "minor")
        },
    }
    table = pd.DataFrame(rows, index=[s.name for s in summaries]).T
    return table.astype(str)


def matrix_long(summaries: Sequence[SiteSummary], lang: str = "en") -> list[dict[str, Any]]:
    """One row per site and taxonomy category: services offering it and entry points reaching it.

    `label` is the cell's text: `3 (2)` for three services reached from two entry points.
    """
    return [
        {
            "site": s.name,
            "category": category_label(c, lang),
            "services": n,
            "reaching": r,
            "label": f"{n} ({r})" if n else "0",
        }
        for s in summaries
        for c in TAXONOMY
        for n, r in [s.by_category.get(c, (0, 0))]
    ]


class _CategoryCoverage(Protocol):
    within: dict[int, float]


class _SiteCoverage(Protocol):
    name: str

    def category(self, category: str) -> _CategoryCoverage: ...


def coverage_rows(
    coverages: Iterable[object], category: str, lang: str = "en"
) -> list[dict[str, Any]]:
    """Share of each site's population within each time threshold of `category`.

    `coverages` are `mapping.coverage.SiteCoverage` objects; anything else in it (None, or a
    string saying why a site has none) and a site without that category are skipped.
    """
    rows = []
    for cov in coverages:
        if not hasattr(cov, "category"):
            continue
        site: _SiteCoverage = cov  # type: ignore[assignment]
        try:
            within = site.category(category).within
        except KeyError:
            continue
        rows += [
            {"site": site.name, "within": t("minutes", lang, m=m), "share": share}
            for m, share in sorted(within.items())
        ]
    return rows
