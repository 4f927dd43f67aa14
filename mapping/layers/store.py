"""The layer store: current layers, every committed version, rollback.

``LayerStore`` is the interface the rest of bordermap uses; ``GeoPackageStore``
implements it on one GeoPackage file (EPSG:4326) with rasters in a folder
beside it, so that a PostGIS backend can implement the same methods.

Atomicity: a commit copies the GeoPackage to a temporary file in the same
folder, writes there, and replaces the original with ``os.replace`` only when
every write succeeded. A failed commit leaves the store byte-for-byte as it was.
Each version keeps a snapshot of its layer (``history_<kind>_v<N>``) so any
version can be restored; a rollback is itself a new version.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import pandas as pd
import pyogrio
from filelock import FileLock

from ..errors import BordermapError
from ..i18n import Term
from .diff import LayerDiff, diff_layers
from .schema import KINDS, STORAGE_CRS, get_kind, with_schema_types

VERSIONS_TABLE = "bordermap_versions"
RECORDS_TABLE = "bordermap_records"
ABOUT_TABLE = "bordermap_store"


@dataclass(frozen=True)
class CommitInfo:
    """Who commits what: user name, source file name and its SHA-256, fixes applied."""

    user: str
    source_file: str = ""
    sha256: str = ""
    action: str = "import"
    fixes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Version:
    """One committed change of one layer."""

    version: int
    kind: str
    action: str
    time: str  # UTC, ISO 8601
    user: str
    source_file: str
    sha256: str
    features: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    fixes: list[str]
    restored_from: int | None = None
    stored_file: str | None = None  # rasters: the file name in the store's raster folder

    def as_dict(self) -> dict:
        return asdict(self)


class StoreError(BordermapError):
    """The store cannot do what was asked (e.g. an unknown version); ``code`` names the message."""

    section = "store"


class UnreadableStoreError(StoreError):
    """The store file cannot be used at all (e.g. it is not a GeoPackage)."""


class StoreTransaction(Protocol):
    """What a transaction offers: the layers as it sees them, and commits."""

    def current(self, kind: str) -> gpd.GeoDataFrame | None: ...

    def commit_layer(self, kind: str, layer: gpd.GeoDataFrame, info: CommitInfo,
                     restored_from: int | None = None) -> Version: ...

    def commit_raster(self, kind: str, source: Path, info: CommitInfo,
                      restored_from: int | None = None) -> Version: ...


class LayerStore(ABC):
    """What bordermap needs from a store of layers, whatever the backend."""

    @abstractmethod
    def kinds(self) -> list[str]:
        """Kinds that have a current layer, in schema order."""

    @abstractmethod
    def read(self, kind: str) -> gpd.GeoDataFrame | None:
        """The current layer of ``kind`` with schema types (EPSG:4326), or None."""

    @abstractmethod
    def raster_path(self, kind: str = "population") -> Path | None:
        """The current raster file of ``kind``, or None."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[StoreTransaction]:
        """Reads and commits that land together or not at all, one writer at a time."""

    @abstractmethod
    def commit_layer(self, kind: str, layer: gpd.GeoDataFrame, info: CommitInfo) -> Version:
        """Replace the layer of ``kind`` with ``layer`` as a new version, atomically."""

    @abstractmethod
    def commit_raster(self, kind: str, source: Path, info: CommitInfo) -> Version:
        """Store a copy of the raster ``source`` as the new version of ``kind``."""

    @abstractmethod
    def history(self, kind: str | None = None) -> list[Version]:
        """Committed versions, oldest first, optionally of one kind."""

    @abstractmethod
    def rollback(self, version: int, user: str) -> Version:
        """Make the layer as it was at ``version`` current again (a new version); ``StoreError``
        when it already is."""

    @abstractmethod
    def records(self, collection: str) -> list[dict]:
        """Saved documents of ``collection`` (e.g. delegate notes, scenarios), oldest first."""

    @abstractmethod
    def save_record(self, collection: str, record_id: str, data: dict) -> None:
        """Insert or replace one JSON-serialisable document; layers and versions are untouched."""

    @abstractmethod
    def delete_record(self, collection: str, record_id: str) -> None:
        """Remove one document (nothing happens when there is none); layers and versions are untouched."""

    def ids(self, kind: str) -> set[str]:
        layer = self.read(kind)
        id_column = get_kind(kind).id_column
        return set() if layer is None else set(layer[id_column].dropna().astype(str))

    def diff(self, kind: str, layer: gpd.GeoDataFrame) -> LayerDiff:
        """What committing ``layer`` (schema types) as ``kind`` would change, by id."""
        return diff_layers(self.read(kind), layer, get_kind(kind).id_column)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _snapshot_name(kind: str, version: int) -> str:
    return f"history_{kind}_v{version:04d}"


