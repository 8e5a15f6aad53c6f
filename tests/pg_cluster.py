"""A throwaway PostgreSQL + PostGIS cluster for the tests of the database store.

A test module imports the fixtures it uses by name:

    from tests.pg_cluster import pg_url  # noqa: F401

    def test_x(pg_url: str) -> None:  # noqa: F811  (ruff takes the argument for a redefinition)

(Not `pytest_plugins = ["tests.pg_cluster"]`: once another module has imported this one, pytest
warns that it cannot rewrite its asserts, and the project's `filterwarnings = error` makes that a
collection error.)

- `pg_server` (session): the running `PgServer` (its socket folder, port, log, admin helpers).
- `pg_url` (function): a libpq URL of a fresh, empty database with PostGIS installed, dropped
  after the test: `postgresql://postgres@/atlas_<hex>?host=/tmp/atlas-pg-…/socket&port=5432`.
- `pg_superuser_url` (session): the URL of the `postgres` database, for checks across databases.

There is ONE cluster per test session however many modules import the fixtures (pytest makes a
separate session fixture of each module's import; the server itself is kept on the pytest config
and stopped, its folders removed, when pytest finishes). It listens only on a unix socket in a
private folder, trusts every local connection (the folder is mode 700), and runs with
`fsync=off`: fast, and worthless after a crash, which is the point.

The fixtures skip (only the tests that use them) when PostgreSQL, PostGIS or psycopg is missing;
`ATLAS_TEST_PG_BINDIR` names the folder of `initdb` and `pg_ctl` instead of looking for them (an
empty or wrong folder skips). PostgreSQL refuses to run as root: as root, `initdb` and `pg_ctl` run
as the `postgres` system user, which owns the folders; root connects over the socket as the
`postgres` superuser like everyone else.

Roles are cluster-wide, not per database: after each test, `pg_url` drops its database and then
every role that did not exist when the server started. A role that still owns something outside
the dropped database (in `postgres`, say) cannot be dropped and is left behind, so a later test
may find a role of the same name already there: tests that create roles should tolerate that
(`DO $$ … EXCEPTION WHEN duplicate_object …`, or names of their own).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    import psycopg

BINDIR_ENV = "ATLAS_TEST_PG_BINDIR"
SUPERUSER = "postgres"  # initdb -U: the bootstrap superuser, whoever runs the server
TEMPLATE = "atlas_template"  # has PostGIS; each test's database is a copy of it
PORT = 5432  # only names the socket file: the socket folder is private, so nothing collides
CI_HINT = (
    "the database tests run in CI, where .ci/run installs postgresql and postgresql-15-postgis-3"
)

# Appended to postgresql.conf (no shell quoting to get wrong, unlike `pg_ctl -o`).
SETTINGS = {
    "listen_addresses": "''",  # no TCP at all: the unix socket only
    "max_connections": "60",  # the benchmarks open ~25
    "shared_buffers": "'16MB'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "jit": "off",  # compiling queries would only add noise to timings
}


class _Skip(Exception):
    """PostgreSQL, PostGIS or psycopg is not there: the tests that need them are skipped."""


class _StartFailed(Exception):
    """Everything is there, but the server did not come up: the tests that need it fail."""


def _version_key(folder: Path) -> tuple[int, ...]:
    """`/usr/lib/postgresql/15/bin` → (15,); `…/9.6/bin` → (9, 6)."""
    return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)) or (0,)


def _has_tools(folder: Path) -> bool:
    return all(os.access(folder / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres"))


def find_bindir() -> Path:
    """The folder of `initdb`, `pg_ctl` and `postgres`: `$ATLAS_TEST_PG_BINDIR` if set, else
    `pg_config --bindir`, else the highest `/usr/lib/postgresql/*/bin` (Debian), else PATH."""
    override = os.environ.get(BINDIR_ENV)
    if override is not None:
        if override and _has_tools(Path(override)):
            return Path(override)
        raise _Skip(f"{BINDIR_ENV}={override!r} has no initdb, pg_ctl and postgres; {CI_HINT}")
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(done.stdout.strip()))
    debian = [Path(p) for p in Path("/usr/lib/postgresql").glob("*/bin")]
    candidates += sorted(debian, key=_version_key, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if _has_tools(folder):
            return folder
    raise _Skip(f"PostgreSQL is not installed here (initdb not found): {CI_HINT}")


def _postgis_missing(bindir: Path) -> bool:
    """True when this installation's extension folder is known and has no `postgis.control`
    (the server's own `pg_available_extensions` has the last word once it runs)."""
    pg_config = bindir / "pg_config"
    if not os.access(pg_config, os.X_OK):
        return False
    try:
        done = subprocess.run(
            [str(pg_config), "--sharedir"], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return False
    extensions = Path(done.stdout.strip()) / "extension"
    return extensions.is_dir() and not (extensions / "postgis.control").exists()


def _import_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        raise _Skip(f"psycopg is not importable ({error}); pip install -e '.[db]'") from error


def _postgres_user() -> pwd.struct_passwd | None:
    """The system user that runs the server when we are root (None when we are not)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError as error:
        raise _Skip(
            f"running as root and there is no {SUPERUSER!r} system user to run PostgreSQL as"
        ) from error


def _traversable_by_others(folder: Path) -> bool:
    """Whether another user (the `postgres` one) can reach into `folder`."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in [folder, *folder.parents])


def _base_folder(owner: pwd.struct_passwd | None) -> Path:
    """A fresh private folder for the data, the socket and the log, owned by whoever runs the
    server. The socket's path must stay under ~100 bytes, and reachable by `postgres` as root."""
    parent = Path(tempfile.gettempdir())
    too_long = len(str(parent)) > 60
    if too_long or (owner is not None and not _traversable_by_others(parent)):
        parent = Path("/tmp")
    base = Path(tempfile.mkdtemp(prefix="atlas-pg-", dir=parent))
    (base / "socket").mkdir(mode=0o700)
    if owner is not None:
        for path in (base, base / "socket"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    return base


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


@dataclass
class PgServer:
    """One running cluster: where it is, and the few admin operations the fixtures need."""

    bindir: Path
    base: Path
    owner: pwd.struct_passwd | None
    port: int = PORT
    bootstrap_roles: frozenset[str] = frozenset()
    server_version_num: int = 0
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "socket"

    @property
    def log_file(self) -> Path:
        return self.base / "server.log"

    @property
    def superuser_url(self) -> str:
        return self.url("postgres")

    def url(self, dbname: str) -> str:
        """The libpq URL of a database, as the `postgres` superuser over the socket."""
        host = quote(str(self.socket_dir), safe="/")
        return f"postgresql://{SUPERUSER}@/{quote(dbname, safe='')}?host={host}&port={self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return _tail(self.log_file.read_text(encoding="utf-8", errors="replace"), lines)
        except OSError as error:
            return f"(no server log: {error})"

    # -- running the server ---------------------------------------------------------------

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the server's owner (`postgres` when we are root)."""
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self.owner is not None:
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            if os.access(runuser, os.X_OK):
                command = [runuser, "-u", self.owner.pw_name, "--", *command]
            else:
                command = ["su", self.owner.pw_name, "-s", "/bin/sh", "-c", shlex.join(command)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return subprocess.run(
            command,
            cwd=self.base,  # not root's home, which `postgres` cannot enter
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    @classmethod
    def start(cls) -> PgServer:
        """initdb, start, check PostGIS, make the template; skip or fail with the reason."""
        _import_psycopg()
        bindir = find_bindir()
        if _postgis_missing(bindir):
            raise _Skip(f"PostGIS is not installed for the PostgreSQL in {bindir}: {CI_HINT}")
        owner = _postgres_user()
        server = cls(bindir=bindir, base=_base_folder(owner), owner=owner)
        try:
            server._initdb_and_start()
            server._prepare()
        except BaseException:
            server.stop()
            raise
        return server

    def _initdb_and_start(self) -> None:
        done = self._run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        if done.returncode != 0:
            raise _StartFailed(
                f"initdb failed (exit {done.returncode}):\n{_tail(done.stdout + done.stderr)}"
            )
        settings = {
            **SETTINGS,
            "unix_socket_directories": f"'{self.socket_dir}'",
            "port": str(self.port),
        }
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# tests/pg_cluster.py\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        done = self._run(
            "pg_ctl", "start", "--pgdata", str(self.data_dir), "--log", str(self.log_file),
            "--wait", "--timeout", "60", "--silent",
        )  # fmt: skip
        if done.returncode != 0:
            raise _StartFailed(
                f"pg_ctl start failed (exit {done.returncode}): {_tail(done.stderr, 5)}\n"
                f"server log ({self.log_file}):\n{self.log_tail()}"
            )

    def _prepare(self) -> None:
        """Check PostGIS, build the template database, and note the roles that exist now."""
        from psycopg import sql

        with self.admin() as conn:
            self.server_version_num = int(conn.execute("SHOW server_version_num").fetchone()[0])
            found = "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            if conn.execute(found).fetchone() is None:
                raise _Skip(
                    f"PostGIS is not installed for the PostgreSQL in {self.bindir}: {CI_HINT}"
                )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        import psycopg

        with psycopg.connect(self.url(TEMPLATE), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        with self.admin() as conn:
            # No connection can ever block a copy of it; non-superusers may copy it too.
            conn.execute(
                sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                    sql.Identifier(TEMPLATE)
                )
            )
            self.bootstrap_roles = frozenset(
                row[0] for row in conn.execute("SELECT rolname FROM pg_roles")
            )

    def stop(self) -> None:
        """Stop the server at once (nothing in it is worth a clean shutdown) and remove it all."""
        if self._stopped:
            return
        self._stopped = True
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self._run(
                    "pg_ctl", "stop", "--pgdata", str(self.data_dir), "--mode", "immediate",
                    "--wait", "--timeout", "30", "--silent", timeout=60,
                )  # fmt: skip
        shutil.rmtree(self.base, ignore_errors=True)

    # -- databases and roles --------------------------------------------------------------

    def admin(self) -> psycopg.Connection[Any]:
        """An autocommit connection to the `postgres` database, as the superuser."""
        import psycopg

        return psycopg.connect(self.superuser_url, autocommit=True)

    def create_database(self) -> str:
        """A new database copied from the PostGIS template; returns its name."""
        from psycopg import sql

        name = f"atlas_{uuid.uuid4().hex}"
        # FILE_COPY (PostgreSQL 15+): copy the files rather than log every block; with fsync
        # off its checkpoints cost nothing. Older servers only know that way anyway.
        strategy = sql.SQL(" STRATEGY FILE_COPY" if self.server_version_num >= 150000 else "")
        with self.admin() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                    sql.Identifier(name), sql.Identifier(TEMPLATE), strategy
                )
            )
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connection still open to it."""
        from psycopg import sql

        with self.admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def drop_new_roles(self) -> list[str]:
        """Drop every role made since the server started; returns those that could not be
        (they still own something in a database that is still there) and are left behind."""
        import psycopg
        from psycopg import sql

        left: list[str] = []
        with self.admin() as conn:
            names = [row[0] for row in conn.execute("SELECT rolname FROM pg_roles ORDER BY 1")]
            for name in names:
                if name in self.bootstrap_roles or name.startswith("pg_"):
                    continue
                try:
                    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
                except psycopg.Error:
                    left.append(name)
        return left

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        """The URL of a new PostGIS database; afterwards the database and new roles are dropped."""
        name = self.create_database()
        try:
            yield self.url(name)
        finally:
            self.drop_database(name)
            self.drop_new_roles()


@dataclass
class _Shared:
    """The session's one server, or why there is none (decided once, on first use)."""

    server: PgServer | None = None
    skip: str | None = None
    failure: str | None = None
    seconds: float = 0.0


_SHARED = pytest.StashKey[_Shared]()


def shared_server(config: pytest.Config) -> PgServer:
    """The session's server, started on first use and stopped when pytest finishes."""
    shared = config.stash.get(_SHARED, None)
    if shared is None:
        shared = config.stash[_SHARED] = _Shared()
        began = time.perf_counter()
        try:
            shared.server = PgServer.start()
            config.add_cleanup(shared.server.stop)
        except _Skip as reason:
            shared.skip = str(reason)
        except _StartFailed as error:
            shared.failure = f"the throwaway PostgreSQL did not start: {error}"
        except Exception as error:
            shared.failure = f"the throwaway PostgreSQL did not start: {error!r}"
        shared.seconds = time.perf_counter() - began
    if shared.skip is not None:
        pytest.skip(shared.skip)
    if shared.failure is not None:
        pytest.fail(shared.failure, pytrace=False)
    assert shared.server is not None
    return shared.server


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> PgServer:
    """The session's throwaway PostgreSQL + PostGIS server (skips when it cannot be had)."""
    return shared_server(request.config)


@pytest.fixture(scope="session")
def pg_superuser_url(request: pytest.FixtureRequest) -> str:
    """The URL of the server's `postgres` database, as the superuser."""
    return shared_server(request.config).superuser_url


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh database with PostGIS, for this test only; dropped afterwards, along
    with the roles the test made (see the module's docstring on roles)."""
    with shared_server(request.config).fresh_database() as url:
        yield url
