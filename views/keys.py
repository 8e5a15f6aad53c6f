"""Every widget key of the app, in one place, so tests can find widgets by key."""

# --- sidebar (every page) -----------------------------------------------------------------------

SITES = "sites"
"""Sidebar multiselect of site ids (shared by every page; default: all loaded sites, or the
sites named by `?site=brussels,rome` on the first visit)."""

LANG = "lang"
"""Sidebar radio: language of labels and gap sentences ("en" or "fr"; default: `?lang=`, else
the browser's language, else English)."""

USER = "user"
"""Session state (not a widget): the staff identifier signed in with the sidebar's box, YAML
store only (the reverse proxy's header, then OpenID Connect, come first;
`views._common.current_user`)."""

SIGN_IN = "sign_in"
"""Sidebar form holding the sign-in box (CSS class `st-key-sign_in`)."""

SIGN_IN_NAME = "sign_in_name"
"""Sidebar text input (in `SIGN_IN`): a staff identifier."""

SIGN_IN_BUTTON = "sign_in_button"
"""Sidebar form submit button: sign in as `SIGN_IN_NAME`."""

SIGN_OUT = "sign_out"
"""Sidebar button: forget the signed-in name (or log out of the OpenID Connect provider)."""

LOG_IN = "log_in"
"""Sidebar button (with an `[auth]` section in `.streamlit/secrets.toml`): sign in with the
OpenID Connect provider (`st.login`); `log_in_<name>` for a named provider, see `log_in`."""


def log_in(provider: str | None) -> str:
    """The key of the sign-in button of an OpenID Connect provider (None: `[auth]`'s own)."""
    return LOG_IN if provider is None else f"{LOG_IN}_{provider}"


# --- Explore ------------------------------------------------------------------------------------

CATEGORIES = "map_categories"
"""Explore multiselect: only services offering one of these categories (empty: all)."""

LANGUAGE = "explore_language"
"""Explore selectbox: only services speaking this language (None: any)."""

INTERPRETATION = "explore_interpretation"
"""Explore checkbox: a service with interpretation counts as speaking the language (default on)."""

GROUP = "explore_group"
"""Explore selectbox: only services open to this group
(`views.viewmodels.explore.GROUP_CHOICES`)."""

AGE = "explore_age"
"""Explore number input: only services taking people of this age (None: any)."""

ENTRY_ONLY = "explore_entry_only"
"""Explore toggle: entry points only."""

OPEN = "explore_open"
"""Explore toggle: only services open at the day and time below."""

DAY = "explore_day"
"""Explore selectbox: weekday (0 = Monday) for the open-at filter; default today at the site."""

TIME = "explore_time"
"""Explore selectbox: minute of the day (every 30 minutes) for the open-at filter, local time;
default now at the first chosen site."""

QUERY = "explore_query"
"""Explore text input: name or organisation contains this."""

MAP_GAPS = "map_gaps"
"""Explore toggle: ring the services named in gaps (off by default)."""

OFFLINE = "map_offline"
"""Explore and Workshop toggle: no tile layer (nothing fetched from the internet)."""

MAP = "explore_map"
"""Explore map (st_folium): reports the tooltip of the last service clicked."""

TABLE = "explore_table"
"""Explore dataframe: single-row selection opens the service's card."""

CARD = "service_card"
"""Explore container holding the open service card (CSS class `st-key-service_card`)."""

PICKED = "explore_picked"
"""Session state (not a widget): the open card (`views.viewmodels.explore.Selection`)."""

# --- Editing a service (the card's Edit mode) ----------------------------------------------------

EDIT = "edit_mode"
"""Card toggle (signed-in users only): show the edit form, actions and history."""

EDIT_PANEL = "edit_panel"
"""Card container of the Edit mode: form, actions, history (CSS class `st-key-edit_panel`)."""

EDIT_FORM = "edit_form"
"""The edit form's key (forms get no CSS class of their key: find it inside `EDIT_PANEL`)."""

EDIT_FIELD = "edit_field_"
"""Edit form inputs: `edit_field_<field>`, the store's dotted field with `_` for `.`
(`edit_field_contact_phone`, `edit_field_hours_mon`); see `edit_field`."""

