"""The GeoPackage backend of the layer store: one GeoPackage file (EPSG:4326), its rasters in
the folder ``<name>-rasters`` beside it, one writer at a time (a lock file beside it).

A transaction writes in place, in ONE SQLite transaction (``BEGIN IMMEDIATE`` … ``COMMIT``):
the layer table, its history snapshot (``history_<kind>_v<N>``) and the version row land
together or not at all, and SQLite's journal keeps the file whole if the program is killed
(the next opening rolls the unfinished transaction back). Its cost grows with what is
committed, not with the store. Only a new store is written to a temporary file beside the
target and moved into place when its first transaction commits. A raster is copied into the
raster folder before its version row commits; a killed commit leaves an unreferenced raster
there, removed at the next opening, as are temporary files left by older versions of
bordermap (which copied the whole store at every commit).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
from filelock import FileLock, Timeout

from ..i18n import Term
from .diff import diff_layers
from .gpkg_features import EncodedLayer, write_layer
from .schema import KINDS, STORAGE_CRS, get_kind, with_schema_types
from .store import (
    CommitInfo,
    LayerStore,
    StoreError,
    UnreadableStoreError,
    Version,
    backend_errors,
    current_kinds,
    now,
    raster_file_name,
    read_versions,
    snapshot_name,
    version_row,
)

VERSIONS_TABLE = "bordermap_versions"
RECORDS_TABLE = "bordermap_records"
ABOUT_TABLE = "bordermap_store"
ERRORS = (sqlite3.Error, OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
          pyogrio.errors.FieldError, pyogrio.errors.GeometryError)


class GeoPackageStore(LayerStore):
    """Layers in one GeoPackage; rasters in the folder ``<name>-rasters`` beside it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.raster_dir = self.path.with_name(f"{self.path.stem}-rasters")

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        """Whether there is a file at the store's path (a dangling link counts: nothing is
        ever written through it)."""
        return self.path.exists() or self.path.is_symlink()

    def _errors(self) -> AbstractContextManager[None]:
        return backend_errors(self.location, ERRORS)

    # ------------------------------------------------------------ its files
    def files(self) -> list[Path]:
        """The files that make the store: the GeoPackage, SQLite's journals beside it, its lock
        file and the stored rasters."""
        beside = [self.path.with_name(f"{self.path.name}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
        rasters = sorted(self.raster_dir.iterdir()) if self.raster_dir.is_dir() else []
        return [self.path, *beside, self._lock_path(), *rasters]

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
        the GeoPackage tables): ``UnreadableStoreError`` ``not_a_store``. Then, unless another
        program is writing, finish what a killed writer left: roll back its unfinished
        transaction, remove its unreferenced rasters and the temporary copies older versions
        of bordermap made. A store that does not exist yet passes."""
        reason = _not_a_geopackage(self.path)
        if reason:
            raise UnreadableStoreError("not_a_store", store=self.location,
                                       reason=Term(f"store.not_a_store_reason.{reason}"))
        lock = FileLock(self._lock_path(), timeout=0)
        try:
            lock.acquire()
        except (Timeout, OSError):  # a writer is at work (it tidies when it starts), or read-only
            return
        try:
            with self._errors():
                self._tidy()
        finally:
            lock.release()

    def _lock_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.lock")

    def _tidy(self) -> None:
        """With the lock held: roll back a transaction a killed writer left (its hot journal),
        and remove leftovers: temporary copies beside the store and rasters of versions that
        were never committed."""
        for stale in self.path.parent.glob(f".{self.path.stem}-*.tmp.gpkg*"):
            stale.unlink(missing_ok=True)
        if not self.path.exists():
            return
        journal = self.path.with_name(f"{self.path.name}-journal")
        if journal.exists():
            with closing(sqlite3.connect(self.path, timeout=0, isolation_level=None)) as db:
                try:
                    db.execute("BEGIN IMMEDIATE")  # rolls a hot journal back; no other writer now
                except sqlite3.OperationalError:  # another program (QGIS) is writing: its journal
                    return
                journal.unlink(missing_ok=True)  # not hot (killed before its header): ignored by SQLite
                db.execute("ROLLBACK")
        if self.raster_dir.is_dir():
            last = max([v.version for v in self.history()] + list(self.damaged_versions()), default=0)
            for kind in KINDS:
                for raster in self.raster_dir.glob(f"{kind}-v*.tif"):
                    number = raster.name[len(kind) + 2:-4]
                    if number.isdigit() and int(number) > last:
                        raster.unlink()

    # ------------------------------------------------------------ reading
    def _layer_names(self) -> set[str]:
        if not self.path.exists():
            return set()
        with self._errors():
            return {str(name) for name, _ in pyogrio.list_layers(self.path)}

    def kinds(self) -> list[str]:
        return current_kinds(self.history(), self._layer_names())

    def read(self, kind: str) -> gpd.GeoDataFrame | None:
        layer = self._read_layer(kind, kind)
        return None if layer is None or layer.empty else layer

    def _read_layer(self, kind: str, layer_name: str) -> gpd.GeoDataFrame | None:
        if layer_name not in self._layer_names():
            return None
        with self._errors():
            layer = pyogrio.read_dataframe(self.path, layer=layer_name)
        return with_schema_types(layer, get_kind(kind))

    def snapshot(self, version: Version) -> gpd.GeoDataFrame | None:
        return self._read_layer(version.kind, snapshot_name(version.kind, version.version))

    def raster_source(self, kind: str = "population") -> str | None:
        files = [v for v in self.history(kind) if v.stored_file]
        return self.stored_raster(files[-1]) if files else None

    def stored_raster(self, version: Version) -> str | None:
        return str(self.raster_dir / version.stored_file) if version.stored_file else None

    def history(self, kind: str | None = None) -> list[Version]:
        with self._errors():
            state = _file_state(self.path)
            versions = _versions(state)[0] if state else ()
        return [v for v in versions if kind is None or v.kind == kind]

    def damaged_versions(self) -> dict[int, str]:
        with self._errors():
            state = _file_state(self.path)
            return dict(_versions(state)[1]) if state else {}

    def records(self, collection: str) -> list[dict]:
        with self._errors():
            state = _file_state(self.path)
            return [json.loads(data) for data in _records(state, collection)] if state else []

    def all_records(self) -> list[tuple[str, str, dict]]:
        with self._errors():
            state = _file_state(self.path)
            if state is None:
                return []
            with closing(_read_only(state)) as db:
                if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                  (RECORDS_TABLE,)).fetchone():
                    return []
                rows = db.execute(f"SELECT collection, id, data FROM {RECORDS_TABLE} "
                                  "ORDER BY rowid").fetchall()
        return [(collection, record_id, json.loads(data)) for collection, record_id, data in rows]

    # ------------------------------------------------------------ writing
    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One writer at a time, across processes (a lock file beside the store)."""
        lock = FileLock(self._lock_path())
        with self._errors():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def transaction(self, new: bool = False) -> Iterator[GeoPackageTransaction]:
        """Several commits in one SQLite transaction, in place: they land together or not at
        all. A store that does not exist yet is made in a temporary file beside it, moved into
        place when the transaction commits; ``new``: refused (``StoreError`` ``store_exists``)
        when the store exists."""
        with self._lock():
            if new and self.exists():
                raise StoreError("store_exists", store=self.location)
            with self._errors():
                self._tidy()
            creating = not self.path.exists()
            target = (self.path.with_name(f".{self.path.stem}-{uuid.uuid4().hex}.tmp.gpkg")
                      if creating else self.path)
            written: list[Path] = []
            try:
                with self._errors():
                    if creating:
                        _create_geopackage(target)
                    db = sqlite3.connect(target, timeout=60, isolation_level=None)
                with closing(db):
                    with self._errors():
                        db.execute("PRAGMA cache_spill = OFF")  # the file stays readable until COMMIT
                        db.execute("BEGIN IMMEDIATE")
                        _ensure_versions_table(db)
                    try:
                        yield GeoPackageTransaction(self, target, db, written)
                        with self._errors():
                            db.execute("COMMIT")
                    except BaseException:
                        if db.in_transaction:
                            db.execute("ROLLBACK")
                        raise
                if creating:
                    with self._errors():
                        os.replace(target, self.path)
                written.clear()
            finally:
                if creating:
                    target.unlink(missing_ok=True)
                for path in written:  # rasters copied by a transaction that failed
                    path.unlink(missing_ok=True)


class GeoPackageTransaction:
    """Writes into the store's file within one SQLite transaction; see
    ``GeoPackageStore.transaction``. Layers it has not written are read as committed."""

    def __init__(self, store: GeoPackageStore, path: Path, db: sqlite3.Connection,
                 written: list[Path]) -> None:
        self.store = store
        self.path = path
        self.db = db
        self.written = written
        self.layers: dict[str, gpd.GeoDataFrame] = {}

    def _next_version(self) -> int:
        return _last_version(self.db) + 1

    def current(self, kind: str) -> gpd.GeoDataFrame | None:
        """The ``kind`` layer as this transaction sees it (schema types), or None."""
        if kind in self.layers:
            return self.layers[kind].copy()
        with self.store._errors():
            if kind not in {n for n, _ in pyogrio.list_layers(self.path)}:
                return None
            return with_schema_types(pyogrio.read_dataframe(self.path, layer=kind), get_kind(kind))

    def commit_layer(self, kind: str, layer: gpd.GeoDataFrame, info: CommitInfo,
                     restored_from: int | None = None) -> Version:
        spec = get_kind(kind)
        layer = with_schema_types(layer, spec).to_crs(STORAGE_CRS)
        change = diff_layers(self.current(kind), layer, spec.id_column)
        encoded = EncodedLayer(layer, spec)
        with self.store._errors():
            number = self._next_version()
            snapshot = snapshot_name(kind, number)
            write_layer(self.db, snapshot, encoded)
            write_layer(self.db, kind, encoded, copy_of=snapshot)
        self.layers[kind] = layer
        version = Version(number, kind, info.action, now(), info.user, info.source_file,
                          info.sha256, len(layer), change.added, change.changed, change.removed,
                          list(info.fixes), restored_from)
        self._record(version)
        return version

    def commit_raster(self, kind: str, source: str | Path, info: CommitInfo,
                      restored_from: int | None = None) -> Version:
        with self.store._errors():
            number = self._next_version()
            self.store.raster_dir.mkdir(parents=True, exist_ok=True)
        stored = raster_file_name(kind, number)
        target = self.store.raster_dir / stored
        with open(source, "rb") as data:  # the user's file: its errors are not the store's
            self.written.append(target)
            with self.store._errors(), open(target, "wb") as copy:
                shutil.copyfileobj(data, copy, 1 << 20)
                copy.flush()
                os.fsync(copy.fileno())  # on disk before the version row naming it commits
        version = Version(number, kind, info.action, now(), info.user, info.source_file,
                          info.sha256, 1, [], [], [], list(info.fixes), restored_from, stored)
        self._record(version)
        return version

    def copy_version(self, version: Version, layer: gpd.GeoDataFrame | None = None,
                     raster: str | Path | None = None) -> None:
        """Write ``version`` of another store as it is (number, time, user, changes), with its
        layer (then current) or its raster: a store copied whole, history included."""
        if raster is not None and version.stored_file:
            target = self.store.raster_dir / version.stored_file
            with self.store._errors():
                self.store.raster_dir.mkdir(parents=True, exist_ok=True)
                self.written.append(target)
                shutil.copyfile(raster, target)
        elif layer is not None:
            encoded = EncodedLayer(with_schema_types(layer, get_kind(version.kind)), get_kind(version.kind))
            snapshot = snapshot_name(version.kind, version.version)
            with self.store._errors():
                write_layer(self.db, snapshot, encoded)
                write_layer(self.db, version.kind, encoded, copy_of=snapshot)
            self.layers[version.kind] = layer
        self._record(version)

    def save_record(self, collection: str, record_id: str, data: dict) -> None:
        text = json.dumps(data, ensure_ascii=False)
        with self.store._errors():
            _ensure_records_table(self.db)
            self.db.execute(f"INSERT INTO {RECORDS_TABLE} (collection, id, updated, data) VALUES "
                            "(?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET updated = "
                            "excluded.updated, data = excluded.data", (collection, record_id, now(), text))

    def delete_record(self, collection: str, record_id: str) -> bool:
        with self.store._errors():
            _ensure_records_table(self.db)
            gone = self.db.execute(f"DELETE FROM {RECORDS_TABLE} WHERE collection = ? AND id = ?",
                                   (collection, record_id))
            return gone.rowcount > 0

    def _record(self, version: Version) -> None:
        row = version_row(version)
        with self.store._errors():
            self.db.execute(f"INSERT INTO {VERSIONS_TABLE} VALUES ({', '.join('?' for _ in row)})", row)


def _last_version(db: sqlite3.Connection) -> int:
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (VERSIONS_TABLE,)).fetchone():
        return 0
    (last,) = db.execute(f"SELECT MAX(version) FROM {VERSIONS_TABLE}").fetchone()
    return int(last or 0)


