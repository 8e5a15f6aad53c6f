"""Editing from the app without Streamlit (`views.viewmodels.edit`): identity, the form's fields
and the changes it sends, what the store answers (saved, proposed, refused, in conflict), the
history, the conflict's details and the review queue.

`MemoryStore` is a small in-memory stand-in for the `Store` interface (tests only): it keeps one
inventory, numbers versions, refuses a stale base with `Conflict`, and validates with the model's
rules. The same view-model is run against the real YAML store in test_app_edit.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import pytest

from pathways.i18n import t
from pathways.io.load import read_site
from pathways.io.store import Change, Conflict, FieldChange, Proposal
from pathways.model.errors import Problem, ValidationError
from pathways.model.inventory import DAYS, Inventory, Service, Suspension
from pathways.model.public import PublicInventory
from pathways.public.privacy import public_view
from views.viewmodels import edit
from views.viewmodels.edit import EditState, Outcome

TINY = Path(__file__).parent / "data" / "tiny.yaml"
NOW = dt.datetime(2026, 11, 3, 13, 5, tzinfo=dt.UTC)


# --- an in-memory store --------------------------------------------------------------------------


def _raw(service: Service, key: str, value: str, so_far: Any = None) -> tuple[str, Any]:
    """The record key and value a change `key=value` sets (as the command line reads it)."""
    if key in ("languages", "categories"):
        return key, [v for v in value.split(",") if v]
    if key in ("entry_point", "interpretation"):
        return key, value == "true"
    if key.startswith("hours."):
        days = {d: edit.field_value(service, f"hours.{d}") or "closed" for d in DAYS}
        if edit.hours_mode(service) == "text":
            days = {}
        return "hours", {**days, **(so_far if isinstance(so_far, dict) else {}), key[6:]: value}
    if key.startswith(("contact.", "location.")):
        head, tail = key.split(".", 1)
        current = getattr(service, head)
        inner = current.model_dump() if current is not None else {}
        return head, {**inner, tail: value or None}
    return key, value or None


class MemoryStore:
    """The `Store` interface over one inventory in memory (versions `v0`, `v1`, ...)."""

    source = "memory"

    def __init__(self, inventory: Inventory) -> None:
        self.record = inventory
        self.versions: dict[str, int] = {s.id: 0 for s in inventory.services}
        self.changes: list[Change] = []
        self.queue: list[Proposal] = []
        self.clock = NOW

    # reading
    def inventory(self) -> Inventory:
        return self.record

    def public(self) -> PublicInventory:
        return public_view(self.record)

    def version(self, service_id: str) -> str:
        return f"v{self.versions[service_id]}"

    def history(self, service_id: str | None = None) -> Sequence[Change]:
        return [c for c in self.changes if service_id in (None, c.service)]

    # changing
    def _changed(self, service_id: str, changes: Mapping[str, str]) -> Service:
        """The service with the changes applied, validated (ValidationError like the loader's)."""
        s = self.record.service(service_id)
        data = {**s.model_dump(by_alias=True), "hours": s.hours}
        for key, value in changes.items():
            name, raw = _raw(s, key, value, data.get("hours"))
            data[name] = raw
        try:
            return Service.model_validate(data)
        except pydantic.ValidationError as e:
            index = [x.id for x in self.record.services].index(service_id)
            raise ValidationError(
                [
                    Problem(
                        "memory.yaml",
                        0,
                        f"services[{index}]"
                        + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]),
                        err["msg"].removeprefix("Value error, "),
                    )
                    for err in e.errors()
                ]
            ) from None

    def _apply(
        self, service_id: str, new: Service, user: str, action: Any, reason: str | None = None
    ) -> Change:
        old = self.record.service(service_id)
        fields = tuple(
            FieldChange(k, getattr(old, k), getattr(new, k))
            for k in Service.model_fields
            if getattr(old, k) != getattr(new, k)
        )
        services = tuple(new if s.id == service_id else s for s in self.record.services)
        self.record = self.record.model_copy(update={"services": services})
        self.versions[service_id] += 1
        self.clock += dt.timedelta(minutes=1)
        change = Change(
            self.clock, user, action, service_id, fields, reason, self.version(service_id)
        )
        self.changes.append(change)
        return change

    def _check(self, service_id: str, base: str) -> None:
        if base != self.version(service_id):
            last = [c for c in self.changes if c.service == service_id][-1]
            raise Conflict(service_id, base, self.version(service_id), last)

    def edit(self, service_id: str, changes: Mapping[str, str], *, user: str, base: str) -> Change:
        self._check(service_id, base)
        return self._apply(service_id, self._changed(service_id, changes), user, "edit")

    def verify(self, service_id: str, *, user: str, on: dt.date | None = None) -> Change:
        new = self.record.service(service_id).model_copy(
            update={"last_verified": on or self.clock.date()}
        )
        return self._apply(service_id, new, user, "verify")

    def suspend(self, service_id: str, *, user: str, until: dt.date, reason: str) -> Change:
        closed = Suspension(until=until, reason=reason)
        new = self.record.service(service_id).model_copy(update={"suspended": closed})
        return self._apply(service_id, new, user, "suspend", reason)

    def resume(self, service_id: str, *, user: str) -> Change:
        new = self.record.service(service_id).model_copy(update={"suspended": None})
        return self._apply(service_id, new, user, "resume")

    def propose(
        self, service_id: str, changes: Mapping[str, str], *, user: str, base: str
    ) -> Proposal:
        self._changed(service_id, changes)  # validated now
        p = Proposal(f"p{len(self.queue) + 1}", self.clock, user, service_id, dict(changes), base)
        self.queue.append(p)
        return p

    def proposals(self, status: str | None = "pending") -> Sequence[Proposal]:
        return [p for p in self.queue if status in (None, p.status)]

    def _decided(self, proposal_id: str, **update: Any) -> Proposal:
        i = next(i for i, p in enumerate(self.queue) if p.id == proposal_id)
        values = {**self.queue[i].__dict__, **update, "decided_at": self.clock}
        self.queue[i] = Proposal(**values)
        return self.queue[i]

    def accept(self, proposal_id: str, *, user: str) -> Change:
        p = next(p for p in self.queue if p.id == proposal_id)
        change = self.edit(p.service, p.changes, user=p.user, base=p.base)
        self._decided(proposal_id, status="accepted", decided_by=user)
        return change

    def reject(self, proposal_id: str, *, user: str, note: str | None = None) -> Proposal:
        return self._decided(proposal_id, status="rejected", decided_by=user, note=note)

    # adding and removing services and routes: not used by the app's edit form
    def add_service(self, record: Mapping[str, Any], *, user: str) -> Change:
        raise NotImplementedError

    def remove_service(self, service_id: str, *, user: str, base: str) -> Change:
        raise NotImplementedError

    def add_referral(self, record: Mapping[str, Any], *, user: str) -> Change:
        raise NotImplementedError

    def remove_referral(self, source: str, target: str, *, user: str) -> Change:
        raise NotImplementedError


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(read_site(TINY))