class GeoPackageStore(LayerStore):
    """Layers in one GeoPackage; rasters in the folder ``<name>-rasters`` beside it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.raster_dir = self.path.with_name(f"{self.path.stem}-rasters")

    # ------------------------------------------------------------ its files
    def files(self) -> list[Path]:
        """The files that make the store: the GeoPackage, SQLite's journals beside it, its lock
        file and the stored rasters."""
        beside = [self.path.with_name(f"{self.path.name}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
        rasters = sorted(self.raster_dir.iterdir()) if self.raster_dir.is_dir() else []
        return [self.path, *beside, self.path.with_name(f".{self.path.name}.lock"), *rasters]

    def owns(self, path: str | Path) -> bool:
        """Whether writing to ``path`` would write into the store: ``path`` is one of its
        :meth:`files` (also through a symbolic or hard link: the same device and inode), or lies
        in its raster folder, or is the name SQLite gives the store's journal files."""
        path = Path(path)
        where = path.resolve()
        own = self.files()
        if where.is_relative_to(self.raster_dir.resolve()) or where in {f.resolve() for f in own}:
            return True  # also a journal that does not exist yet: SQLite would take it for one
        try:
            target = path.stat()
        except OSError:  # nothing there yet, or a dangling link: not a file of the store
            return False
        for file in own:
            try:
                if os.path.samestat(target, file.stat()):
                    return True
            except OSError:
                continue
        return False

    def check(self) -> None:
        """Refuse a store file that is not a GeoPackage (empty, not SQLite, or SQLite without
        the GeoPackage tables), before anything reads it or writes into it: ``StoreError``
        ``not_a_store``. A store that does not exist yet passes (it is created on first commit)."""
        reason = _not_a_geopackage(self.path)
        if reason:
            raise UnreadableStoreError("not_a_store", store=str(self.path),
                                       reason=Term(f"store.not_a_store_reason.{reason}"))

    # ------------------------------------------------------------ reading
    def _layer_names(self) -> set[str]:
        if not self.path.exists():
            return set()
        return {str(name) for name, _ in pyogrio.list_layers(self.path)}

    def kinds(self) -> list[str]:
        """Kinds with a current layer; a layer cleared (its last version has no feature) has none."""
        names = self._layer_names()
        latest = {v.kind: v for v in self.history()}
        with_raster = {k for k, v in latest.items() if v.stored_file}
        cleared = {k for k, v in latest.items() if not v.stored_file and v.features == 0}
        return [k for k in KINDS if (k in names and k not in cleared) or k in with_raster]

    def read(self, kind: str) -> gpd.GeoDataFrame | None:
        """The current layer, or None when there is none or it was cleared (no feature)."""
        layer = self._read_layer(kind, kind)
        return None if layer is None or layer.empty else layer

    def _read_layer(self, kind: str, layer_name: str) -> gpd.GeoDataFrame | None:
        if layer_name not in self._layer_names():
            return None
        layer = pyogrio.read_dataframe(self.path, layer=layer_name)
        return with_schema_types(layer, get_kind(kind))

    def raster_path(self, kind: str = "population") -> Path | None:
        files = [v.stored_file for v in self.history(kind) if v.stored_file]
        return self.raster_dir / files[-1] if files else None

    def history(self, kind: str | None = None) -> list[Version]:
        state = _file_state(self.path)
        versions = _versions(state)[0] if state else ()
        return [v for v in versions if kind is None or v.kind == kind]

    def damaged_versions(self) -> dict[int, str]:
        """Rows of the history table that cannot be read (version number: the first column that
        cannot be read); they are left out of :meth:`history`, which goes on with the others."""
        state = _file_state(self.path)
        return dict(_versions(state)[1]) if state else {}

    def records(self, collection: str) -> list[dict]:
        state = _file_state(self.path)
        return [json.loads(data) for data in _records(state, collection)] if state else []

    # ------------------------------------------------------------ writing
    def save_record(self, collection: str, record_id: str, data: dict) -> None:
        """One SQLite transaction under the store's lock: it lands whole or not at all."""
        text = json.dumps(data, ensure_ascii=False)
        with self._lock(), closing(sqlite3.connect(self.path)) as db, db:
            _ensure_attribute_table(db, RECORDS_TABLE, """collection TEXT NOT NULL, id TEXT NOT NULL,
                updated TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (collection, id)""")
            db.execute(f"INSERT INTO {RECORDS_TABLE} (collection, id, updated, data) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (collection, id) DO UPDATE SET updated = excluded.updated, "
                       "data = excluded.data", (collection, record_id, _now(), text))

    def delete_record(self, collection: str, record_id: str) -> None:
        """One SQLite DELETE under the store's lock."""
        with self._lock(), closing(sqlite3.connect(self.path)) as db, db:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (RECORDS_TABLE,)).fetchone():
                db.execute(f"DELETE FROM {RECORDS_TABLE} WHERE collection = ? AND id = ?",
                           (collection, record_id))

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One writer at a time, across processes (a lock file beside the store)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(self.path.with_name(f".{self.path.name}.lock")):
            yield

    @contextmanager
    def transaction(self, new: bool = False) -> Iterator[_Transaction]:
        """Several commits that land together or not at all; ``new``: the store must not exist
        yet (``StoreError`` ``store_exists`` otherwise, and nothing is written)."""
        with self._lock():
            if new and self.path.exists():
                raise StoreError("store_exists", store=str(self.path))
            tmp = self.path.with_name(f".{self.path.stem}-{uuid.uuid4().hex}.tmp.gpkg")
            written: list[Path] = []
            try:
                if self.path.exists():
                    shutil.copy2(self.path, tmp)
                else:
                    _create_geopackage(tmp)
                yield _Transaction(self, tmp, written)
                os.replace(tmp, self.path)
                written.clear()
            finally:
                tmp.unlink(missing_ok=True)
                for path in written:  # rasters copied by a transaction that failed
                    path.unlink(missing_ok=True)

    def commit_layer(self, kind: str, layer: gpd.GeoDataFrame, info: CommitInfo) -> Version:
        with self.transaction() as tx:
            return tx.commit_layer(kind, layer, info)

    def commit_raster(self, kind: str, source: Path, info: CommitInfo) -> Version:
        with self.transaction() as tx:
            return tx.commit_raster(kind, source, info)

    def rollback(self, version: int, user: str) -> Version:
        target = next((v for v in self.history() if v.version == version), None)
        if target is None and version in self.damaged_versions():
            raise StoreError("damaged_version", version=version)
        if target is None:
            raise StoreError("unknown_version", version=version)
        info = CommitInfo(user=user, source_file=target.source_file, sha256=target.sha256,
                          action="rollback")
        current = self.history(target.kind)[-1]
        with self.transaction() as tx:
            if target.stored_file:
                if target.sha256 and target.sha256 == current.sha256:
                    raise StoreError("already_current", version=version, kind=Term(f"kinds.{target.kind}"))
                return tx.commit_raster(target.kind, self.raster_dir / target.stored_file, info,
                                        restored_from=version)
            snapshot = self._read_layer(target.kind, _snapshot_name(target.kind, version))
            if snapshot is None:
                raise StoreError("snapshot_missing", version=version)
            if diff_layers(tx.current(target.kind), snapshot, get_kind(target.kind).id_column).empty:
                raise StoreError("already_current", version=version, kind=Term(f"kinds.{target.kind}"))
            return tx.commit_layer(target.kind, snapshot, info, restored_from=version)


