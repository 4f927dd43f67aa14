"""Open zip archives from the field without trusting them.

Every member name is checked before anything is read (no absolute paths, drive
letters or ``..`` parts: "zip-slip"), and the unpacked size is bounded both in
absolute terms and relative to the archive's own size ("zip bombs"). Members are
only ever read into memory or written under names chosen by the caller, never
under their own names.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .findings import LayerReadError

MAX_RATIO = 200  # an archive may unpack to at most this many times its own size ...
RATIO_FREE_BYTES = 20 * 1024**2  # ... unless it unpacks to less than this

_DRIVE = re.compile(r"^[A-Za-z]:")


def megabytes(size: int) -> float:
    """``size`` bytes in MB (MiB), rounded for messages."""
    return round(size / 1024**2, 1)


def is_safe_name(name: str) -> bool:
    """Whether a member name stays inside the folder it is unpacked to."""
    parts = name.replace("\\", "/").split("/")
    return not (
        name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts or "\x00" in name
    )


def is_junk(name: str) -> bool:
    """macOS resource forks (``__MACOSX/``, ``._x.shp``) that zip tools add beside real files."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.parts[:1] == ("__MACOSX",) or path.name.startswith("._")


def check_members(infos: list[zipfile.ZipInfo], packed_bytes: int, limit: int) -> None:
    """Refuse unsafe member names, and unpacked totals above ``limit`` or absurd ratios."""
    for info in infos:
        if not is_safe_name(info.filename):
            raise LayerReadError("unsafe_archive", member=info.filename)
    unpacked = sum(info.file_size for info in infos)
    allowed = min(limit, max(RATIO_FREE_BYTES, packed_bytes * MAX_RATIO))
    if unpacked > allowed:
        raise LayerReadError("too_large", size_mb=megabytes(unpacked), limit_mb=megabytes(allowed))


@contextmanager
def safe_zip(path: Path, limit: int) -> Iterator[zipfile.ZipFile]:
    """The zip archive at ``path``, after :func:`check_members`; a broken zip is ``unreadable``."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_members(archive.infolist(), path.stat().st_size, limit)
            yield archive
    except zipfile.BadZipFile as exc:
        raise LayerReadError("unreadable", detail=str(exc)) from exc


def layer_members(archive: zipfile.ZipFile, suffix: str) -> list[zipfile.ZipInfo]:
    """Members whose name ends with ``suffix`` (any case), macOS junk left out."""
    return [
        info for info in archive.infolist()
        if info.filename.lower().endswith(suffix) and not is_junk(info.filename)
    ]


def extract_to(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Write one member to ``target`` (a name chosen by the caller, not the member's own)."""
    with archive.open(info) as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink)
