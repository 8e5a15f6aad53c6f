"""Editing a service from the app: the form's fields, the changes it sends, and what a store
answers (saved, proposed, refused, in conflict), history and review-queue rows.

Plain Python on `Service` records and the `Store` interface (`pathways.io.store`), no
Streamlit: the pages read widgets and draw what these functions return.

- **Identity** is a staff identifier (never a survivor's name): from a reverse proxy's header,
  an OpenID Connect sign-in (`user_from_claims`), or, with the YAML store only, a sign-in box
  (which is not authentication). With the shared database it is the user's database role.
- **Powers**: what a user may do (`Powers`) comes from the site's named coordinators with the
  YAML store (`file_powers`), from the user's database role with the shared one
  (`role_powers`).
- **Fields** are the store's dotted paths (`contact.phone`, `hours.mon`); every value is text
  as the command line's `--set FIELD=VALUE` writes it (`languages=fr,ar`, `entry_point=true`),
  and only the fields whose value changed are sent.
- **Confidential places**: the exact location of a confidential service is shown and accepted
  only for a coordinator of its site; its history and conflicts show `location.*` withheld for
  everyone else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pathways.i18n import N_, colon, day_name, t
from pathways.io.store import Change, Conflict, FieldChange, Proposal, Store
from pathways.model.errors import InventoryError, ValidationError
from pathways.model.inventory import DAYS, Service, Site

# --- identity ------------------------------------------------------------------------------------

USER_HEADER_ENV = "ATLAS_USER_HEADER"
"""Environment variable naming the reverse proxy's header that carries the user name."""

DEFAULT_USER_HEADER = "X-Forwarded-User"

_STAFF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
"""What the store takes as a user (`pathways.model.inventory.StaffId`)."""


def staff_id(text: str | None) -> str | None:
    """A staff identifier as typed or sent by a proxy (`amina.k`, `a.k@ngo.org`), trimmed; None
    when empty or not one (spaces, more than 64 characters, punctuation other than `._@-`)."""
    value = (text or "").strip()
    return value if _STAFF_ID.match(value) else None


def user_header(configured: str | None, *, shared: bool) -> str | None:
    """The request header that names the user: `$ATLAS_USER_HEADER`, else `X-Forwarded-User`;
    with the shared database (`shared`) only a header the deployment names, since the name
    becomes a database role (a proxy in front of a single sign-on app may pass a client's
    `X-Forwarded-User` on untouched). None: no header is trusted."""
    value = (configured or "").strip()
    if value:
        return value
    return None if shared else DEFAULT_USER_HEADER


def user_from_headers(headers: Mapping[str, str], header: str = DEFAULT_USER_HEADER) -> str | None:
    """The user the reverse proxy names in `header` (any case), or None."""
    wanted = header.lower()
    for name, value in headers.items():
        if name.lower() == wanted:
            return staff_id(value)
    return None


def coordinators(site: Site) -> tuple[str, ...]:
    """The staff identifiers the site names as its coordinators (none when it names none)."""
    return site.coordinators


def may_review(site: Site, user: str | None) -> bool:
    """May `user` apply changes and decide proposals? A coordinator of the site does; a site
    that names no coordinators lets anyone signed in."""
    named = coordinators(site)
    return user is not None and (not named or user in named)


def may_see_location(site: Site, service: Service, user: str | None) -> bool:
    """May `user` see and change where the service is? Anyone for a public service; only a
    coordinator the site names for a confidential one."""
    return not service.confidential or (user is not None and user in coordinators(site))


CLAIM_ENV = "ATLAS_OIDC_CLAIM"
"""Environment variable naming the OpenID Connect claim that carries the staff identifier
(default: `preferred_username`, else `email`)."""

DOMAIN_ENV = "ATLAS_OIDC_DOMAIN"
"""Environment variable: the one e-mail domain accepted from the identity provider; its
addresses become the part before `@` (`amina@ngo.org` -> `amina`), any other is refused."""

