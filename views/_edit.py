"""The service card's Edit mode (Explore): the form, verify / suspend / resume, the history and
a conflict's details. Layout only: what to show and send comes from `views.viewmodels.edit`.

Shown to a signed-in user (`views._common.current_user`) with a role at the site; what they may
do is `views._common.powers` (YAML store: a coordinator of the site saves, anyone else
proposes; shared database: their role, e.g. a viewer only proposes). The form opens on the
version the store reports and sends only the fields changed, checked against that version: a
change made meanwhile by someone else is a conflict, shown with what they changed and a button
to reapply mine on top.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from pathways.i18n import t
from pathways.io.store import Change, Store
from pathways.model.errors import InventoryError
from pathways.model.inventory import Inventory, Service
from views import _common, keys
from views.viewmodels.edit import (
    HOURS_MODE_LABELS,
    HOURS_MODES,
    EditState,
    FormField,
    Outcome,
    Powers,
    act,
    conflict_view,
    form_changes,
    form_fields,
    form_groups,
    history_rows,
    open_form,
    outcome_message,
    resubmit,
    submit,
    suspend_options,
    withheld_from,
)


def edit_panel(inventory: Inventory, service_id: str, lang: str, *, where: Any) -> None:
    """The Edit toggle of a card (here) and, when on, the Edit mode in `where` (a container
    wide enough for the form)."""
    user = _common.current_user()
    if user is None:
        st.caption(t("edit_sign_in_first", lang))
        return
    service = inventory.service(service_id)
    powers = _common.powers(inventory, user, service)
    if not powers.member:
        st.caption(t("db_read_only", lang, site=_common.md(inventory.site.name)))
        return
    if not st.toggle(t("edit_mode", lang), key=keys.EDIT):
        return
    with where.container(key=keys.EDIT_PANEL, border=True):
        st.subheader(_common.md(t("edit_title", lang, service=service.name)), anchor=False)
        if not powers.save:
            st.caption(t("edit_you_propose", lang))
        try:
            with _common.store_of(inventory, user) as store:
                _panel(store, service_id, user, lang, powers)
        except InventoryError as e:  # the store refused (no role any more, database gone)
            st.error(_common.md(str(e)))


def _panel(store: Store, service_id: str, user: str, lang: str, powers: Powers) -> None:
    """The form, its outcome or conflict, the actions and the history of one service."""
    record = store.inventory()
    service = record.service(service_id)
    history = store.history(service_id)
    state = _state(store, record, service, powers)
    withhold = withheld_from(service, history, places=powers.places)
    _form(store, state, service, user=user, powers=powers, lang=lang)
    _conflict(
        store,
        state,
        service,
        user=user,
        powers=powers,
        lang=lang,
        tz=_tz(record),
        withhold=withhold,
    )
    _actions(store, state, service, user=user, powers=powers, lang=lang)
    _history(history, lang, timezone=_tz(record), withhold=withhold)


def _tz(record: Inventory) -> str:
    return record.site.timezone


def _state(store: Store, record: Inventory, service: Service, powers: Powers) -> EditState:
    """The open form's state; a new one (and fresh widget values) for another service."""
    key = f"{record.site.id}/{service.id}"
    state: EditState | None = st.session_state.get(keys.EDIT_STATE)
    if state is None or state.key != key:
        location = powers.location(service)
        state = open_form(service, key, store.version(service.id), location=location)
        st.session_state[keys.EDIT_STATE] = state
        for field in state.initial:
            st.session_state.pop(keys.edit_field(field), None)
        st.session_state[keys.EDIT_HOURS_MODE] = state.mode
    return state


def _reset(outcome: Outcome, key: str) -> None:
    """Keep the outcome to show and run the page again; after a change, reopen the form on the
    new version, and read the inventories again when one was applied."""
    st.session_state[keys.EDIT_OUTCOME] = (key, outcome)
    if outcome.kind in ("saved", "proposed"):
        st.session_state.pop(keys.EDIT_STATE, None)
    if outcome.kind == "saved":
        _common.reload_inventories()
    st.rerun()


def _outcome(key: str) -> Outcome | None:
    kept = st.session_state.get(keys.EDIT_OUTCOME)
    return kept[1] if kept and kept[0] == key else None


# --- the form ------------------------------------------------------------------------------------


def _input(f: FormField, state: EditState) -> Any:
    """One input, its value first taken from the form as opened."""
    key = keys.edit_field(f.key)
    if key not in st.session_state:
        value = state.initial.get(f.key, f.value)
        st.session_state[key] = value == "true" if f.kind == "bool" else value
    if f.kind == "bool":
        return st.checkbox(f.label, key=key)
    if f.kind == "choice":
        names = dict(zip(f.options, f.option_labels, strict=True))
        return st.selectbox(f.label, f.options, format_func=names.__getitem__, key=key)
    if f.kind == "long":
        return st.text_area(f.label, key=key, height=80)
    return st.text_input(f.label, key=key, placeholder=f.placeholder)


