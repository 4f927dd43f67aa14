"""A layer written as a GeoPackage feature table through an open ``sqlite3`` connection.

GDAL (pyogrio) writes through its own connection and commits on its own; writing the rows
here instead lets a store commit a layer, its history snapshot and its version row in ONE
SQLite transaction. The table is what GDAL writes (GeoPackage 1.4 binary geometries in
EPSG:4326, multi-part lines and polygons, an R-tree spatial index kept up to date by the
standard triggers), so QGIS and pyogrio read and edit it as their own.
"""

from __future__ import annotations

import math
import sqlite3
import struct

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .schema import LayerKind

SRS_ID = 4326  # EPSG:4326, present in every GeoPackage
GEOMETRY_TYPE = {"Point": "POINT", "LineString": "MULTILINESTRING", "Polygon": "MULTIPOLYGON"}
SQL_TYPE = {"str": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "BOOLEAN", "date": "DATETIME"}
GEOMETRY_COLUMN = "geom"

# The GeoPackage R-tree extension's triggers (as GDAL creates them): they keep the index right
# when another program (QGIS) edits the table; ST_* are the functions such programs provide.
RTREE_TRIGGERS = (
    'CREATE TRIGGER "{r}_insert" AFTER INSERT ON "{t}" WHEN (new."{g}" NOT NULL AND NOT '
    'ST_IsEmpty(NEW."{g}")) BEGIN INSERT OR REPLACE INTO "{r}" VALUES (NEW."fid",ST_MinX(NEW."{g}"), '
    'ST_MaxX(NEW."{g}"),ST_MinY(NEW."{g}"), ST_MaxY(NEW."{g}")); END',
    'CREATE TRIGGER "{r}_update6" AFTER UPDATE OF "{g}" ON "{t}" WHEN OLD."fid" = NEW."fid" AND '
    '(NEW."{g}" NOTNULL AND NOT ST_IsEmpty(NEW."{g}")) AND (OLD."{g}" NOTNULL AND NOT '
    'ST_IsEmpty(OLD."{g}")) BEGIN UPDATE "{r}" SET minx = ST_MinX(NEW."{g}"), maxx = '
    'ST_MaxX(NEW."{g}"),miny = ST_MinY(NEW."{g}"), maxy = ST_MaxY(NEW."{g}") WHERE id = NEW."fid";END',
    'CREATE TRIGGER "{r}_update7" AFTER UPDATE OF "{g}" ON "{t}" WHEN OLD."fid" = NEW."fid" AND '
    '(NEW."{g}" NOTNULL AND NOT ST_IsEmpty(NEW."{g}")) AND (OLD."{g}" ISNULL OR ST_IsEmpty(OLD."{g}")) '
    'BEGIN INSERT INTO "{r}" VALUES (NEW."fid",ST_MinX(NEW."{g}"), ST_MaxX(NEW."{g}"),'
    'ST_MinY(NEW."{g}"), ST_MaxY(NEW."{g}")); END',
    'CREATE TRIGGER "{r}_update2" AFTER UPDATE OF "{g}" ON "{t}" WHEN OLD."fid" = NEW."fid" AND '
    '(NEW."{g}" ISNULL OR ST_IsEmpty(NEW."{g}")) BEGIN DELETE FROM "{r}" WHERE id = OLD."fid"; END',
    'CREATE TRIGGER "{r}_update5" AFTER UPDATE ON "{t}" WHEN OLD."fid" != NEW."fid" AND '
    '(NEW."{g}" NOTNULL AND NOT ST_IsEmpty(NEW."{g}")) BEGIN DELETE FROM "{r}" WHERE id = OLD."fid"; '
    'INSERT OR REPLACE INTO "{r}" VALUES (NEW."fid",ST_MinX(NEW."{g}"), ST_MaxX(NEW."{g}"),'
    'ST_MinY(NEW."{g}"), ST_MaxY(NEW."{g}")); END',
    'CREATE TRIGGER "{r}_update4" AFTER UPDATE ON "{t}" WHEN OLD."fid" != NEW."fid" AND '
    '(NEW."{g}" ISNULL OR ST_IsEmpty(NEW."{g}")) BEGIN DELETE FROM "{r}" WHERE id IN '
    '(OLD."fid", NEW."fid"); END',
    'CREATE TRIGGER "{r}_delete" AFTER DELETE ON "{t}" WHEN old."{g}" NOT NULL BEGIN '
    'DELETE FROM "{r}" WHERE id = OLD."fid"; END',
)
EXTENSIONS_TABLE = ("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
                    "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                    "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
RTREE_EXTENSION = ("gpkg_rtree_index", "http://www.geopackage.org/spec120/#extension_rtree", "write-only")


class EncodedLayer:
    """A layer's rows ready to insert (GeoPackage geometry first, then the schema's columns),
    its feature bounds (degrees; NaN for an empty geometry) and its geometry type name."""

    def __init__(self, layer: gpd.GeoDataFrame, kind: LayerKind) -> None:
        geometries = np.array([_multi(g) for g in layer.geometry.array], dtype=object)
        self.geometry_type = GEOMETRY_TYPE[kind.geometry_types[0]]
        self.columns = kind.columns
        self.bounds = shapely.bounds(geometries)  # minx, miny, maxx, maxy
        encoded = _gpkg_geometries(geometries, self.bounds, self.geometry_type == "POINT")
        values = [_sql_values(layer[c.name], c.dtype) for c in kind.columns]
        self.rows = list(zip(encoded, *values, strict=True))


def write_layer(db: sqlite3.Connection, table: str, encoded: EncodedLayer,
                copy_of: str | None = None) -> None:
    """Create (or replace) the feature table ``table`` holding ``encoded``, registered in the
    GeoPackage's contents with its extent and spatial index; part of the caller's transaction.
    ``copy_of``: a table this transaction wrote from the same ``encoded`` rows, whose rows
    and index are copied within SQLite (no second pass through Python)."""
    drop_table(db, table)
    columns = "".join(f', "{c.name}" {SQL_TYPE[c.dtype]}' for c in encoded.columns)
    db.execute(f'CREATE TABLE "{table}" ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
               f'"{GEOMETRY_COLUMN}" {encoded.geometry_type}{columns})')
    marks = ", ".join("?" for _ in range(len(encoded.columns) + 1))
    names = ", ".join(f'"{n}"' for n in (GEOMETRY_COLUMN, *(c.name for c in encoded.columns)))
    if copy_of is None:
        db.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', encoded.rows)
    else:
        db.execute(f'INSERT INTO "{table}" ("fid", {names}) SELECT "fid", {names} FROM "{copy_of}"')
    present = ~np.isnan(encoded.bounds).any(axis=1) if len(encoded.bounds) else np.zeros(0, bool)
    extent = ([float(encoded.bounds[present, 0].min()), float(encoded.bounds[present, 1].min()),
               float(encoded.bounds[present, 2].max()), float(encoded.bounds[present, 3].max())]
              if present.any() else [None] * 4)
    db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, max_x, "
               "max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?)", (table, table, *extent, SRS_ID))
    db.execute("INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, "
               "z, m) VALUES (?, ?, ?, ?, 0, 0)", (table, GEOMETRY_COLUMN, encoded.geometry_type, SRS_ID))
    _spatial_index(db, table, encoded.bounds, present, copy_of)