DEFAULT_CLAIMS = ("preferred_username", "email")


def user_from_claims(
    claims: Mapping[str, Any], *, claim: str | None = None, domain: str | None = None
) -> str | None:
    """The staff identifier of a user signed in with OpenID Connect (`st.user`), or None.

    Only a user the provider signed in (`is_logged_in` true) has one: the value of `claim`
    (default: `preferred_username`, else `email`); an e-mail address the provider says is not
    verified is refused. With `domain`, only addresses of that domain are taken, as the part
    before `@`; without it, the value is the identifier as it is (`amina@ngo.org`).
    """
    if claims.get("is_logged_in") is not True:
        return None
    names = (claim,) if claim else DEFAULT_CLAIMS
    name = next((n for n in names if isinstance(claims.get(n), str) and claims[n]), None)
    if name is None or (name == "email" and claims.get("email_verified") is False):
        return None
    value = str(claims[name]).strip()
    if domain:
        local, at, host = value.rpartition("@")
        if not at or host.lower() != domain.strip().lstrip("@").lower():
            return None
        value = local
    return staff_id(value)


def login_providers(auth: Mapping[str, Any]) -> list[str | None]:
    """The OpenID Connect providers an `[auth]` section of `.streamlit/secrets.toml` sets up:
    None for the one configured in `[auth]` itself, then each `[auth.NAME]` with a client."""
    named = sorted(k for k, v in auth.items() if isinstance(v, Mapping) and "client_id" in v)
    return ([None] if "client_id" in auth else []) + list(named)


# --- who may do what ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Powers:
    """What a signed-in user may do at a site (and with one of its services).

    `member`: they have a role there (else they read it and change nothing); `save`: their
    changes apply at once (else they are proposed); `verify`, `suspend` (and resume); `review`:
    decide the site's proposals; `places`: read the true places of its confidential services.
    """

    member: bool = True
    save: bool = False
    verify: bool = False
    suspend: bool = False
    review: bool = False
    places: bool = False

    def location(self, service: Service) -> bool:
        """May they see and change where `service` is?"""
        return not service.confidential or self.places


READ_ONLY = Powers(member=False)

REVIEWING_ROLES = ("coordinator", "admin")


def file_powers(site: Site, user: str) -> Powers:
    """The YAML store's rules: anyone signed in proposes and verifies; a coordinator the site
    names (anyone, when it names none) saves, suspends and reviews; only a named coordinator
    reads confidential places."""
    review = may_review(site, user)
    places = user in coordinators(site)
    return Powers(save=review, verify=True, suspend=review, review=review, places=places)


def role_powers(
    role: str | None, organisation: str | None = None, service: Service | None = None
) -> Powers:
    """The shared database's rules for a role at a site (None: no role, read only): a viewer
    proposes; an editor also saves, verifies and suspends the services of their organisation
    (and proposes for the others); a coordinator or admin does everything."""
    if role is None:
        return READ_ONLY
    if role in REVIEWING_ROLES:
        return Powers(save=True, verify=True, suspend=True, review=True, places=True)
    own = (
        role == "editor"
        and service is not None
        and organisation is not None
        and service.organisation == organisation
    )
    return Powers(save=own, verify=own, suspend=own)


# --- the form ------------------------------------------------------------------------------------

Kind = Literal["text", "long", "bool", "choice"]
HoursMode = Literal["days", "text"]
HOURS_MODES: tuple[HoursMode, ...] = ("days", "text")
HOURS_MODE_LABELS: dict[HoursMode, str] = {
    "days": N_("edit_hours_days"),
    "text": N_("edit_hours_text"),
}

COSTS = ("free", "low", "fee")
LOCATION = ("location.address", "location.lat", "location.lon")
"""The fields that say where a service is (withheld for a confidential one)."""

DAY_FIELDS = tuple(f"hours.{d}" for d in DAYS)
"""The hours of each weekday, when the form edits them per day."""

LIST_FIELDS = frozenset({"categories", "languages"})

