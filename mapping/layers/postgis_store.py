"""The PostGIS backend of the layer store: a PostgreSQL database (schema ``bordermap``) with
PostGIS, for a team whose delegates and GIS staff work on one shared store.

Each version of a vector layer is kept whole in ``bordermap.features`` (its rows: geometry in
EPSG:4326, attributes as JSON), so that the current layer is the rows of the kind's latest
version, and any version can be restored; a view per kind (``bordermap.posts``…) shows the
current layer to QGIS and GDAL. Rasters are kept in ``bordermap.rasters`` (bytes,
by SHA-256) and handed out as a local GeoTIFF in the user's cache folder, named by its
SHA-256. Connections come from one pool per URL and process (``postgis_pool``).
A transaction is one database transaction, on one connection: an import lands whole or not at all.
Writers take a transaction-level advisory lock first, so versions are numbered one after the
other whatever the number of sessions writing at once; a process's writers queue on a lock
of their own before taking a connection, so at most one waits on the database's lock and the
pool's other connections stay free for readers.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import platformdirs
import psycopg
import shapely

from ..i18n import Term
from . import postgis_pool
from .diff import diff_layers
from .postgis_views import update_views
from .schema import STORAGE_CRS, LayerKind, get_kind, with_schema_types
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
    version_row,
)

SCHEMA = "bordermap"
WRITER_LOCK = 0x626F72646572  # pg_advisory_xact_lock key of the store's writers ("border")
ERRORS = (psycopg.Error, OSError)
TABLES = f"""
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE {SCHEMA}.store (store_format integer NOT NULL, created text NOT NULL);
CREATE TABLE {SCHEMA}.versions (
    version integer PRIMARY KEY, kind text NOT NULL, action text NOT NULL, time text NOT NULL,
    "user" text, source_file text, sha256 text, features integer, added text, changed text,
    removed text, fixes text, restored_from integer, stored_file text);
CREATE TABLE {SCHEMA}.features (
    version integer NOT NULL REFERENCES {SCHEMA}.versions, fid integer NOT NULL,
    geom geometry(Geometry, 4326), properties jsonb NOT NULL, PRIMARY KEY (version, fid));
CREATE INDEX features_geom ON {SCHEMA}.features USING gist (geom);
CREATE TABLE {SCHEMA}.rasters (sha256 text PRIMARY KEY, data bytea NOT NULL);
CREATE TABLE {SCHEMA}.raster_versions (
    version integer PRIMARY KEY REFERENCES {SCHEMA}.versions,
    sha256 text NOT NULL REFERENCES {SCHEMA}.rasters);
CREATE TABLE {SCHEMA}.records (
    collection text NOT NULL, id text NOT NULL, seq bigserial, updated text NOT NULL,
    data jsonb NOT NULL, PRIMARY KEY (collection, id));
"""


def without_password(url: str) -> str:
    """``url`` with its password left out (what is shown to a user)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))


_held = threading.local()  # per thread: the connection of its open transaction, by store URL
_writer_locks: dict[str, threading.Lock] = {}  # per store URL: this process's writers, one at a time
_writer_locks_lock = threading.Lock()


def _writers_of(url: str) -> threading.Lock:
    with _writer_locks_lock:
        return _writer_locks.setdefault(url, threading.Lock())


def _forget_parents_writers() -> None:
    """In a child made by fork: a lock its parent's threads held would never be released."""
    global _writer_locks_lock
    _writer_locks.clear()
    _writer_locks_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_parents_writers)


def _held_connections() -> dict[str, psycopg.Connection]:
    if not hasattr(_held, "by_url"):
        _held.by_url = {}
    return _held.by_url


