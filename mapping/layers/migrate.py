"""A whole store copied into a new one, history included, whatever the two backends
(GeoPackage ↔ PostGIS): every version with its layer or raster, then every record."""

from __future__ import annotations

from collections.abc import Callable

from .store import LayerStore, StoreError


def migrate(source: LayerStore, target: LayerStore,
            progress: Callable[[str], None] | None = None) -> int:
    """Copy ``source`` into ``target``, which must not exist yet (``StoreError``
    ``store_exists``), in one transaction of ``target``: it is made whole or not at all. The
    versions keep their numbers, times, users and changes. ``StoreError`` ``migrate_damaged``
    when some of ``source``'s history cannot be read (nothing is written). Returns the number
    of versions copied; ``progress`` is called once per version and once for the records."""
    if not source.exists():
        raise StoreError("no_store", store=source.location)
    damaged = source.damaged_versions()
    if damaged:
        raise StoreError("migrate_damaged", store=source.location,
                         versions=", ".join(str(v) for v in sorted(damaged)))
    versions = source.history()
    with target.transaction(new=True) as tx:
        for version in versions:
            if version.stored_file:
                tx.copy_version(version, raster=source.stored_raster(version))
            else:
                tx.copy_version(version, layer=source.snapshot(version))
            if progress:
                progress(f"v{version.version} {version.kind}")
        for collection, record_id, data in source.all_records():
            tx.save_record(collection, record_id, data)
        if progress:
            progress("records")
    return len(versions)