LABELS: dict[str, str] = {
    "name": N_("edit_name"),
    "organisation": N_("organisation"),
    "description": N_("description"),
    "categories": N_("categories"),
    "entry_point": N_("entry_point"),
    "hours": N_("hours"),
    "hours_note": N_("hours_note"),
    "languages": N_("languages"),
    "interpretation": N_("interpretation"),
    "cost": N_("cost"),
    "contact.phone": N_("edit_phone"),
    "contact.email": N_("edit_email"),
    "contact.website": N_("edit_website"),
    "location.address": N_("edit_address"),
    "location.lat": N_("edit_lat"),
    "location.lon": N_("edit_lon"),
    "notes": N_("notes"),
    "last_verified": N_("last_verified"),
    "suspended": N_("edit_suspended"),
    "confidential": N_("edit_confidential"),
}
"""The label key of each field the app names (others are shown by their path)."""

_FORM_LABELS = {"hours": N_("edit_hours_osm"), "languages": N_("edit_languages")}
"""Form labels that say how to write the value (elsewhere the field's label, `LABELS`)."""

_BEFORE_HOURS = ("name", "organisation", "description", "categories", "entry_point")
_AFTER_HOURS = (
    "hours_note",
    "languages",
    "interpretation",
    "cost",
    "contact.phone",
    "contact.email",
    "contact.website",
)
_KINDS: dict[str, Kind] = {
    "description": "long",
    "notes": "long",
    "entry_point": "bool",
    "interpretation": "bool",
    "cost": "choice",
}


@dataclass(frozen=True)
class FormField:
    """One input of the edit form: the store's field, its label, the widget kind and the value
    as text (`""` for none)."""

    key: str
    label: str
    kind: Kind
    value: str
    options: tuple[str, ...] = ()
    option_labels: tuple[str, ...] = ()
    placeholder: str | None = None


def field_label(key: str, lang: str = "en") -> str:
    """The label of a field in `lang`: `hours.mon` is the day's name, an unknown path itself."""
    if key.startswith("hours.") and key[6:] in DAYS:
        return f"{t('hours', lang)} ({day_name(DAYS.index(key[6:]), lang)})"
    return t(LABELS[key], lang) if key in LABELS else key


def hours_mode(service: Service) -> HoursMode:
    """How the form edits the hours: per day when the inventory writes them per day, else as
    one OpenStreetMap `opening_hours` text (`24/7`, `unknown`, `Mo-Fr 08:00-17:00`)."""
    hours = service.hours
    return "days" if hours.known and hours.osm is None and not hours.is_24_7 else "text"


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def field_value(service: Service, key: str) -> str:
    """The value of a field as the form shows it and the store takes it (`""` for none)."""
    if key.startswith("hours.") and key[6:] in DAYS:
        ranges = service.hours.week[DAYS.index(key[6:])] if service.hours.known else ()
        return ",".join(f"{_hm(a)}-{_hm(b)}" for a, b in ranges)
    if key == "hours":
        return service.hours.to_osm()
    head, _, tail = key.partition(".")
    value: Any = getattr(service, head, None)
    if tail:
        value = getattr(value, tail, None)
    return value_text(value)


