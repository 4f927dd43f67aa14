"""Read the files field teams produce: GeoPackage, GeoJSON, Shapefile (plain or zipped),
KML/KMZ, CSV/XLSX with coordinates (KoboToolbox and ODK exports included), GeoTIFF.

Vector readers return the columns under the names found in the file (``columns.map_columns``
maps them to a schema afterwards), date-times as the text written (a form's date stays the
date of its own time zone), and the file's own CRS; CSV, XLSX, KML, KMZ and GeoJSON
are in EPSG:4326 (longitude, latitude in degrees). Any failure is a ``LayerReadError`` whose
code has a message in the ``read`` catalogue, with the file's name as ``{file}``.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import re
import stat
import tempfile
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import rasterio
import shapely
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml
from pandas.io.parsers import TextParser
from shapely.errors import ShapelyError
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)
from shapely.geometry.base import BaseGeometry

from ..i18n import Term, t
from .columns import LATITUDE, LONGITUDE, SYNONYMS, map_columns, normalise
from .findings import WARNING, Finding, LayerReadError
from .safe_archive import extract_to, is_junk, layer_members, megabytes, safe_zip
from .schema import KINDS

# Limits, checked before the work they bound starts, each quoted in the message that refuses a
# file. They sit far above what field teams produce for the G5 Sahel (GeoNames lists about 20,000
# settlements in the five countries; a posts or crossings layer has hundreds of rows), and low
# enough that a file at a limit is read in seconds to tens of seconds and a few hundred MB of
# memory, never minutes and gigabytes.
MAX_FILE_BYTES: int = 500 * 1024**2  # bytes of any file (GeoPackage, zipped Shapefile, GeoTIFF):
#                                      the app's upload limit (.streamlit/config.toml)
MAX_TEXT_BYTES: int = 100 * 1024**2  # bytes of a CSV, KML or GeoJSON file, parsed whole in memory
#                                      (100,000 rows of 30 columns are about 30 MB of CSV)
MAX_WORKBOOK_BYTES: int = 150 * 1024**2  # bytes an XLSX workbook unpacks to (~50 bytes of XML a cell)
MAX_ROWS: int = 100_000  # rows of a CSV or XLSX sheet, features of a layer: 5 times the G5's settlements
MAX_CELLS: int = 2_000_000  # rows x columns of a CSV or XLSX sheet: 100,000 x 20, or a form
#                             export of 10,000 submissions x 200 questions
WGS84 = "EPSG:4326"

_log = logging.getLogger(__name__)

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls workbooks
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_REQUIRED_PARTS = (".shp", ".shx", ".dbf")
_DELIMITERS = (",", ";", "\t")
_COORDINATE_HELPERS = ("altitude", "precision", "accuracy")
_GEOPOINT_NAMES = frozenset({
    "gps", "geopoint", "geolocation", "location", "localisation", "coordinates", "coordonnees",
    "coordonnees_gps", "gps_coordinates", "position", "point_gps", "gps_point",
})
# "lat lon [alt [acc]]" as KoboToolbox/ODK write a geopoint, or "[lat, lon]" (Kobo _geolocation)
_GEOPOINT = r"\s*\[?\s*(-?\d+\.\d+)[\s,]+(-?\d+\.\d+)(?:[\s,]+-?\d+(?:\.\d+)?){0,2}\s*\]?\s*"
_KML_GEOMETRIES = frozenset({"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"})


@dataclass(frozen=True)
class RasterInfo:
    """What a GeoTIFF holds: CRS, nodata, size in pixels, bounds and resolution in CRS units."""

    crs: str | None
    nodata: float | None
    width: int
    height: int
    bounds: tuple[float, float, float, float]  # left, bottom, right, top
    count: int
    dtype: str
    res: tuple[float, float]
    # affine transform (a, b, c, d, e, f): x = a·col + b·row + c, y = d·col + e·row + f, CRS units
    transform: tuple[float, float, float, float, float, float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    block_shape: tuple[int, int] = (1, 1)  # rows, columns of one block (tile or strip) of band 1
    interleave: str | None = None  # "pixel": a block holds every band; "band": one band
    file_bytes: int = 0  # size of the file on disk


# -- public API ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadNote(Finding):
    """A finding of the reader itself (a column of the file left unused…): its message is
    ``read.notes.<code>``. Readers attach their notes to the frame (:func:`read_notes`)."""

    def message(self, lang: str | None = None) -> str:
        return t(f"read.notes.{self.code}", lang, **self.params)


NOTES_ATTR = "read_notes"  # the key of a frame's ``attrs`` holding the reader's notes


def read_notes(frame: pd.DataFrame) -> list[Finding]:
    """The findings the reader attached to a frame it returned (none for most files)."""
    return list(frame.attrs.get(NOTES_ATTR, []))


def detect_format(path: str | Path) -> str:
    """The format of ``path`` from its content (magic bytes), its extension deciding only for
    text that is neither JSON nor XML: ``gpkg``, ``geojson``, ``shapefile_zip``, ``shapefile``,
    ``kml``, ``kmz``, ``csv``, ``xlsx`` or ``geotiff``. Refuses what is not a regular file, an
    empty file, and a file above its format's limit (``MAX_TEXT_BYTES`` for the text formats,
    ``MAX_FILE_BYTES`` for the others)."""
    path = Path(path)
    with _errors_for(path):
        size = _regular_file(path).st_size
        if size == 0:
            raise LayerReadError("empty_file")
        with path.open("rb") as handle:
            head = handle.read(4096)
        fmt = _format_of(path, head)
        _check_size(size, MAX_TEXT_BYTES if fmt in _TEXT_FORMATS else MAX_FILE_BYTES)
        return fmt


_TEXT_FORMATS = ("csv", "geojson", "kml")  # parsed whole in memory: MAX_TEXT_BYTES


def _format_of(path: Path, head: bytes) -> str:
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head[:4] in _TIFF_MAGIC:
        return "geotiff"
    if head[:4] == _SHP_MAGIC:
        return "shapefile"
    if head[:4] in _ZIP_MAGIC:
        return _zip_format(path)
    if head.startswith(_OLE_MAGIC):
        raise LayerReadError("legacy_excel")
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"{"):
        return "geojson"
    if text.startswith(b"<") and b"<kml" in head.lower():
        return "kml"
    if not text.startswith(b"<") and path.suffix.lower() in _TEXT_SUFFIXES:
        return "csv"
    raise LayerReadError("unknown_format")


def read_vector(
    path: str | Path, layer: str | None = None, kind: str | None = None
) -> gpd.GeoDataFrame:
    """Read a vector layer as field teams produce it.

    ``layer`` picks a GeoPackage layer, a shapefile in a zip or an XLSX sheet; without it the
    one named like ``kind`` is used, else the only one (the first sheet for XLSX).
    Columns keep the file's names (a Shapefile's names cut to 10 characters get back the
    schema's name); the CRS is the file's own (``None`` for a shapefile without ``.prj``),
    EPSG:4326 for CSV, XLSX, KML, KMZ and GeoJSON. The format is the content's, whatever the
    file's name says. What the reader has to say about a file it could read (columns left
    unused) is in :func:`read_notes`. Files above the limits (``MAX_*``) are refused before
    they are read.
    """
    path = Path(path)
    with _errors_for(path), quiet_warnings():
        fmt = detect_format(path)
        if fmt not in _VECTOR_READERS:
            raise LayerReadError("expected_vector")
        return _VECTOR_READERS[fmt](path, layer, kind)


def read_raster_info(path: str | Path) -> RasterInfo:
    """Open a GeoTIFF with rasterio and describe it (CRS as ``EPSG:xxxx`` or WKT)."""
    path = Path(path)
    with _errors_for(path):
        if detect_format(path) != "geotiff":
            raise LayerReadError("expected_raster")
        with rasterio.open(path) as src:
            return RasterInfo(
                crs=src.crs.to_string() if src.crs else None,
                nodata=src.nodata,
                width=src.width,
                height=src.height,
                bounds=tuple(src.bounds),
                count=src.count,
                dtype=src.dtypes[0],
                res=tuple(src.res),
                transform=tuple(src.transform)[:6],
                block_shape=tuple(src.block_shapes[0]),
                interleave=src.interleaving.name.lower() if src.interleaving else None,
                file_bytes=path.stat().st_size,
            )


@contextmanager
def quiet_warnings() -> Iterator[None]:
    """Library warnings (GDAL through pyogrio, pandas, openpyxl, numpy's floating-point
    warnings on absurd coordinates) logged, not printed: they name the installation's files
    and mean nothing to a GIS officer; what matters to the user is an error or a finding."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for warning in caught:
                _log.debug("%s: %s", warning.category.__name__, warning.message)


