"""Every widget key of the app, in one place, so tests can find widgets by key."""

SITES = "sites"
"""Sidebar multiselect of site ids (shared by every page; default: all loaded sites)."""

LANG = "lang"
"""Sidebar radio: language of labels and gap sentences ("en" or "fr")."""

CATEGORIES = "map_categories"
"""Map page multiselect: show only services offering one of these categories (empty: all)."""

SEVERITIES = "gap_severities"
"""Gaps page multiselect: which severities to list."""