def _with_coordinators(store: MemoryStore, *names: str) -> None:
    site = store.record.site.model_copy(update={"coordinators": names})
    store.record = store.record.model_copy(update={"site": site})


def _opened(store: MemoryStore, service_id: str, *, location: bool = True) -> EditState:
    s = store.inventory().service(service_id)
    return edit.open_form(s, f"tiny/{service_id}", store.version(service_id), location=location)


def _submitted(state: EditState, **values: Any) -> dict[str, Any]:
    """The form's values as shown (the hours in the record's form), some changed (`contact__phone`
    for `contact.phone`)."""
    hours = edit.DAY_FIELDS if state.mode == "days" else ("hours",)
    shown = {k: v for k, v in state.initial.items() if not k.startswith("hours") or k in hours}
    return {**shown, **{k.replace("__", "."): v for k, v in values.items()}}


# --- identity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  amina.k ", "amina.k"),
        ("a.k@ngo.org", "a.k@ngo.org"),
        ("-dash-first", None),
        ("", None),
        ("two words", None),
        ("x" * 65, None),
        ("<b>", None),
    ],
)
def test_staff_id_is_one_trimmed_identifier(typed: str, expected: str | None) -> None:
    assert edit.staff_id(typed) == expected


def test_the_proxy_header_names_the_user_in_any_case() -> None:
    headers = {"x-forwarded-user": "amina", "Host": "atlas"}
    assert edit.user_from_headers(headers) == "amina"
    assert edit.user_from_headers(headers, "X-Remote-User") is None
    assert edit.user_from_headers({"X-Remote-User": "jo"}, "x-remote-user") == "jo"
    assert edit.user_from_headers({"X-Forwarded-User": "not one"}) is None