# -- checks and errors --------------------------------------------------------------------


@contextmanager
def _errors_for(path: Path) -> Iterator[None]:
    """Give every ``LayerReadError`` the file's name; turn any other failure into one."""
    try:
        yield
    except LayerReadError as err:
        err.params.setdefault("file", path.name)
        raise
    except Exception as exc:
        _log.debug("cannot read %s", path, exc_info=True)
        raise LayerReadError("unreadable", file=path.name, detail=_detail(exc)) from exc


def _detail(exc: Exception) -> str:
    """A short, path-free line from a library's error, for the ``unreadable`` message."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    text = re.sub(r"(?:[A-Za-z]:)?[\\/](?:[^\\/\s'\"]+[\\/])+", "", text)
    if len(text) > 120:  # GDAL's long "<statement> failed: <reason>": keep the reason
        text = text.rsplit(": ", 1)[-1]
    return "; ".join(dict.fromkeys(text.split("; ")))[:200]


def _regular_file(path: Path) -> os.stat_result:
    """The status of ``path`` if it is a regular file (or a link to one); else the error
    saying what it is: missing, a folder, or a named pipe, device or socket (never opened:
    opening a named pipe waits for a writer)."""
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise LayerReadError("not_found", file=path.name) from exc
    if stat.S_ISDIR(status.st_mode):
        raise LayerReadError("is_directory", file=path.name)
    if not stat.S_ISREG(status.st_mode):
        raise LayerReadError("not_regular_file", file=path.name)
    return status


def _check_size(size: int, limit: int | None = None) -> None:
    """Refuse an empty file, and one above ``limit`` bytes (default ``MAX_FILE_BYTES``)."""
    limit = min(MAX_FILE_BYTES, limit or MAX_FILE_BYTES)
    if size == 0:
        raise LayerReadError("empty_file")
    if size > limit:
        raise LayerReadError("too_large", size_mb=megabytes(size), limit_mb=megabytes(limit))


def _check_features(count: int) -> None:
    """Refuse a layer of more than ``MAX_ROWS`` features (counted before they are read)."""
    if count > MAX_ROWS:
        raise LayerReadError("too_many_features", count=count, limit=MAX_ROWS)


def _gdal_path(path: Path, driver: str, suffixes: tuple[str, ...]) -> str:
    """``path`` for GDAL, with the driver named (``GeoJSON:/…/x.csv``) when its extension
    would make GDAL pick another driver: the content decides the format, not the name."""
    return str(path) if path.suffix.lower() in suffixes else f"{driver}:{path}"


def _zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = {info.filename for info in archive.infolist()}
            has_shp = bool(layer_members(archive, ".shp"))
            has_kml = bool(layer_members(archive, ".kml"))
    except zipfile.BadZipFile as exc:
        raise LayerReadError("unreadable", detail=str(exc)) from exc
    if "xl/workbook.xml" in names:
        return "xlsx"
    if has_kml and (path.suffix.lower() == ".kmz" or not has_shp):
        return "kmz"
    if has_shp:
        return "shapefile_zip"
    raise LayerReadError("no_layer_in_archive")


def _choose_layer(
    names: list[str], layer: str | None, kind: str | None, first_by_default: bool = False
) -> str:
    """``layer`` if given, else the one named like ``kind``, else the only (or first) one."""
    if layer:
        if layer not in names:
            raise LayerReadError("layer_not_found", layer=layer, layers=", ".join(names))
        return layer
    named = [name for name in names if kind and name.lower() == kind.lower()]
    if named:
        return named[0]
    if not names:
        raise LayerReadError("no_layer")
    if len(names) == 1 or first_by_default:
        return names[0]
    raise LayerReadError("several_layers", layers=", ".join(names))


# -- GeoPackage, GeoJSON --------------------------------------------------------------------


STYLE_TABLES = ("layer_styles",)  # where QGIS keeps styles in a GeoPackage: not data


def _read_gpkg(path: Path, layer: str | None, kind: str | None) -> gpd.GeoDataFrame:
    source = _gdal_path(path, "GPKG", (".gpkg",))
    names = [str(name) for name, _ in pyogrio.list_layers(source) if name not in STYLE_TABLES]
    chosen = _choose_layer(names, layer, kind)
    _check_features(pyogrio.read_info(source, layer=chosen)["features"])
    frame = pyogrio.read_dataframe(source, layer=chosen, datetime_as_string=True)
    if isinstance(frame, gpd.GeoDataFrame):
        return frame
    return _points_from_table(frame)  # an attribute table: look for coordinate columns


def _read_geojson(path: Path, layer: str | None, kind: str | None) -> gpd.GeoDataFrame:
    source = _gdal_path(path, "GeoJSON", (".geojson", ".json"))
    frame = pyogrio.read_dataframe(source, datetime_as_string=True)
    return frame if frame.crs else frame.set_crs(WGS84)


# -- Shapefile ------------------------------------------------------------------------------


def _read_shapefile(path: Path, layer: str | None, kind: str | None) -> gpd.GeoDataFrame:
    if path.suffix.lower() != ".shp":  # its .shx and .dbf are found by the .shp's name
        raise LayerReadError("shapefile_renamed", suffix=path.suffix or "-")
    parts = {
        sibling.suffix.lower(): sibling
        for sibling in path.parent.iterdir()
        if sibling.stem == path.stem and sibling.suffix.lower() in _SHAPEFILE_PARTS
    }
    _require_parts(parts)
    _check_size(sum(_regular_file(part).st_size for part in parts.values()))
    return _read_parts(parts, kind)


def _read_shapefile_zip(path: Path, layer: str | None, kind: str | None) -> gpd.GeoDataFrame:
    """The shapefile's members are written under fixed names in a temporary folder."""
    with safe_zip(path, MAX_FILE_BYTES) as archive, tempfile.TemporaryDirectory(
        prefix="bordermap-"
    ) as folder:
        bases: dict[str, str] = {}
        for info in layer_members(archive, ".shp"):
            base = info.filename.replace("\\", "/")[:-4]
            bases.setdefault(PurePosixPath(base).name, base)
        members = _zip_parts(archive, bases[_choose_layer(list(bases), layer, kind)])
        _require_parts(members)
        parts = {suffix: Path(folder) / f"layer{suffix}" for suffix in members}
        for suffix, info in members.items():
            extract_to(archive, info, parts[suffix])
        return _read_parts(parts, kind)


