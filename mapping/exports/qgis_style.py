"""The ranking's map style for QGIS, stored in a GeoPackage as the layer's default style.

QGIS keeps styles in a GeoPackage table ``layer_styles`` (its OGR provider creates it through
GDAL: an ``attributes`` table in ``gpkg_contents``) and applies the row marked ``useAsDefault``
when the layer is opened. It reads only the QML (``styleQML``); ``styleSLD`` is left empty.

The QML draws the ranked posts as on the web map: circles in the rank classes' colours
(:func:`mapping.palette.rank_classes`) with a thin white outline, the most urgent on top, and the
rank written on each in white with a dark halo. The legend names each class in the bundle's language.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

from ..i18n import t
from ..palette import rank_classes

STYLE_TABLE = "layer_styles"
QGIS_VERSION = "3.28.0-Firenze"  # the QML's format: QGIS 3.18 and later read it as written
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
OUTLINE, LABEL, HALO = "#ffffff", "#ffffff", "#000000"  # as on the web map (mapping.maps)
MARKER_MM, OUTLINE_MM, HALO_MM, LABEL_POINTS = "4.8", "0.4", "0.5", "8"

# QGIS's own schema for the table (QgsOgrProviderMetadata::saveStyle, as GDAL creates it)
CREATE_STYLE_TABLE = f"""CREATE TABLE IF NOT EXISTS "{STYLE_TABLE}" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "f_table_catalog" TEXT(256),
  "f_table_schema" TEXT(256), "f_table_name" TEXT(256), "f_geometry_column" TEXT(256),
  "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, "useAsDefault" BOOLEAN,
  "description" TEXT, "owner" TEXT(30), "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""


def _rgba(colour: str) -> str:
    """``#rrggbb`` as QGIS writes colours: ``r,g,b,255``."""
    return ",".join(str(int(colour[i:i + 2], 16)) for i in (1, 3, 5)) + ",255"


def class_label(first: int, last: int, lang: str) -> str:
    """A class's name in the legend: "Ranks 1–3", or "Rank 4" for a class of one."""
    if first == last:
        return t("export.gis.rank", lang, rank=first)
    return t("export.gis.ranks", lang, first=first, last=last)


def _marker(name: str, colour: str) -> ET.Element:
    """A circle of ``colour`` with a thin white outline (sizes in millimetres)."""
    symbol = ET.Element("symbol", type="marker", name=name, alpha="1", clip_to_extent="1",
                        force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleMarker", "enabled": "1", "locked": "0",
                                            "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in {"name": "circle", "color": _rgba(colour), "outline_color": _rgba(OUTLINE),
                       "outline_style": "solid", "outline_width": OUTLINE_MM, "outline_width_unit": "MM",
                       "size": MARKER_MM, "size_unit": "MM", "scale_method": "diameter"}.items():
        ET.SubElement(options, "Option", type="QString", name=key, value=value)
    return symbol


def _labels(field: str) -> ET.Element:
    """``field`` written on each point, bold, white with a dark halo, even where labels overlap."""
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    ET.SubElement(settings, "text-style", fieldName=field, isExpression="0", fontSize=LABEL_POINTS,
                  fontSizeUnit="Point", fontWeight="75", namedStyle="Bold", forcedBold="1",
                  textColor=_rgba(LABEL), textOpacity="1")
    ET.SubElement(settings, "text-buffer", bufferDraw="1", bufferSize=HALO_MM, bufferSizeUnits="MM",
                  bufferColor=_rgba(HALO), bufferOpacity="0.8")  # beside text-style: QGIS 3.22 reads it there
    ET.SubElement(settings, "placement", placement="1", quadOffset="4", dist="0",  # over the point
                  overlapHandling="AllowOverlapIfRequired")
    ET.SubElement(settings, "rendering", drawLabels="1", obstacle="0", displayAll="1")
    return labeling


def rank_style_qml(count: int, lang: str, field: str = "rank") -> str:
    """The QML of a graduated style on ``field`` for ``count`` ranked posts: one class per rank
    class, best first, labelled in ``lang``."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Labeling",
                      labelsEnabled="1")
    renderer = ET.SubElement(root, "renderer-v2", type="graduatedSymbol", attr=field,
                             graduatedMethod="GraduatedColor", symbollevels="0", forceraster="0",
                             enableorderby="1")
    ranges, symbols = ET.SubElement(renderer, "ranges"), ET.SubElement(renderer, "symbols")
    for index, (first, last, colour) in enumerate(rank_classes(count)):
        ET.SubElement(ranges, "range", lower=str(first), upper=str(last), symbol=str(index),
                      label=class_label(first, last, lang), render="true")
        symbols.append(_marker(str(index), colour))
    ET.SubElement(renderer, "classificationMethod", id="Custom")
    order = ET.SubElement(renderer, "orderby")  # the most urgent drawn last, on top
    ET.SubElement(order, "orderByClause", asc="0", nullsFirst="0").text = f'"{field}"'
    root.append(_labels(field))
    ET.SubElement(root, "layerGeometryType").text = "0"  # points
    return DOCTYPE + "\n" + ET.tostring(root, encoding="unicode")


def save_default_style(path: Path, table: str, qml: str, name: str, description: str) -> None:
    """Store ``qml`` in the GeoPackage ``path`` as the default style of ``table``, as QGIS does
    (creating ``layer_styles`` when absent), in one transaction."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("BEGIN")  # closing without COMMIT rolls everything back
        (geometry,) = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                                 (table,)).fetchone()
        if db.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?", (STYLE_TABLE,)).fetchone() is None:
            db.execute(CREATE_STYLE_TABLE)
            db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
                       "VALUES (?, 'attributes', ?, '', 0)", (STYLE_TABLE, STYLE_TABLE))
        db.execute(f'UPDATE "{STYLE_TABLE}" SET useAsDefault = 0 WHERE f_table_name = ?', (table,))
        db.execute(f'INSERT INTO "{STYLE_TABLE}" (f_table_catalog, f_table_schema, f_table_name, '
                   "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner) "
                   "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '')", (table, geometry, name, qml, description))
        db.execute("COMMIT")
