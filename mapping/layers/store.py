"""The layer store: current layers, every committed version, rollback, and saved records.

``LayerStore`` is the whole interface the rest of bordermap uses, whatever the backend:
``mapping.layers.gpkg_store.GeoPackageStore`` (one GeoPackage file, EPSG:4326, rasters in a
folder beside it) and ``mapping.layers.postgis_store.PostGISStore`` (a PostgreSQL database
with PostGIS). ``mapping.layers.user_store.store_at`` picks one from a path or URL.

Every backend commits a transaction whole or not at all (one database transaction), keeps a
snapshot of each version of a layer so that any version can be restored (a rollback is itself
a new version), hands rasters out as a GDAL dataset name, and reports what goes wrong in the
backend as ``StoreFailedError`` (in English and French).
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import geopandas as gpd

from ..errors import BordermapError
from ..i18n import Term
from .diff import LayerDiff, diff_layers
from .schema import KINDS, get_kind


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
    stored_file: str | None = None  # rasters: the stored raster's file name (``<kind>-v<N>.tif``)

    def as_dict(self) -> dict:
        return asdict(self)


class StoreError(BordermapError):
    """The store cannot do what was asked (e.g. an unknown version); ``code`` names the message."""

    section = "store"


class UnreadableStoreError(StoreError):
    """The store cannot be used at all (e.g. the file is not a GeoPackage)."""


class StoreFailedError(UnreadableStoreError):
    """The backend failed (disk full, file locked, database gone…): ``backend_failed``; what
    was being committed was not."""

    def __init__(self, location: str, error: BaseException) -> None:
        super().__init__("backend_failed", store=location, detail=str(error).strip()[:200])


@contextmanager
def backend_errors(location: str, errors: tuple[type[BaseException], ...]) -> Iterator[None]:
    """Turn the backend's own ``errors`` (sqlite3, pyogrio, psycopg, OSError on the store) into
    ``StoreFailedError`` naming the store at ``location``."""
    try:
        yield
    except BordermapError:
        raise
    except errors as error:
        raise StoreFailedError(location, error) from error


class StoreTransaction(Protocol):
    """What a transaction offers: the layers as it sees them, commits and records."""

    def current(self, kind: str) -> gpd.GeoDataFrame | None: ...

    def commit_layer(self, kind: str, layer: gpd.GeoDataFrame, info: CommitInfo,
                     restored_from: int | None = None) -> Version: ...

    def commit_raster(self, kind: str, source: str | Path, info: CommitInfo,
                      restored_from: int | None = None) -> Version: ...

    def save_record(self, collection: str, record_id: str, data: dict) -> None: ...

    def delete_record(self, collection: str, record_id: str) -> bool: ...

    def copy_version(self, version: Version, layer: gpd.GeoDataFrame | None = None,
                     raster: str | Path | None = None) -> None: ...


class LayerStore(ABC):
    """What bordermap needs from a store of layers, whatever the backend."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the store is, as shown to a user: the file, or the URL without its password."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether the store has been created (``transaction(new=True)`` creates it)."""

    @abstractmethod
    def check(self) -> None:
        """``UnreadableStoreError`` when the store cannot be used (e.g. ``not_a_store``), before
        anything reads it or writes into it; a store that does not exist yet passes."""

    @abstractmethod
    def owns(self, path: str | Path) -> bool:
        """Whether writing to the local file ``path`` would write into the store (one of its
        files, also through a link, or a raster it hands out)."""

    @abstractmethod
    def kinds(self) -> list[str]:
        """Kinds that have a current layer, in schema order; a layer cleared (its last version
        has no feature) has none."""

    @abstractmethod
    def read(self, kind: str) -> gpd.GeoDataFrame | None:
        """The current layer of ``kind`` with schema types (EPSG:4326), or None when there is
        none or it was cleared."""

    @abstractmethod
    def raster_source(self, kind: str = "population") -> str | None:
        """The current raster of ``kind`` as a GDAL dataset name for rasterio: a local GeoTIFF
        file, as it was imported (read it, never write it: see :meth:`owns`), or None."""

    @abstractmethod
    def history(self, kind: str | None = None) -> list[Version]:
        """Committed versions, oldest first, optionally of one kind."""

    @abstractmethod
    def damaged_versions(self) -> dict[int, str]:
        """Versions whose history row cannot be read (version number: the first column that
        cannot be read); they are left out of :meth:`history`, which goes on with the others."""

    @abstractmethod
    def records(self, collection: str) -> list[dict]:
        """Saved documents of ``collection`` (e.g. delegate notes, scenarios), oldest first."""

    @abstractmethod
    def all_records(self) -> list[tuple[str, str, dict]]:
        """Every saved document as (collection, id, document), oldest first (to copy a store)."""

    def save_record(self, collection: str, record_id: str, data: dict) -> None:
        """Insert or replace one JSON-serialisable document, in a transaction of its own; layers
        and versions are untouched."""
        with self.transaction() as tx:
            tx.save_record(collection, record_id, data)

    def delete_record(self, collection: str, record_id: str) -> bool:
        """Remove one document, in a transaction of its own; whether there was one."""
        if not self.exists():
            return False
        with self.transaction() as tx:
            return tx.delete_record(collection, record_id)

    @abstractmethod
    def transaction(self, new: bool = False) -> AbstractContextManager[StoreTransaction]:
        """Reads and commits that land together or not at all, one writer at a time; ``new``:
        the store must not exist yet (``StoreError`` ``store_exists``, nothing written). Within
        it, write through the transaction only (a store method that opens a transaction of its
        own is refused); the store's reads see what was committed before it began (a backend may
        also show the transaction's own writes: read those with ``current``)."""

    @abstractmethod
    def snapshot(self, version: Version) -> gpd.GeoDataFrame | None:
        """The layer as committed at ``version`` (schema types), or None when it is missing."""

    @abstractmethod
    def stored_raster(self, version: Version) -> str | None:
        """The raster committed at ``version`` as a GDAL dataset name, or None."""

    def commit_layer(self, kind: str, layer: gpd.GeoDataFrame, info: CommitInfo) -> Version:
        """Replace the layer of ``kind`` with ``layer`` as a new version, atomically."""
        with self.transaction() as tx:
            return tx.commit_layer(kind, layer, info)

    def commit_raster(self, kind: str, source: str | Path, info: CommitInfo) -> Version:
        """Store a copy of the raster file ``source`` as the new version of ``kind``."""
        with self.transaction() as tx:
            return tx.commit_raster(kind, source, info)

    def rollback(self, version: int, user: str) -> Version:
        """Make the layer as it was at ``version`` current again (a new version); ``StoreError``
        when it already is, or the version is unknown or damaged. Whether it already is, is
        decided within the writer's transaction: of two rollbacks to one version at once, the
        second is refused."""
        target = next((v for v in self.history() if v.version == version), None)
        if target is None and version in self.damaged_versions():
            raise StoreError("damaged_version", version=version)
        if target is None:
            raise StoreError("unknown_version", version=version)
        info = CommitInfo(user=user, source_file=target.source_file, sha256=target.sha256,
                          action="rollback")
        already = StoreError("already_current", version=version, kind=Term(f"kinds.{target.kind}"))
        with self.transaction() as tx:
            if target.stored_file:
                raster = self.stored_raster(target)
                if raster is None:
                    raise StoreError("snapshot_missing", version=version)
                current = self.history(target.kind)[-1]  # no other writer until the transaction ends
                if target.sha256 and target.sha256 == current.sha256:
                    raise already
                return tx.commit_raster(target.kind, raster, info, restored_from=version)
            snapshot = self.snapshot(target)
            if snapshot is None:
                raise StoreError("snapshot_missing", version=version)
            if diff_layers(tx.current(target.kind), snapshot, get_kind(target.kind).id_column).empty:
                raise already
            return tx.commit_layer(target.kind, snapshot, info, restored_from=version)

    def ids(self, kind: str) -> set[str]:
        """The ids of the current ``kind`` layer's features."""
        layer = self.read(kind)
        id_column = get_kind(kind).id_column
        return set() if layer is None else set(layer[id_column].dropna().astype(str))

    def diff(self, kind: str, layer: gpd.GeoDataFrame) -> LayerDiff:
        """What committing ``layer`` (schema types) as ``kind`` would change, by id."""
        return diff_layers(self.read(kind), layer, get_kind(kind).id_column)