def _zip_parts(archive: zipfile.ZipFile, base: str) -> dict[str, zipfile.ZipInfo]:
    """The members ``base.shp``, ``base.dbf``, … (any case) of one shapefile."""
    parts: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        stem, _, extension = info.filename.replace("\\", "/").rpartition(".")
        suffix = f".{extension.lower()}"
        if stem.lower() == base.lower() and suffix in _SHAPEFILE_PARTS and not is_junk(stem):
            parts.setdefault(suffix, info)
    return parts


def _require_parts(parts: Mapping[str, object]) -> None:
    missing = [suffix for suffix in _REQUIRED_PARTS if suffix not in parts]
    if missing:
        raise LayerReadError("shapefile_incomplete", missing=", ".join(missing))


def _read_parts(parts: dict[str, Path], kind: str | None) -> gpd.GeoDataFrame:
    encoding = _dbf_encoding(parts[".dbf"], parts.get(".cpg"))
    _check_features(pyogrio.read_info(parts[".shp"], encoding=encoding)["features"])
    frame = pyogrio.read_dataframe(parts[".shp"], encoding=encoding, datetime_as_string=True)
    frame = frame.rename(columns=_restored_names(list(frame.columns), kind))
    unused = _unused_columns(frame, kind)
    if unused:
        frame.attrs[NOTES_ATTR] = [ReadNote(WARNING, "unused_columns", params={
            "columns": ", ".join(unused), "kind": Term(f"kinds.{kind}")})]
    return frame


