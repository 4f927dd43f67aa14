"""Writing an output file whole or not at all.

Every file bordermap writes for the user (tables, exported layers, exports) is written beside
its target under a temporary name, flushed to disk, and moved over the target only when every
byte is there: a failure (a full disk, a folder that does not exist, a file open in Excel)
leaves the previous file, or none, and never a truncated one. The failure is an
:class:`OutputError` naming the output file and its cause, not the layer store.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyogrio
import pyogrio.errors

from .errors import BordermapError

# what a writer may raise when it cannot write: the OS, GDAL (pyogrio), SQLite (GeoPackage)
WRITE_ERRORS: tuple[type[Exception], ...] = (
    OSError, sqlite3.Error, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError, pyogrio.errors.FeatureError, pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError)
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
NEARLY_FULL = 1 << 20  # bytes
NOT_ALLOWED = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ETXTBSY)


class OutputError(BordermapError):
    """An output file that could not be written; ``code`` names the cause (``output.<code>``)."""

    section = "output"


def output_error(target: Path, error: BaseException, partial: Path | None = None) -> OutputError:
    """The :class:`OutputError` for ``error``, raised while writing ``target`` (through the
    temporary file ``partial``): the cause told by its errno (disk full, permission, folder
    missing), else by GDAL's or SQLite's text, else by the space left on the disk."""
    number = getattr(error, "errno", None)
    text = str(error).replace(str(partial), str(target)) if partial else str(error)
    folder = target.parent
    params = {"file": str(target), "folder": str(folder)}
    if (number in DISK_FULL or "No space left" in text or "database or disk is full" in text
            or (number is None and _nearly_full(folder))):
        return OutputError("disk_full", **params)
    if number in NOT_ALLOWED or "Permission denied" in text or "readonly" in text:
        return OutputError("permission", **params)
    if not folder.is_dir():
        return OutputError("folder_missing", **params)
    if number == errno.EISDIR or target.is_dir():
        return OutputError("is_folder", **params)
    detail = (getattr(error, "strerror", None) or text or type(error).__name__)[:200]
    return OutputError("failed", detail=detail, **params)


def _nearly_full(folder: Path) -> bool:
    """Whether the disk of ``folder`` has less than ``NEARLY_FULL`` bytes left (GDAL tells a full
    disk only as "Cannot write feature")."""
    try:
        stat = os.statvfs(folder)
    except (OSError, AttributeError):  # no folder, or no statvfs (Windows)
        return False
    return stat.f_bavail * stat.f_frsize < NEARLY_FULL


def _fsync(path: Path) -> None:
    """Make the written bytes durable (a full disk may only show here, on some file systems)."""
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)  # Windows syncs writable files only
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _accepted(verify: Callable[[Path], bool], path: Path) -> bool:
    try:
        return verify(path)
    except WRITE_ERRORS:
        return False


def partial_path(target: Path) -> Path:
    """A hidden, unique name beside ``target`` with the same suffix (writers choose by suffix)."""
    return target.with_name(f".{target.stem}-{uuid.uuid4().hex[:8]}.partial{target.suffix}")


def read_back(features: int, layer: str | None = None) -> Callable[[Path], bool]:
    """A check for :func:`replacing` that GDAL reads ``features`` features in ``layer`` (default:
    the first) of the written file: some GDAL drivers (CSV, KML) report no error when the disk
    fills and leave a truncated file."""

    def check(path: Path) -> bool:
        info = pyogrio.read_info(path, layer=layer, force_feature_count=True)
        return int(info["features"]) == features

    return check


@contextmanager
def replacing(target: str | Path, verify: Callable[[Path], bool] | None = None) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to; when the block ends without error (and
    ``verify(path)``, if given, accepts what was written: see :func:`read_back`) it is moved
    over ``target`` in one step. On any failure the temporary file is removed and ``target`` is
    untouched; a write error becomes an :class:`OutputError` naming ``target``.

    A ``target`` that is a symbolic link is written through: the file it points to is replaced.
    """
    target = Path(target)
    final = Path(os.path.realpath(target)) if target.is_symlink() else target
    partial = partial_path(final)
    try:
        yield partial
        if verify is not None and not _accepted(verify, partial):
            raise OutputError("incomplete", file=str(target), folder=str(target.parent))
        _fsync(partial)
        if final.is_file():
            shutil.copymode(final, partial)  # a replaced file keeps its permissions
        os.replace(partial, final)
    except WRITE_ERRORS as error:
        raise output_error(target, error, partial) from error
    finally:
        partial.unlink(missing_ok=True)


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` whole or not at all (:func:`replacing`)."""
    with replacing(target) as partial:
        partial.write_bytes(data)
    return Path(target)
