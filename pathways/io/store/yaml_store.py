"""The YAML store: an inventory file as a safe, editable store (the embedded default).

Beside `koro.yaml` it keeps `koro.yaml.history.jsonl` (every applied change, one JSON object a
line, oldest first), `koro.yaml.proposals.jsonl` (the review queue's events) and
`koro.yaml.lock` (the lock; it holds nothing). Every change runs as one locked step:

1. take the lock; read the file (when its bytes are those last seen, the validated records
   kept from then are reused, else it is loaded and validated again);
2. check the user, the service and its version (`base`: a `Conflict` names who changed it);
3. change the text: the service's item is loaded with `ruamel.yaml` in round-trip mode,
   changed, written back, and spliced in place of its lines (`layout`, `roundtrip`); every
   other line stays as it was;
4. validate the new text with the loader's rules (`pathways.io.load.revalidate`: the changed
   records, and every rule across records; the whole text when the layout is unusual) before
   anything is written: an invalid value is refused with the loader's `field: message`;
5. replace the file atomically, then append the change to the history; if the history cannot
   be written the file is put back, so there is no change without its history line.

The history never holds a confidential service's place: its `location` and `intake` values are
written as "(withheld)", and so are they in every message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from pathways.io.load import read_fragment, read_site, revalidate, validate_text
from pathways.io.store.changes import (
    check_unused,
    check_user,
    decided,
    field_changes,
    fold_proposals,
    is_secret,
    new_change,
    parsed_changes,
    pending_proposal,
    record_items,
    referral_index,
    service_of,
    service_version,
    setting,
    suspension_reason,
    verified_on,
)
from pathways.io.store.fields import (
    field_spec,
    is_place,
    shown,
)
from pathways.io.store.files import append_line, beside, locked, read_lines, replace_atomically
from pathways.io.store.interface import Change, Conflict, FieldChange, Proposal
from pathways.io.store.layout import Layout, scan
from pathways.io.store.roundtrip import (
    Indent,
    NotFaithful,
    edit_document,
    edit_item,
    faithful_indent,
    new_item,
    plain_record,
    set_path,
    styled,
)
from pathways.model import clock
from pathways.model.errors import InventoryError, ValidationError, display_path
from pathways.model.inventory import STAFF_ID_PATTERN, Inventory
from pathways.public.privacy import PublicInventory, distance_m, public_view

HISTORY_SUFFIX = ".history.jsonl"
PROPOSALS_SUFFIX = ".proposals.jsonl"
EDITABLE_SUFFIXES = (".yaml", ".yml")

_USER = re.compile(STAFF_ID_PATTERN)


@dataclass
class _State:
    """The file as last read: its bytes, text and validated records, and its layout."""

    data: bytes
    text: str
    inventory: Inventory
    layout: Layout | None
    public: PublicInventory | None = field(default=None)


@dataclass(frozen=True)
class _Op:
    """One change of the text: item `index` of list `key` changed by `change`, removed
    (`remove`), or a new item `record` appended (`index` None)."""

    key: str
    index: int | None
    change: Callable[[Any], None] | None = None
    record: Any = None
    remove: bool = False


@dataclass(frozen=True)
class _Applied:
    """A change made and validated but not written: the new state, the item before and after
    (as the loader reads them)."""

    state: _State
    before: Any
    after: Any


class YamlStore:
    """The `Store` of one YAML inventory file (see the module docstring)."""

    def __init__(self, source: str | os.PathLike[str]) -> None:
        self.source = str(source)
        self.path = Path(source)
        self.history_path = beside(self.path, HISTORY_SUFFIX)
        self.proposals_path = beside(self.path, PROPOSALS_SUFFIX)
        self._state: _State | None = None
        self._indent: dict[str, Indent] = {}

    def close(self) -> None:
        """Nothing to close: each change opens and locks the file itself."""

    # --- reading ------------------------------------------------------------------------------

    def inventory(self) -> Inventory:
        """The whole validated inventory, true locations included (coordinators only)."""
        return self._current().inventory

    def public(self) -> PublicInventory:
        """The public view: what everyone else reads."""
        state = self._current()
        if state.public is None:
            state.public = public_view(state.inventory)
        return state.public

    def version(self, service_id: str) -> str:
        """The service's current version (`pathways show ... --json`'s `version`)."""
        state = self._current()
        return service_version(state.inventory, service_of(state.inventory, service_id))

    def within(self, lat: float, lon: float, metres: float) -> list[tuple[str, float]]:
        """The services whose public place lies within `metres` of (lat, lon), nearest first,
        with their geodesic distance in metres (WGS84)."""
        found = [
            (s.id, distance_m(lat, lon, s.location.lat, s.location.lon))
            for s in self.public().services
        ]
        return sorted(((sid, d) for sid, d in found if d <= metres), key=lambda x: (x[1], x[0]))

    def history(self, service_id: str | None = None) -> Sequence[Change]:
        """Every applied change, oldest first (of one service and its routes, or of all)."""
        changes = [Change.from_dict(d) for d in read_lines(self.history_path)]
        return [c for c in changes if service_id is None or c.touches(service_id)]

    def _current(self) -> _State:
        """The file's state, loaded again only when its bytes changed since last read."""
        try:
            data = self.path.read_bytes()
        except OSError as e:
            raise InventoryError(f"{display_path(self.path)}: cannot read: {e.strerror}") from None
        if self._state is not None and self._state.data == data:
            return self._state
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            read_site(self.path)  # says where the file is not UTF-8
            raise
        inventory = validate_text(text, self.path)
        self._state = _State(data, text, inventory, _checked(scan(text), inventory))
        return self._state

    # --- changing one service -----------------------------------------------------------------

    def edit(self, service_id: str, changes: Mapping[str, str], *, user: str, base: str) -> Change:
        """Set fields (`{"hours.mon": "09:00-17:00", "languages": "fr,ar"}`) of one service."""
        with locked(self.path):
            state = self._current()
            change = self._edited(state, service_id, changes, user=user, base=base)
            self._commit(state, *change)
            return change[1]

    def verify(self, service_id: str, *, user: str, on: dt.date | None = None) -> Change:
        """Record that the service was confirmed (`last_verified`): clears its stale gap."""
        day = verified_on(on)

        def change(record: Any) -> None:
            set_path(record, ("last_verified",), day)

        return self._locked_change(service_id, "verify", change, ("last_verified",), user)

    def suspend(self, service_id: str, *, user: str, until: dt.date, reason: str) -> Change:
        """Close a service for a while: it drops out of routes and shows as suspended."""
        reason = suspension_reason(until, reason)

        def change(record: Any) -> None:
            value = CommentedMap(until=until, reason=styled(reason, None))
            value.fa.set_flow_style()
            record["suspended"] = value

        return self._locked_change(
            service_id, "suspend", change, ("suspended",), user, reason=reason
        )

    def resume(self, service_id: str, *, user: str) -> Change:
        """End a suspension."""

        def change(record: Any) -> None:
            if "suspended" not in record:
                raise InventoryError(f"resume: {service_id} is not suspended")
            del record["suspended"]

        return self._locked_change(service_id, "resume", change, ("suspended",), user)

    def _locked_change(
        self,
        service_id: str,
        action: Any,
        change: Callable[[Any], None],
        path: tuple[str, ...],
        user: str,
        reason: str | None = None,
    ) -> Change:
        """A change of one field of a service that needs no base (verify, suspend, resume)."""
        check_user(user)
        with locked(self.path):
            state = self._current()
            i = _index(state.inventory, service_id)
            applied = self._apply(state, _Op("services", i, change), {service_id})
            made = _service_change(applied, service_id, action, [path], user, reason=reason)
            self._commit(state, applied, made)
            return made

    def _edited(
        self,
        state: _State,
        service_id: str,
        changes: Mapping[str, str],
        *,
        user: str,
        base: str,
        reason: str | None = None,
    ) -> tuple[_Applied, Change]:
        """An edit made and validated (not written), after the checks of user and base."""
        check_user(user)
        specs = parsed_changes(changes)
        i = _index(state.inventory, service_id)
        _check_base(self, state.inventory, service_id, base)

        change = setting(specs)

        applied = self._apply(state, _Op("services", i, change), {service_id})
        paths = [spec.path for spec, _ in specs]
        return applied, _service_change(applied, service_id, "edit", paths, user, reason=reason)

    # --- adding and removing ------------------------------------------------------------------

    def add_service(self, record: Mapping[str, Any], *, user: str) -> Change:
        """Add a service (a record as the inventory format writes it)."""
        check_user(user)
        sid = record.get("id")
        if not isinstance(sid, str) or not sid:
            raise InventoryError("add: the service has no id")
        item = record if isinstance(record, CommentedMap) else plain_record(_dated(record))
        with locked(self.path):
            state = self._current()
            if sid in state.inventory.by_id:
                site = state.inventory.site.id
                raise InventoryError(f"add: {sid} is already a service of {site}")
            applied = self._apply(state, _Op("services", None, record=item), {sid})
            secret = is_secret(applied.after)
            fields = tuple(
                FieldChange(k, None, shown(v, k, secret)) for k, v in record_items(applied.after)
            )
            made = new_change("add", user, sid, fields, _version_after(applied, sid))
            self._commit(state, applied, made)
            return made

    def remove_service(self, service_id: str, *, user: str, base: str) -> Change:
        """Remove a service (refused while referral routes still use it)."""
        check_user(user)
        with locked(self.path):
            state = self._current()
            i = _index(state.inventory, service_id)
            _check_base(self, state.inventory, service_id, base)
            check_unused(state.inventory, service_id)
            applied = self._apply(state, _Op("services", i, remove=True), {service_id})
            secret = is_secret(applied.before)
            fields = tuple(
                FieldChange(k, shown(v, k, secret), None) for k, v in record_items(applied.before)
            )
            made = new_change("remove", user, service_id, fields, None)
            self._commit(state, applied, made)
            return made

    def add_referral(self, record: Mapping[str, Any], *, user: str) -> Change:
        """Add a referral route (`{"from": ..., "to": ..., "needs": [...], ...}`)."""
        check_user(user)
        item = _referral_record(record)
        pair = (str(item.get("from")), str(item.get("to")))
        with locked(self.path):
            state = self._current()
            flow = _flow_items(state.layout, "referrals")
            applied = self._apply(state, _Op("referrals", None, record=item), set(), flow=flow)
            fields = (FieldChange("referral", None, applied.after),)
            made = new_change("add_referral", user, pair[0], fields, None, referral=pair)
            self._commit(state, applied, made)
            return made

    def remove_referral(self, source: str, target: str, *, user: str) -> Change:
        """Remove the referral route from `source` to `target`."""
        check_user(user)
        with locked(self.path):
            state = self._current()
            j = referral_index(state.inventory, source, target)
            applied = self._apply(state, _Op("referrals", j, remove=True), set())
            fields = (FieldChange("referral", applied.before, None),)
            made = new_change(
                "remove_referral", user, source, fields, None, referral=(source, target)
            )
            self._commit(state, applied, made)
            return made

    # --- proposals ----------------------------------------------------------------------------

    def propose(
        self, service_id: str, changes: Mapping[str, str], *, user: str, base: str
    ) -> Proposal:
        """Queue a change for review (validated now, applied only when accepted)."""
        with locked(self.path):
            state = self._current()
            s = service_of(state.inventory, service_id)
            if s.confidential and any(is_place(k) for k in changes):
                raise InventoryError(
                    f"propose: {service_id} is confidential: its place is changed by a "
                    "coordinator's edit, never through the review queue"
                )
            self._edited(state, service_id, changes, user=user, base=base)  # checks only
            events = read_lines(self.proposals_path)
            pid = f"p{sum(e.get('event') == 'proposed' for e in events) + 1}"
            proposal = Proposal(
                pid, clock.now(), user, service_id, dict(changes), base, status="pending"
            )
            append_line(self.proposals_path, {"event": "proposed", **proposal.to_dict()})
            return proposal

    def proposals(self, status: str | None = "pending") -> Sequence[Proposal]:
        """The review queue (pending proposals by default), oldest first."""
        found = fold_proposals(read_lines(self.proposals_path))
        return [p for p in found.values() if status is None or p.status == status]

    def accept(self, proposal_id: str, *, user: str) -> Change:
        """Apply a proposal (a coordinator's decision); refused if the service changed since."""
        with locked(self.path):
            state = self._current()
            proposal = self._pending(state, proposal_id, user)
            reason = f"proposal {proposal.id} by {proposal.user}"
            applied, made = self._edited(
                state,
                proposal.service,
                proposal.changes,
                user=user,
                base=proposal.base,
                reason=reason,
            )
            self._commit(state, applied, made)
            self._decide(proposal, "accepted", user, None)
            return made

    def reject(self, proposal_id: str, *, user: str, note: str | None = None) -> Proposal:
        """Decline a proposal."""
        with locked(self.path):
            state = self._current()
            proposal = self._pending(state, proposal_id, user)
            return self._decide(proposal, "rejected", user, note)

    def _pending(self, state: _State, proposal_id: str, user: str) -> Proposal:
        """The pending proposal, once the user is known to be a coordinator of the site."""
        check_user(user)
        site = state.inventory.site
        if site.coordinators and user not in site.coordinators:
            raise InventoryError(
                f"{user} is not a coordinator of {site.id} (site.coordinators: "
                f"{', '.join(site.coordinators)}); only they accept or reject proposals"
            )
        found = fold_proposals(read_lines(self.proposals_path))
        return pending_proposal(found, proposal_id, "")

    def _decide(self, proposal: Proposal, status: str, user: str, note: str | None) -> Proposal:
        at = clock.now()
        event = {"event": status, "id": proposal.id, "at": at.isoformat(timespec="seconds")}
        append_line(self.proposals_path, {**event, "user": user, "note": note})
        return decided(proposal, status, user, at, note)

    # --- the locked step ----------------------------------------------------------------------

    def _apply(self, state: _State, op: _Op, touched: set[str], *, flow: bool = False) -> _Applied:
        """The change made and validated, on the item's lines when the layout allows it."""
        if self.path.suffix.lower() not in EDITABLE_SUFFIXES:
            raise InventoryError(
                f"{display_path(self.path)}: the YAML store edits .yaml inventories "
                "(convert this one with pathways import)"
            )
        if state.layout is not None:
            try:
                return self._apply_lines(state, state.layout, op, touched, flow)
            except NotFaithful:
                pass
        return self._apply_document(state, op, flow)

    def _apply_lines(
        self, state: _State, layout: Layout, op: _Op, touched: set[str], flow: bool
    ) -> _Applied:
        """`_apply` on one item's lines, validated by `revalidate`."""
        key, inv = op.key, state.inventory
        records: list[Any] = list(inv.services if key == "services" else inv.referrals)
        before = after = None
        if op.remove:
            assert op.index is not None
            before = _raw(key, layout.item_text(key, op.index), self.path)
            new_layout = layout.removed(key, op.index)
            del records[op.index]
        elif op.index is None:
            text = new_item(key, op.record, self._indent_of(layout, key), flow=flow)
            after = _raw(key, text, self.path)
            new_layout = layout.appended(key, text.split("\n")[:-1])
            records.append(after)
        else:
            assert op.change is not None
            old = layout.item_text(key, op.index)
            text, self._indent[key] = edit_item(key, old, op.change, self._indent.get(key))
            before, after = _raw(key, old, self.path), _raw(key, text, self.path)
            new_layout = layout.replaced(key, op.index, text.split("\n")[:-1])
            records[op.index] = after
        text = "\n".join(new_layout.lines)
        inventory = revalidate(
            inv,
            text,
            services=records if key == "services" else inv.services,
            referrals=records if key == "referrals" else inv.referrals,
            touched=touched,
            outline=new_layout.outline,
        )
        if new_layout.newline != "\n":
            text = text.replace("\n", new_layout.newline)
        return _Applied(_State(text.encode("utf-8"), text, inventory, new_layout), before, after)

    def _apply_document(self, state: _State, op: _Op, flow: bool) -> _Applied:
        """`_apply` on the whole document (an unusual layout), validated in full."""
        key = op.key

        def change(data: Any) -> None:
            items = data.get(key)
            if items is None:
                items = data[key] = []
            if op.remove:
                del items[op.index]
            elif op.index is None:
                if flow and isinstance(op.record, CommentedMap):
                    op.record.fa.set_flow_style()
                items.append(op.record)
            elif op.change is not None:
                op.change(items[op.index])

        text = edit_document(state.text, change)
        inventory = validate_text(text, self.path)
        before = after = None
        if op.index is not None:
            before = _raw_at(state.text, key, op.index, self.path)
        if not op.remove:
            after = _raw_at(text, key, op.index if op.index is not None else -1, self.path)
        layout = _checked(scan(text), inventory)
        return _Applied(_State(text.encode("utf-8"), text, inventory, layout), before, after)

    def _indent_of(self, layout: Layout, key: str) -> Indent:
        """The indentation of a list's items (of `services` when the list has none yet)."""
        if key not in self._indent:
            for name in (key, "services"):
                if layout.outline.items.get(name):
                    sample = f"{name}:\n{layout.item_text(name, 0)}"
                    self._indent[key] = faithful_indent(sample)
                    break
            else:
                self._indent[key] = (2, 4, 2)
        return self._indent[key]

    def _commit(self, state: _State, applied: _Applied, made: Change) -> None:
        """Write the new file, then its history line; without the line, the file goes back."""
        replace_atomically(self.path, applied.state.data)
        try:
            append_line(self.history_path, made.to_dict())
        except InventoryError:
            replace_atomically(self.path, state.data)
            raise
        self._state = applied.state


