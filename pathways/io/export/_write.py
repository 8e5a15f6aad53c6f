"""Writing output files whole or not at all: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pathways.model.errors import InventoryError, display_path


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` (same suffix); on success it replaces `path`.

    On any error the temporary file is removed and `path` is left as it was, so a reader never
    sees half a file. An unwritable folder is an `InventoryError` naming the file.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InventoryError(f"{display_path(path)}: folder {display_path(folder)} does not exist")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=folder)
    except OSError as e:
        raise InventoryError(f"{display_path(path)}: cannot write: {e.strerror}") from None
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers (GDAL) refuse to open an existing empty file as a new dataset
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        raise InventoryError(f"{display_path(path)}: cannot write: {e.strerror}") from None
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_folder(path: Path, *, marker: str) -> Iterator[Path]:
    """Like `atomic_output` for a folder; an existing folder is replaced only if it holds `marker`.

    The new folder is filled beside the old one, then swapped in; a folder that is not one of
    ours (no `marker` file) is never deleted.
    """
    path = Path(path)
    if path.exists() and not (path.is_dir() and (path / marker).is_file()):
        raise InventoryError(
            f"{display_path(path)}: exists and is not a data package folder (no {marker}); "
            "choose a new folder or a .zip file"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InventoryError(f"{display_path(path)}: folder {display_path(folder)} does not exist")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=folder))
    except OSError as e:
        raise InventoryError(f"{display_path(path)}: cannot write: {e.strerror}") from None
    old = folder / f"{tmp.name}.old"
    try:
        yield tmp
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    except OSError as e:
        raise InventoryError(f"{display_path(path)}: cannot write: {e.strerror}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
