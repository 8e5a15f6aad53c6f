"""The database store's schema: create or upgrade it with the Alembic migrations.

`upgrade(dsn)` is what `pathways db init URL` runs; running it again is a no-op. The
migrations are in `migrations/versions/`, one module per schema version.
"""

from __future__ import annotations

from pathlib import Path

from pathways.io.store.db.connect import NEEDS_EXTRA, connect, database_error
from pathways.model.errors import InventoryError

try:
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.pool import NullPool

    HAVE_ALEMBIC = True
except ImportError:  # the [db] extra is not installed
    HAVE_ALEMBIC = False

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA = "atlas"


def upgrade(dsn: str) -> tuple[str | None, str | None]:
    """Create or upgrade the schema at `dsn`; the schema's revision before and after."""
    if not HAVE_ALEMBIC:
        raise InventoryError(NEEDS_EXTRA)
    probe = connect(dsn)  # a clear error for a bad URL or a missing [db] extra
    probe.close()
    engine = create_engine(
        "postgresql+psycopg://", creator=lambda: connect(dsn), poolclass=NullPool
    )
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            context = MigrationContext.configure(conn, opts={"version_table_schema": SCHEMA})
            before = context.get_current_revision()
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            after = MigrationContext.configure(
                conn, opts={"version_table_schema": SCHEMA}
            ).get_current_revision()
    except DBAPIError as e:  # SQLAlchemy wraps the driver's errors
        raise database_error(e.orig or e, dsn) from None
    finally:
        engine.dispose()
    return before, after


__all__ = ["MIGRATIONS", "SCHEMA", "upgrade"]
