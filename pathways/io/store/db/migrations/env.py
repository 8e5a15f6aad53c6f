"""Alembic's environment: run the migrations on the connection `pathways db init` passes.

There is no `alembic.ini`: `pathways.io.store.db.schema.upgrade` builds the configuration and
hands over its own connection (`config.attributes["connection"]`), so a migration runs in the
caller's transaction and under the caller's role.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table_schema="atlas")
with context.begin_transaction():
    context.run_migrations()