def now() -> str:
    """The time now (of a commit, a record, an export): UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def snapshot_name(kind: str, version: int) -> str:
    """The name of the table holding the layer of ``kind`` as committed at ``version``."""
    return f"history_{kind}_v{version:04d}"


def raster_file_name(kind: str, version: int) -> str:
    """The stored file name of the raster of ``kind`` committed at ``version``."""
    return f"{kind}-v{version:04d}.tif"


def current_kinds(history: list[Version], layers: set[str]) -> list[str]:
    """Kinds with a current layer, in schema order: a raster, or a table among ``layers`` whose
    last version has features (a layer cleared has none)."""
    latest = {v.kind: v for v in history}
    with_raster = {k for k, v in latest.items() if v.stored_file}
    cleared = {k for k, v in latest.items() if not v.stored_file and v.features == 0}
    return [k for k in KINDS if (k in layers and k not in cleared) or k in with_raster]


VERSION_COLUMNS = ("version", "kind", "action", "time", "user", "source_file", "sha256", "features",
                   "added", "changed", "removed", "fixes", "restored_from", "stored_file")


def version_row(version: Version) -> tuple:
    """``version`` as a row of the versions table (lists as JSON text), in ``VERSION_COLUMNS`` order."""
    row = version.as_dict()
    for key in ("added", "changed", "removed", "fixes"):
        row[key] = json.dumps(row[key], ensure_ascii=False)
    return tuple(row[name] for name in VERSION_COLUMNS)


def read_versions(rows: list[tuple]) -> tuple[tuple[Version, ...], tuple[tuple[int, str], ...]]:
    """The versions in ``rows`` of the versions table, and the rows that cannot be read, as
    (version, first column that cannot be read)."""
    versions, damaged = [], []
    for row in rows:
        try:
            versions.append(version_from_row(row))
        except DamagedRowError as error:
            damaged.append((row[0], error.column))
    return tuple(versions), tuple(damaged)


class DamagedRowError(ValueError):
    """A row of the versions table whose ``column`` cannot be read."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


def version_from_row(row: tuple) -> Version:
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