class _Transaction:
    """Writes into the temporary copy of a store; see ``GeoPackageStore.transaction``."""

    def __init__(self, store: GeoPackageStore, tmp: Path, written: list[Path]) -> None:
        self.store = store
        self.tmp = tmp
        self.written = written

    def _next_version(self) -> int:
        with closing(sqlite3.connect(self.tmp)) as db:
            _ensure_versions_table(db)
            (last,) = db.execute(f"SELECT MAX(version) FROM {VERSIONS_TABLE}").fetchone()
        return (last or 0) + 1

    def current(self, kind: str) -> gpd.GeoDataFrame | None:
        """The ``kind`` layer as this transaction sees it (schema types), or None."""
        if kind not in {n for n, _ in pyogrio.list_layers(self.tmp)}:
            return None
        return with_schema_types(pyogrio.read_dataframe(self.tmp, layer=kind), get_kind(kind))

    def commit_layer(self, kind: str, layer: gpd.GeoDataFrame, info: CommitInfo,
                     restored_from: int | None = None) -> Version:
        spec = get_kind(kind)
        layer = with_schema_types(layer, spec).to_crs(STORAGE_CRS)
        change = diff_layers(self.current(kind), layer, spec.id_column)
        number = self._next_version()
        geometry_type = {"Point": "Point", "LineString": "MultiLineString",
                         "Polygon": "MultiPolygon"}[spec.geometry_types[0]]
        for name in (kind, _snapshot_name(kind, number)):
            pyogrio.write_dataframe(layer, self.tmp, layer=name, driver="GPKG",
                                    promote_to_multi=geometry_type.startswith("Multi"),
                                    geometry_type=geometry_type)
        version = Version(number, kind, info.action, _now(), info.user, info.source_file,
                          info.sha256, len(layer), change.added, change.changed, change.removed,
                          list(info.fixes), restored_from)
        self._record(version)
        return version

    def commit_raster(self, kind: str, source: Path, info: CommitInfo,
                      restored_from: int | None = None) -> Version:
        number = self._next_version()
        self.store.raster_dir.mkdir(parents=True, exist_ok=True)
        stored = f"{kind}-v{number:04d}.tif"
        target = self.store.raster_dir / stored
        self.written.append(target)
        shutil.copyfile(source, target)
        version = Version(number, kind, info.action, _now(), info.user, info.source_file,
                          info.sha256, 1, [], [], [], list(info.fixes), restored_from, stored)
        self._record(version)
        return version

    def _record(self, version: Version) -> None:
        row = version.as_dict()
        for key in ("added", "changed", "removed", "fixes"):
            row[key] = json.dumps(row[key], ensure_ascii=False)
        with closing(sqlite3.connect(self.tmp)) as db, db:
            _ensure_versions_table(db)
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            db.execute(f"INSERT INTO {VERSIONS_TABLE} ({names}) VALUES ({marks})",
                       tuple(row.values()))