def value_text(value: Any) -> str:
    """A stored value as text: lists joined by commas, booleans `true`/`false`, none empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(value_text(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k} {value_text(v)}" for k, v in value.items())
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def form_fields(
    service: Service, lang: str = "en", *, mode: HoursMode, location: bool
) -> list[FormField]:
    """The edit form's inputs, in order: the hours per day or as one text (`mode`), and where
    the service is only when `location` (see `may_see_location`)."""
    hours = DAY_FIELDS if mode == "days" else ("hours",)
    keys = [*_BEFORE_HOURS, *hours, *_AFTER_HOURS, *(LOCATION if location else ()), "notes"]
    return [_form_field(service, key, lang) for key in keys]


def _form_field(service: Service, key: str, lang: str) -> FormField:
    kind = _KINDS.get(key, "text")
    if key in _FORM_LABELS:  # says which text it takes
        return FormField(key, t(_FORM_LABELS[key], lang), kind, field_value(service, key))
    if key in DAY_FIELDS:  # an empty day is closed
        value = field_value(service, key)
        return FormField(
            key, field_label(key, lang), kind, value, placeholder=t("edit_closed", lang)
        )
    if kind != "choice":
        return FormField(key, field_label(key, lang), kind, field_value(service, key))
    labels = tuple(t("cost_" + c, lang) for c in COSTS)
    return FormField(key, field_label(key, lang), kind, field_value(service, key), COSTS, labels)


_GROUPS: tuple[frozenset[str], ...] = (
    frozenset(
        {"name", "organisation", "description", "categories", "entry_point", "cost", "notes"}
    ),
    frozenset({"hours", *DAY_FIELDS, "hours_note", "languages", "interpretation"}),
)
"""The form's columns: what the service is; when and in which languages; how to reach it and
where (the rest)."""


def form_groups(fields: Sequence[FormField]) -> list[list[FormField]]:
    """The form's fields in three columns (`_GROUPS`), each in the form's order."""
    return [
        [f for f in fields if f.key in _GROUPS[0]],
        [f for f in fields if f.key in _GROUPS[1]],
        [f for f in fields if not any(f.key in g for g in _GROUPS)],
    ]


def normalise(key: str, value: Any) -> str:
    """A submitted value as the store takes it: trimmed text, lists `a,b` without spaces,
    booleans `true`/`false`, an emptied day `closed`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = "" if value is None else str(value).strip()
    if key in LIST_FIELDS:
        return ",".join(part for part in re.split(r"[\s,;]+", text) if part)
    if key.startswith("hours.") and key[6:] in DAYS:
        text = re.sub(r"\s+", "", text)
        return text if text and text.lower() not in ("closed", "-") else "closed"
    return text


def changes(initial: Mapping[str, str], submitted: Mapping[str, Any]) -> dict[str, str]:
    """The fields whose submitted value differs from the form's initial one (as text), in the
    form's order; a field the initial form did not have counts when it is not empty."""
    out: dict[str, str] = {}
    for key, raw in submitted.items():
        value = normalise(key, raw)
        before = normalise(key, initial[key]) if key in initial else None
        if before is None and value in ("", "closed"):
            continue
        if value != before:
            out[key] = value
    return out


@dataclass(frozen=True)
class EditState:
    """The edit form as it was opened: the service (`site/id`), the version it showed (the
    `base` every change is checked against), the hours' form in the record, and the value of
    every field it may send (`location`: whether where the service is is among them)."""

    key: str
    base: str
    mode: HoursMode
    initial: Mapping[str, str]
    location: bool


def open_form(service: Service, key: str, base: str, *, location: bool) -> EditState:
    """The state of a form opened on `service` at version `base`."""
    fields = [*_BEFORE_HOURS, "hours", *DAY_FIELDS, *_AFTER_HOURS, "notes"]
    fields += LOCATION if location else ()
    initial = {k: field_value(service, k) for k in fields}
    return EditState(key, base, hours_mode(service), initial, location)


def form_changes(state: EditState, submitted: Mapping[str, Any]) -> dict[str, str]:
    """What a submitted form sends: the changed fields; never where a service is unless the
    form showed it; hours written as one text that become hours per day are unset (`hours=`)
    and every day set, in the same change."""
    allowed = {k: v for k, v in submitted.items() if state.location or k not in LOCATION}
    out = changes(state.initial, allowed)
    if state.mode == "text" and any(k in out for k in DAY_FIELDS):
        days = {k: normalise(k, allowed.get(k, state.initial[k])) for k in DAY_FIELDS}
        out = {"hours": "", **days, **{k: v for k, v in out.items() if k not in days}}
    return out


def reapply(mine: Mapping[str, str], service: Service) -> dict[str, str]:
    """A user's changes to send again on top of the current record: those that still differ."""
    return {k: v for k, v in mine.items() if normalise(k, field_value(service, k)) != v}