EDIT_HOURS_MODE = "edit_hours_mode"
"""Card radio: edit the hours per day or as one OpenStreetMap `opening_hours` text."""

EDIT_SAVE = "edit_save"
"""Edit form submit button: "Save" for who may save (`views.viewmodels.edit.Powers`),
"Propose" for anyone else."""

EDIT_STATE = "edit_state"
"""Session state (not a widget): the open form (`views.viewmodels.edit.EditState`)."""

EDIT_OUTCOME = "edit_outcome"
"""Session state (not a widget): what became of the last change sent
(`views.viewmodels.edit.Outcome`), with the `site/service` it was about."""

EDIT_REAPPLY = "edit_reapply"
"""Card button (after a conflict): send my change again on top of the current version."""

EDIT_DISCARD = "edit_discard"
"""Card button (after a conflict): drop my change and reopen the form on the current version."""

EDIT_VERIFY = "edit_verify"
"""Card button: the service was confirmed today."""

EDIT_UNTIL = "edit_until"
"""Card date input: suspended until this day."""

EDIT_REASON = "edit_reason"
"""Card text input: why the service is suspended (about the service, never a survivor)."""

EDIT_SUSPEND_FORM = "edit_suspend_form"
"""Card form holding the suspension's date and reason."""

EDIT_SUSPEND = "edit_suspend"
"""Card button: suspend the service until `EDIT_UNTIL`."""

EDIT_RESUME = "edit_resume"
"""Card button: end the suspension."""

EDIT_HISTORY = "edit_history"
"""Card container of the service's history (CSS class `st-key-edit_history`)."""

EDIT_CONFLICT = "edit_conflict"
"""Card container shown after a conflict (CSS class `st-key-edit_conflict`)."""


def edit_field(field: str) -> str:
    """The key of the edit form's input for a store field (`contact.phone`)."""
    return EDIT_FIELD + field.replace(".", "_")


EXPLORE_FILTERS = (CATEGORIES, LANGUAGE, INTERPRETATION, GROUP, AGE, ENTRY_ONLY, OPEN, DAY, TIME)
"""Explore filters kept while other pages are shown (the Export page can apply them)."""

# --- Workshop -----------------------------------------------------------------------------------

WS_SITE = "ws_site"
"""Workshop selectbox: the site (one of those chosen in the sidebar)."""

WS_ENTRY = "ws_entry"
"""Workshop selectbox: the entry point where the survivor arrives."""

WS_NEEDS = "ws_needs"
"""Workshop multiselect: needs, met in this order (clinical care after rape first)."""

WS_LANGUAGE = "ws_language"
"""Workshop selectbox: the only language she speaks (None: not asked)."""

WS_AGE = "ws_age"
"""Workshop number input: her age (None: not asked)."""

WS_GENDER = "ws_gender"
"""Workshop selectbox: female, male, nonbinary (None: not asked)."""

WS_LEGAL = "ws_legal"
"""Workshop selectbox: documented or undocumented (None: not asked)."""

WS_DAY = "ws_day"
"""Workshop selectbox: arrival weekday (0 = Monday)."""

WS_TIME = "ws_time"
"""Workshop selectbox: arrival time, minute of the day (every 30 minutes), local at the site."""

WS_AVOID = "ws_avoid"
"""Workshop multiselect: conditions she will not accept (police report, papers, ...)."""

WS_CLOSED = "ws_closed"
"""Workshop multiselect (what if): services closed."""

WS_LIMITS = "ws_access_limits"
"""Workshop: the site's access limits (a rainy season, a road closed) that hold in the what-if."""

WS_INTERP = "ws_interpreters"
"""Workshop toggle (what if): interpreters available (default on)."""

WS_PRESENT = "ws_presentation"
"""Workshop toggle: presentation view (large map, large type, one gap sentence at a time)."""

WS_MAP = "ws_map"
"""Workshop map (st_folium; returns the tooltip of a clicked marker, which closes that service);
the key gets the map's height appended."""

WS_CLICK = "ws_map_click"
"""Workshop: the last map click handled (the tooltip streamlit-folium returned), so that one
click closes one service once."""

WS_CLOSE_NEXT = "ws_close_next"
"""Workshop: a service clicked on the map, to add to `WS_CLOSED` at the start of the next run
(a widget's value cannot change once the widget is drawn)."""