class PostGISStore(LayerStore):
    """Layers, versions, rasters and records in a PostgreSQL database with PostGIS."""

    def __init__(self, url: str, cache: Path | None = None) -> None:
        self.url = url
        self.cache = cache or platformdirs.user_cache_path("bordermap") / "rasters"

    @property
    def location(self) -> str:
        return without_password(self.url)

    def _errors(self) -> AbstractContextManager[None]:
        return backend_errors(self.location, ERRORS)

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        """A connection of the process's pool for the store's URL, for one read or one
        transaction: committed at the end, rolled back on error, then given back (a failure to
        get one is ``StoreFailedError``; the caller wraps its own statements, so that an error
        of the user's file within a transaction stays the file's). Within a transaction of this
        thread on this store, that transaction's connection: its reads (a note found open, the
        current raster) never wait for a second connection."""
        held = _held_connections().get(self.url)
        if held is not None:
            yield held
            return
        with ExitStack() as stack:
            with self._errors():
                conn = stack.enter_context(postgis_pool.connection(self.url))
            yield conn

    def exists(self) -> bool:
        with self._connect() as conn, self._errors():
            return _exists(conn)

    def check(self) -> None:
        """``not_a_store`` when the database has a ``bordermap`` schema without the store's
        tables; a database that cannot be reached: ``StoreFailedError``."""
        with self._connect() as conn, self._errors():
            schema = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone()
            if schema and not _exists(conn):
                raise UnreadableStoreError("not_a_store", store=self.location,
                                           reason=Term("store.not_a_store_reason.no_store_tables"))

    def owns(self, path: str | Path) -> bool:
        """Whether ``path`` is in the cache of rasters this store hands out (writing there would
        change what rasterio reads as the store's raster)."""
        return Path(path).resolve().is_relative_to(self.cache.resolve())

    # ------------------------------------------------------------ reading
    def history(self, kind: str | None = None) -> list[Version]:
        with self._connect() as conn, self._errors():
            versions = _history(conn)[0]
        return [v for v in versions if kind is None or v.kind == kind]

    def damaged_versions(self) -> dict[int, str]:
        with self._connect() as conn, self._errors():
            return dict(_history(conn)[1])

    def kinds(self) -> list[str]:
        with self._connect() as conn, self._errors():
            history = _history(conn)[0]
        return current_kinds(list(history), {v.kind for v in history if not v.stored_file})

    def read(self, kind: str) -> gpd.GeoDataFrame | None:
        with self._connect() as conn, self._errors():
            layer = _current(conn, kind)
        return None if layer is None or layer.empty else layer

    def snapshot(self, version: Version) -> gpd.GeoDataFrame | None:
        with self._connect() as conn, self._errors():
            return _layer_at(conn, get_kind(version.kind), version.version)

    def raster_source(self, kind: str = "population") -> str | None:
        rasters = [v for v in self.history(kind) if v.stored_file]
        return self.stored_raster(rasters[-1]) if rasters else None

    def stored_raster(self, version: Version) -> str | None:
        """The raster of ``version`` as a GeoTIFF in the cache, fetched once (by content)."""
        with self._connect() as conn, self._errors():
            found = conn.execute(f"SELECT sha256 FROM {SCHEMA}.raster_versions WHERE version = %s",
                                 (version.version,)).fetchone()
            if found is None:
                return None
            target = self.cache / f"{found[0]}.tif"
            if not target.exists():
                data = _scalar(conn, f"SELECT data FROM {SCHEMA}.rasters WHERE sha256 = %s", (found[0],))
                self.cache.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(f".{uuid.uuid4().hex}.part")
                try:
                    partial.write_bytes(data)
                    os.replace(partial, target)
                finally:
                    partial.unlink(missing_ok=True)
        return str(target)

    def records(self, collection: str) -> list[dict]:
        with self._connect() as conn, self._errors():
            if not _exists(conn):
                return []
            rows = conn.execute(f"SELECT data FROM {SCHEMA}.records WHERE collection = %s ORDER BY seq",
                                (collection,)).fetchall()
        return [data for (data,) in rows]

    def all_records(self) -> list[tuple[str, str, dict]]:
        with self._connect() as conn, self._errors():
            if not _exists(conn):
                return []
            rows = conn.execute(f"SELECT collection, id, data FROM {SCHEMA}.records "
                                "ORDER BY seq").fetchall()
        return [(collection, record_id, data) for collection, record_id, data in rows]

    # ------------------------------------------------------------ writing
    @contextmanager
    def transaction(self, new: bool = False) -> Iterator[PostGISTransaction]:
        """One database transaction, begun by taking the writers' advisory lock (released at
        its end); the store's tables are created with it when they do not exist yet, and its
        views of the current layers (``postgis_views``) when missing or out of date. Writers of
        one process queue on a lock of their own before taking a connection, so that at most
        one connection per process waits for the database's lock and the pool's others stay
        free for the readers. A transaction within another of the same thread is refused."""
        if self.url in _held_connections():
            raise RuntimeError("a store transaction within another in the same thread")
        with _writers_of(self.url), self._connect() as conn:
            with self._errors():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
                present = _exists(conn)
            if new and present:
                raise StoreError("store_exists", store=self.location)
            if not present:
                with self._errors():
                    for statement in filter(str.strip, TABLES.split(";")):
                        conn.execute(statement)
                    conn.execute(f"INSERT INTO {SCHEMA}.store VALUES (1, %s)", (now(),))
            with self._errors():
                update_views(conn, SCHEMA)
            held = _held_connections()
            held[self.url] = conn
            try:
                yield PostGISTransaction(self, conn)
            finally:
                del held[self.url]
            with self._errors():
                conn.commit()


