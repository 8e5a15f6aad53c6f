"""Every widget key of the app, in one place, so tests can find widgets by key."""

SITES = "sites"
"""Sidebar multiselect of site ids (shared by every page; default: all loaded sites)."""

LANG = "lang"
"""Sidebar radio: language of labels and gap sentences ("en" or "fr")."""

CATEGORIES = "map_categories"
"""Map page multiselect: show only services offering one of these categories (empty: all)."""

SEVERITIES = "gap_severities"
"""Gaps page multiselect: which severities to list."""

MAP_GAPS = "map_gaps"
"""Map page toggle: ring the services named in gaps (off by default)."""

OFFLINE = "map_offline"
"""Map page toggle: no tile layer (nothing fetched from the internet; boundaries as land)."""