DBF_NAME_CHARS = 10  # a Shapefile's field names are cut to this many characters (dBASE format)
MIN_PREFIX = 5  # shorter names are not taken for the start of a schema column's name


def _schema_names(kind: str | None) -> dict[str, str]:
    """{name or synonym (normalised): schema column} for ``kind``, else for every kind."""
    kinds = [KINDS[kind]] if kind in KINDS else list(KINDS.values())
    names: dict[str, str] = {}
    for spec in kinds:
        for column in spec.names:
            for name in (column, *SYNONYMS.get(column, ())):
                names.setdefault(name, column)
    return names


def _restored_names(headers: list[str], kind: str | None) -> dict[str, str]:
    """{field name: schema column} for the DBF names that are a schema column's name (or
    synonym) cut short: ``facing_pos`` -> ``facing_post_id``, GDAL's ``populati_1`` for the
    second name cut to ``population``, and ``settlement`` for ``settlement_id`` beside a
    ``name`` column (alone, ``settlement`` is a name). A name is restored only when exactly
    one column, not already in the file, starts with it."""
    names = _schema_names(kind)
    meaning = {header: names.get(normalise(header)) for header in headers}  # column named as is
    named = Counter(column for column in meaning.values() if column)
    taken = set(named) | set(headers)
    cut = [(h, normalise(h)) for h, column in meaning.items()
           if column is None or (len(h) == DBF_NAME_CHARS and named[column] > 1)]
    laundered = [(h, m.group(1)) for h, key in cut if (m := re.fullmatch(r"(.+)_\d+", key))
                 and len(h) == DBF_NAME_CHARS]
    renames: dict[str, str] = {}
    for header, stem in [*cut, *laundered]:
        if header in renames or len(stem) < MIN_PREFIX:
            continue
        targets = {column for name, column in names.items() if name.startswith(stem)} - taken
        if len(targets) == 1:
            renames[header] = target = targets.pop()
            taken.add(target)
    return renames


