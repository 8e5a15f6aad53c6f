"""Site comparisons as tables and chart rows, in English or French (the Compare page).

The figures come from `pathways.analysis.compare.summarise` and, for coverage, from
`pathways.analysis.coverage.site_coverage` (passed in: `pathways` never imports `mapping`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import pandas as pd

from pathways.analysis.compare import SiteSummary
from pathways.i18n import number, t
from pathways.model.inventory import TAXONOMY, category_label


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
    """What the page reads of `pathways.analysis.coverage.SiteCoverage`."""

    name: str
    population: float

    @property
    def population_total(self) -> float | None: ...
    @property
    def counted_share(self) -> float | None: ...
    @property
    def complete(self) -> bool | None: ...
    def category(self, category: str) -> _CategoryCoverage: ...
    def status_in(self, lang: str = "en") -> str: ...
    def source_in(self, lang: str = "en") -> str: ...
    def total_source_in(self, lang: str = "en") -> str | None: ...
    def share_bounds(self, category: str, minutes: int) -> tuple[float, float]: ...


def _coverages(coverages: Iterable[object]) -> list[_SiteCoverage]:
    """The `SiteCoverage` objects among `coverages` (None or a reason string are skipped)."""
    return [c for c in coverages if hasattr(c, "category")]  # type: ignore[misc]


def coverage_rows(
    coverages: Iterable[object], category: str, lang: str = "en"
) -> list[dict[str, Any]]:
    """Share of each site's population within each time threshold of `category`.

    `coverages` are `pathways.analysis.coverage.SiteCoverage` objects; anything else in it (None,
    or a
    string saying why a site has none) and a site without that category are skipped, and so
    is a site whose count is incomplete (`complete is False`): its shares are of the people
    counted, not of the site, and `not_charted` says so instead of a bar.
    """
    rows = []
    for site in _coverages(coverages):
        if site.complete is False:
            continue
        try:
            within = site.category(category).within
        except KeyError:
            continue
        rows += [
            {"site": site.name, "within": t("minutes", lang, m=m), "share": share}
            for m, share in sorted(within.items())
        ]
    return rows


def not_charted(
    coverages: Iterable[object],
    category: str,
    lang: str = "en",
    *,
    escape: Callable[[str], str] = str,
) -> list[str]:
    """One Markdown sentence per site left out of the chart because its count is incomplete:
    what was counted, what is missing, the share of the people counted and the bounds for the
    whole site (`escape` makes inventory and manifest text safe in Markdown)."""
    notes = []
    for site in _coverages(coverages):
        if site.complete is not False or site.population_total is None:
            continue
        try:
            within = site.category(category).within
        except KeyError:
            continue
        m = min(within)
        low, high = site.share_bounds(category, m)
        notes.append(
            t(
                "cov_not_charted",
                lang,
                site=escape(site.name),
                status=escape(site.status_in(lang)),
                counted=number(site.population, lang, 0),
                share=_pct(within[m], lang),
                m=m,
                total=number(site.population_total, lang, 0),
                low=_pct(low, lang),
                high=_pct(high, lang),
            )
        )
    return notes


def people_table(coverages: Iterable[object], lang: str = "en") -> pd.DataFrame:
    """One row per site: people counted, the site's known total, the share counted, whether
    the coverage figures are complete, and both sources (labels in `lang`)."""
    rows = {}
    for site in _coverages(coverages):
        total, share = site.population_total, site.counted_share
        state = (
            "cov_state_unknown"
            if site.complete is None
            else ("cov_state_complete" if site.complete else "cov_state_incomplete")
        )
        rows[site.name] = {
            t("cov_col_counted", lang): number(site.population, lang, 0),
            t("cov_col_total", lang): "–" if total is None else number(total, lang, 0),
            t("cov_col_share", lang): "–" if share is None else _pct(share, lang),
            t("cov_col_status", lang): t(state, lang),
            t("cov_col_source", lang): site.source_in(lang),
            t("cov_col_total_source", lang): site.total_source_in(lang) or "–",
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _pct(share: float, lang: str) -> str:
    """A share as a whole percentage the language's way ('7 %' in French)."""
    value = share * 100
    if 0 < value < 1:
        return t("cov_pct_below_one", lang)
    return t("cov_pct", lang, n=number(round(value), lang, 0))