def drop_table(db: sqlite3.Connection, table: str) -> None:
    """Remove the table ``table`` (as GDAL or :func:`write_layer` made it) with its spatial
    index and its rows in the GeoPackage's registers; nothing when there is none."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
        return
    for (column,) in db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                                (table,)).fetchall():
        db.execute(f'DROP TABLE IF EXISTS "rtree_{table}_{column}"')
    db.execute(f'DROP TABLE "{table}"')
    registers = ("gpkg_extensions", "gpkg_geometry_columns", "gpkg_contents", "gpkg_ogr_contents")
    present = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for register in (r for r in registers if r in present):
        db.execute(f"DELETE FROM {register} WHERE lower(table_name) = lower(?)", (table,))


def _spatial_index(db: sqlite3.Connection, table: str, bounds: np.ndarray, present: np.ndarray,
                   copy_of: str | None) -> None:
    """The R-tree of the features' bounds (or a copy of ``copy_of``'s), filled at once, and its
    triggers."""
    rtree = f"rtree_{table}_{GEOMETRY_COLUMN}"
    db.execute(f'CREATE VIRTUAL TABLE "{rtree}" USING rtree(id, minx, maxx, miny, maxy)')
    if copy_of is not None:
        db.execute(f'INSERT INTO "{rtree}" SELECT * FROM "rtree_{copy_of}_{GEOMETRY_COLUMN}"')
    else:
        fids = np.arange(1, len(bounds) + 1)[present]
        db.executemany(f'INSERT INTO "{rtree}" VALUES (?, ?, ?, ?, ?)',
                       ((int(f), b[0], b[2], b[1], b[3])
                        for f, b in zip(fids, bounds[present].tolist(), strict=True)))
    for trigger in RTREE_TRIGGERS:
        db.execute(trigger.format(r=rtree, t=table, g=GEOMETRY_COLUMN))
    db.execute(EXTENSIONS_TABLE)
    db.execute("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
               "VALUES (?, ?, ?, ?, ?)", (table, GEOMETRY_COLUMN, *RTREE_EXTENSION))


def _multi(geometry: BaseGeometry | None) -> BaseGeometry | None:
    """Lines and polygons as multi-part geometries (one table holds one geometry type)."""
    if isinstance(geometry, shapely.LineString):
        return shapely.MultiLineString([geometry])
    if isinstance(geometry, shapely.Polygon):
        return shapely.MultiPolygon([geometry])
    return geometry


def _gpkg_geometries(geometries: np.ndarray, bounds: np.ndarray, point: bool) -> list[bytes | None]:
    """The GeoPackage binary form of each geometry: ``GP``, version 0, flags (little-endian; an
    XY envelope except for points; empty), the SRS id, the envelope, then its 2D ISO WKB."""
    wkb = shapely.to_wkb(geometries, output_dimension=2, byte_order=1, flavor="iso")
    empty = shapely.is_empty(geometries)
    srs = struct.pack("<i", SRS_ID)
    out: list[bytes | None] = []
    for body, is_empty, box in zip(wkb, empty, bounds.tolist(), strict=True):
        if body is None:
            out.append(None)
        elif point or is_empty:
            out.append(b"GP\x00" + bytes((0x11 if is_empty else 0x01,)) + srs + body)
        else:
            out.append(b"GP\x00\x03" + srs + struct.pack("<4d", box[0], box[2], box[1], box[3]) + body)
    return out


def _sql_values(values: pd.Series, dtype: str) -> list:
    """One column's cells as SQLite values (None for missing; dates as GeoPackage DATETIME text)."""
    if dtype == "date":
        return [None if pd.isna(v) else _datetime_text(pd.Timestamp(v)) for v in values]
    if dtype == "int":
        return [None if pd.isna(v) else int(v) for v in values]
    if dtype == "float":
        return [None if pd.isna(v) or math.isnan(float(v)) else float(v) for v in values]
    if dtype == "bool":
        return [None if pd.isna(v) else int(bool(v)) for v in values]
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values]


def _datetime_text(stamp: pd.Timestamp) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` (``.sss`` when there are milliseconds), as GDAL writes it."""
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{stamp.microsecond // 1000:03d}" if stamp.microsecond else text