FileState = tuple[str, int, int, int, bytes, tuple[int, int] | None]


def _file_state(path: Path) -> FileState | None:
    """What identifies the store file's content: its path, inode, modification time (ns), size,
    SQLite's file change counter (header bytes 24–27, incremented by every transaction committed
    to the file) and the size and time of its write-ahead log, where commits go while a program
    such as QGIS holds the file open in WAL mode; None when it does not exist. What was read at
    one state can be read again from memory."""
    try:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            handle.seek(24)
            counter = handle.read(4)
    except FileNotFoundError:
        return None
    try:
        wal = path.with_name(f"{path.name}-wal").stat()
        log: tuple[int, int] | None = (wal.st_size, wal.st_mtime_ns)
    except FileNotFoundError:
        log = None
    return str(path.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size, counter, log


def _read_only(state: FileState) -> sqlite3.Connection:
    return sqlite3.connect(f"{Path(state[0]).as_uri()}?mode=ro", uri=True)


@lru_cache(maxsize=32)
def _versions(state: FileState) -> tuple[tuple[Version, ...], tuple[tuple[int, str], ...]]:
    """Every committed version of the store file in ``state`` (read once per state: the app asks
    at every rerun), and the rows that cannot be read, as (version, what is wrong)."""
    with closing(_read_only(state)) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (VERSIONS_TABLE,)).fetchone():
            return (), ()
        rows = db.execute(f"SELECT * FROM {VERSIONS_TABLE} ORDER BY version").fetchall()
    versions, damaged = [], []
    for row in rows:
        try:
            versions.append(_version_from_row(row))
        except DamagedRowError as error:
            damaged.append((row[0], error.column))
    return tuple(versions), tuple(damaged)