def test_a_site_without_coordinators_lets_anyone_signed_in_review(store: MemoryStore) -> None:
    site = store.inventory().site
    assert edit.coordinators(site) == ()
    assert edit.may_review(site, "anyone")
    assert not edit.may_review(site, None)


def test_a_site_with_coordinators_lets_only_them_review(store: MemoryStore) -> None:
    _with_coordinators(store, "amina")
    site = store.inventory().site
    assert edit.may_review(site, "amina")
    assert not edit.may_review(site, "field.worker")


def test_a_confidential_place_is_for_named_coordinators_only(store: MemoryStore) -> None:
    shelter = store.inventory().service("shelter")
    ngo = store.inventory().service("ngo")
    site = store.inventory().site
    assert edit.may_see_location(site, ngo, "anyone")
    assert not edit.may_see_location(site, shelter, "anyone")  # no coordinator named: nobody
    _with_coordinators(store, "amina")
    site = store.inventory().site
    assert edit.may_see_location(site, shelter, "amina")
    assert not edit.may_see_location(site, shelter, "field.worker")


# --- the form ------------------------------------------------------------------------------------


def test_the_form_shows_the_record_hours_per_day_when_written_per_day(store: MemoryStore) -> None:
    ngo = store.inventory().service("ngo")
    fields = {f.key: f for f in edit.form_fields(ngo, mode=edit.hours_mode(ngo), location=True)}
    assert edit.hours_mode(ngo) == "days"
    assert fields["hours.mon"].value == "09:00-17:00"
    assert fields["hours.fri"].value == "09:00-13:00"
    assert fields["hours.sat"].value == ""
    assert fields["languages"].value == "fr,ar"
    assert fields["name"].value == "Women's NGO"
    assert fields["entry_point"].kind == "bool" and fields["entry_point"].value == "false"
    assert fields["cost"].options == ("free", "low", "fee")
    assert fields["location.lat"].value == "50.84"
    assert "hours" not in fields


def test_the_form_shows_24_7_and_unknown_hours_as_one_text(store: MemoryStore) -> None:
    police = store.inventory().service("police")
    shelter = store.inventory().service("shelter")
    assert edit.hours_mode(police) == "text" and edit.field_value(police, "hours") == "24/7"
    assert edit.hours_mode(shelter) == "text" and edit.field_value(shelter, "hours") == "unknown"


def test_the_form_never_holds_a_confidential_place_for_a_non_coordinator(
    store: MemoryStore,
) -> None:
    shelter = store.inventory().service("shelter")
    fields = edit.form_fields(shelter, mode="text", location=False)
    assert not [f for f in fields if f.key.startswith("location")]
    state = _opened(store, "shelter", location=False)
    assert not [k for k in state.initial if k.startswith("location")]
    assert "50.82" not in repr(state)
    # a forged submission of a place is dropped
    sent = edit.form_changes(state, {"location.lat": "50.9", "notes": "call first"})
    assert sent == {"notes": "call first"}


def test_the_labels_are_in_french() -> None:
    assert edit.field_label("contact.phone", "fr") == t("edit_phone", "fr")
    assert edit.field_label("hours.mon", "fr") == "Horaires (lundi)"
    assert edit.field_label("contact.phone", "fr") != edit.field_label("contact.phone", "en")
    assert edit.field_label("something.else", "fr") == "something.else"


