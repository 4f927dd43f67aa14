"""A stored layer written to a file for QGIS, Google Earth or a spreadsheet, as it is stored
(EPSG:4326); the population raster as its GeoTIFF.

Every file is written whole or not at all (:func:`mapping.outputs.replacing`). CSV and XLSX
files are opened by spreadsheets, so their text cells go through
:func:`mapping.tables.inert_table` (a name such as ``=HYPERLINK(…)`` is kept as text, not run
as a formula); GIS formats keep the text as stored.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..accounts.roles import Viewer
from ..i18n import Term
from ..outputs import read_back, replacing
from ..protection.audit import treatment
from ..protection.levels import ProtectionError, layer_levels
from ..protection.shown import shown_layer
from ..tables import inert_table, write_table
from .schema import get_kind
from .store import LayerStore, StoreError

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".kml": "KML", ".csv": "CSV",
           ".fgb": "FlatGeobuf", ".xlsx": "XLSX"}
SPREADSHEETS = ("CSV", "XLSX")


def export_layer(store: LayerStore, kind: str, target: Path, viewer: Viewer) -> dict[str, str]:
    """Write the current ``kind`` layer as ``viewer`` may see it (``protection.shown``: a
    sensitive layer coarsened or withheld) to ``target``, in the format its suffix names
    (``DRIVERS``; ``.tif`` for the population raster); a CSV or XLSX of points has ``X`` and
    ``Y`` columns, of lines or polygons a ``WKT`` column. Refuses to write over the store or one
    of its files, and a layer withheld from ``viewer`` (``ProtectionError`` ``withheld``).
    Returns what was done to the layer when it is sensitive (``protection.audit.treatment``)."""
    target = Path(target)
    if store.owns(target):
        raise StoreError("export_over_store", target=str(target))
    if get_kind(kind).raster:
        source = store.raster_source(kind)
        if source is None:
            raise StoreError("no_layer", kind=Term(f"kinds.{kind}"))
        with replacing(target) as partial:
            shutil.copyfile(source, partial)  # the GeoTIFF byte for byte, as it was imported
        return {}
    layer = store.read(kind)
    if layer is None:
        raise StoreError("no_layer", kind=Term(f"kinds.{kind}"))
    level = layer_levels(store)[kind]
    how = treatment({kind: level}, viewer)
    layer = shown_layer(kind, layer, level, viewer)
    if layer is None:
        raise ProtectionError("withheld", kind=Term(f"kinds.{kind}"),
                              level=Term(f"accounts.levels.{level.label}"))
    driver = DRIVERS.get(target.suffix.lower())
    if driver is None:
        raise StoreError("unknown_export_format", suffix=target.suffix, formats=", ".join(DRIVERS))
    points = get_kind(kind).geometry_types == ("Point",)
    if driver == "XLSX":
        write_table(spreadsheet_frame(layer, points), target, index=False, round_values=False)
        return how
    if driver == "CSV":
        layer = inert_table(layer).set_geometry(layer.geometry.name)
    options = {"GEOMETRY": "AS_XY" if points else "AS_WKT"} if driver == "CSV" else None
    with replacing(target, verify=read_back(len(layer))) as partial:
        pyogrio.write_dataframe(layer, partial, layer=kind, driver=driver, layer_options=options)
    return how


def spreadsheet_frame(layer: gpd.GeoDataFrame, points: bool) -> pd.DataFrame:
    """The layer's columns with its geometry as ``X`` and ``Y`` (points) or ``WKT`` in front, as
    GDAL's CSV driver writes them."""
    geometry = layer.geometry
    if points:
        front = pd.DataFrame({"X": geometry.x, "Y": geometry.y}, index=layer.index)
    else:
        front = pd.DataFrame({"WKT": geometry.to_wkt()}, index=layer.index)
    return pd.concat([front, pd.DataFrame(layer.drop(columns=geometry.name))], axis=1)
