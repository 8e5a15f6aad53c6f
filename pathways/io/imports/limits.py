"""Bounded reading of source files: a file too large, a zip bomb or a damaged zip member is a
`ValidationError` naming the file, before it costs memory or time."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from pathways.model.errors import Problem, ValidationError, display_path

MAX_BYTES = 32 * 2**20
"""Largest source file read (CSV, JSON, XLSX or zip on disk), and largest total a workbook or an
HSDS package may unpack to (the sizes its zip directory declares; `zipfile` never reads a member
past its declared size). A mapping of 10,000 services is about 5 MiB; 32 MiB of worksheet XML
takes openpyxl about 20 s and 600 MiB."""

MAX_MEMBERS = 2_000
"""Most files a workbook or an HSDS zip may hold."""

MAX_CELLS = 2_000_000
"""Most cells a sheet's table may span (rows x columns up to the last value), merged ranges
filled in."""

ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    zlib.error,
    NotImplementedError,  # a compression method zipfile does not have
    RuntimeError,  # an encrypted member
    ValueError,
)
"""What reading a damaged zip member raises."""


def check_size(path: Path) -> None:
    """Refuse a source file larger than `MAX_BYTES` before reading it."""
    size = path.stat().st_size if path.is_file() else 0
    if size > MAX_BYTES:
        raise ValidationError(
            [
                Problem(
                    display_path(path),
                    0,
                    "",
                    f"file is {size // 2**20} MiB; the limit is {MAX_BYTES // 2**20} MiB "
                    "(split the mapping by site)",
                )
            ]
        )


def open_zip(path: Path, what: str) -> zipfile.ZipFile:
    """A zip checked before anything is unpacked: readable, at most `MAX_MEMBERS` files and
    `MAX_BYTES` unpacked in all. `what` names the kind of file in messages."""
    check_size(path)
    name = display_path(path)
    try:
        z = zipfile.ZipFile(path)
        members = z.infolist()
    except ZIP_ERRORS as e:
        raise ValidationError([Problem(name, 0, "", f"not a readable {what}: {e}")]) from None
    total = sum(m.file_size for m in members)
    problem = None
    if len(members) > MAX_MEMBERS:
        problem = f"holds {len(members)} files; the limit is {MAX_MEMBERS}"
    elif total > MAX_BYTES:
        problem = (
            f"unpacks to {total // 2**20} MiB; the limit is {MAX_BYTES // 2**20} MiB "
            "(a zip bomb, or a mapping to split by site)"
        )
    if problem:
        z.close()
        raise ValidationError([Problem(name, 0, "", f"not imported: the {what} {problem}")])
    return z


def read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, what: str) -> bytes:
    """One member of a zip opened by `open_zip`; a damaged one is a `ValidationError`."""
    try:
        return z.read(info)
    except ZIP_ERRORS as e:
        raise ValidationError(
            [Problem(display_path(path), 0, "", f"not a readable {what}: {info.filename}: {e}")]
        ) from None
