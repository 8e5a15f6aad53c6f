"""Export (analysts): every format of `pathways export`, the gaps and the services table, and
the standalone map, as download buttons for the chosen sites (and the Explore filters), with a
short preview. The printable referral pathway comes first and stands out; the rest come in
groups (`views.viewmodels.downloads.GROUPS`), each with a line on what it is for."""

import io
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from pathways.i18n import t
from pathways.model.clock import OpenAt
from views import _common, keys
from views.viewmodels.downloads import (
    EXPORT_FORMATS,
    GROUPS,
    OWN_FORMATS,
    Format,
    available,
    file_name,
    grouped,
    preview_text,
    size_text,
)
from views.viewmodels.explore import filter_services, subsets

inventories = _common.selected_inventories()
lang = _common.lang()
st.title(t("export_title", lang))
_common.need_sites(inventories)

# --- what is exported: the Explore filters (kept in the session), the severities ----------------
state = st.session_state
found = filter_services(
    inventories,
    categories=state.get(keys.CATEGORIES) or None,
    language=state.get(keys.LANGUAGE),
    interpretation=state.get(keys.INTERPRETATION, True),
    group=state.get(keys.GROUP),
    age=state.get(keys.AGE),
    entry_only=state.get(keys.ENTRY_ONLY, False),
    open_at=OpenAt(state.get(keys.DAY, 0), state.get(keys.TIME, 0))
    if state.get(keys.OPEN)
    else None,
    query=state.get(keys.QUERY, ""),
)
c1, c2 = st.columns(2)
if len(found) < sum(len(inv.services) for inv in inventories):
    use_filters = c1.toggle(t("use_filters", lang), value=True, key=keys.EXPORT_FILTERS)
else:
    use_filters = False
    c1.caption(t("filters_none", lang))
chosen = subsets(inventories, found) if use_filters else inventories
severities = _common.severity_filter(c2)
sites = _common.md(", ".join(inv.site.name for inv in inventories))
n = sum(len(inv.services) for inv in chosen)
st.caption(t("export_scope", lang, sites=sites, n=n) + " " + t("gaps_scope", lang))
data_of = partial(_common.export_data, sites=inventories, lang=lang, severities=tuple(severities))

# --- the printable pathway first, then the rest in groups, each saying what it is for --------
st.subheader(t("downloads", lang))
formats = [*OWN_FORMATS, _common.MAP_HTML, *EXPORT_FORMATS]


def _buttons(where: Any, fmt: Format, *, primary: bool = False) -> None:
    """The download button(s) of one format in `where` (one per site when the format holds one
    site per file), or why this installation cannot make it."""
    reason = available(fmt)
    if reason:
        where.caption(
            t("format_unavailable", lang, label=t(fmt.label, lang), reason=_common.md(reason))
        )
        return
    groups = [[inv] for inv in chosen] if fmt.per_site and len(chosen) > 1 else [chosen]
    for invs in groups:
        each = len(groups) > 1
        where.download_button(
            t(fmt.label, lang) + (f" · {_common.md(invs[0].site.name)}" if each else ""),
            data=partial(data_of, invs, fmt=fmt.name),
            file_name=file_name(fmt, invs),
            mime=fmt.mime,
            on_click="ignore",
            icon=":material/download:",
            key=keys.DOWNLOAD_PREFIX + fmt.name + (f"_{invs[0].site.id}" if each else ""),
            type="primary" if primary else "secondary",
            width="stretch",
        )
    if primary:  # the pathway's two buttons each say what they are for
        where.caption(t("about_" + fmt.name, lang))


for group, members in grouped(formats):
    first = group.name == GROUPS[0].name
    box = st.container(border=first, key=keys.EXPORT_GROUP_PREFIX + group.name)
    box.markdown(f"{'###' if first else '####'} {t('dl_' + group.name, lang)}")
    box.caption(t(f"dl_{group.name}_about", lang))
    cells = box.columns(len(members) if first else 4)
    for i, fmt in enumerate(members):
        _buttons(cells[i % len(cells)], fmt, primary=first)

# --- a short preview of one format --------------------------------------------------------------
st.subheader(t("preview", lang))
fmt = st.selectbox(
    t("preview_of", lang),
    [f for f in formats if not available(f)],
    format_func=lambda f: t(f.label, lang),
    key=keys.PREVIEW,
)
sample = chosen[:1] if fmt.per_site else chosen
data = data_of(sample, fmt=fmt.name)
about = f"{file_name(fmt, sample)} · {size_text(len(data))}"
if fmt.binary:
    st.caption(t("binary_preview", lang, name=file_name(fmt, sample), size=size_text(len(data))))
elif fmt.suffix == ".csv":
    st.dataframe(pd.read_csv(io.BytesIO(data), nrows=8), hide_index=True)
    st.caption(about)
else:
    st.code(
        preview_text(data),
        language="json" if fmt.suffix in (".json", ".geojson") else None,
        height=320,
    )
    st.caption(about)
