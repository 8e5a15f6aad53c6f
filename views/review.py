"""Review queue (coordinators): the changes field workers proposed for the chosen sites, each
side by side with the current values, to accept (it applies) or reject (with a note). With the
shared database, a site's coordinators and admins review what anyone of any organisation
proposed there, acting as their own database role."""

import re

import pandas as pd
import streamlit as st

from pathways.i18n import t
from pathways.io.store import Store
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory
from views import _common, keys
from views.viewmodels.edit import Powers, decide, outcome_message
from views.viewmodels.edit import proposal_views as views_of

inventories = _common.selected_inventories()
lang = _common.lang()
st.title(t("review_title", lang))
_common.need_sites(inventories)
user = _common.current_user()
if user is None:
    st.info(t("review_sign_in", lang))
    st.stop()

kept = st.session_state.pop(keys.REVIEW_OUTCOME, None)  # the last decision, said once
if kept is not None and kept.kind == "conflict":
    st.error(f"{t('review_refused', lang)} {t('review_stale', lang)}")
elif kept is not None and kept.kind == "invalid":
    problems = [f"- {_common.md(p)}" for p in kept.problems]
    st.error("\n".join([t("review_refused", lang), "", *problems]))
elif kept is not None:
    st.success(_common.md(outcome_message(kept, lang)))


def _safe(proposal_id: str) -> str:
    # a proposal id as part of a widget key (letters, digits and `_` only)
    return re.sub(r"\W", "_", proposal_id)


def _queue(store: Store, inventory: Inventory, user: str, powers: Powers) -> None:
    """The pending proposals of one site, each with its note, Accept and Reject."""
    site = inventory.site
    pending = store.proposals("pending")
    record = store.inventory()  # true places, shown to those who read them only
    versions = {sid: store.version(sid) for sid in {p.service for p in pending}}
    withheld = [s.id for s in record.services if s.id in versions and not powers.location(s)]
    shown = views_of(
        pending, record.by_id, versions, lang, timezone=site.timezone, withhold=withheld
    )
    if not shown:
        st.caption(t("review_empty", lang))
    for view in shown:
        with st.container(border=True, key=keys.REVIEW_ITEM + _safe(view.id)):
            st.markdown(
                "**"
                + _common.md(view.name)
                + "** · "
                + _common.md(t("review_by", lang, user=view.user, when=view.when))
            )
            if view.stale:
                st.warning(t("review_stale", lang))
            _common.table(pd.DataFrame(view.rows).set_index(t("col_field", lang)))
            note = st.text_input(t("review_note", lang), key=keys.REVIEW_NOTE + _safe(view.id))
            left, right = st.columns(2)
            accept = left.button(
                t("review_accept", lang), key=keys.REVIEW_ACCEPT + _safe(view.id), type="primary"
            )
            reject = right.button(t("review_reject", lang), key=keys.REVIEW_REJECT + _safe(view.id))
            if accept or reject:
                outcome = decide(store, view.id, accept=accept, user=user, note=note, lang=lang)
                st.session_state[keys.REVIEW_OUTCOME] = outcome
                if outcome.kind == "saved":
                    _common.reload_inventories()
                st.rerun()


for inventory in inventories:
    st.subheader(_common.md(inventory.site.name), anchor=False)
    powers = _common.powers(inventory, user)
    if not powers.member:
        st.caption(t("db_read_only", lang, site=_common.md(inventory.site.name)))
        continue
    if not powers.review:
        st.caption(t("review_not_coordinator", lang))
        continue
    try:
        with _common.store_of(inventory, user) as store:
            _queue(store, inventory, user, powers)
    except InventoryError as e:  # the store refused (no role any more, database gone)
        st.error(_common.md(str(e)))
