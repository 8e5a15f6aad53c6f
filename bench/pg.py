"""A throwaway PostgreSQL + PostGIS cluster for the benchmarks, set up as a deployment would be.

The tests' cluster (`tests/pg_cluster.PgServer`) is reused for starting and stopping: initdb,
the unix socket in a private folder, `runuser -u postgres` when we are root, the PostGIS
template. The tests run it with `fsync=off` (fast, worthless after a crash); a benchmark of
write latency must not, so once it runs, these settings are put back to what a real server has
(`ALTER SYSTEM`, which overrides `postgresql.conf`) and the server is restarted:

- `fsync`, `synchronous_commit`, `full_page_writes`: on (PostgreSQL's defaults): each commit
  waits for its WAL to be flushed to the disk (here an ext4 virtual disk, `/tmp`);
- `shared_buffers` 512MB (the default 128MB is for a small machine; 512MB is a modest setting
  for a 24 GB one) and `jit` on (the default; it compiles only costly queries);
- everything else at PostgreSQL's defaults (`work_mem` 4MB, `max_wal_size` 1GB, ...).

    with cluster() as server:
        url = server.url(server.create_database())

Used by `bench/db_store.py`; it skips (raises `Unavailable`) where PostgreSQL or PostGIS is not
installed, with the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tests.pg_cluster import PgServer

DEPLOYED = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "shared_buffers": "512MB",
    "jit": "on",
}
"""What a deployment has, where the tests' cluster differs (see the module docstring)."""


class Unavailable(Exception):
    """PostgreSQL, PostGIS or psycopg is missing, or the server did not start."""


def settings(server: PgServer) -> dict[str, str]:
    """The settings in force that the figures depend on (for the report)."""
    names = [*DEPLOYED, "wal_level", "max_wal_size", "work_mem", "max_connections"]
    with server.admin() as conn:
        return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}  # type: ignore[index]


def version(server: PgServer) -> str:
    """`PostgreSQL 15.x, PostGIS 3.x` of the running server."""
    with server.admin() as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    with _connect(server.url(server.create_database())) as conn:
        name = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        gis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]  # type: ignore[index]
    server.drop_database(name)
    return f"PostgreSQL {str(pg).split()[0]}, PostGIS {gis}"


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


def _deploy(server: PgServer) -> None:
    """Put the deployment's settings in force and restart the server."""
    with server.admin() as conn:
        for name, value in DEPLOYED.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    done = server._run(
        "pg_ctl", "restart", "--pgdata", str(server.data_dir), "--log", str(server.log_file),
        "--mode", "fast", "--wait", "--timeout", "60", "--silent",
    )  # fmt: skip
    if done.returncode != 0:
        raise Unavailable(f"pg_ctl restart failed: {done.stderr.strip()}\n{server.log_tail()}")
    found = settings(server)
    wrong = {k: found[k] for k, v in DEPLOYED.items() if found[k] != v}
    if wrong:
        raise Unavailable(f"the server did not take the deployment's settings: {wrong}")


@contextlib.contextmanager
def cluster() -> Iterator[PgServer]:
    """A running cluster with the deployment's settings; stopped and removed afterwards."""
    try:
        server = PgServer.start()
    except Exception as e:  # tests.pg_cluster's _Skip and _StartFailed: say why, stop
        raise Unavailable(str(e)) from None
    try:
        _deploy(server)
        yield server
    finally:
        server.stop()


__all__ = ["DEPLOYED", "Unavailable", "cluster", "settings", "version"]
