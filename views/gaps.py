"""Gaps: what survivors cannot reach at each chosen site, most severe first."""

import streamlit as st

from pathways.gaps import SEVERITY_ORDER
from pathways.i18n import t
from pathways.table import gaps_table, localize_columns, localize_values
from views import _common

inventories = _common.selected_inventories()
lang = _common.lang()
st.title(t("gaps_title", lang))
_common.need_sites(inventories)

severities = _common.severity_filter(st)
for inv in inventories:
    table = gaps_table(_common.site_gaps(inv), severities=severities, lang=lang)
    counts = table["severity"].value_counts()
    summary = " · ".join(
        f"{int(counts.get(s, 0))} {t(f'sev_{s}', lang)}" for s in SEVERITY_ORDER if s in severities
    )
    label = f"**{_common.md(inv.site.name)}**: {summary or t('no_severity', lang)}"
    with st.expander(label, expanded=True):
        if table.empty:
            st.success(t("no_gaps", lang))
        else:
            shown = localize_values(
                table[["severity", "kind", "message"]], "severity", "sev_", lang
            )
            shown = localize_values(shown, "kind", "gapkind_", lang)
            _common.table(localize_columns(shown, lang).set_index(t("col_severity", lang)))
