"""The files of the YAML store: a lock beside the inventory, atomic replaces, JSON Lines journals.

- `locked(path)`: an exclusive `fcntl.flock` on `NAME.yaml.lock` beside the inventory, held
  over a whole read-check-validate-write-history step. The lock file is never removed (removing
  it would let two processes lock two different files); it holds nothing.
- `replace_atomically(path, data)`: the new bytes go to a temporary file in the same folder,
  flushed and fsynced, then `os.replace` puts it in place and the folder is fsynced: a crash
  leaves the old file or the new one, never a torn one. The file keeps its permission bits.
- `append_line(path, record)`: one JSON object per line, appended, flushed and fsynced.
  `read_lines(path)` reads them back, oldest first; a line cut short by a crash is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pathways.model.errors import InventoryError, display_path

try:
    import fcntl
except ImportError:  # Windows: no flock; the YAML store needs a POSIX system
    fcntl = None  # type: ignore[assignment]

LOCK_TIMEOUT_S = 30.0
"""How long a change waits for another one to finish before giving up."""


def beside(path: Path, suffix: str) -> Path:
    """A file kept beside the inventory: `koro.yaml` -> `koro.yaml<suffix>`."""
    return path.with_name(path.name + suffix)


@contextlib.contextmanager
def locked(path: Path, *, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the inventory's lock (`NAME.yaml.lock`, created if needed) for the block."""
    if fcntl is None:
        raise InventoryError("editing needs a POSIX system (file locks with flock)")
    lock_path = beside(path, ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise InventoryError(f"{display_path(lock_path)}: cannot lock: {e.strerror}") from None
    try:
        _acquire(fd, lock_path, timeout)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, lock_path: Path, timeout: float) -> None:
    """Take the lock, waiting up to `timeout` seconds for the one who holds it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise InventoryError(
                    f"{display_path(lock_path)}: another change has held the lock for "
                    f"{timeout:.0f} s; try again"
                ) from None
            time.sleep(0.01)


def write_temporary(path: Path, data: bytes) -> Path:
    """`data` in a new file beside `path`, flushed and fsynced; the caller renames or removes
    it. A write that fails leaves no temporary file and is an `InventoryError` naming `path`."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".saving", dir=path.parent)
    except OSError as e:
        raise InventoryError(f"{display_path(path)}: cannot write: {e.strerror}") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise InventoryError(f"{display_path(path)}: cannot write: {e.strerror}") from None
    return tmp


def replace_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (temporary file, fsync, rename, fsync the folder)."""
    folder = path.parent
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o644
    tmp = write_temporary(path, data)
    try:
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as e:
        raise InventoryError(f"{display_path(path)}: cannot write: {e.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
    fsync_folder(folder)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the system allows opening a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def append_line(path: Path, record: Mapping[str, Any]) -> None:
    """Append one JSON object as a line, flushed and fsynced."""
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    new = not path.exists()
    try:
        with path.open("a+b") as f:
            size = f.seek(0, os.SEEK_END)
            if size:
                f.seek(size - 1)
                if f.read(1) != b"\n":  # a line cut short by a crash: end it first
                    data = b"\n" + data
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise InventoryError(f"{display_path(path)}: cannot write: {e.strerror}") from None
    if new:
        fsync_folder(path.parent)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a journal, oldest first ([] when there is none yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as e:
        raise InventoryError(f"{display_path(path)}: cannot read: {e}") from None
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:  # a line cut short by a crash
            continue
        if not isinstance(record, dict):
            raise InventoryError(f"{display_path(path)}:{n}: not a JSON object")
        out.append(record)
    return out