# --- helpers -----------------------------------------------------------------------------------


def _checked(layout: Layout | None, inventory: Inventory) -> Layout | None:
    """The layout, if its items are the inventory's records (else None: edit whole documents)."""
    if layout is None:
        return None
    services = layout.outline.items.get("services", [])
    referrals = layout.outline.items.get("referrals", [])
    if len(services) != len(inventory.services) or len(referrals) != len(inventory.referrals):
        return None
    for s, (first, end) in zip(inventory.services, services, strict=True):
        line = layout.lines[first]
        if line.endswith(f"- id: {s.id}"):  # most files: the id first, plain
            continue
        text = "\n".join(layout.lines[first:end])
        if not re.search(rf"\bid:\s*['\"]?{re.escape(s.id)}['\"]?\s*(,|}}|$)", text, re.M):
            return None
    return layout


def _index(inventory: Inventory, service_id: str) -> int:
    service_of(inventory, service_id)  # an unknown id: an error naming the close ones
    return next(i for i, s in enumerate(inventory.services) if s.id == service_id)


def _check_base(store: YamlStore, inventory: Inventory, service_id: str, base: str) -> None:
    """Refuse a change made on another version than the current one, naming who made it."""
    current = service_version(inventory, service_of(inventory, service_id))
    if base != current:
        last = [c for c in store.history(service_id) if c.service == service_id and not c.referral]
        raise Conflict(service_id, base, current, last[-1] if last else None)


