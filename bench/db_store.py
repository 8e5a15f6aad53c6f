"""The shared store (issue #18): import, concurrent edits and gaps on PostgreSQL + PostGIS.

    python bench/db_store.py                # the full run (about 10 min): 100,000-service import,
                                            # 60 s of 20 editors per site, gaps at 10,000
    python bench/db_store.py --quick        # a try (about 3 min): 10,000 services, 10 s of edits
    python bench/db_store.py --skip import --skip gaps --sites brussels   # Brussels' edits only
    python bench/db_store.py --append       # also write the figures into bench/RESULTS.md

A throwaway cluster is started with a deployment's settings (`bench/pg.py`: fsync,
synchronous_commit and full_page_writes on), each measure gets a fresh database, and the
cluster is stopped at the end. The synthetic country is `bench.generate`'s (`bench.run`'s cached
files, same seed); Brussels is `data/sites/brussels.yaml`.

1. Import (`--services`, default 100,000). Each step in a fresh process (spawned; a 20-service
   country is loaded first so imports and the country outline's cache are not counted), with
   its peak RSS (VmHWM, reset before the step):
   - the YAML load, as `pathways validate` does it (`pathways.io.load.load_site`);
   - `admin.import_inventories`, split by timing its own functions (wrapped in the measuring
     process, not edited): validation (`read_site`), building the routes' rows and the site's
     files, COPY (each service's row, its public view, record and version, is made as it is
     sent: `service_rows` is a generator), and the commit;
   - the baseline the import's docstring rules out: the same rows with `executemany` of
     single-row INSERTs (psycopg 3 pipelines them) in one transaction, into a fresh database;
   - reading the whole site back, `open_store(URL#SITE).public()` on a fresh store, as the
     URL's owner and as a viewer (through row-level security).
2. Concurrent edits (`--seconds`, default 60). 20 worker processes, each its own granted role
   (4 coordinators; 16 editors, two per organisation), each looping: read a service's version,
   think, `edit(..., {"contact.phone": NEW}, base=VERSION)`. Coordinators edit their own share
   of the site, and one "hot" service a fifth of the time; the two editors of an organisation
   edit its services; so most edits touch different services and some collide. The think time
   is uniform in [0.5, 1.5] s (`--think`, the mean): a human reads a record and types a change
   in tens of seconds, so 1 s per editor is already ~20 edits/s, hours of a real team's editing
   compressed into a minute, while the server still sees the gaps real use has. A second run
   with no think time at all (`--saturation-seconds`) is the saturation case, and one editor
   alone (`--solo-seconds`) the cost of an edit without contention. Each worker warms up first
   (the 20-service country, its store's inventory, one refused edit), as a server that has been
   running. Latency is `store.edit` alone (lock, version check, validation, UPDATE, history,
   commit), split into its parts (`PHASES`, timed by wrapping the store's methods in the
   workers). Afterwards, as
   the database's owner: every applied edit is in `atlas.history` exactly once, each service's
   record is its last history entry's `after`, and each history entry's `before` is the previous
   one's `after` (an edit lost would break that chain). Run on Brussels (38 services) and on a
   10,000-service synthetic site, each run on a fresh import.
3. Gaps at 10,000 services: load + every gap kind (`find_gaps`), from YAML (`load_site`) and
   from the database (a fresh `PgStore(URL#SITE).public()`), alternately, `--runs` times each;
   medians; the gaps must be the same.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/db_store.py`

from bench.run import _peak_mb, _reset_peak, append_results, default_data, ensure_files

ROOT = Path(__file__).resolve().parents[1]
BRUSSELS = ROOT / "data" / "sites" / "brussels.yaml"
SECTION = "## #18 shared store (PostgreSQL + PostGIS)"
AS_OF = dt.date(2026, 6, 1)
"""The date `stale` gaps count from (fixed, as in `bench.run`)."""
WORKERS = 20
COORDINATORS = 4
HOT_SHARE = 0.2
"""How often a coordinator edits the hot service (the others edit it too: collisions)."""


# --- helpers ------------------------------------------------------------------------------------


def _in_process(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """`fn(*args)` in a fresh (spawned) process: its own imports, caches and peak memory."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def _warm_up(seed: int) -> None:
    """Load a 20-service country: imports, the country outline, pydantic's validators."""
    from pathways.analysis.gaps import find_gaps
    from pathways.io.load import load_site

    tiny, _ = ensure_files(20, seed, default_data())
    find_gaps(load_site(tiny), as_of=AS_OF)