class PostGISTransaction:
    """Reads and writes through the transaction's connection (it sees its own writes)."""

    def __init__(self, store: PostGISStore, conn: psycopg.Connection) -> None:
        self.store = store
        self.conn = conn

    def _next_version(self) -> int:
        return int(_scalar(self.conn, f"SELECT max(version) FROM {SCHEMA}.versions") or 0) + 1

    def current(self, kind: str) -> gpd.GeoDataFrame | None:
        with self.store._errors():
            return _current(self.conn, kind)

    def commit_layer(self, kind: str, layer: gpd.GeoDataFrame, info: CommitInfo,
                     restored_from: int | None = None) -> Version:
        spec = get_kind(kind)
        layer = with_schema_types(layer, spec).to_crs(STORAGE_CRS)
        change = diff_layers(self.current(kind), layer, spec.id_column)
        with self.store._errors():
            number = self._next_version()
            version = Version(number, kind, info.action, now(), info.user, info.source_file,
                              info.sha256, len(layer), change.added, change.changed, change.removed,
                              list(info.fixes), restored_from)
            self._record(version)
            _write_rows(self.conn, number, layer, spec)
        return version

    def commit_raster(self, kind: str, source: str | Path, info: CommitInfo,
                      restored_from: int | None = None) -> Version:
        data = Path(source).read_bytes()  # the user's file: its errors are not the store's
        with self.store._errors():
            number = self._next_version()
            version = Version(number, kind, info.action, now(), info.user, info.source_file,
                              info.sha256, 1, [], [], [], list(info.fixes), restored_from,
                              raster_file_name(kind, number))
            self._record(version)
            self._raster(number, data)
        return version

    def copy_version(self, version: Version, layer: gpd.GeoDataFrame | None = None,
                     raster: str | Path | None = None) -> None:
        """Write ``version`` of another store as it is (number, time, user, changes), with its
        layer or its raster: a store copied whole, history included."""
        data = Path(raster).read_bytes() if raster is not None else None
        with self.store._errors():
            self._record(version)
            if data is not None:
                self._raster(version.version, data)
            elif layer is not None:
                spec = get_kind(version.kind)
                _write_rows(self.conn, version.version, with_schema_types(layer, spec), spec)

    def _raster(self, number: int, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self.conn.execute(f"INSERT INTO {SCHEMA}.rasters VALUES (%s, %s) ON CONFLICT DO NOTHING",
                          (digest, data))
        self.conn.execute(f"INSERT INTO {SCHEMA}.raster_versions VALUES (%s, %s)", (number, digest))

    def save_record(self, collection: str, record_id: str, data: dict) -> None:
        with self.store._errors():
            self.conn.execute(f"INSERT INTO {SCHEMA}.records (collection, id, updated, data) VALUES "
                              "(%s, %s, %s, %s) ON CONFLICT (collection, id) DO UPDATE SET "
                              "updated = excluded.updated, data = excluded.data",
                              (collection, record_id, now(), json.dumps(data, ensure_ascii=False)))

    def delete_record(self, collection: str, record_id: str) -> bool:
        with self.store._errors():
            gone = self.conn.execute(f"DELETE FROM {SCHEMA}.records WHERE collection = %s AND id = %s",
                                     (collection, record_id))
            return gone.rowcount > 0

    def _record(self, version: Version) -> None:
        row = version_row(version)
        self.conn.execute(f"INSERT INTO {SCHEMA}.versions VALUES ({', '.join('%s' for _ in row)})", row)


def _scalar(conn: psycopg.Connection, query: str, params: tuple = ()) -> Any:
    """The first value of the first row ``query`` returns, or None."""
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def _exists(conn: psycopg.Connection) -> bool:
    return bool(_scalar(conn, "SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.versions",)))


