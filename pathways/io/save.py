"""Saving an inventory: validated first, written whole or not at all, the previous version kept.

`save_inventory(data_or_yaml_text, path)` is the one way the program (and any future editing page
of the app) writes an inventory file:

1. the new text is written to a temporary file in the same folder (so it lands on the same file
   system and its relative boundary and areas paths resolve as they will), flushed and fsynced;
2. it is loaded and validated there with `pathways.io.load.load_site`; any problem is a
   `ValidationError` naming `path` (never the temporary file), and nothing else changes;
3. the current file, if any, is kept as `NAME.yaml.prev` (and, with `keep > 1`, as a timestamped
   copy in a `.history/` folder beside it, the newest `keep` of them kept);
4. `os.replace` puts the new file in place (atomic on POSIX and Windows), and the folder is
   fsynced so the rename survives a power cut.

A crash at any point leaves either the old file or the new one, never half of one. The temporary
file's name (`.NAME.yaml.XXXX.saving`) and the kept copies (`.prev`, `.history/`) have no
inventory suffix, so a folder scan (`pathways.io.load.find_inventories`, the app) never reads them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pathways.io.load import load_site
from pathways.io.store.files import fsync_folder, write_temporary
from pathways.model.errors import InventoryError, Problem, ValidationError, display_path
from pathways.model.inventory import Inventory

PREVIOUS_SUFFIX = ".prev"
HISTORY = ".history"
SAVE_SUFFIXES = (".yaml", ".yml")


def save_inventory(
    data: Mapping[str, Any] | str, path: str | os.PathLike[str], *, keep: int = 1
) -> Inventory:
    """Validate an inventory (records or YAML text) and write it to `path` atomically.

    `keep`: 0 keeps no previous version; 1 keeps it as `NAME.yaml.prev`; more also keeps
    timestamped copies in `.history/` beside the file, the newest `keep` of them. Returns the
    `Inventory` as loaded from `path`. Raises `ValidationError` (nothing written) when the
    inventory is not valid, `InventoryError` when the folder cannot be written.
    """
    path = Path(path)
    if keep < 0:
        raise ValueError("keep must be 0 or more")
    if path.suffix.lower() not in SAVE_SUFFIXES:
        raise InventoryError(f"{display_path(path)}: an inventory is saved as .yaml")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InventoryError(f"{display_path(path)}: folder {display_path(folder)} does not exist")
    text = data if isinstance(data, str) else _yaml(data)
    tmp = _write_temporary(text, path)
    try:
        try:
            inventory = load_site(tmp)
        except ValidationError as e:
            name = display_path(tmp)
            raise ValidationError(
                [
                    Problem(
                        display_path(path) if p.file == name else p.file, p.line, p.field, p.message
                    )
                    for p in e.problems
                ]
            ) from None
        except InventoryError as e:
            raise InventoryError(str(e).replace(display_path(tmp), display_path(path))) from None
        if keep and path.exists():
            _keep_previous(path, keep)
        try:
            os.replace(tmp, path)
        except OSError as e:
            raise InventoryError(f"{display_path(path)}: cannot write: {e.strerror}") from None
        fsync_folder(folder)
    finally:
        tmp.unlink(missing_ok=True)
    return inventory.model_copy(update={"path": path.resolve()})


def _yaml(data: Mapping[str, Any]) -> str:
    return dump_yaml(dict(data))


class _Dumper(yaml.SafeDumper):
    """YAML in the repository's style: multi-line text as a `|` block."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: dict[str, Any]) -> str:
    """Inventory records as YAML in the repository's style (short lists and maps inline)."""
    parts = []
    for key in ("site", "services", "referrals"):
        if key in data:
            parts.append(
                yaml.dump(
                    {key: data[key]},
                    Dumper=_Dumper,
                    sort_keys=False,
                    allow_unicode=True,
                    width=100,
                    default_flow_style=None,
                )
            )
    return "\n".join(parts)


def _write_temporary(text: str, path: Path) -> Path:
    """The text in a new file beside `path`, flushed and fsynced (the data is on disk)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValidationError(
            [Problem(display_path(path), 0, "", f"text that is not valid Unicode: {e.reason}")]
        ) from None
    return write_temporary(path, data)


def previous_path(path: str | os.PathLike[str]) -> Path:
    """Where the version before the last save is kept: `NAME.yaml.prev`."""
    path = Path(path)
    return path.with_name(path.name + PREVIOUS_SUFFIX)


def history(path: str | os.PathLike[str]) -> list[Path]:
    """The timestamped copies of earlier versions of `path`, oldest first."""
    path = Path(path)
    folder = path.parent / HISTORY
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{path.stem}.*{path.suffix}{PREVIOUS_SUFFIX}"))


def _keep_previous(path: Path, keep: int) -> None:
    """Copy the current file to `.prev` (and `.history/`) atomically, before it is replaced."""
    _copy_atomically(path, previous_path(path))
    if keep > 1:
        folder = path.parent / HISTORY
        folder.mkdir(exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        _copy_atomically(path, folder / f"{path.stem}.{stamp}{path.suffix}{PREVIOUS_SUFFIX}")
        for old in history(path)[:-keep]:
            old.unlink(missing_ok=True)


def _copy_atomically(source: Path, target: Path) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".saving", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        shutil.copy2(source, tmp)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        raise InventoryError(
            f"{display_path(target)}: cannot keep the previous version: {e}"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