def test_only_changed_fields_are_sent(store: MemoryStore) -> None:
    state = _opened(store, "ngo")
    values = _submitted(
        state,
        languages=" fr , ar ",  # the same languages, spaced
        name="Women's NGO",
        contact__phone="+32 2 000 00 09",
        hours__sat="10:00 - 12:00",
        hours__fri="",  # emptied: closed
        entry_point=True,
    )
    assert edit.form_changes(state, values) == {
        "hours.fri": "closed",
        "hours.sat": "10:00-12:00",
        "entry_point": "true",
        "contact.phone": "+32 2 000 00 09",
    }
    assert edit.form_changes(state, _submitted(state)) == {}


def test_hours_once_one_text_become_per_day_whole(store: MemoryStore) -> None:
    state = _opened(store, "police")  # 24/7
    values = {k: v for k, v in state.initial.items() if k != "hours"}
    values["hours.sun"] = ""
    sent = edit.form_changes(state, values)
    assert [k for k in sent if k.startswith("hours")] == ["hours", *edit.DAY_FIELDS]
    assert sent["hours"] == ""  # unset, then every day set
    assert sent["hours.mon"] == "00:00-24:00" and sent["hours.sun"] == "closed"
    done = edit.submit(store, "police", sent, user="amina", base=state.base, propose=False)
    assert done.kind == "saved"
    assert store.inventory().service("police").hours.week[6] == ()


# --- what the store answers ----------------------------------------------------------------------


def test_a_saved_change_lands_with_its_user(store: MemoryStore) -> None:
    state = _opened(store, "ngo")
    sent = edit.form_changes(state, _submitted(state, contact__phone="+32 2 000 00 09"))
    outcome = edit.submit(store, "ngo", sent, user="amina", base=state.base, propose=False)
    assert outcome.kind == "saved" and outcome.change is not None
    assert outcome.change.user == "amina"
    contact = store.inventory().service("ngo").contact
    assert contact is not None and contact.phone == "+32 2 000 00 09"
    assert edit.outcome_message(outcome) == t("edit_saved", "en", fields=t("edit_phone", "en"))


def test_nothing_changed_sends_nothing(store: MemoryStore) -> None:
    outcome = edit.submit(store, "ngo", {}, user="amina", base="v0", propose=False)
    assert outcome.kind == "unchanged" and store.changes == []


def test_an_invalid_value_is_refused_field_by_field_in_french(store: MemoryStore) -> None:
    state = _opened(store, "ngo")
    sent = edit.form_changes(state, _submitted(state, languages="fr,xx", hours__mon="9-5"))
    outcome = edit.submit(
        store, "ngo", sent, user="amina", base=state.base, propose=False, lang="fr"
    )
    assert outcome.kind == "invalid" and store.changes == []
    assert sorted(outcome.problems) == sorted(
        [
            f"{t('languages', 'fr')} : {t('err_lang', 'fr', value='xx')}",
            f"{t('hours', 'fr')} : {t('err_range', 'fr', day='lundi', value='9-5')}",
        ]
    )


def test_the_loaders_own_messages_are_translated_where_known(tmp_path: Path) -> None:
    text = TINY.read_text(encoding="utf-8").replace("languages: [fr, ar]", "languages: [fr, xx]")
    text = text.replace('hours: {mon: "13:00-17:00"}', 'hours: {mon: "13:00-25:00"}')
    text = text.replace("name: Police station", 'name: ""')
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_site(tmp_path / "bad.yaml")
    lines = edit.problem_lines(caught.value, "fr")
    assert f"{t('edit_name', 'fr')} : {t('err_empty', 'fr')}" in lines
    assert f"{t('languages', 'fr')} : {t('err_lang', 'fr', value='xx')}" in lines
    assert f"{t('hours', 'fr')} : {t('err_range', 'fr', day='lundi', value='13:00-25:00')}" in lines
    assert not any("bad.yaml" in line or re.search(r"services\[", line) for line in lines)
    english = edit.problem_lines(caught.value, "en")
    assert "Languages: 'xx' is not a language code (ISO 639-1 or 639-3, e.g. fr, ar)" in english