@contextlib.contextmanager
def _step(row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Time the block and its peak RSS into `row`."""
    row["baseline_mb"] = _peak_mb()
    _reset_peak()
    start = time.perf_counter()
    yield row
    row["seconds"] = time.perf_counter() - start
    row["peak_mb"] = _peak_mb()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def store_shim() -> bool:
    """Work around a bug of `pathways/io/store/db/pg_store.py` where it is still there (fixed
    there on 2026-12-06 at 10:46; the xfail of `tests/test_store_conformance.py` described it):
    `@_serialized` on `_Snapshot.inventory` and `_Snapshot.public` took the snapshot for the
    store and asked it for `_lock`, so every read raised AttributeError. A lock on the
    snapshot's class lets those two calls run; each process here is single-threaded, so it
    costs an uncontended RLock. True when it was needed (and applied)."""
    from pathways.io.store.db import pg_store

    snapshot: Any = getattr(pg_store, "_Snapshot", None)
    wrapped = snapshot is not None and hasattr(snapshot.inventory, "__wrapped__")
    if not wrapped or hasattr(snapshot, "_lock"):
        return False
    snapshot._lock = threading.RLock()
    return True


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


def _name(url: str) -> str:
    """The database's name in a URL of `PgServer.url`."""
    return url.split("?")[0].rsplit("/", 1)[1]


def _fresh_database(server: Any) -> str:
    """The URL of a new PostGIS database with the store's schema."""
    from pathways.io.store.db.schema import upgrade

    url = str(server.url(server.create_database()))
    upgrade(url)
    return url


# --- 1. import ----------------------------------------------------------------------------------


def yaml_load(path: str, seed: int) -> dict[str, Any]:
    """(a) The YAML load and validation, as `pathways validate`."""
    from pathways.io import load

    _warm_up(seed)
    parse = _timing(load, "_build_from_events")
    with _step({}) as row:
        inv = load.load_site(path)
    row["services"], row["referrals"] = len(inv.services), len(inv.referrals)
    row["parse"] = parse["seconds"]
    return row


def _timing(module: Any, name: str) -> dict[str, float]:
    """Time every call of `module.name` from now on (wrapped in this process, not edited)."""
    spent = {"seconds": 0.0}
    fn = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - start

    setattr(module, name, wrapper)
    return spent


def db_import(url: str, path: str, baseline_url: str, seed: int) -> dict[str, Any]:
    """(b) `import_inventories`, its parts timed; then (c) the row-by-row baseline."""
    from pathways.io import load
    from pathways.io.store.db import admin

    _warm_up(seed)
    parse = _timing(load, "_build_from_events")
    parts: dict[str, float] = Counter()
    marks: dict[str, float] = {}
    kept: dict[str, Any] = {}

    def timed(name: str, fn: Callable[..., Any], *, keep: bool = False) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            marks[name] = time.perf_counter()
            parts[name] += marks[name] - start
            if keep:
                kept[name] = out
            return out

        return wrapper

    for name in ("read_site", "service_rows", "referral_rows", "site_files"):
        setattr(admin, name, timed(name, getattr(admin, name), keep=name == "read_site"))
    for name in ("_replace_site", "_copy_services", "_copy_referrals", "_import_one"):
        setattr(admin, name, timed(name, getattr(admin, name)))
    with _step({}) as row:
        (done,) = admin.import_inventories(url, [path])
    building = parts["service_rows"] + parts["referral_rows"]
    copying = parts["_replace_site"] + parts["_copy_services"] + parts["_copy_referrals"]
    row.update(
        site=done.site,
        services=done.services,
        referrals=done.referrals,
        validation=parts["read_site"],
        parse=parse["seconds"],
        rows=building + parts["site_files"],
        copy=copying - building,
        commit=marks["_import_one"] - marks["_copy_referrals"],
    )
    row["database"] = row["seconds"] - row["validation"]
    with _connect(url) as conn:
        row["db_mb"] = float(
            conn.execute(
                "SELECT sum(pg_total_relation_size(c.oid)) / 1e6 FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'atlas' AND c.relkind = 'r'"
            ).fetchone()[0]
        )
    row["row_by_row"] = _row_by_row(baseline_url, kept["read_site"])
    return row


def _row_by_row(url: str, inventory: Any) -> dict[str, Any]:
    """The same rows as the import, with `executemany` of one-row INSERTs, one transaction.
    The rows are built first, not timed, as the import's COPY figure leaves them out (their
    JSON texts are made in the timed part, as COPY makes them)."""
    from pathways.io.store.db.rows import (
        boundary_wkt,
        referral_rows,
        service_rows,
        site_files,
    )

    site = inventory.site.id
    record, files = site_files(inventory)
    services = list(service_rows(inventory))
    referrals = referral_rows(inventory)
    with _step({}) as row, _connect(url) as conn, conn.transaction():
        service_values = [_service_values(site, i, r) for i, r in enumerate(services)]
        exact_values = [_exact_values(site, r) for r in services if r.exact is not None]
        referral_values = [
            (site, a, b, i, json.dumps(rec, ensure_ascii=False))
            for i, (a, b, rec) in enumerate(referrals)
        ]
        cur = conn.cursor()
        cur.execute(
            "INSERT INTO atlas.sites (id, record, boundary) "
            "VALUES (%s, %s, ST_Multi(ST_GeomFromEWKT(%s)))",
            (site, json.dumps(record), boundary_wkt(record, files)),
        )
        cur.executemany(
            "INSERT INTO atlas.site_files (site, path, content) VALUES (%s, %s, %s)",
            [(site, k, v) for k, v in files.items()],
        )
        cur.executemany(
            "INSERT INTO atlas.services (site, id, position, organisation, confidential, record, "
            "version, place) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            service_values,
        )
        cur.executemany(
            "INSERT INTO atlas.exact_places (site, service, organisation, location, intake, "
            "place) VALUES (%s, %s, %s, %s, %s, %s)",
            exact_values,
        )
        cur.executemany(
            "INSERT INTO atlas.referrals (site, source, target, position, record) "
            "VALUES (%s, %s, %s, %s, %s)",
            referral_values,
        )
    row["rows"] = len(service_values) + len(exact_values) + len(referral_values)
    return row


def _service_values(site: str, position: int, r: Any) -> tuple[Any, ...]:
    record = json.dumps(r.record, ensure_ascii=False)
    return (site, r.id, position, r.organisation, r.confidential, record, r.version, r.point)


def _exact_values(site: str, r: Any) -> tuple[Any, ...]:
    intake = r.exact["intake"]
    intake = json.dumps(intake) if intake is not None else None
    return (site, r.id, r.organisation, json.dumps(r.exact["location"]), intake, r.exact_point)


def read_back(source: str, user: str | None, seed: int) -> dict[str, Any]:
    """(d) The whole site read back by a fresh store, as its public view."""
    from pathways.io.store import open_store

    _warm_up(seed)
    shim = store_shim()
    with _step({"shim": shim}) as row:
        store = open_store(source, user=user)
        pub = store.public()
    store.close()
    row["services"], row["referrals"] = len(pub.services), len(pub.referrals)
    return row


def measure_import(server: Any, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from pathways.io.store.db.admin import grant

    out: dict[str, Any] = {"yaml_mb": path.stat().st_size / 1e6}
    print("  YAML load", file=sys.stderr)
    out["yaml"] = _in_process(yaml_load, str(path), args.seed)
    url, baseline_url = _fresh_database(server), _fresh_database(server)
    print("  import (and the row-by-row baseline)", file=sys.stderr)
    out["import"] = _in_process(db_import, url, str(path), baseline_url, args.seed)
    server.drop_database(_name(baseline_url))
    site = out["import"]["site"]
    grant(url, "bench-viewer", "viewer", site=site)
    print("  read back", file=sys.stderr)
    out["read_owner"] = _in_process(read_back, f"{url}#{site}", None, args.seed)
    out["read_viewer"] = _in_process(read_back, f"{url}#{site}", "bench-viewer", args.seed)
    return out


# --- 2. concurrent edits ------------------------------------------------------------------------


def edit_plan(inventory: Any, prefix: str) -> list[dict[str, Any]]:
    """Who edits what: `COORDINATORS` coordinators with a share of the site each (and the hot
    service now and then), then editors two per organisation (most services first)."""
    by_org: dict[str, list[str]] = {}
    for s in inventory.services:
        if s.organisation:
            by_org.setdefault(s.organisation, []).append(s.id)
    pairs = (WORKERS - COORDINATORS) // 2
    orgs = sorted(by_org, key=lambda o: (-len(by_org[o]), o))[:pairs]
    hot = by_org[orgs[0]][0]
    theirs = {sid for o in orgs for sid in by_org[o]}
    rest = [s.id for s in inventory.services if s.id not in theirs]
    plan = [
        {
            "user": f"{prefix}{k:02d}",
            "role": "coordinator",
            "organisation": None,
            "services": rest[k::COORDINATORS],
            "hot": hot,
        }
        for k in range(COORDINATORS)
    ]
    for k in range(WORKERS - COORDINATORS):
        org = orgs[k // 2]
        plan.append(
            {
                "user": f"{prefix}{COORDINATORS + k:02d}",
                "role": "editor",
                "organisation": org,
                "services": by_org[org],
                "hot": None,
            }
        )
    return plan


PHASES = {
    "catch-up": ("PgStore", "_current"),
    "row lock": ("PgStore", "_locked_row"),
    "rebuild": ("_Snapshot", "inventory"),
    "validation": (None, "revalidate"),
    "writes": ("PgStore", "_update_service"),
    "history": ("PgStore", "_record"),
}
PHASE_NOTES = {
    "catch-up": "`_current`, the snapshot brought up to date from the history",
    "row lock": "`SELECT ... FOR UPDATE` (waits while another editor holds the row)",
    "rebuild": "`_Snapshot.inventory`, the services changed since validated and spliced in",
    "validation": "`revalidate`, the loader's rules on the change",
    "writes": "the UPDATE",
    "history": "the history row",
}
"""The parts of an edit timed in each worker (wrapped there, not edited): bringing the
snapshot up to date from the history, locking and reading the row (a wait when another editor
holds it), the snapshot's validated inventory (changed services spliced in), the loader's
rules on the change,
the UPDATE, the history row; the rest of `edit` is the commit, the rows and the bookkeeping."""


def _time_phases() -> dict[str, float]:
    """Wrap `PHASES` in this process; the returned dict adds up their seconds (reset it)."""
    from pathways.io.store.db import pg_store

    spent: dict[str, float] = dict.fromkeys(PHASES, 0.0)

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start

        return wrapper

    for name, (owner, attr) in PHASES.items():
        where = getattr(pg_store, owner) if owner else pg_store
        setattr(where, attr, timed(name, getattr(where, attr)))
    return spent


def editor(
    source: str, who: dict[str, Any], seconds: float, think: float, seed: int, ready: Any, go: Any
) -> dict[str, Any]:
    """One editor's minute: read the version, think, edit; every outcome recorded."""
    from pathways.io.store import Conflict, open_store
    from pathways.model.errors import InventoryError

    store_shim()
    user = who["user"]
    rng = random.Random(f"{seed}-{user}")
    start = time.perf_counter()
    store = open_store(source, user=user)
    store.public()
    opened = time.perf_counter() - start
    _warm_up(seed)  # as a server that has been running: imports, caches, first calls
    store.inventory()
    sid = who["services"][0]
    with contextlib.suppress(InventoryError):  # a refused edit: the edit path, nothing written
        store.edit(sid, {"age_min": "not a number"}, user=user, base=store.version(sid))
    spent = _time_phases()
    ready.put(user)
    go.wait()
    applied, conflicts, errors, reads = [], [], [], []
    end = time.monotonic() + seconds
    k = 0
    while time.monotonic() < end:
        use_hot = who["hot"] is not None and rng.random() < HOT_SHARE
        sid = who["hot"] if use_hot else rng.choice(who["services"])
        t = time.perf_counter()
        base = store.version(sid)
        reads.append(time.perf_counter() - t)
        if think:
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))
        phone = f"+32 2 {user[-2:]}{k:05d}"
        k += 1
        for name in spent:
            spent[name] = 0.0
        t = time.perf_counter()
        try:
            change = store.edit(sid, {"contact.phone": phone}, user=user, base=base)
        except Conflict as e:
            took = time.perf_counter() - t
            named = e.by is not None and e.by.user != user and e.by.version == e.current
            conflicts.append({"service": sid, "seconds": took, "named": named})
        except InventoryError as e:
            errors.append(f"{sid}: {e}")
        else:
            took = time.perf_counter() - t
            applied.append(
                {
                    "service": sid,
                    "phone": phone,
                    "version": change.version,
                    "seconds": took,
                    "phases": dict(spent),
                }
            )
    store.close()
    return {
        "user": user,
        "opened": opened,
        "applied": applied,
        "conflicts": conflicts,
        "errors": errors,
        "reads": reads,
    }


def run_editors(
    url: str, site: str, plan: list[dict[str, Any]], seconds: float, think: float, seed: int
) -> list[dict[str, Any]]:
    """The workers, started together once all have opened their store."""
    ctx = mp.get_context("spawn")
    manager = ctx.Manager()
    ready, go = manager.Queue(), manager.Event()
    with ctx.Pool(len(plan)) as pool:
        pending = [
            pool.apply_async(editor, (f"{url}#{site}", who, seconds, think, seed, ready, go))
            for who in plan
        ]
        for _ in plan:
            ready.get(timeout=600)
        go.set()
        results = [p.get(timeout=seconds + 600) for p in pending]
    manager.shutdown()
    return results


def _phases(applied: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Each part of an edit: its median over the applied edits, and its mean over the slowest
    5 % of them (what the p95 is made of)."""
    if not applied:
        return {}
    slow = sorted(applied, key=lambda a: a["seconds"])[int(0.95 * (len(applied) - 1)) :]
    names = [*PHASES, "commit and the rest"]

    def part(a: dict[str, Any], name: str) -> float:
        if name in a["phases"]:
            return float(a["phases"][name])
        return float(a["seconds"] - sum(a["phases"].values()))

    return {
        name: {
            "median": statistics.median(part(a, name) for a in applied),
            "slowest": statistics.fmean(part(a, name) for a in slow),
        }
        for name in names
    }


def check_history(url: str, site: str, original: dict[str, str | None], results: list[Any]) -> Any:
    """What the database holds after the run, against what the workers were told."""
    with _connect(url) as conn:
        history = conn.execute(
            "SELECT id, username, service, fields, version FROM atlas.history "
            "WHERE site = %s AND action = 'edit' ORDER BY id",
            (site,),
        ).fetchall()
        final = {
            sid: (phone, version)
            for sid, phone, version in conn.execute(
                "SELECT id, record->'contact'->>'phone', version FROM atlas.services "
                "WHERE site = %s",
                (site,),
            )
        }
    told = Counter(
        (r["user"], a["service"], a["phone"], a["version"]) for r in results for a in r["applied"]
    )
    held = Counter((u, s, f[0]["after"], v) for _, u, s, f, v in history)
    last: dict[str, tuple[Any, Any]] = {}
    breaks = 0
    for _, _, sid, fields, version in history:
        before = last[sid][0] if sid in last else original.get(sid)
        breaks += fields[0]["before"] != before
        last[sid] = (fields[0]["after"], version)
    return {
        "history_rows": len(history),
        "applied": sum(told.values()),
        "each_once": told == held and all(n == 1 for n in held.values()),
        "final_is_last": all(final[sid] == after for sid, after in last.items()),
        "services_edited": len(last),
        "chain_breaks": breaks,
    }


def measure_edits(
    server: Any,
    path: Path,
    prefix: str,
    seconds: float,
    think: float,
    seed: int,
    *,
    editors: int = WORKERS,
) -> dict[str, Any]:
    from pathways.io.load import read_site
    from pathways.io.store.db.admin import grant, import_inventories

    inventory = read_site(path)
    site = inventory.site.id
    url = _fresh_database(server)
    import_inventories(url, [path])
    plan = edit_plan(inventory, prefix)[:editors]
    for who in plan:
        grant(url, who["user"], who["role"], site=site, organisation=who["organisation"])
    original = {s.id: s.contact.phone if s.contact else None for s in inventory.services}
    started, load = time.perf_counter(), os.getloadavg()[0]
    results = run_editors(url, site, plan, seconds, think, seed)
    wall = time.perf_counter() - started
    applied = [a["seconds"] for r in results for a in r["applied"]]
    refused = [c["seconds"] for r in results for c in r["conflicts"]]
    out = {
        "site": site,
        "services": len(inventory.services),
        "editors": len(plan),
        "think": think,
        "seconds": seconds,
        "wall": wall,
        "load": (load, os.getloadavg()[0]),
        "opened_max": max(r["opened"] for r in results),
        "applied_n": len(applied),
        "conflicts_n": len(refused),
        "conflicts_named": sum(c["named"] for r in results for c in r["conflicts"]),
        "errors": [e for r in results for e in r["errors"]][:5],
        "errors_n": sum(len(r["errors"]) for r in results),
        "p50": _percentile(applied, 0.50),
        "p95": _percentile(applied, 0.95),
        "p99": _percentile(applied, 0.99),
        "max": max(applied, default=0.0),
        "refused_p50": _percentile(refused, 0.50),
        "read_p50": _percentile([x for r in results for x in r["reads"]], 0.5),
        "phases": _phases([a for r in results for a in r["applied"]]),
        "check": check_history(url, site, original, results),
    }
    server.drop_database(_name(url))
    return out


# --- 3. gaps ------------------------------------------------------------------------------------


def gaps_both(path: str, source: str, runs: int, seed: int) -> dict[str, Any]:
    """Load + all gaps, from YAML and from the database, alternately; every time taken."""
    from pathways.analysis.gaps import find_gaps
    from pathways.io.load import load_site
    from pathways.io.store.db.pg_store import PgStore

    def from_yaml() -> Any:
        return load_site(path)

    def from_db() -> Any:
        store = PgStore(source)
        try:
            return store.public()
        finally:
            store.close()

    _warm_up(seed)
    store_shim()
    times: dict[str, list[tuple[float, float]]] = {"yaml": [], "db": []}
    answers = {}
    for k in range(runs + 1):  # the first round warms up both ways and is not counted
        order = [("yaml", from_yaml), ("db", from_db)]
        for name, load in order if k % 2 else order[::-1]:
            start = time.perf_counter()
            inv = load()
            loaded = time.perf_counter()
            gaps = find_gaps(inv, as_of=AS_OF)
            done = time.perf_counter()
            if k:
                times[name].append((loaded - start, done - loaded))
            answers[name] = [g.to_dict() for g in gaps]
    return {
        name: {
            "load": statistics.median(t[0] for t in pairs),
            "gaps": statistics.median(t[1] for t in pairs),
            "total": statistics.median(t[0] + t[1] for t in pairs),
            "totals": [t[0] + t[1] for t in pairs],
        }
        for name, pairs in times.items()
    } | {"same_gaps": answers["yaml"] == answers["db"], "gaps_n": len(answers["yaml"])}


def measure_gaps(server: Any, path: Path, runs: int, seed: int) -> dict[str, Any]:
    from pathways.io.store.db.admin import import_inventories

    url = _fresh_database(server)
    (done,) = import_inventories(url, [path])
    out = _in_process(gaps_both, str(path), f"{url}#{done.site}", runs, seed)
    server.drop_database(_name(url))
    return out


# --- the report ---------------------------------------------------------------------------------


def _t(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def _mb(row: dict[str, Any]) -> str:
    return f"{row['peak_mb']:,.0f} MB"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def import_table(f: dict[str, Any], n: int) -> list[str]:
    y, i, r = f["yaml"], f["import"], f["import"]["row_by_row"]
    db_only = i["copy"] + i["commit"]
    lines = [
        f"Import of {n:,} services ({i['referrals']:,} referrals; YAML {f['yaml_mb']:.1f} MB; "
        f"{i['db_mb']:.0f} MB in the database). Peak RSS of the step's process (after a warm-up "
        f"load of a 20-service country, {y['baseline_mb']:,.0f} MB).",
        "",
        "| step | time | peak RSS |",
        "|---|---:|---:|",
        f"| (a) YAML load + validation (`load_site`, as `pathways validate`) | {_t(y['seconds'])} "
        f"| {_mb(y)} |",
        f"| (b) `import_inventories`, in all | {_t(i['seconds'])} | {_mb(i)} |",
        f"| (a) of which parsing the YAML (libyaml's events into values with their lines) | "
        f"{_t(y['parse'])} | |",
        f"| (b) of which validation (`read_site`) | {_t(i['validation'])} | |",
        f"| (b) ... of it, parsing the YAML | {_t(i['parse'])} | |",
        f"| (b) of which the database part | {_t(i['database'])} | |",
        f"| (b) ... building the routes' rows and the site's files | {_t(i['rows'])} | |",
        f"| (b) ... COPY (site, services, exact places, referrals), each service's row (public "
        f"view, record, version) made as it is sent | {_t(i['copy'])} | |",
        f"| (b) ... commit | {_t(i['commit'])} | |",
        f"| (b) COPY (services' rows made as sent) + commit | {_t(db_only)} | |",
        f"| (c) the same {r['rows']:,} rows, executemany of one-row INSERTs + commit | "
        f"{_t(r['seconds'])} | {_mb(r)} |",
        f"| (d) read back, fresh store, as the owner (`open_store(URL#SITE).public()`) | "
        f"{_t(f['read_owner']['seconds'])} | {_mb(f['read_owner'])} |",
        f"| (d) read back, fresh store, as a viewer (row-level security) | "
        f"{_t(f['read_viewer']['seconds'])} | {_mb(f['read_viewer'])} |",
    ]
    return lines


def edits_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| site | editors | think, run | edits applied | conflicts (winner named) | other "
        "refusals | p50 | p95 | p99 | max | history: each applied edit once | record = last "
        "history | lost updates | load (1 min) before, after |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for e in runs:
        c = e["check"]
        think = f"{e['think']:g} s" if e["think"] else "none"
        rate = e["applied_n"] / e["seconds"]
        lines.append(
            f"| {e['site']} ({e['services']:,}) | {e['editors']} | {think}, {e['seconds']:g} s | "
            f"{e['applied_n']:,} ({rate:.1f}/s) | {e['conflicts_n']:,} ({e['conflicts_named']:,}) "
            f"| {e['errors_n']:,} | {_t(e['p50'])} | {_t(e['p95'])} | {_t(e['p99'])} | "
            f"{_t(e['max'])} | {_yes(c['each_once'])} ({c['history_rows']:,} rows) | "
            f"{_yes(c['final_is_last'])} | {c['chain_breaks']} | "
            f"{e['load'][0]:.1f}, {e['load'][1]:.1f} |"
        )
    return lines


def phases_table(runs: list[dict[str, Any]]) -> list[str]:
    names = [*PHASES, "commit and the rest"]
    lines = [
        "| site | editors | think | " + " | ".join(names) + " |",
        "|---|---:|---|" + "---:|" * len(names),
    ]
    for e in runs:
        if not e["phases"]:
            continue
        think = f"{e['think']:g} s" if e["think"] else "none"
        cells = [f"{_t(e['phases'][n]['median'])} / {_t(e['phases'][n]['slowest'])}" for n in names]
        lines.append(
            f"| {e['site']} ({e['services']:,}) | {e['editors']} | {think} | "
            + " | ".join(cells)
            + " |"
        )
    return lines


def gaps_table(g: dict[str, Any], runs: int) -> list[str]:
    y, d = g["yaml"], g["db"]
    return [
        f"Gaps at 10,000 services, median of {runs} runs each ({g['gaps_n']:,} gaps; "
        f"same gaps both ways: {_yes(g['same_gaps'])}).",
        "",
        "| from | load | all gap kinds | end to end |",
        "|---|---:|---:|---:|",
        f"| YAML (`load_site`) | {_t(y['load'])} | {_t(y['gaps'])} | {_t(y['total'])} |",
        f"| database (fresh `PgStore(URL#SITE).public()`) | {_t(d['load'])} | {_t(d['gaps'])} "
        f"| {_t(d['total'])} |",
    ]


def targets(figures: dict[str, Any]) -> list[str]:
    lines = ["| measure | target | figure | met? |", "|---|---|---|---|"]
    if "import" in figures:
        lines += _import_targets(figures["import"])
    for e in figures.get("edits", []):
        if e["editors"] != WORKERS:
            continue
        c = e["check"]
        think = f"think {e['think']:g} s" if e["think"] else "no think time"
        kept = c["each_once"] and c["final_is_last"] and c["chain_breaks"] == 0
        kept = kept and c["applied"] == c["history_rows"]
        target, met = "< 100 ms", _yes(e["p95"] < 0.1)
        if not e["think"]:  # ten times the rate of the target's editors: how it degrades
            target, met = "(saturation: not the target)", ""
        lines += [
            f"| p95 edit, 20 editors, {e['site']} ({e['services']:,}), {think} | {target} | "
            f"{_t(e['p95'])} ({e['applied_n']:,} edits) | {met} |",
            f"| no lost update, history complete, {e['site']}, {think} | all | "
            f"{c['applied']:,} applied = {c['history_rows']:,} history rows, "
            f"{c['chain_breaks']} chain breaks | {_yes(kept)} |",
        ]
    if "gaps" in figures:
        g = figures["gaps"]
        ratio = g["db"]["total"] / g["yaml"]["total"]
        lines.append(
            f"| `gaps` at 10,000, database vs YAML, end to end | <= 1.2x | "
            f"{_t(g['db']['total'])} vs {_t(g['yaml']['total'])}: {ratio:.2f}x | "
            f"{_yes(ratio <= 1.2)} |"
        )
    return lines


def _import_targets(f: dict[str, Any]) -> list[str]:
    y, i = f["yaml"]["seconds"], f["import"]
    db_only = i["copy"] + i["commit"]
    n = i["services"]
    return [
        f"| `db import` of {n:,} services vs the YAML load | >= 3x faster | "
        f"{_t(i['seconds'])} vs {_t(y)}: {y / i['seconds']:.2f}x | {_yes(y / i['seconds'] >= 3)} |",
        f"| the import's database part (rows, COPY, commit) vs the YAML load | >= 3x faster | "
        f"{_t(i['database'])}: {y / i['database']:.1f}x | {_yes(y / i['database'] >= 3)} |",
        f"| COPY (services' rows made as sent) + commit vs the YAML load | >= 3x faster | "
        f"{_t(db_only)}: "
        f"{y / db_only:.1f}x | {_yes(y / db_only >= 3)} |",
        f"| COPY + commit vs row-by-row INSERTs + commit | (what COPY buys) | {_t(db_only)} vs "
        f"{_t(i['row_by_row']['seconds'])}: {i['row_by_row']['seconds'] / db_only:.1f}x | |",
        f"| parsing the same YAML alone (what any import of the file does first) vs the YAML "
        f"load | (the bound) | {_t(i['parse'])}: {y / i['parse']:.1f}x faster, so no import "
        f"that reads the YAML can be {y / i['parse']:.1f}x+ faster | |",
        f"| reading the site back vs the YAML load | (not a target) | "
        f"{_t(f['read_owner']['seconds'])}: {y / f['read_owner']['seconds']:.1f}x faster | |",
    ]


def report(figures: dict[str, Any], args: argparse.Namespace) -> str:
    import psycopg

    e = figures.get("edits", [])
    errors = [x for run in e for x in run["errors"]]
    lines = [
        f"machine: {os.cpu_count()} cores (the server, the 20 editors and the benchmark share "
        f"them), Python {platform.python_version()}, psycopg {psycopg.__version__}; "
        f"{figures['version']}",
        "server: " + ", ".join(f"{k}={v}" for k, v in figures["settings"].items()),
        "store: "
        + (
            "`store_shim` applied (the `_Snapshot` lock bug)"
            if figures["shim"]
            else "as it is (no shim needed)"
        ),
        f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in figures['load_before'])} "
        f"before, {' '.join(f'{x:.2f}' for x in figures['load_after'])} after; "
        f"{figures['wall']:.0f} s in all; seed {args.seed}",
    ]
    if "import" in figures:
        lines += ["", *import_table(figures["import"], args.services)]
    if e:
        lines += [
            "",
            f"Concurrent edits: {WORKERS} processes ({COORDINATORS} coordinators, "
            f"{WORKERS - COORDINATORS} editors, two per organisation), latency of `store.edit` "
            "over the applied edits; conflicts are refused edits (stale base), 'winner named' "
            "when the refusal names another editor and the version that won.",
            "",
            *edits_table(e),
            "",
            "Where an applied edit's time goes (median / mean of the slowest 5 %): "
            + "; ".join(f"{k}: {v}" for k, v in PHASE_NOTES.items()),
            "",
            *phases_table(e),
        ]
    if "gaps" in figures:
        lines += ["", *gaps_table(figures["gaps"], args.runs)]
    lines += ["", "Targets", "", *targets(figures)]
    if errors:
        lines += ["", f"other refusals ({sum(r['errors_n'] for r in e)}): " + "; ".join(errors)]
    return "\n".join(lines)


# --- the command --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python bench/db_store.py",
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a try: 10,000-service import, 10 s of edits, 5 s alone, 2 gaps runs",
    )
    p.add_argument("--services", type=int, help="services of the import (default 100,000)")
    p.add_argument("--seconds", type=float, help="seconds of editing per site (default 60)")
    p.add_argument(
        "--saturation-seconds",
        type=float,
        help="seconds of the no-think-time run per site (default: --seconds; 0 skips it)",
    )
    p.add_argument(
        "--solo-seconds",
        type=float,
        help="seconds of one editor alone, no think time, per site (default 10; 0 skips it)",
    )
    p.add_argument("--think", type=float, default=1.0, help="mean think time in s (default 1)")
    p.add_argument("--runs", type=int, help="gaps runs each way (default 5)")
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["import", "edits", "gaps"],
        help="leave a part out (repeatable)",
    )
    p.add_argument(
        "--sites",
        default="brussels,synthetic",
        help="the sites of the edits, comma-separated (default brussels,synthetic: "
        "data/sites/brussels.yaml and a 10,000-service synthetic site)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--append", action="store_true", help="append the figures to bench/RESULTS.md")
    args = p.parse_args(argv)
    args.services = args.services or (10_000 if args.quick else 100_000)
    args.seconds = args.seconds if args.seconds is not None else (10.0 if args.quick else 60.0)
    if args.saturation_seconds is None:
        args.saturation_seconds = args.seconds
    if args.solo_seconds is None:
        args.solo_seconds = 5.0 if args.quick else 10.0
    args.runs = args.runs or (2 if args.quick else 5)
    return args


def main(argv: list[str] | None = None) -> int:
    from bench.pg import Unavailable, cluster, settings, version

    args = parse_args(argv)
    data = default_data()
    data.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"load_before": os.getloadavg(), "shim": store_shim()}
    started = time.perf_counter()
    try:
        with cluster() as server:
            figures["version"], figures["settings"] = version(server), settings(server)
            if "import" not in args.skip:
                print(f"import of {args.services:,} services", file=sys.stderr)
                big, _ = ensure_files(args.services, args.seed, data)
                figures["import"] = measure_import(server, big, args)
            ten, _ = ensure_files(10_000, args.seed, data)
            figures["edits"] = []
            if "edits" not in args.skip:
                runs = [
                    (WORKERS, args.think, args.seconds),
                    (WORKERS, 0.0, args.saturation_seconds),
                    (1, 0.0, args.solo_seconds),
                ]
                sites = {"brussels": (BRUSSELS, "bxl-ed"), "synthetic": (ten, "syn-ed")}
                for path, prefix in (sites[name] for name in args.sites.split(",")):
                    for editors, think, seconds in runs:
                        if not seconds:
                            continue
                        print(
                            f"edits: {path.name}, {editors} editor(s), think {think:g} s",
                            file=sys.stderr,
                        )
                        figures["edits"].append(
                            measure_edits(
                                server, path, prefix, seconds, think, args.seed, editors=editors
                            )
                        )
            if "gaps" not in args.skip:
                print("gaps at 10,000 services", file=sys.stderr)
                figures["gaps"] = measure_gaps(server, ten, args.runs, args.seed)
    except Unavailable as e:
        print(f"no PostgreSQL + PostGIS to measure: {e}", file=sys.stderr)
        return 1
    figures["wall"] = time.perf_counter() - started
    figures["load_after"] = os.getloadavg()
    (data / "db_store.json").write_text(json.dumps(figures, indent=1, default=str))
    text = report(figures, args)
    print(text)
    if args.append:
        command = "python bench/db_store.py" + (" " + " ".join(argv) if argv else "")
        append_results(SECTION, command.replace(" --append", ""), text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