def _unused_columns(frame: gpd.GeoDataFrame, kind: str | None) -> list[str]:
    """The file's columns that no schema column of ``kind`` takes (none without a kind)."""
    if kind not in KINDS:
        return []
    headers = [str(c) for c in frame.columns if c != frame.geometry.name]
    mapping, _ = map_columns(headers, KINDS[kind])
    return [h for h in headers if h not in mapping]


def _dbf_encoding(dbf: Path, cpg: Path | None) -> str:
    """The ``.cpg``'s encoding (latin-1 read as its superset cp1252), else UTF-8 if the
    records decode as strict UTF-8, else cp1252."""
    declared = _cpg_encoding(cpg.read_text("ascii", errors="ignore")) if cpg else None
    if declared:
        return declared
    return "utf-8" if _records_are_utf8(dbf) else "cp1252"


def _cpg_encoding(text: str) -> str | None:
    """``"UTF-8"``, ``"1252"``, ``"88591"``, ``"ISO-8859-1"``… as a Python codec name."""
    value = re.sub(r"^ANSI\s*", "", text.strip().upper())
    if value.isdigit():
        value = f"iso8859_{value[4:]}" if value.startswith("8859") else f"cp{value}"
    try:
        name = codecs.lookup(value).name
    except LookupError:
        return None
    return "cp1252" if name == "iso8859-1" else name


