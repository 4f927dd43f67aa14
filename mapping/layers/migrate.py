"""A whole store copied into a new one, history included, whatever the two backends
(GeoPackage ↔ PostGIS): every version with its layer or raster, then every record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..i18n import Term
from .store import LayerStore, StoreError


def migrate(source: LayerStore, target: LayerStore,
            progress: Callable[[str], None] | None = None) -> int:
    """Copy ``source`` into ``target``, which must not exist yet (``StoreError``
    ``store_exists``), in one transaction of ``target``: it is made whole or not at all. The
    versions keep their numbers, times, users and changes. ``StoreError`` ``migrate_damaged``
    when some of ``source``'s history cannot be read, ``migrate_snapshot_missing`` when the
    layer or raster of one of its versions is missing (nothing is written either way).
    Returns the number of versions copied; ``progress`` is called once per version and once
    for the records."""
    if not source.exists():
        raise StoreError("no_store", store=source.location)
    damaged = source.damaged_versions()
    if damaged:
        raise StoreError("migrate_damaged", store=source.location,
                         versions=", ".join(str(v) for v in sorted(damaged)))
    versions = source.history()
    with target.transaction(new=True) as tx:
        for version in versions:
            missing = StoreError("migrate_snapshot_missing", store=source.location,
                                 version=version.version, kind=Term(f"kinds.{version.kind}"))
            if version.stored_file:
                raster = source.stored_raster(version)
                if raster is None or not Path(raster).is_file():  # a local GeoTIFF (LayerStore)
                    raise missing
                tx.copy_version(version, raster=raster)
            else:
                layer = source.snapshot(version)
                if layer is None:
                    raise missing
                tx.copy_version(version, layer=layer)
            if progress:
                progress(f"v{version.version} {version.kind}")
        for collection, record_id, data in source.all_records():
            tx.save_record(collection, record_id, data)
        if progress:
            progress("records")
    return len(versions)