# --- what the store answers ----------------------------------------------------------------------

OutcomeKind = Literal["saved", "proposed", "rejected", "unchanged", "invalid", "conflict"]


@dataclass(frozen=True)
class Outcome:
    """What became of a submitted form: the change or proposal, or why it was refused."""

    kind: OutcomeKind
    sent: Mapping[str, str] = field(default_factory=dict)
    change: Change | None = None
    proposal: Proposal | None = None
    conflict: Conflict | None = None
    problems: tuple[str, ...] = ()


def submit(
    store: Store,
    service_id: str,
    sent: Mapping[str, str],
    *,
    user: str,
    base: str,
    propose: bool,
    lang: str = "en",
) -> Outcome:
    """Send the changed fields: applied (`store.edit`) or queued for review (`store.propose`).

    A conflict (the service changed since `base`) and a refused value come back as an
    `Outcome`, the problems one line each in `lang` where the message is known.
    """
    if not sent:
        return Outcome("unchanged")
    try:
        if propose:
            proposal = store.propose(service_id, sent, user=user, base=base)
            return Outcome("proposed", sent, proposal=proposal)
        return Outcome("saved", sent, change=store.edit(service_id, sent, user=user, base=base))
    except Conflict as e:
        return Outcome("conflict", sent, conflict=e)
    except InventoryError as e:
        return Outcome("invalid", sent, problems=problem_lines(e, lang))


def resubmit(
    store: Store,
    service_id: str,
    mine: Mapping[str, str],
    *,
    user: str,
    propose: bool,
    lang: str = "en",
) -> Outcome:
    """After a conflict: read the service again and send my changes on top of its current
    version (those that still differ from it)."""
    base = store.version(service_id)
    current = store.inventory().service(service_id)
    return submit(
        store, service_id, reapply(mine, current), user=user, base=base, propose=propose, lang=lang
    )


def act(
    store: Store, action: str, service_id: str, *, user: str, lang: str = "en", **options: Any
) -> Outcome:
    """Verify, suspend or resume a service (`options`: `until` and `reason` to suspend)."""
    try:
        if action == "verify":
            change = store.verify(service_id, user=user)
        elif action == "suspend":
            change = store.suspend(service_id, user=user, **options)
        else:
            change = store.resume(service_id, user=user)
    except Conflict as e:
        return Outcome("conflict", conflict=e)
    except InventoryError as e:
        return Outcome("invalid", problems=problem_lines(e, lang))
    return Outcome("saved", change=change)


def suspend_options(until: dt.date | None, reason: str, lang: str = "en") -> dict[str, Any]:
    """`until` and `reason` for `act(..., "suspend")`; InventoryError naming what is missing."""
    missing = [t("edit_until", lang)] if until is None else []
    missing += [] if reason.strip() else [t("edit_reason", lang)]
    if missing:
        raise InventoryError(t("edit_missing", lang, fields=", ".join(missing)))
    return {"until": until, "reason": reason.strip()}


def decide(
    store: Store, proposal_id: str, *, accept: bool, user: str, note: str = "", lang: str = "en"
) -> Outcome:
    """A coordinator's decision on a proposal: applied, or declined with an optional note."""
    try:
        if accept:
            return Outcome("saved", change=store.accept(proposal_id, user=user))
        proposal = store.reject(proposal_id, user=user, note=note.strip() or None)
        return Outcome("rejected", proposal=proposal)
    except Conflict as e:
        return Outcome("conflict", conflict=e)
    except InventoryError as e:
        return Outcome("invalid", problems=problem_lines(e, lang))


DONE: dict[str, str] = {
    "edit": N_("edit_saved"),
    "verify": N_("edit_verified"),
    "suspend": N_("edit_suspended_done"),
    "resume": N_("edit_resumed"),
}