def _form(
    store: Store, state: EditState, service: Service, *, user: str, powers: Powers, lang: str
) -> None:
    """The fields, and Save (who may save) or Propose (anyone else)."""
    st.session_state.setdefault(keys.EDIT_HOURS_MODE, state.mode)  # the form as opened
    mode = st.radio(
        t("edit_hours_form", lang),
        HOURS_MODES,
        format_func=lambda m: t(HOURS_MODE_LABELS[m], lang),
        key=keys.EDIT_HOURS_MODE,
        horizontal=True,
    )
    fields = form_fields(service, lang, mode=mode, location=state.location)
    with st.form(key=keys.EDIT_FORM, border=False):
        slot = st.container()
        values: dict[str, Any] = {}
        for column, group in zip(st.columns(3), form_groups(fields), strict=True):
            with column:
                values |= {f.key: _input(f, state) for f in group}
        if not state.location and service.confidential:
            st.caption(t("edit_place_withheld", lang))
        label = t("edit_save", lang) if powers.save else t("edit_propose", lang)
        sent = st.form_submit_button(label, key=keys.EDIT_SAVE, type="primary")
    if sent:
        outcome = submit(
            store,
            service.id,
            form_changes(state, values),
            user=user,
            base=state.base,
            propose=not powers.save,
            lang=lang,
        )
        _reset(outcome, state.key)
    _show(slot, _outcome(state.key), lang)


def _show(where: Any, outcome: Outcome | None, lang: str) -> None:
    """The last outcome's message (a conflict is drawn by `_conflict`)."""
    if outcome is None or outcome.kind == "conflict":
        return
    text = _common.md(outcome_message(outcome, lang))
    if outcome.kind == "invalid":
        where.error("\n".join([text, "", *(f"- {_common.md(p)}" for p in outcome.problems)]))
    elif outcome.kind == "unchanged":
        where.info(text)
    else:
        where.success(text)


def _conflict(
    store: Store,
    state: EditState,
    service: Service,
    *,
    user: str,
    powers: Powers,
    lang: str,
    tz: str,
    withhold: bool,
) -> None:
    """What the other person changed, and a button to send my change again on top of it."""
    outcome = _outcome(state.key)
    if outcome is None or outcome.kind != "conflict" or outcome.conflict is None:
        return
    view = conflict_view(outcome.conflict, lang, timezone=tz, withhold=withhold)
    with st.container(key=keys.EDIT_CONFLICT, border=True):
        if view.who:
            st.warning(_common.md(t("edit_conflict", lang, user=view.who, when=view.when)))
            _common.table(pd.DataFrame(view.rows).set_index(t("col_field", lang)))
        else:
            st.warning(t("edit_conflict_unknown", lang))
        left, right = st.columns(2)
        if left.button(t("edit_reapply", lang), key=keys.EDIT_REAPPLY, type="primary"):
            again = resubmit(
                store, service.id, outcome.sent, user=user, propose=not powers.save, lang=lang
            )
            _reset(again, state.key)
        if right.button(t("edit_discard", lang), key=keys.EDIT_DISCARD):
            st.session_state.pop(keys.EDIT_STATE, None)
            st.session_state.pop(keys.EDIT_OUTCOME, None)
            st.rerun()


# --- verify, suspend, resume; the history --------------------------------------------------------


def _actions(
    store: Store,
    state: EditState,
    service: Service,
    *,
    user: str,
    powers: Powers,
    lang: str,
) -> None:
    """ "Verified today", suspend and resume, for those who may (`Powers`)."""
    service_id = service.id
    if powers.verify and st.button(t("edit_verify", lang), key=keys.EDIT_VERIFY):
        _reset(act(store, "verify", service_id, user=user, lang=lang), state.key)
    if not powers.suspend:
        return
    suspended = service.suspended
    if suspended is not None:
        text = t(
            "edit_is_suspended", lang, until=suspended.until.isoformat(), reason=suspended.reason
        )
        st.warning(_common.md(text))
        if st.button(t("edit_resume", lang), key=keys.EDIT_RESUME):
            _reset(act(store, "resume", service_id, user=user), state.key)
        return
    with st.expander(t("edit_suspend_title", lang)), st.form(key=keys.EDIT_SUSPEND_FORM):
        until = st.date_input(
            t("edit_until", lang), value=None, min_value=dt.date.today(), key=keys.EDIT_UNTIL
        )
        reason = st.text_input(
            t("edit_reason", lang), placeholder=t("edit_reason_hint", lang), key=keys.EDIT_REASON
        )
        if st.form_submit_button(t("edit_suspend", lang), key=keys.EDIT_SUSPEND):
            _reset(_suspend(store, service_id, user, until, reason, lang), state.key)


def _suspend(
    store: Store, service_id: str, user: str, until: Any, reason: str, lang: str
) -> Outcome:
    try:
        options = suspend_options(until, reason, lang)
    except InventoryError as e:
        return Outcome("invalid", problems=(str(e),))
    return act(store, "suspend", service_id, user=user, lang=lang, **options)


def _history(changes: Sequence[Change], lang: str, *, timezone: str, withhold: bool) -> None:
    with st.container(key=keys.EDIT_HISTORY):
        st.markdown(f"**{t('edit_history', lang)}**")
        rows = history_rows(changes, lang, timezone=timezone, withhold=withhold)
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        else:
            st.caption(t("edit_no_history", lang))