@lru_cache(maxsize=64)
def _records(state: FileState, collection: str) -> tuple[str, ...]:
    """The JSON text of the records of ``collection`` in the store file in ``state``."""
    with closing(_read_only(state)) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (RECORDS_TABLE,)).fetchone():
            return ()
        rows = db.execute(f"SELECT data FROM {RECORDS_TABLE} WHERE collection = ? ORDER BY rowid",
                          (collection,)).fetchall()
    return tuple(data for (data,) in rows)


def _create_geopackage(path: Path) -> None:
    """A new GeoPackage holding the store's description table and its (empty) versions table."""
    about = pd.DataFrame({"store_format": [1], "created": [_now()]})
    pyogrio.write_dataframe(about, path, layer=ABOUT_TABLE, driver="GPKG")
    with closing(sqlite3.connect(path)) as db:
        _ensure_versions_table(db)


def _ensure_versions_table(db: sqlite3.Connection) -> None:
    """Create the versions table and register it as a GeoPackage attribute table."""
    _ensure_attribute_table(db, VERSIONS_TABLE, """
        version INTEGER PRIMARY KEY, kind TEXT NOT NULL, action TEXT NOT NULL,
        time TEXT NOT NULL, user TEXT, source_file TEXT, sha256 TEXT, features INTEGER,
        added TEXT, changed TEXT, removed TEXT, fixes TEXT, restored_from INTEGER,
        stored_file TEXT""")
    db.commit()


def _ensure_attribute_table(db: sqlite3.Connection, table: str, columns: str) -> None:
    """Create ``table`` if needed and register it as a GeoPackage attribute table (GIS tools list it)."""
    db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    has_contents = db.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'gpkg_contents'").fetchone()
    if has_contents:
        db.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) "
                   "VALUES (?, 'attributes', ?)", (table, table))


class DamagedRowError(ValueError):
    """A row of the versions table whose ``column`` cannot be read."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


VERSION_COLUMNS = ("version", "kind", "action", "time", "user", "source_file", "sha256", "features",
                   "added", "changed", "removed", "fixes", "restored_from", "stored_file")


def _version_from_row(row: tuple) -> Version:
    """A row of the versions table; ``DamagedRowError`` naming the first column that cannot be
    read in a row damaged by hand or by another program (text that is not a JSON list of texts,
    an unknown kind, a stored raster named outside the raster folder, a count that is not a
    number)."""
    values = dict(zip(VERSION_COLUMNS, row, strict=True))
    if values["kind"] not in KINDS:
        raise DamagedRowError("kind")
    stored_file = values["stored_file"]
    if stored_file is not None and (not isinstance(stored_file, str) or stored_file in ("", ".", "..")
                                    or Path(stored_file).name != stored_file):
        raise DamagedRowError("stored_file")
    lists = {name: _id_list(values[name], name) for name in ("added", "changed", "removed", "fixes")}
    numbers = {name: _whole(values[name], name) for name in ("version", "features", "restored_from")}
    return Version(numbers["version"] or 0, values["kind"], str(values["action"]), str(values["time"]),
                   str(values["user"] or ""), str(values["source_file"] or ""),
                   str(values["sha256"] or ""), numbers["features"] or 0, lists["added"],
                   lists["changed"], lists["removed"], lists["fixes"], numbers["restored_from"],
                   stored_file)


def _id_list(text: object, column: str) -> list[str]:
    """A JSON list of texts (ids, fixes) from the versions table."""
    try:
        value = json.loads(text or "[]") if isinstance(text, str | type(None)) else None
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DamagedRowError(column)
    return value


def _whole(value: object, column: str) -> int | None:
    """A whole number (or None) from the versions table."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise DamagedRowError(column)


SQLITE_MAGIC = b"SQLite format 3\x00"


def _not_a_geopackage(path: Path) -> str | None:
    """Why the file at ``path`` is not a GeoPackage (``empty``, ``not_sqlite``, ``not_geopackage``),
    or None when it is one or does not exist."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return None
    if not header:
        return "empty"
    if header != SQLITE_MAGIC:
        return "not_sqlite"
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return "not_sqlite"
    return None if {"gpkg_contents", "gpkg_spatial_ref_sys"} <= tables else "not_geopackage"