def outcome_message(outcome: Outcome, lang: str = "en") -> str:
    """What the user is told of an outcome (a conflict's details are `conflict_view`'s)."""
    changed = list(outcome.sent) or [
        f.field for f in (outcome.change.fields if outcome.change else ())
    ]
    fields = ", ".join(field_label(k, lang) for k in changed)
    if outcome.kind == "saved":
        action = outcome.change.action if outcome.change else "edit"
        return t(DONE.get(action, "edit_saved"), lang, fields=fields)
    if outcome.kind == "rejected":
        return t("review_rejected", lang, user=outcome.proposal.user if outcome.proposal else "")
    keys = {
        "proposed": N_("edit_proposed"),
        "unchanged": N_("edit_unchanged"),
        "invalid": N_("edit_invalid"),
    }
    return t(keys.get(outcome.kind, "edit_conflict_unknown"), lang, fields=fields)


# --- messages in the user's language -------------------------------------------------------------

_SERVICE_PATH = re.compile(r"^services\[\d+\]\.?")
_INDEX = re.compile(r"\[\d+\]")

_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"'(?P<value>[^']*)' is not an ISO 639-1 or 639-3 language code"), N_("err_lang")),
    (
        re.compile(r"(?P<day>\w+): '(?P<value>[^']*)' is not a time range like '08:00-17:00'"),
        N_("err_range"),
    ),
    (re.compile(r"'(?P<value>[^']*)' is not a category"), N_("err_category")),
    (re.compile(r"string should have at least 1 character"), N_("err_empty")),
    (re.compile(r"not a real date \(YYYY-MM-DD\)"), N_("err_date")),
    (re.compile(r"(?P<value>\S+): input should be a valid number"), N_("err_number")),
    (re.compile(r"(?P<value>\S+): input should be a valid boolean"), N_("err_bool")),
    (re.compile(r"(?P<value>\S+): input should be 'free', 'low' or 'fee'"), N_("err_cost")),
    (re.compile(r"input should be (less|greater) than"), N_("err_bounds")),
)
"""The loader's messages the app says in the user's language (others stay as written)."""


def problem_lines(error: InventoryError, lang: str = "en") -> tuple[str, ...]:
    """One line per problem, `field: message`: the field labelled and the message translated
    when the app knows it (the loader's own words otherwise); no file names or line numbers."""
    if not isinstance(error, ValidationError):
        return tuple(line for line in str(error).splitlines() if line.strip())
    return tuple(_problem_line(p.field, p.message, lang) for p in error.problems)


def _problem_line(path: str, message: str, lang: str) -> str:
    key = _INDEX.sub("", _SERVICE_PATH.sub("", path))
    words = message
    for pattern, msg_key in _MESSAGES:
        found = pattern.search(message)
        if found:
            values = {k: v or "" for k, v in found.groupdict().items()}
            if "day" in values and values["day"] in DAYS:
                values["day"] = day_name(DAYS.index(values["day"]), lang)
            words = t(msg_key, lang, **values)
            break
    return f"{field_label(key, lang)}{colon(lang)}{words}" if key else words


# --- history, conflicts, proposals ---------------------------------------------------------------

ACTIONS: dict[str, str] = {
    "edit": N_("action_edit"),
    "verify": N_("action_verify"),
    "suspend": N_("action_suspend"),
    "resume": N_("action_resume"),
    "add": N_("action_add"),
    "remove": N_("action_remove"),
    "add_referral": N_("action_add_referral"),
    "remove_referral": N_("action_remove_referral"),
}


def when_text(at: dt.datetime, timezone: str = "UTC") -> str:
    """`2026-11-03 14:05` at the site's local time."""
    local = at.astimezone(ZoneInfo(timezone)) if at.tzinfo else at
    return local.strftime("%Y-%m-%d %H:%M")


def withholds(site: Site, service: Service, changes: Iterable[Change], user: str | None) -> bool:
    """True when where the service is must be withheld from `user` in its history and
    conflicts: it is (or once was) confidential, and `user` is not a coordinator the site names."""
    return withheld_from(service, changes, places=user is not None and user in coordinators(site))