FileState = tuple[str, int, int, int, bytes, tuple[int, int] | None]


def _file_state(path: Path) -> FileState | None:
    """What identifies the store file's content: its path, inode, modification time (ns), size,
    SQLite's file change counter (header bytes 24–27, incremented by every transaction committed
    to the file) and the size and time of its write-ahead log, where commits go while a program
    such as QGIS holds the file open in WAL mode; None when it does not exist. What was read at
    one state can be read again from memory."""
    found = _header(path, 28)
    if found is None:
        return None
    stat, header = found
    try:
        wal = path.with_name(f"{path.name}-wal").stat()
        log: tuple[int, int] | None = (wal.st_size, wal.st_mtime_ns)
    except FileNotFoundError:
        log = None
    return str(path.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size, header[24:28], log


_descriptors: OrderedDict[tuple[int, int], int] = OrderedDict()  # (device, inode) -> descriptor
_descriptors_lock = threading.Lock()
KEPT_DESCRIPTORS = 64  # files whose descriptor stays open; the least recently read is closed beyond


def _header(path: Path, size: int) -> tuple[os.stat_result, bytes] | None:
    """The file's status and its first ``size`` bytes, or None when it does not exist. Read
    through one descriptor per file kept open for the life of the process: closing any
    descriptor of a file drops every POSIX lock the process holds on it, SQLite's writer locks
    included, and another process would then take this process's journal for a killed
    writer's (SQLite's "POSIX advisory locks canceled by a separate thread doing close()")."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    key = (stat.st_dev, stat.st_ino)
    with _descriptors_lock:
        descriptor = _descriptors.get(key)
        if descriptor is None:
            try:
                descriptor = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                return None
            _descriptors[key] = descriptor
            if len(_descriptors) > KEPT_DESCRIPTORS:
                os.close(_descriptors.popitem(last=False)[1])
        _descriptors.move_to_end(key)
        return os.fstat(descriptor), os.pread(descriptor, size, 0)


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
    return read_versions(rows)


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
    """A new GeoPackage holding the store's description table (GDAL writes the GeoPackage's
    own tables)."""
    about = pd.DataFrame({"store_format": [1], "created": [now()]})
    pyogrio.write_dataframe(about, path, layer=ABOUT_TABLE, driver="GPKG")


def _ensure_versions_table(db: sqlite3.Connection) -> None:
    """Create the versions table and register it as a GeoPackage attribute table."""
    _ensure_attribute_table(db, VERSIONS_TABLE, """
        version INTEGER PRIMARY KEY, kind TEXT NOT NULL, action TEXT NOT NULL,
        time TEXT NOT NULL, user TEXT, source_file TEXT, sha256 TEXT, features INTEGER,
        added TEXT, changed TEXT, removed TEXT, fixes TEXT, restored_from INTEGER,
        stored_file TEXT""")


def _ensure_records_table(db: sqlite3.Connection) -> None:
    _ensure_attribute_table(db, RECORDS_TABLE, """collection TEXT NOT NULL, id TEXT NOT NULL,
        updated TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (collection, id)""")


def _ensure_attribute_table(db: sqlite3.Connection, table: str, columns: str) -> None:
    """Create ``table`` if needed and register it as a GeoPackage attribute table (GIS tools list it)."""
    db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    has_contents = db.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'gpkg_contents'").fetchone()
    if has_contents:
        db.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) "
                   "VALUES (?, 'attributes', ?)", (table, table))


SQLITE_MAGIC = b"SQLite format 3\x00"


def _not_a_geopackage(path: Path) -> str | None:
    """Why the file at ``path`` is not a GeoPackage (``empty``, ``not_sqlite``, ``not_geopackage``),
    or None when it is one or does not exist."""
    found = _header(path, len(SQLITE_MAGIC))
    if found is None:
        return None
    header = found[1]
    if not header:
        return "empty"
    if header != SQLITE_MAGIC:
        return "not_sqlite"
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.OperationalError:  # an SQLite file being written, or a killed writer's journal
        return None  # to roll back: a database all the same (``check`` then tidies it)
    except sqlite3.DatabaseError:
        return "not_sqlite"
    return None if {"gpkg_contents", "gpkg_spatial_ref_sys"} <= tables else "not_geopackage"
