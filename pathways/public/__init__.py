"""The public view, the program's one privacy gate: what a non-coordinator may read of an
inventory (confidential services at area precision at most) and the service card built on it.
Every output (maps, pages, exports, messages) reads services through here."""
