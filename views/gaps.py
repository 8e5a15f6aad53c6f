"""Gaps: what survivors cannot reach at each chosen site, most severe first, each with what to
do about it and who should; one click opens a gap in the Workshop."""

import streamlit as st

from pathways.analysis.gaps import SEVERITY_ORDER, Gap, focus, policy_lines
from pathways.i18n import colon as i18n_colon
from pathways.i18n import t
from pathways.model.inventory import Inventory
from views import _common, keys

# badge colour per severity (Streamlit Markdown `:red-badge[...]`: no emoji font needed)
SEVERITY_BADGE = {"critical": "red", "major": "orange", "minor": "gray"}

inventories = _common.selected_inventories()
lang = _common.lang()
st.title(t("gaps_title", lang))
_common.need_sites(inventories)


def _open_in_workshop(gap: Gap, inventory: Inventory) -> None:
    """Set the Workshop's profile and what-if to show this gap (then the page switches)."""
    f = focus(gap, inventory)
    state = st.session_state
    state[keys.WS_SITE] = inventory.site.id
    if f.entry:
        state[keys.WS_ENTRY] = f.entry
    if f.needs:
        state[keys.WS_NEEDS] = list(f.needs)
    state[keys.WS_CLOSED] = list(f.closed)
    state[keys.WS_LANGUAGE] = f.language


colon = i18n_colon(lang)
severities = _common.severity_filter(st)
for inv in inventories:
    gaps = [g for g in _common.site_gaps(inv) if g.severity in severities]
    counts = {s: sum(g.severity == s for g in gaps) for s in SEVERITY_ORDER}
    summary = " · ".join(
        f"{counts[s]} {t(f'sev_{s}', lang)}" for s in SEVERITY_ORDER if s in severities
    )
    label = f"**{_common.md(inv.site.name)}**: {summary or t('no_severity', lang)}"
    with st.expander(label, expanded=True):
        if not gaps:
            st.success(t("no_gaps", lang))
        for i, g in enumerate(gaps):
            row = st.container(border=True, key=f"gap_{inv.site.id}_{i}")
            severity = t(f"sev_{g.severity}", lang)
            row.markdown(
                f":{SEVERITY_BADGE[g.severity]}-badge[{severity}] · "
                f"**{_common.md(g.kind_label(lang))}**  \n{_common.md(g.text(lang))}"
            )
            row.markdown(
                f"**{t('col_action', lang).capitalize()}**{colon}{_common.md(g.action_text(lang))}"
                f"  \n**{t('col_owner', lang).capitalize()}**{colon}"
                f"{_common.md(g.owner_text(lang))}"
            )
            if g.policy:
                row.caption(
                    f"{t('site_policy', lang).capitalize()}{colon}{_common.md(g.policy_text(lang))}"
                )
            if row.button(
                t("open_in_workshop", lang),
                key=f"gap_open_{inv.site.id}_{i}",
                icon=":material/route:",
                on_click=_open_in_workshop,
                args=(g, inv),
            ):
                st.switch_page("views/workshop.py")
        for line in policy_lines(inv, lang):
            st.caption(f"{t('site_policy', lang).capitalize()}{colon}{_common.md(line)}")