def _referral_record(record: Mapping[str, Any]) -> Any:
    """A referral as the file writes it: `for` (not `needs`) and plain values."""
    item = {("for" if k == "needs" else k): v for k, v in record.items()}
    for key in ("from", "to"):
        if not isinstance(item.get(key), str):
            raise InventoryError(f"add: a referral route needs '{key}' (a service id)")
    if isinstance(record, CommentedMap) and "needs" not in record:
        return record  # as written, comments and all
    return plain_record(item)


def _dated(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record with its date fields' `YYYY-MM-DD` texts as dates (written unquoted)."""
    out = dict(record)
    for key, value in record.items():
        try:
            kind = field_spec(key).kind if isinstance(value, str) else None
        except InventoryError:
            continue  # not a field: validation says so
        if kind == "date":
            with contextlib.suppress(ValueError):
                out[key] = dt.date.fromisoformat(value)
    return out


def _flow_items(layout: Layout | None, key: str) -> bool:
    """Are a list's items written as flow mappings (`- {from: ..., to: ...}`)?"""
    if layout is None or not layout.outline.items.get(key):
        return False
    first, _ = layout.outline.items[key][-1]
    return layout.lines[first].lstrip(" -").startswith("{")


def _raw(key: str, item_text: str, path: Path) -> Any:
    """An item as the loader reads it (NotFaithful when it cannot be read alone: an alias to
    an anchor elsewhere; the whole document is then edited and validated)."""
    try:
        return read_fragment(f"{key}:\n{item_text}", display_path(path))[key][0]
    except ValidationError:
        raise NotFaithful("the item cannot be read without the rest of the file") from None


def _raw_at(text: str, key: str, index: int, path: Path) -> Any:
    """Item `index` of list `key` of a whole text, as the loader reads it."""
    items = read_fragment(text, display_path(path)).get(key) or []
    return items[index] if -len(items) <= index < len(items) else None


def _version_after(applied: _Applied, service_id: str) -> str:
    inventory = applied.state.inventory
    return service_version(inventory, inventory.by_id[service_id])


def _service_change(
    applied: _Applied,
    service_id: str,
    action: Any,
    paths: Sequence[tuple[str, ...]],
    user: str,
    *,
    reason: str | None = None,
) -> Change:
    """The history's record of a change of fields of one service."""
    fields = field_changes(applied.before, applied.after, paths)
    version = _version_after(applied, service_id)
    return new_change(action, user, service_id, fields, version, reason=reason)


__all__ = ["HISTORY_SUFFIX", "PROPOSALS_SUFFIX", "YamlStore"]
