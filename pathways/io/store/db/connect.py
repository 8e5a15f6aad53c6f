"""Connections to the shared store, acting as a user's role, and the database's refusals as
one-line errors (never a traceback for a user's mistake)."""

from __future__ import annotations

from typing import Any

from pathways.io.store.db.source import DbSource
from pathways.model.errors import InventoryError

try:
    import psycopg
    from psycopg import errors, sql
except ImportError:  # the [db] extra is not installed
    psycopg = None  # type: ignore[assignment]

NEEDS_EXTRA = "a database SOURCE needs the [db] extra (psycopg, alembic): pip install -e '.[db]'"


def connect(dsn: str, **options: Any) -> psycopg.Connection[Any]:
    """A connection in autocommit mode (each change runs in its own `conn.transaction()`)."""
    if psycopg is None:
        raise InventoryError(NEEDS_EXTRA)
    try:
        return psycopg.connect(dsn, autocommit=True, **options)
    except psycopg.Error as e:
        raise database_error(e, dsn) from None


def act_as(conn: psycopg.Connection[Any], user: str, dsn: str) -> None:
    """Act as `user`'s role from now on (`SET ROLE`): the database's rules for that role hold."""
    try:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(user)))
    except errors.InvalidParameterValue:
        raise InventoryError(
            f"{user} is not a user of {DbSource(dsn, None).shown}: an admin grants a role "
            f"first (pathways db grant URL {user} viewer --site SITE)"
        ) from None
    except errors.InsufficientPrivilege:
        raise InventoryError(
            f"the URL's login may not act as {user}: log in as {user}, or connect as the "
            "database's owner"
        ) from None


def one(cursor: Any) -> Any:
    """The one row a query must answer (a query that answers none is a bug, not a user's)."""
    row = cursor.fetchone()
    if row is None:
        raise AssertionError("the query answered no row")
    return row


def database_error(e: BaseException, dsn: str) -> BaseException:
    """The database's refusal as an InventoryError naming the database (never its password);
    anything else as it is."""
    if psycopg is None or not isinstance(e, psycopg.Error):
        return e
    where = DbSource(dsn, None).shown
    diag = getattr(e, "diag", None)
    message = (diag.message_primary if diag is not None else None) or str(e)
    message = " ".join(message.split())
    if isinstance(e, errors.InvalidSchemaName) or (
        isinstance(e, errors.UndefinedTable) and "atlas." in message
    ):
        return InventoryError(f"{where}: {message} (is the schema there? pathways db init URL)")
    if isinstance(e, errors.InsufficientPrivilege):
        return InventoryError(f"{where}: {message} (the database refuses this to your role)")
    return InventoryError(f"{where}: {message}")


__all__ = ["NEEDS_EXTRA", "act_as", "connect", "database_error", "one", "psycopg"]