def test_an_unknown_message_stays_as_the_loader_wrote_it() -> None:
    error = ValidationError([Problem("x.yaml", 3, "services[2].age_max", "age_max 5 is odd")])
    assert edit.problem_lines(error, "fr") == ("age_max : age_max 5 is odd",)


def test_two_edits_from_one_version_one_wins_the_other_sees_the_winner(
    store: MemoryStore,
) -> None:
    mine, theirs = _opened(store, "ngo"), _opened(store, "ngo")
    won = edit.submit(
        store,
        "ngo",
        edit.form_changes(theirs, _submitted(theirs, hours__sat="10:00-12:00")),
        user="jo",
        base=theirs.base,
        propose=False,
    )
    assert won.kind == "saved"
    lost = edit.submit(
        store,
        "ngo",
        edit.form_changes(mine, _submitted(mine, contact__phone="+32 2 000 00 09")),
        user="amina",
        base=mine.base,
        propose=False,
    )
    assert lost.kind == "conflict" and lost.conflict is not None
    view = edit.conflict_view(lost.conflict, timezone="Europe/Brussels", withhold=False)
    assert view.who == "jo" and view.when == "2026-11-03 14:06"
    assert [r["field"] for r in view.rows] == ["Hours"]
    assert len(store.changes) == 1

    again = edit.resubmit(store, "ngo", lost.sent, user="amina", propose=False)
    assert again.kind == "saved"
    ngo = store.inventory().service("ngo")
    assert ngo.contact is not None and ngo.contact.phone == "+32 2 000 00 09"  # mine
    assert ngo.hours.week[5] == ((600, 720),)  # and theirs, kept


def test_reapply_sends_only_what_still_differs(store: MemoryStore) -> None:
    ngo = store.inventory().service("ngo")
    mine = {"languages": "fr,ar", "notes": "ring twice"}
    assert edit.reapply(mine, ngo) == {"notes": "ring twice"}


def test_a_field_worker_proposes_and_a_coordinator_accepts(store: MemoryStore) -> None:
    state = _opened(store, "ngo")
    sent = edit.form_changes(state, _submitted(state, notes="Walk-ins on Friday"))
    outcome = edit.submit(store, "ngo", sent, user="field.worker", base=state.base, propose=True)
    assert outcome.kind == "proposed" and store.changes == []  # not applied
    views = edit.proposal_views(
        store.proposals(), store.inventory().by_id, {"ngo": store.version("ngo")}
    )
    assert [(v.service, v.user, v.stale) for v in views] == [("ngo", "field.worker", False)]
    assert views[0].rows == [
        {"field": "Notes", "current value": "", "proposed": "Walk-ins on Friday"}
    ]
    done = edit.decide(store, views[0].id, accept=True, user="amina")
    assert done.kind == "saved"
    assert store.inventory().service("ngo").notes == "Walk-ins on Friday"
    assert store.proposals() == []


def test_a_coordinator_rejects_with_a_note(store: MemoryStore) -> None:
    p = store.propose("ngo", {"notes": "x"}, user="field.worker", base="v0")
    done = edit.decide(store, p.id, accept=False, user="amina", note="  not so  ")
    assert done.kind == "rejected" and done.proposal is not None
    assert done.proposal.note == "not so" and done.proposal.decided_by == "amina"
    assert store.changes == []
    assert "field.worker" in edit.outcome_message(done)


def test_a_proposal_on_an_old_version_is_marked_stale_and_refused(store: MemoryStore) -> None:
    p = store.propose("ngo", {"notes": "x"}, user="field.worker", base="v0")
    store.verify("ngo", user="amina")
    (view,) = edit.proposal_views(store.proposals(), store.inventory().by_id, {"ngo": "v1"})
    assert view.stale
    done = edit.decide(store, p.id, accept=True, user="amina")
    assert done.kind == "conflict" and done.conflict is not None
    assert done.conflict.by is not None and done.conflict.by.user == "amina"