WS_INDEX = "ws_index"
"""Session state (not a widget): which gap sentence the presentation shows."""

WS_PREV = "ws_previous"
"""Workshop button (presentation): previous gap sentence."""

WS_NEXT = "ws_next"
"""Workshop button (presentation): next gap sentence."""

# --- Gaps, Compare, Export ----------------------------------------------------------------------

SEVERITIES = "gap_severities"
"""Gaps and Export multiselect: which severities to list."""

COVERAGE_CATEGORY = "compare_coverage_category"
"""Compare selectbox: the category whose travel-time coverage is charted."""

EXPORT_FILTERS = "export_use_filters"
"""Export toggle: apply the Explore filters to the service exports."""

PREVIEW = "export_preview"
"""Export selectbox: the format previewed."""

DOWNLOAD_PREFIX = "download_"
"""Export download buttons: `download_<format>` (or `download_<format>_<site>` per site)."""

EXPORT_GROUP_PREFIX = "export_group_"
"""Export containers, one per group of downloads: `export_group_<group>`
(`views.viewmodels.downloads.
GROUPS`; the first, `export_group_pathway`, holds the printable referral pathway)."""

# --- Review queue -----------------------------------------------------------------------------

REVIEW_ACCEPT = "review_accept_"
"""Review buttons: `review_accept_<proposal id>` applies the proposal."""

REVIEW_REJECT = "review_reject_"
"""Review buttons: `review_reject_<proposal id>` declines it."""

REVIEW_NOTE = "review_note_"
"""Review text inputs: `review_note_<proposal id>`, an optional note for the proposer."""

REVIEW_ITEM = "review_item_"
"""Review containers, one per proposal: `review_item_<proposal id>`."""

REVIEW_OUTCOME = "review_outcome"
"""Session state (not a widget): what became of the last decision."""

WORKSHOP_SCENARIO = (
    WS_SITE,
    WS_ENTRY,
    WS_NEEDS,
    WS_LANGUAGE,
    WS_AGE,
    WS_GENDER,
    WS_LEGAL,
    WS_DAY,
    WS_TIME,
    WS_AVOID,
    WS_CLOSED,
    WS_LIMITS,
    WS_INTERP,
    WS_PRESENT,
)
"""The Workshop's survivor profile and what-if: a facilitator who shows the Gaps page and comes
back finds the same scenario."""

PERSISTENT = (*EXPLORE_FILTERS, *WORKSHOP_SCENARIO, OFFLINE, SEVERITIES)
"""Widget values kept while other pages are shown (Streamlit drops a widget's state when its
page is not run; `views._common.frame` keeps these)."""

# --- Orientation (frontline staff; issue #20): nothing typed is kept beyond the session --------

OR_PREFIX = "or_"
"""Every Orientation widget's key starts so: "Clear" deletes them all from the session."""

OR_SITE = "or_site"
"""Orientation selectbox: the site."""

OR_FROM = "or_from"
"""Orientation selectbox: the entry point where the person is now."""

OR_INCIDENT = "or_incident"
"""Orientation radio: what happened (sexual, physical, psychological, economic, unknown)."""

OR_HOURS = "or_hours"
"""Orientation number input: hours since the incident (empty: not known)."""

OR_SIGN = "or_sign"
"""Orientation checkboxes: `or_sign_<sign id>` for each sign of the danger grid."""

OR_AGE = "or_age"
"""Orientation number input: the person's age (empty: not asked)."""

OR_GENDER = "or_gender"
"""Orientation selectbox: the person's gender (None: not asked)."""

OR_LANGUAGE = "or_language"
"""Orientation selectbox: the only language the person speaks (None: not asked)."""

OR_MAP = "or_map"
"""Orientation map of the services proposed."""

OR_SHEET = "or_sheet"
"""Orientation download button: the one-page sheet for the person."""

OR_CLEAR = "or_clear"
"""Orientation button: forget every answer on the page."""

WS_CARD = "ws_card"
"""Workshop selectbox: a scenario card of the site (`data/orientation/scenarios/SITE.yaml`)."""

WS_REVEAL = "ws_reveal"
"""Workshop toggle: reveal the scenario card's orientation answer to the room."""
