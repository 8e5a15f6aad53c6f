"""Sites: every loaded inventory, its data status, what it maps and how many gaps it has."""

import streamlit as st

from pathways.i18n import t
from views import _common
from views.viewmodels.table import localize_columns, sites_table

inventories = _common.all_inventories()
lang = _common.lang()
st.title(t("sites_title", lang))
table = sites_table(inventories, gaps=_common.gaps_of(inventories))
st.dataframe(localize_columns(table, lang), hide_index=True, width="stretch")
st.caption(t("sites_caption", lang))