def test_the_review_withholds_a_confidential_place(store: MemoryStore) -> None:
    p = Proposal("p9", NOW, "field.worker", "shelter", {"location.lat": "50.9"}, "v0")
    (view,) = edit.proposal_views(
        [p], store.inventory().by_id, {"shelter": "v0"}, withhold=["shelter"]
    )
    assert "50.9" not in repr(view) and "50.82" not in repr(view)


# --- verify, suspend, resume; history ------------------------------------------------------------


def test_verify_suspend_resume(store: MemoryStore) -> None:
    assert edit.act(store, "verify", "ngo", user="amina").kind == "saved"
    assert store.inventory().service("ngo").last_verified == NOW.date()
    options = edit.suspend_options(dt.date(2026, 12, 1), " staff on leave ")
    assert edit.act(store, "suspend", "ngo", user="amina", **options).kind == "saved"
    suspended = store.inventory().service("ngo").suspended
    assert suspended is not None and suspended.reason == "staff on leave"
    assert edit.act(store, "resume", "ngo", user="amina").kind == "saved"
    assert store.inventory().service("ngo").suspended is None
    rows = edit.history_rows(store.history("ngo"), withhold=False)
    assert [r["change"] for r in rows][-1] == "resumed"


def test_a_suspension_needs_a_date_and_a_reason() -> None:
    with pytest.raises(edit.InventoryError) as caught:
        edit.suspend_options(None, " ", "fr")
    assert t("edit_until", "fr") in str(caught.value) and t("edit_reason", "fr") in str(
        caught.value
    )


def test_history_rows_say_who_when_and_each_field_before_and_after(store: MemoryStore) -> None:
    store.edit("ngo", {"languages": "fr,ar,en", "notes": "ring"}, user="jo", base="v0")
    store.verify("ngo", user="amina")
    rows = edit.history_rows(store.history("ngo"), "en", timezone="Europe/Brussels", withhold=False)
    assert [(r["who"], r["field"], r["before"], r["after"]) for r in rows] == [
        ("jo", "Languages", "fr,ar", "fr,ar,en"),
        ("jo", "Notes", "", "ring"),
        ("amina", "Last verified", "", "2026-11-03"),
    ]
    assert rows[0]["when"] == "2026-11-03 14:06"


def test_history_withholds_where_a_confidential_service_was(store: MemoryStore) -> None:
    moved = Change(
        NOW,
        "amina",
        "edit",
        "shelter",
        (FieldChange("location", {"lat": 50.82, "lon": 4.37}, {"lat": 50.83, "lon": 4.36}),),
    )
    rows = edit.history_rows([moved], "en", withhold=True)
    assert "50.8" not in repr(rows)
    shelter = store.inventory().service("shelter")
    assert edit.withholds(store.inventory().site, shelter, [moved], "field.worker")
    _with_coordinators(store, "amina")
    assert not edit.withholds(store.inventory().site, shelter, [moved], "amina")


def test_an_outcome_keeps_what_was_sent() -> None:
    assert Outcome("unchanged").sent == {}


def test_the_form_has_three_columns_and_loses_no_field(store: MemoryStore) -> None:
    ngo = store.inventory().service("ngo")
    fields = edit.form_fields(ngo, mode="days", location=True)
    groups = edit.form_groups(fields)
    assert [f.key for f in groups[0]][:2] == ["name", "organisation"]
    assert [f.key for f in groups[1]][:7] == list(edit.DAY_FIELDS)
    assert groups[2][0].key == "contact.phone"
    assert sorted(f.key for g in groups for f in g) == sorted(f.key for f in fields)


def test_an_empty_day_says_closed(store: MemoryStore) -> None:
    ngo = store.inventory().service("ngo")
    fields = {f.key: f for f in edit.form_fields(ngo, "fr", mode="days", location=True)}
    assert fields["hours.sun"].value == "" and fields["hours.sun"].placeholder == "fermé"
