"""The throwaway PostgreSQL + PostGIS cluster of tests/pg_cluster.py: it answers, each test gets
a database of its own, and the roles a test makes do not outlive it.

Skipped where PostgreSQL or PostGIS is not installed (CI installs both: .ci/run).
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

# The fixtures are imported by name; each test taking one says `noqa: F811`, since ruff takes
# the argument for a redefinition of the import.
from tests.pg_cluster import (  # noqa: F401
    PgServer,
    pg_server,
    pg_superuser_url,
    pg_url,
    shared_server,
)

if TYPE_CHECKING:
    import psycopg


def _connect(url: str) -> psycopg.Connection[Any]:
    import psycopg

    return psycopg.connect(url, autocommit=True)


def _user_tables(url: str) -> list[str]:
    """The tables of a database other than PostGIS's own (`spatial_ref_sys`)."""
    with _connect(url) as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            " AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' ORDER BY 1"
        ).fetchall()
    return [row[0] for row in rows]


def _dbname(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _role_exists(url: str, name: str) -> bool:
    with _connect(url) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone() is not None
        )


def test_a_fresh_database_has_postgis(pg_url: str) -> None:  # noqa: F811
    with _connect(pg_url) as conn:
        version = conn.execute("SELECT postgis_full_version()").fetchone()[0]
        point = conn.execute("SELECT ST_AsText(ST_SetSRID(ST_MakePoint(4.35, 50.85), 4326))")
        assert point.fetchone()[0] == "POINT(4.35 50.85)"
        assert conn.info.user == "postgres"
    assert version.startswith("POSTGIS=")
    parts = urlsplit(pg_url)
    assert (parts.scheme, parts.netloc, _dbname(pg_url)[:6]) == (
        "postgresql",
        "postgres@",
        "atlas_",
    )
    assert set(parse_qs(parts.query)) == {"host", "port"}


def test_each_database_is_new_and_empty(pg_url: str, pg_server: PgServer) -> None:  # noqa: F811
    with _connect(pg_url) as conn:
        conn.execute("CREATE TABLE sites (id text PRIMARY KEY)")
    with pg_server.fresh_database() as other:
        assert other != pg_url
        assert _user_tables(other) == []
    assert _user_tables(pg_url) == ["public.sites"]
    with _connect(pg_url) as conn:  # the other one is gone, this one is still there
        assert conn.execute("SELECT current_database()").fetchone()[0] == _dbname(pg_url)
        gone = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [_dbname(other)])
        assert gone.fetchone() is None


def test_the_roles_a_test_makes_are_dropped_after_it(pg_server: PgServer) -> None:  # noqa: F811
    admin = pg_server.superuser_url
    with pg_server.fresh_database() as url:
        with _connect(url) as conn:
            conn.execute("CREATE ROLE atlas_probe_amina LOGIN")
            conn.execute("CREATE TABLE owned (id int)")
            conn.execute("ALTER TABLE owned OWNER TO atlas_probe_amina")  # gone with the database
        assert _role_exists(admin, "atlas_probe_amina")
    assert not _role_exists(admin, "atlas_probe_amina")
    assert _role_exists(admin, "postgres")


def test_a_role_owning_something_that_stays_is_left_without_error(pg_server: PgServer) -> None:  # noqa: F811
    with _connect(pg_server.superuser_url) as conn:
        conn.execute("CREATE ROLE atlas_probe_stays")
        conn.execute("CREATE TABLE public.atlas_probe_kept (id int)")
        conn.execute("ALTER TABLE public.atlas_probe_kept OWNER TO atlas_probe_stays")
    try:
        assert "atlas_probe_stays" in pg_server.drop_new_roles()
    finally:
        with _connect(pg_server.superuser_url) as conn:
            conn.execute("DROP TABLE public.atlas_probe_kept")
        assert "atlas_probe_stays" not in pg_server.drop_new_roles()
    assert not _role_exists(pg_server.superuser_url, "atlas_probe_stays")


def test_the_superuser_url_is_the_postgres_database(
    pg_superuser_url: str,  # noqa: F811
    pg_server: PgServer,  # noqa: F811
) -> None:
    with _connect(pg_superuser_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "postgres"
        assert conn.execute("SHOW max_connections").fetchone()[0] == "60"
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""  # the socket only
        assert conn.execute("SHOW fsync").fetchone()[0] == "off"
    if os.geteuid() == 0:  # PostgreSQL will not run as root: the `postgres` user runs it
        assert pg_server.data_dir.stat().st_uid == pwd.getpwnam("postgres").pw_uid


def test_without_postgresql_the_fixtures_skip_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ATLAS_TEST_PG_BINDIR` naming an empty folder stands for a machine without PostgreSQL:
    the fixtures skip, saying why, and remember it for the rest of the session."""
    monkeypatch.setenv("ATLAS_TEST_PG_BINDIR", str(tmp_path))
    config = SimpleNamespace(stash=pytest.Stash(), add_cleanup=None)
    for _ in range(2):
        with pytest.raises(pytest.skip.Exception) as skipped:
            shared_server(config)  # type: ignore[arg-type]
        assert f"ATLAS_TEST_PG_BINDIR={str(tmp_path)!r} has no initdb" in str(skipped.value)
        assert "the database tests run in CI" in str(skipped.value)
    monkeypatch.setenv("ATLAS_TEST_PG_BINDIR", "")
    with pytest.raises(pytest.skip.Exception, match="ATLAS_TEST_PG_BINDIR=''"):
        shared_server(SimpleNamespace(stash=pytest.Stash()))  # type: ignore[arg-type]
