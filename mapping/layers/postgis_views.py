"""The current layers of a PostGIS store as views, one per vector layer kind (``bordermap.posts``,
``bordermap.crossings``…), for GIS staff who open the store's database in QGIS or GDAL.

A view shows the rows of its kind's latest version: ``fid``, the kind's columns with their
types (text, bigint, double precision, boolean, date) and ``geom``, typed with its geometry
type and SRID 4326 (points as Point; lines and polygons as MultiLineString, MultiPolygon), so
that QGIS and GDAL list it as a layer. The views are read-only projections of the store's
tables (a join, so PostgreSQL cannot write through them, and no trigger): layers change
through bordermap only, as versions.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from .schema import KINDS, STORAGE_CRS, VECTOR_KINDS, LayerKind

SQL_TYPES = {"str": "text", "int": "bigint", "float": "double precision", "bool": "boolean", "date": "date"}
SRID = int(STORAGE_CRS.removeprefix("EPSG:"))


def geometry_type(spec: LayerKind) -> str:
    """The view's geometry type: the kind's single type, or its multi-part one (lines and
    polygons may be single or multi-part in the store)."""
    return spec.geometry_types[-1]


def view_columns(spec: LayerKind) -> list[tuple[str, str]]:
    """The view's columns as (name, type as PostgreSQL's ``format_type`` writes it)."""
    return [("fid", "integer"), *((c.name, SQL_TYPES[c.dtype]) for c in spec.columns),
            ("geom", f"geometry({geometry_type(spec)},{SRID})")]


def view_definition(schema: str, spec: LayerKind) -> sql.Composed:
    """``CREATE VIEW`` of the current layer of ``spec``, reading ``schema``'s tables."""
    cells = [sql.SQL("(f.properties ->> {})::{} AS {}").format(
        sql.Literal(column.name), sql.SQL(SQL_TYPES[column.dtype]), sql.Identifier(column.name))
        for column in spec.columns]
    geometry = sql.SQL("f.geom" if len(spec.geometry_types) == 1 else "ST_Multi(f.geom)")
    typed = sql.SQL("{}::geometry({}, {}) AS geom").format(geometry, sql.SQL(geometry_type(spec)),
                                                           sql.Literal(SRID))
    return sql.SQL(
        "CREATE VIEW {view} AS SELECT f.fid, {columns} FROM {features} AS f JOIN "
        "(SELECT max(version) AS version FROM {versions} WHERE kind = {kind} AND stored_file IS NULL) "
        "AS latest USING (version)"
    ).format(view=sql.Identifier(schema, spec.name), columns=sql.SQL(", ").join([*cells, typed]),
             features=sql.Identifier(schema, "features"), versions=sql.Identifier(schema, "versions"),
             kind=sql.Literal(spec.name))


def update_views(conn: psycopg.Connection, schema: str) -> None:
    """Make the view of each vector kind that has none, or whose columns are not the kind's
    (a column added to a kind since), in the writer's transaction. A view out of date that
    views made by GIS staff depend on is left as it is (dropping it would fail every write)."""
    rows = conn.execute(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE n.nspname = %s AND c.relkind = 'v' AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY c.relname, a.attnum", (schema,)).fetchall()
    present: dict[str, list[tuple[str, str]]] = {}
    for view, column, sql_type in rows:
        present.setdefault(view, []).append((column, sql_type))
    for spec in (KINDS[kind] for kind in VECTOR_KINDS):
        if present.get(spec.name) == view_columns(spec):
            continue
        try:
            with conn.transaction():  # a savepoint
                if spec.name in present:
                    conn.execute(sql.SQL("DROP VIEW {}").format(sql.Identifier(schema, spec.name)))
                conn.execute(view_definition(schema, spec))
        except (psycopg.errors.DependentObjectsStillExist, psycopg.errors.InsufficientPrivilege,
                psycopg.errors.DuplicateTable):  # another's view or table of that name: left as it is
            continue