def withheld_from(service: Service, changes: Iterable[Change], *, places: bool) -> bool:
    """True when where the service is must be withheld in its history and conflicts from
    someone who does not read confidential places (`places` False): it is, or once was,
    confidential."""
    confidential = service.confidential or any(
        f.field == "confidential" for c in changes for f in c.fields
    )
    return confidential and not places


STORE_WITHHELD = "(withheld)"
"""What the store writes in its history instead of a confidential service's place."""

PLACES = ("location", "intake")


def _shown(f: FieldChange, withhold: bool, lang: str) -> tuple[str, str]:
    hidden = t("edit_withheld", lang)
    if withhold and f.field.split(".")[0] in PLACES:
        return hidden, hidden
    before, after = value_text(f.before), value_text(f.after)
    return (
        hidden if before == STORE_WITHHELD else before,
        hidden if after == STORE_WITHHELD else after,
    )


def history_rows(
    changes: Sequence[Change], lang: str = "en", *, timezone: str = "UTC", withhold: bool
) -> list[dict[str, str]]:
    """One row per field changed (one per change without fields): when, who, what, before,
    after; oldest first, columns labelled in `lang`, places withheld when `withhold`."""
    rows: list[dict[str, str]] = []
    for c in changes:
        fields = c.fields or (FieldChange("", None, c.reason),)
        for f in fields:
            before, after = _shown(f, withhold, lang)
            rows.append(
                {
                    t("col_when", lang): when_text(c.at, timezone),
                    t("col_who", lang): c.user,
                    t("col_change", lang): t(ACTIONS.get(c.action, c.action), lang),
                    t("col_field", lang): field_label(f.field, lang) if f.field else "",
                    t("col_before", lang): before,
                    t("col_after", lang): after,
                }
            )
    return rows


@dataclass(frozen=True)
class ConflictView:
    """What the other person changed: who, when, and their fields before and after."""

    who: str
    when: str
    rows: list[dict[str, str]]


def conflict_view(
    conflict: Conflict, lang: str = "en", *, timezone: str = "UTC", withhold: bool
) -> ConflictView:
    """The winning change of a conflict, for the person whose change was refused."""
    by = conflict.by
    if by is None:
        return ConflictView("", "", [])
    rows = history_rows([by], lang, timezone=timezone, withhold=withhold)
    return ConflictView(by.user, when_text(by.at, timezone), rows)


@dataclass(frozen=True)
class ProposalView:
    """A pending proposal as a coordinator reviews it: each field's current and proposed value;
    `stale` when the service changed since the version it was proposed on."""

    id: str
    service: str
    name: str
    user: str
    when: str
    stale: bool
    rows: list[dict[str, str]]


def proposal_views(
    proposals: Sequence[Proposal],
    services: Mapping[str, Service],
    versions: Mapping[str, str],
    lang: str = "en",
    *,
    timezone: str = "UTC",
    withhold: Iterable[str] = (),
) -> list[ProposalView]:
    """The review queue: proposals of services still in the inventory, side by side with the
    current values (`withhold`: ids of services whose places are shown withheld)."""
    hidden = set(withhold)
    return [
        _proposal_view(p, services[p.service], versions.get(p.service), lang, timezone, hidden)
        for p in proposals
        if p.service in services
    ]


def _proposal_view(
    p: Proposal, s: Service, version: str | None, lang: str, timezone: str, hidden: set[str]
) -> ProposalView:
    rows = []
    for key, proposed in p.changes.items():
        current = field_value(s, key)
        if s.id in hidden and key.split(".")[0] in PLACES:
            current = proposed = t("edit_withheld", lang)
        rows.append(
            {
                t("col_field", lang): field_label(key, lang),
                t("col_current", lang): current,
                t("col_proposed", lang): proposed,
            }
        )
    stale = version is not None and version != p.base
    return ProposalView(p.id, s.id, s.name, p.user, when_text(p.at, timezone), stale, rows)
