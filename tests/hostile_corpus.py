"""A corpus of hostile and broken input files, made by script (no committed binaries).

Each :class:`Case` writes one file (or directory, or pipe) into a folder and says what a
user must see: ``refused`` (validate exits 1 or 2, import changes nothing) or ``accepted``
(import succeeds, and the store still scores and exports). ``words`` are fragments the
English and French messages must contain. ``tests/test_hostile_corpus.py`` runs every case
through ``bordermap layers validate`` and ``import`` in both languages.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from openpyxl import Workbook
from rasterio.transform import from_origin
from shapely.geometry import Point, Polygon

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "geo" / "demo.gpkg"
POST_COLUMNS = ["post_id", "name", "iso3", "status"]


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    build: Callable[[Path], Path]
    expect: str  # "refused" or "accepted"
    words: dict[str, str] = field(default_factory=dict)  # lang -> fragment of the message


def demo_posts() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO, layer="posts")


def posts_table() -> pd.DataFrame:
    """The demo posts as a table with latitude and longitude columns (WGS 84 degrees)."""
    posts = demo_posts()
    table = pd.DataFrame(posts.drop(columns="geometry"))
    table["latitude"], table["longitude"] = posts.geometry.y.round(6), posts.geometry.x.round(6)
    return table


def _csv(name: str, text: str | bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path
    return build


def _posts_csv(name: str, change: Callable[[pd.DataFrame], pd.DataFrame],
               **options) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        change(posts_table()).to_csv(path, index=False, **options)
        return path
    return build


def _with(column: str, row: int, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        if column in table and not pd.api.types.is_object_dtype(table[column]):
            table[column] = table[column].astype(object)
        table.loc[table.index[row], column] = value
        return table
    return change


def _clean_csv_lines() -> list[str]:
    buffer = io.StringIO()
    posts_table()[[*POST_COLUMNS, "latitude", "longitude"]].to_csv(buffer, index=False)
    return buffer.getvalue().splitlines()


def _broken_row(how: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        lines = _clean_csv_lines()
        if how == "comma":
            lines[3] = lines[3].replace(",", ",extra,", 1)
        elif how == "quote":
            lines[3] = lines[3].replace(",", ',"', 1)
        else:  # truncated last line
            lines[-1] = lines[-1][: len(lines[-1]) // 3]
        path = folder / f"broken_{how}.csv"
        path.write_text("\n".join(lines) + ("\n" if how != "truncated" else ""), encoding="utf-8")
        return path
    return build


def _utf16_tabs(folder: Path) -> Path:
    path = folder / "unicode_text.txt"
    path.write_bytes(posts_table()[[*POST_COLUMNS, "latitude", "longitude"]]
                     .to_csv(sep="\t", index=False).encode("utf-16"))
    return path


def _duplicate_columns(column: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        table = posts_table()[[*POST_COLUMNS, "latitude", "longitude"]]
        table = pd.concat([table, table[[column]]], axis=1)
        path = folder / f"duplicate_{column}.csv"
        table.to_csv(path, index=False)
        return path
    return build


def _points(name: str, xs: list[float], ys: list[float], crs: str | None = "EPSG:4326",
            driver: str = "GeoJSON") -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        table = posts_table().iloc[: len(xs)][POST_COLUMNS]
        frame = gpd.GeoDataFrame(table, geometry=[Point(x, y) for x, y in zip(xs, ys, strict=True)], crs=crs)
        path = folder / name
        frame.to_file(path, driver=driver)
        return path
    return build


def _demo_posts_as(name: str, driver: str) -> Callable[[Path], Path]:
    """Every demo post in a file of ``driver``'s format under ``name`` (the import replaces the
    posts layer: a file of fewer posts would be refused for removing most of them)."""
    def build(folder: Path) -> Path:
        path = folder / name
        demo_posts().to_file(path, driver=driver)
        return path
    return build


def _raw_geojson(name: str, coordinates: list) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        table = posts_table().iloc[: len(coordinates)]
        features = [{"type": "Feature", "properties": {c: row[c] for c in POST_COLUMNS},
                     "geometry": {"type": "Point", "coordinates": xy}}
                    for (_, row), xy in zip(table.iterrows(), coordinates, strict=True)]
        path = folder / name
        text = json.dumps({"type": "FeatureCollection", "features": features})
        path.write_text(text.replace('"inf"', "1e999").replace('"nan"', "NaN"), encoding="utf-8")
        return path
    return build


def _shapefile_zip(name: str, prj: str | None = None, frame: gpd.GeoDataFrame | None = None,
                   members: dict[str, bytes] | None = None) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        shapefile = folder / "shp" / "posts.shp"
        shapefile.parent.mkdir()
        data = demo_posts() if frame is None else frame
        with np.errstate(all="ignore"):
            data.to_file(shapefile)
        if prj is not None:
            shapefile.with_suffix(".prj").write_text(prj, encoding="ascii")
        path = folder / name
        with zipfile.ZipFile(path, "w") as archive:
            for part in sorted(shapefile.parent.iterdir()):
                archive.write(part, part.name)
            for member, content in (members or {}).items():
                archive.writestr(member, content)
        return path
    return build


def _degrees_declared_utm() -> gpd.GeoDataFrame:
    posts = demo_posts()
    return gpd.GeoDataFrame(posts.drop(columns="geometry"), geometry=list(posts.geometry), crs="EPSG:32628")


def _gpkg_two_layers(folder: Path) -> Path:
    path = folder / "two_layers.gpkg"
    posts = demo_posts()
    posts.to_file(path, layer="first")
    posts.to_file(path, layer="second")
    return path


def _sqlite_not_gpkg(folder: Path) -> Path:
    path = folder / "not_a_geopackage.gpkg"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE posts (post_id TEXT, name TEXT)")
        connection.execute("INSERT INTO posts VALUES ('A', '=1+1')")
    return path


def _xlsx(name: str, fill: Callable[[Workbook], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        book = Workbook()
        fill(book)
        path = folder / name
        book.save(path)
        return path
    return build


def _far_cell(book: Workbook) -> None:
    sheet = book.active
    sheet["A1"] = "post_id"
    sheet["XFD1048576"] = "x"


def _xlsx_posts(book: Workbook) -> None:
    sheet = book.active
    table = posts_table()[[*POST_COLUMNS, "latitude", "longitude"]]
    sheet.append(list(table.columns))
    for row in table.itertuples(index=False):
        sheet.append(list(row))
    sheet["B2"] = "=HYPERLINK(\"http://example.invalid\",\"x\")"
    sheet["B2"].data_type = "s"  # text that looks like a formula, as a form export may hold


def _kml(name: str, text: str) -> Callable[[Path], Path]:
    return _csv(name, text)


XXE = """<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&xxe;</name>
<Point><coordinates>-8.5,15.2</coordinates></Point></Placemark></Document></kml>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&lol3;</name>
<Point><coordinates>-8.5,15.2</coordinates></Point></Placemark></Document></kml>"""


def _kmz_slip(folder: Path) -> Path:
    path = folder / "slip.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../evil.kml", XXE)
    return path


def _raster(name: str, data: np.ndarray, transform=None, crs: object = "EPSG:4326",
            nodata: float | None = None) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        profile = {"driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1,
                   "dtype": data.dtype.name, "crs": crs, "nodata": nodata,
                   "transform": transform or from_origin(-12.0, 17.0, 0.01, 0.01)}
        with rasterio.open(path, "w", **profile) as out:
            out.write(data, 1)
        return path
    return build


def _huge_header(folder: Path) -> Path:
    """A few KB on disk, 1,000,000 × 500,000 float32 cells in the header (no block written)."""
    path = folder / "huge_header.tif"
    profile = {"driver": "GTiff", "height": 500_000, "width": 1_000_000, "count": 1, "dtype": "float32",
               "crs": "EPSG:4326", "transform": from_origin(-12.0, 17.0, 1e-5, 1e-5), "tiled": True,
               "blockxsize": 512, "blockysize": 512, "compress": "deflate", "sparse_ok": True,
               "BIGTIFF": "YES"}
    with rasterio.open(path, "w", **profile):
        pass
    return path


def _directory(folder: Path) -> Path:
    path = folder / "a_folder.csv"
    path.mkdir()
    return path


def _pipe(folder: Path) -> Path:
    path = folder / "pipe.csv"
    os.mkfifo(path)
    return path


LOCAL_PRJ = 'LOCAL_CS["site grid",LOCAL_DATUM["local",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
GOOD = (-8.5, 15.2)
HEADER = "post_id,name,iso3,status,latitude,longitude\n"
LINE = {"en": "line", "fr": "ligne"}  # a broken row is named by its line


def cases() -> list[Case]:
    """Every case of the corpus."""
    square = np.ones((50, 50), dtype="float32")
    return [
        # -- CSV and text tables
        Case("csv_unquoted_comma", "posts", _broken_row("comma"), "refused", LINE),
        Case("csv_unterminated_quote", "posts", _broken_row("quote"), "refused", LINE),
        Case("csv_truncated_last_line", "posts", _broken_row("truncated"), "refused"),
        Case("csv_utf16_tabs", "posts", _utf16_tabs, "accepted"),
        Case("csv_header_only", "posts", _csv("header_only.csv", HEADER),
             "refused"),
        Case("csv_empty", "posts", _csv("empty.csv", ""), "refused"),
        Case("csv_binary_garbage", "posts", _csv("garbage.csv", bytes(range(256)) * 40), "refused"),
        Case("csv_duplicate_name", "posts", _duplicate_columns("name"), "refused",
             {"en": "name", "fr": "name"}),
        Case("csv_duplicate_latitude", "posts", _duplicate_columns("latitude"), "refused"),
        Case("csv_nul_in_name", "posts", _posts_csv("nul.csv", _with("name", 2, "Kob\x00enni")), "refused"),
        Case("csv_formula_names", "posts", _posts_csv("formulas.csv", lambda t: t.assign(
            name=['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3",
                  *list(t["name"].iloc[4:])])), "accepted"),
        Case("csv_terminal_escapes", "posts", _posts_csv("escapes.csv", lambda t: t.assign(
            name=["\x1b]0;owned\x07Kobenni", "\x1b[2JNioro", *list(t["name"].iloc[2:])])),
             "accepted"),  # kept with a warning; every output escapes them
        Case("csv_html_names", "posts", _posts_csv("html.csv", lambda t: t.assign(
            name=["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", *list(t["name"].iloc[2:])])),
             "accepted"),
        Case("csv_swapped_lat_lon", "posts", _posts_csv("swapped.csv", lambda t: t.assign(
            latitude=t["longitude"], longitude=t["latitude"])), "refused"),
        Case("csv_cost_1e30", "posts", _posts_csv("cost.csv", _with("rehab_cost_usd", 0, 1e30)), "refused"),
        Case("csv_cost_negative", "posts", _posts_csv("cost_negative.csv", _with("rehab_cost_usd", 0, -5)),
             "refused"),
        Case("csv_latitude_1e27", "posts", _posts_csv("lat_1e27.csv", _with("latitude", 0, 1e27)), "refused"),
        Case("csv_latitude_text", "posts", _posts_csv("lat_text.csv", _with("latitude", 0, "north")),
             "refused"),
        Case("csv_missing_id_column", "posts", _posts_csv("no_id.csv", lambda t: t.drop(columns="post_id")),
             "refused"),
        Case("csv_duplicate_ids", "posts", _posts_csv("dup_ids.csv", _with("post_id", 1, "MRT-KOB")),
             "refused"),
        Case("csv_is_geojson", "posts", _demo_posts_as("really_geojson.csv", "GeoJSON"), "accepted"),
        Case("csv_is_directory", "posts", _directory, "refused"),
        Case("csv_is_pipe", "posts", _pipe, "refused"),
        # -- GeoJSON
        Case("geojson_1e308", "posts", _raw_geojson("big.geojson", [[1e308, 1e308], list(GOOD)]),
             "refused"),
        Case("geojson_1e27", "posts", _raw_geojson("big27.geojson", [[1e27, 15.0]]), "refused"),
        Case("geojson_infinite", "posts", _raw_geojson("inf.geojson", [["inf", 15.0]]), "refused"),
        Case("geojson_nan", "posts", _raw_geojson("nan.geojson", [["nan", 15.0]]), "refused"),
        Case("geojson_truncated", "posts", _csv("truncated.geojson", '{"type": "FeatureCollection", "feat'),
             "refused"),
        Case("geojson_bowtie_country", "countries", lambda folder: _bowtie(folder), "refused"),
        # -- Shapefile
        Case("shapefile_truncated_names", "posts", _shapefile_zip("posts_shp.zip"), "accepted"),
        Case("shapefile_degrees_declared_utm", "posts",
             _shapefile_zip("utm_lies.zip", frame=_degrees_declared_utm()), "refused"),
        Case("shapefile_local_crs", "posts", _shapefile_zip("local.zip", prj=LOCAL_PRJ), "refused"),
        Case("shapefile_zip_slip", "posts", _shapefile_zip("slip.zip", members={"../../evil.txt": b"x"}),
             "refused"),
        Case("geopackage_two_layers", "posts", _gpkg_two_layers, "refused"),
        Case("geopackage_empty_file", "posts", _csv("empty.gpkg", b""), "refused"),
        Case("geopackage_plain_sqlite", "posts", _sqlite_not_gpkg, "refused"),
        # -- KML
        Case("kml_external_entity", "posts", _kml("xxe.kml", XXE), "refused"),
        Case("kml_billion_laughs", "posts", _kml("laughs.kml", LAUGHS), "refused"),
        Case("kmz_zip_slip", "posts", _kmz_slip, "refused"),
        # -- XLSX
        Case("xlsx_far_cell", "posts", _xlsx("far_cell.xlsx", _far_cell), "refused"),
        Case("xlsx_formula_name", "posts", _xlsx("formula.xlsx", _xlsx_posts), "accepted"),
        # -- rasters
        Case("raster_huge_header", "population", _huge_header, "refused"),
        Case("raster_zero_pixel", "population", _raster("zero.tif", square,
                                                         transform=from_origin(-12, 17, 0, 0)),
             "refused"),
        Case("raster_all_nan", "population", _raster("nan.tif", np.full((50, 50), np.nan, dtype="float32")),
             "refused"),
        Case("raster_negative", "population", _raster("negative.tif", np.full((50, 50), -5e30,
                                                                                  dtype="float32")),
             "refused"),
        Case("raster_local_crs", "population", _raster("local.tif", square, crs=LOCAL_PRJ), "refused"),
        Case("raster_far_away", "population",
             _raster("far.tif", square, transform=from_origin(100.0, 50.0, 0.01, 0.01)), "refused"),
        Case("raster_valid", "population",
             _raster("valid.tif", np.full((600, 1000), 3.0, dtype="float32"),
                     transform=from_origin(-13.0, 17.5, 0.01, 0.01)), "accepted"),
    ]


def _bowtie(folder: Path) -> Path:
    path = folder / "bowtie.geojson"
    shape = Polygon([(-10, 15), (-8, 17), (-8, 15), (-10, 17), (-10, 15)])
    gpd.GeoDataFrame({"iso3": ["XXX"], "name_en": ["Bowtie"], "name_fr": ["Nœud"]}, geometry=[shape],
                     crs="EPSG:4326").to_file(path, driver="GeoJSON")
    return path
