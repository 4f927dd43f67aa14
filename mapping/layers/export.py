"""A stored layer written to a file for QGIS, Google Earth or a spreadsheet, as it is stored
(EPSG:4326); the population raster as its GeoTIFF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyogrio

from ..i18n import Term
from .schema import get_kind
from .store import GeoPackageStore, StoreError

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".kml": "KML", ".csv": "CSV",
           ".fgb": "FlatGeobuf"}


def export_layer(store: GeoPackageStore, kind: str, target: Path) -> Path:
    """Write the current ``kind`` layer to ``target``, in the format its suffix names (``DRIVERS``;
    ``.tif`` for the population raster); a CSV of points has ``X`` and ``Y`` columns, of lines or
    polygons a ``WKT`` column. Refuses to write over the store or inside its raster folder."""
    target = Path(target)
    where = target.resolve()
    if where == store.path.resolve() or where.is_relative_to(store.raster_dir.resolve()):
        raise StoreError("export_over_store", target=str(target))
    if get_kind(kind).raster:
        source = store.raster_path(kind)
        if source is None:
            raise StoreError("no_layer", kind=Term(f"kinds.{kind}"))
        shutil.copyfile(source, target)
        return target
    layer = store.read(kind)
    if layer is None:
        raise StoreError("no_layer", kind=Term(f"kinds.{kind}"))
    driver = DRIVERS.get(target.suffix.lower())
    if driver is None:
        raise StoreError("unknown_export_format", suffix=target.suffix, formats=", ".join(DRIVERS))
    points = get_kind(kind).geometry_types == ("Point",)
    options = {"GEOMETRY": "AS_XY" if points else "AS_WKT"} if driver == "CSV" else None
    pyogrio.write_dataframe(layer, target, layer=kind, driver=driver, layer_options=options)
    return target