def _records_are_utf8(dbf: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with dbf.open("rb") as handle:
        header = handle.read(32)
        handle.seek(int.from_bytes(header[8:10], "little"))
        try:
            for chunk in iter(partial(handle.read, 1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


# -- KML, KMZ -------------------------------------------------------------------------------


def _read_kml(path: Path, layer: str | None, kind: str | None) -> gpd.GeoDataFrame:
    return _parse_kml(path.read_bytes())


def _read_kmz(path: Path, layer: str | None, kind: str | None) -> gpd.GeoDataFrame:
    with safe_zip(path, MAX_FILE_BYTES) as archive:
        members = layer_members(archive, ".kml")
        doc = next((m for m in members if m.filename.lower() == "doc.kml"), members[0])
        _check_size(doc.file_size, MAX_TEXT_BYTES)
        return _parse_kml(archive.read(doc))


def _parse_kml(data: bytes) -> gpd.GeoDataFrame:
    """Placemarks as rows: ``name``, ``description``, ExtendedData fields; EPSG:4326."""
    try:
        root = parse_xml(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise LayerReadError("unsafe_xml") from exc
    except ParseError as exc:
        raise LayerReadError("unreadable", detail=str(exc)) from exc
    placemarks = [el for el in root.iter() if _local(el.tag) == "Placemark"]
    _check_features(len(placemarks))
    rows = [_placemark_fields(placemark) for placemark in placemarks]
    columns = list(dict.fromkeys(["name", "description", *(key for row in rows for key in row)]))
    geometry = [_placemark_geometry(placemark) for placemark in placemarks]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry=geometry, crs=WGS84)


def _local(tag: object) -> str:
    """An element's tag without its namespace (comments and the like give ``""``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: Element | None) -> str | None:
    text = (element.text or "").strip() if element is not None else ""
    return text or None


def _child_text(element: Element, name: str) -> str | None:
    return _text(next(iter(_children(element, name)), None))


def _placemark_fields(placemark: Element) -> dict[str, str | None]:
    fields = {"name": _child_text(placemark, "name"),
              "description": _child_text(placemark, "description")}
    for element in placemark.iter():
        tag, key = _local(element.tag), element.get("name")
        if key and tag in ("Data", "SimpleData") and fields.get(key) is None:
            fields[key] = _child_text(element, "value") if tag == "Data" else _text(element)
    return fields


def _placemark_geometry(placemark: Element) -> BaseGeometry | None:
    """The placemark's geometry in 2D; ``None`` when absent or unusable."""
    element = next((c for c in placemark if _local(c.tag) in _KML_GEOMETRIES), None)
    try:
        return None if element is None else _kml_geometry(element)
    except (ValueError, IndexError, ShapelyError):
        return None


def _kml_geometry(element: Element) -> BaseGeometry | None:
    tag = _local(element.tag)
    if tag == "MultiGeometry":
        return _collect([_kml_geometry(c) for c in element if _local(c.tag) in _KML_GEOMETRIES])
    if tag == "Polygon":
        shell, *_ = _rings(element, "outerBoundaryIs")
        return Polygon(shell, _rings(element, "innerBoundaryIs"))
    coordinates = _coordinates(element)
    return Point(coordinates[0]) if tag == "Point" else LineString(coordinates)


def _rings(polygon: Element, boundary: str) -> list[list[tuple[float, float]]]:
    return [
        _coordinates(ring)
        for side in _children(polygon, boundary)
        for ring in _children(side, "LinearRing")
    ]


def _coordinates(element: Element) -> list[tuple[float, float]]:
    """``"lon,lat[,alt] lon,lat[,alt] …"`` (spaces after commas tolerated) as 2D tuples."""
    text = re.sub(r"\s*,\s*", ",", _child_text(element, "coordinates") or "")
    return [(float(x), float(y)) for x, y, *_ in (item.split(",") for item in text.split())]


def _collect(parts: list[BaseGeometry | None]) -> BaseGeometry | None:
    """A MultiGeometry's parts as one Multi* (or a collection if mixed); one part stays single."""
    geoms = [g for part in parts if part is not None for g in getattr(part, "geoms", [part])]
    types = {geom.geom_type for geom in geoms}
    if len(geoms) <= 1:
        return geoms[0] if geoms else None
    multi = {"Point": MultiPoint, "LineString": MultiLineString, "Polygon": MultiPolygon}
    if len(types) == 1 and (cls := multi.get(types.pop())):
        return cls(geoms)
    return GeometryCollection(geoms)


# -- CSV, XLSX ------------------------------------------------------------------------------


def _read_csv(path: Path, layer: str | None, kind: str | None) -> gpd.GeoDataFrame:
    """All columns as text, except the coordinates; ``,``, ``;`` and tab separators, decimal
    commas, UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") and Windows-1252 text
    work. A line whose values do not fit the header is an error naming the line; so is a
    column name used twice. Rows past ``MAX_ROWS`` or ``MAX_CELLS`` stop the reading."""
    encoding = _text_encoding(path)
    with _open_text(path, encoding) as text:
        delimiter = _sniff_delimiter(text.read(_SNIFF_CHARS))
    with _open_text(path, encoding) as text:
        header, rows = _csv_table(text, delimiter)
    _check_header(header)
    names = [name if name else f"Unnamed: {i}" for i, name in enumerate(header)]
    frame = pd.DataFrame(rows, columns=names, dtype=str)
    return _points_from_table(frame.mask(frame == ""))  # as pandas reads "" (and only "") as NaN


def _read_xlsx(path: Path, layer: str | None, kind: str | None) -> gpd.GeoDataFrame:
    """The sheet named ``layer``, else like ``kind``, else the first; cell types kept as in
    the workbook (a text cell "007" stays text, a number cell a number), as ``pandas.read_excel``
    reads them. The sheet is streamed (openpyxl's read-only mode) and refused as soon as a
    value lies beyond ``MAX_ROWS`` or the table passes ``MAX_CELLS``, whatever extent the
    sheet declares; the workbook may unpack to ``MAX_WORKBOOK_BYTES``."""
    with safe_zip(path, MAX_WORKBOOK_BYTES), path.open("rb") as handle:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True, keep_links=False)
        try:
            sheet = _choose_layer(book.sheetnames, layer, kind, first_by_default=True)
            data = _sheet_data(book[sheet])
        finally:
            book.close()
    if not data:
        return _points_from_table(pd.DataFrame())
    _check_header(data[0])
    frame = TextParser(data, header=0, dtype=object, skip_blank_lines=False).read()
    return _points_from_table(frame.infer_objects())


_SNIFF_CHARS = 65536  # characters of a CSV file looked at to choose its separator
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _text_encoding(path: Path) -> str:
    """The encoding of a text file: its byte-order mark's (UTF-8, or UTF-16 as Excel's "Unicode
    text"), UTF-16 without a mark from its zero bytes, else UTF-8 if every byte decodes as
    UTF-8, else Windows-1252 (Excel's "CSV" on a French or English Windows)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
        bom = next((codec for mark, codec in _BOMS if head.startswith(mark)), None)
        if bom:
            return bom
        even, odd = head[0::2], head[1::2]
        if len(head) >= 8 and even.count(0) < len(even) / 20 and odd.count(0) > len(odd) / 3:
            return "utf-16-le"
        if len(head) >= 8 and odd.count(0) < len(odd) / 20 and even.count(0) > len(even) / 3:
            return "utf-16-be"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(partial(handle.read, 1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    """The file as text, lines kept whole for the csv module (``newline=""``); a byte that
    does not decode becomes U+FFFD rather than stopping the reading."""
    return io.TextIOWrapper(path.open("rb"), encoding=encoding, errors="replace", newline="")


def _sniff_delimiter(sample: str) -> str:
    """The separator that splits the header into several columns and most other lines into
    as many (one malformed line does not change it), else the one giving the most columns."""
    if len(sample) >= _SNIFF_CHARS:
        sample = sample.rsplit("\n", 1)[0]
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in _DELIMITERS:
        rows = [row for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if row]
        if not rows:
            continue
        width, body = len(rows[0]), rows[1:]
        share = sum(len(row) == width for row in body) / len(body) if body else 1.0
        score = (width > 1, share, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


class _Lines:
    """The lines of a text for ``csv.reader``, keeping the first line of the current record."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.first: str | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        if self.first is None:
            self.first = line
        return line


def _csv_table(text: Iterable[str], delimiter: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a CSV text (blank lines skipped), every row as wide as the
    header. Raises the error naming the first line that breaks the file, or the limit passed."""
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    while True:
        start, lines.first = reader.line_num + 1, None
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _csv_error(str(exc), start, reader.line_num > start, lines.first) from exc
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = row
            continue
        rows.append(_fitted(row, header, start, reader.line_num > start, delimiter, lines.first))
        if len(rows) > MAX_ROWS:
            raise LayerReadError("too_many_rows", row=start, limit=MAX_ROWS)
        if len(rows) * len(header) > MAX_CELLS:
            raise _too_many_cells(len(rows) + 1, len(header))
    return header or [], rows


def _fitted(row: list[str], header: list[str], line: int, spans: bool, delimiter: str,
            text: str | None) -> list[str]:
    """``row`` as wide as the header: empty values past the header's end are dropped (a trailing
    separator), values missing under columns without a name are empty; any other difference
    is an error naming the line (a quote left open when the row spans several lines)."""
    width = len(header)
    if len(row) == width:
        return row
    if len(row) > width and not any(value.strip() for value in row[width:]):
        return row[:width]
    if len(row) < width and not any(name.strip() for name in header[len(row):]):
        return row + [""] * (width - len(row))
    if spans:
        raise LayerReadError("csv_open_quote", line=line)
    raise LayerReadError("csv_bad_row", line=line, found=len(row), expected=width,
                         separator=Term(f"read.separators.{_SEPARATOR_NAMES[delimiter]}"),
                         excerpt=_excerpt(text))


def _csv_error(message: str, line: int, spans: bool, text: str | None) -> LayerReadError:
    """The error for what the csv module could not split: a quote left open (the text runs on
    to the end of the file or past the longest value allowed), a very long value, or a quote
    followed by more text in the same value."""
    if "end of data" in message or (spans and "field larger" in message):
        return LayerReadError("csv_open_quote", line=line)
    if "field larger" in message:
        return LayerReadError("csv_long_value", line=line, limit=csv.field_size_limit())
    return LayerReadError("csv_bad_quote", line=line, excerpt=_excerpt(text))


def _excerpt(text: str | None, length: int = 60) -> str:
    """The start of a line of the file, for a message."""
    line = (text or "").rstrip("\r\n")
    return line if len(line) <= length else line[:length] + "…"


def _check_header(header: Sequence[object]) -> None:
    """Refuse a table naming two columns alike: which one holds the values is anyone's guess."""
    names = [str(name).strip() for name in header if not (name is None or str(name).strip() == "")]
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if repeated:
        raise LayerReadError("duplicate_columns", columns=", ".join(repeated))


def _too_many_cells(rows: int, columns: int) -> LayerReadError:
    return LayerReadError("too_many_cells", rows=rows, columns=columns, cells=rows * columns,
                          limit=MAX_CELLS)


def _sheet_data(sheet: Any) -> list[list[object]]:
    """A sheet's cells as ``pandas.read_excel`` gets them (empty cells "", trailing ones and
    trailing empty rows dropped, rows padded to the widest), streamed: a value beyond row
    ``MAX_ROWS`` + 1 (the header) or a table of more than ``MAX_CELLS`` cells stops the reading
    before anything is padded, whatever extent the sheet declares."""
    sheet.reset_dimensions()  # the declared extent may be wrong: let openpyxl find the real one
    data: list[list[object]] = []
    blank, width = 0, 0  # empty rows since the last row with a value; widest row so far
    for number, row in enumerate(sheet.rows, start=1):
        values = [_cell_value(cell) for cell in row]
        while values and values[-1] == "":
            values.pop()
        if not values:
            blank += 1
            continue
        if number > MAX_ROWS + 1:
            raise LayerReadError("too_many_rows", row=number, limit=MAX_ROWS)
        width = max(width, len(values))
        if number * width > MAX_CELLS:
            raise _too_many_cells(number, width)
        data.extend([] for _ in range(blank))
        data.append(values)
        blank = 0
    return [row + [""] * (width - len(row)) for row in data]


def _cell_value(cell: Any) -> object:
    """A cell's value as pandas reads it: empty as "", an error (``#N/A``) as NaN, a whole
    number as an int."""
    value = cell.value
    if value is None:
        return ""
    if cell.data_type == "e":
        return np.nan
    if cell.data_type == "n" and isinstance(value, float) and np.isfinite(value) and value == int(value):
        return int(value)
    return value


_WKT_COLUMNS = ("wkt", "wkt_geom", "the_geom", "geometry", "geom")  # QGIS and GDAL CSV exports


def _shapes_from_wkt(frame: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """Geometries (EPSG:4326) from a WKT column, as GDAL and QGIS write lines and polygons
    to CSV; unreadable cells give a ``None`` geometry. None when there is no such column."""
    column = next((c for c in frame.columns if normalise(c) in _WKT_COLUMNS), None)
    if column is None:
        return None
    text = frame[column].astype("string").fillna("").str.strip()
    shapes = shapely.from_wkt(text.where(text != "", None).to_numpy(dtype=object), on_invalid="ignore")
    return gpd.GeoDataFrame(frame.drop(columns=[column]), geometry=shapes, crs=WGS84)


def _points_from_table(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Points (EPSG:4326) from latitude/longitude columns, Kobo/ODK ``…_latitude`` pairs or a
    geopoint text column, or any shapes from a WKT column; rows without usable coordinates
    get a ``None`` geometry."""
    frame = frame.rename(columns=str)
    shapes = _shapes_from_wkt(frame)
    if shapes is not None:
        return shapes
    pair = _coordinate_pair(list(frame.columns))
    if pair:
        lat_column, lon_column, helpers = pair
        lat, lon = _to_float(frame[lat_column]), _to_float(frame[lon_column])
        frame = frame.drop(columns=helpers)
    elif (column := _geopoint_column(frame)) is not None:
        parts = frame[column].astype("string").str.extract(f"^{_GEOPOINT}$")
        lat, lon = _to_float(parts[0]), _to_float(parts[1])
    else:
        raise LayerReadError("no_coordinates", columns=", ".join(frame.columns))
    points = gpd.points_from_xy(lon, lat)
    points[~(np.isfinite(lat) & np.isfinite(lon))] = None
    return gpd.GeoDataFrame(frame, geometry=points, crs=WGS84)


def _coordinate_pair(headers: list[str]) -> tuple[str, str, list[str]] | None:
    """Latitude and longitude headers, and the altitude/precision/accuracy ones to drop."""
    keys = {header: normalise(header) for header in headers}
    by_key: dict[str, str] = {}
    for header, key in keys.items():
        by_key.setdefault(key, header)
    for header, key in keys.items():
        prefix = key.removesuffix("_latitude")
        if prefix != key and prefix and f"{prefix}_longitude" in by_key:
            helpers = [by_key[f"{prefix}_{h}"] for h in _COORDINATE_HELPERS
                       if f"{prefix}_{h}" in by_key]
            return header, by_key[f"{prefix}_longitude"], helpers
    lat = next((h for h, key in keys.items() if key in LATITUDE), None)
    lon = next((h for h, key in keys.items() if key in LONGITUDE), None)
    return (lat, lon, []) if lat and lon else None


def _geopoint_column(frame: pd.DataFrame) -> str | None:
    """The first column holding geopoint text: by name if some cells parse, else if all do."""
    for column in frame.columns:
        values = frame[column].dropna().astype(str).str.strip()
        matches = values[values != ""].str.fullmatch(_GEOPOINT)
        named = normalise(column) in _GEOPOINT_NAMES
        if matches.any() and (named or matches.all()):
            return column
    return None


def _to_float(values: pd.Series) -> np.ndarray:
    """Numbers from cells that may be text with a decimal comma; anything else is NaN."""
    if not pd.api.types.is_numeric_dtype(values):
        values = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


_VECTOR_READERS: dict[str, Callable[[Path, str | None, str | None], gpd.GeoDataFrame]] = {
    "gpkg": _read_gpkg,
    "geojson": _read_geojson,
    "shapefile": _read_shapefile,
    "shapefile_zip": _read_shapefile_zip,
    "kml": _read_kml,
    "kmz": _read_kmz,
    "csv": _read_csv,
    "xlsx": _read_xlsx,
}