def _history(conn: psycopg.Connection) -> tuple[tuple[Version, ...], tuple[tuple[int, str], ...]]:
    if not _exists(conn):
        return (), ()
    rows = conn.execute(f"SELECT * FROM {SCHEMA}.versions ORDER BY version").fetchall()
    return read_versions([tuple(row) for row in rows])


def _current(conn: psycopg.Connection, kind: str) -> gpd.GeoDataFrame | None:
    """The rows of the latest version of the vector layer ``kind`` (schema types), or None."""
    if not _exists(conn):
        return None
    latest = _scalar(conn, f"SELECT max(version) FROM {SCHEMA}.versions WHERE kind = %s AND "
                     "stored_file IS NULL", (kind,))
    return None if latest is None else _layer_at(conn, get_kind(kind), latest)


def _layer_at(conn: psycopg.Connection, spec: LayerKind, version: int) -> gpd.GeoDataFrame | None:
    """The layer committed at ``version`` (schema types, EPSG:4326), or None when it has no rows
    stored (a raster version, or one removed by hand)."""
    known = conn.execute(f"SELECT features FROM {SCHEMA}.versions WHERE version = %s", (version,)).fetchone()
    if known is None:
        return None
    rows = conn.execute(f"SELECT ST_AsBinary(geom), properties FROM {SCHEMA}.features "
                        "WHERE version = %s ORDER BY fid", (version,)).fetchall()
    if not rows and known[0]:
        return None
    geometries = shapely.from_wkb(np.array([None if g is None else bytes(g) for g, _ in rows], dtype=object))
    table = pd.DataFrame([p for _, p in rows], columns=list(spec.names))
    return with_schema_types(gpd.GeoDataFrame(table, geometry=geometries, crs=STORAGE_CRS), spec)


def _write_rows(conn: psycopg.Connection, version: int, layer: gpd.GeoDataFrame, spec: LayerKind) -> None:
    """The rows of ``layer`` as the features of ``version`` (COPY: one pass, whatever the size)."""
    geometries = shapely.to_wkb(shapely.set_srid(np.asarray(layer.geometry.array, dtype=object), 4326),
                                hex=True, output_dimension=2, include_srid=True)
    properties = _json_cells(layer, spec)
    with conn.cursor().copy(f"COPY {SCHEMA}.features (version, fid, geom, properties) FROM STDIN") as copy:
        for fid, (geometry, cells) in enumerate(zip(geometries, properties, strict=True), start=1):
            copy.write_row((version, fid, geometry, cells))


def _json_cells(layer: gpd.GeoDataFrame, spec: LayerKind) -> list[str]:
    """Each row's attributes as JSON text (dates as ISO 8601 text; missing values null)."""
    columns = {}
    for column in spec.columns:
        values = layer[column.name]
        if column.dtype == "date":
            columns[column.name] = [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in values]
        elif column.dtype in ("int", "bool", "float"):
            kind = {"int": int, "bool": bool, "float": float}[column.dtype]
            columns[column.name] = [None if pd.isna(v) else kind(v) for v in values]
        else:
            columns[column.name] = [None if v is None else str(v) for v in values]
    names = list(columns)
    return [json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False)
            for row in zip(*columns.values(), strict=True)] if names else ["{}"] * len(layer)
