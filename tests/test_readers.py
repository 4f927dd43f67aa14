"""Readers: every format on small files made here, every bad input, and the real data."""

from __future__ import annotations

import re
import string
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from affine import Affine
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from mapping.i18n import LANGUAGES
from mapping.layers import readers, safe_archive
from mapping.layers.findings import LayerReadError
from mapping.layers.readers import detect_format, read_raster_info, read_vector

NAMES = ["Sélibabi", "Néma", "l’Est"]
SHARED = Path(__file__).parents[1].parent / "shared" / "data"
I18N = Path(readers.__file__).parents[1] / "i18n"


def posts(names: list[str] = NAMES) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"post_id": ["007", "008", "009"][: len(names)], "nom": names},
        geometry=[Point(-12.2 + i, 15.1 + i) for i in range(len(names))],
        crs="EPSG:4326",
    )


def make_zip(path: Path, members: dict[str, bytes | Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            archive.writestr(name, data)
    return path


def shapefile(folder: Path, stem: str, encoding: str, cpg: str | None) -> dict[str, Path]:
    """A point shapefile of ``posts()`` with DBF text in ``encoding`` and ``cpg`` as its .cpg."""
    folder.mkdir(parents=True, exist_ok=True)
    posts().to_file(folder / f"{stem}.shp", engine="pyogrio", encoding=encoding)
    (folder / f"{stem}.cpg").unlink()
    if cpg is not None:
        (folder / f"{stem}.cpg").write_text(cpg)
    return {p.suffix: p for p in folder.glob(f"{stem}.*")}


def raises(code: str, call: Callable[[], object]) -> LayerReadError:
    """``call`` raises ``LayerReadError(code)`` whose message renders in every language."""
    with pytest.raises(LayerReadError) as info:
        call()
    assert info.value.code == code, info.value.params
    for lang in LANGUAGES:
        assert info.value.message(lang)
    return info.value


# -- GeoPackage, GeoJSON ------------------------------------------------------------------


def test_geopackage_layers(tmp_path):
    path = tmp_path / "field.gpkg"
    posts().to_file(path, layer="posts", engine="pyogrio")
    posts(["Kayes", "Nioro"]).to_file(path, layer="crossings", engine="pyogrio")
    assert detect_format(path) == "gpkg"
    assert read_vector(path, layer="crossings")["nom"].tolist() == ["Kayes", "Nioro"]
    assert read_vector(path, kind="posts")["nom"].tolist() == NAMES
    err = raises("several_layers", lambda: read_vector(path))
    assert err.params["layers"] == "posts, crossings"
    assert err.params["file"] == "field.gpkg"
    assert raises("layer_not_found", lambda: read_vector(path, layer="roads")).params["layer"]


def test_geopackage_single_layer_keeps_columns_and_crs(tmp_path):
    path = tmp_path / "posts.gpkg"
    posts().to_crs(32628).to_file(path, engine="pyogrio")
    frame = read_vector(path, kind="settlements")
    assert frame["post_id"].tolist() == ["007", "008", "009"]
    assert frame.crs.to_epsg() == 32628


def test_geopackage_attribute_table_with_coordinates(tmp_path):
    path = tmp_path / "flows.gpkg"
    table = pd.DataFrame({"crossing_id": ["007"], "lat": [15.1], "lon": [-12.2]})
    pyogrio.write_dataframe(table, path, layer="flows")
    frame = read_vector(path)
    assert frame["crossing_id"].tolist() == ["007"]
    assert frame.geometry.iloc[0].equals(Point(-12.2, 15.1))


def test_geojson(tmp_path):
    path = tmp_path / "posts.geojson"
    posts().to_file(path, driver="GeoJSON", engine="pyogrio")
    frame = read_vector(path)
    assert frame["nom"].tolist() == NAMES
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.iloc[0].equals(Point(-12.2, 15.1))


# -- Shapefile ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "cpg"),
    [("UTF-8", "UTF-8"), ("UTF-8", None), ("cp1252", None), ("cp1252", "ISO-8859-1"),
     ("cp1252", "88591"), ("cp1252", "1252")],
)
def test_zipped_shapefile_encodings(tmp_path, encoding, cpg):
    parts = shapefile(tmp_path / "shp", "posts", encoding, cpg)
    path = make_zip(tmp_path / "posts.zip", {f"export/posts{s}": p for s, p in parts.items()})
    assert detect_format(path) == "shapefile_zip"
    frame = read_vector(path)
    assert frame["nom"].tolist() == NAMES
    assert frame["post_id"].tolist() == ["007", "008", "009"]
    assert frame.crs.to_epsg() == 4326


def test_zip_with_several_shapefiles(tmp_path):
    members: dict[str, bytes | Path] = {}
    for stem in ("posts", "crossings"):
        parts = shapefile(tmp_path / stem, stem, "UTF-8", "UTF-8")
        members |= {f"{stem}{s.upper()}": p for s, p in parts.items()}  # POSTS.SHP style
    members["__MACOSX/._posts.shp"] = b"junk"
    path = make_zip(tmp_path / "layers.zip", members)
    assert len(read_vector(path, kind="crossings")) == 3
    assert len(read_vector(path, layer="posts")) == 3
    assert raises("several_layers", lambda: read_vector(path)).params["layers"] == (
        "posts, crossings"
    )


def test_plain_shapefile_without_prj(tmp_path):
    parts = shapefile(tmp_path, "posts", "cp1252", None)
    parts[".prj"].unlink()
    frame = read_vector(parts[".shp"])
    assert frame["nom"].tolist() == NAMES
    assert frame.crs is None


def test_incomplete_shapefile(tmp_path):
    parts = shapefile(tmp_path / "shp", "posts", "UTF-8", None)
    path = make_zip(tmp_path / "posts.zip", {"posts.shp": parts[".shp"], "posts.prj": parts[".prj"]})
    assert raises("shapefile_incomplete", lambda: read_vector(path)).params["missing"] == (
        ".shx, .dbf"
    )


def test_corrupt_shapefile_in_zip(tmp_path):
    path = make_zip(tmp_path / "posts.zip", {"posts.shp": b"\x00\x00\x27\x0a" + bytes(60),
                                             "posts.shx": b"x", "posts.dbf": b"x"})
    detail = raises("unreadable", lambda: read_vector(path)).params["detail"]
    assert "bordermap-" not in detail and "/tmp" not in detail


@pytest.mark.parametrize(
    "member", ["../evil.shp", "/etc/evil.shp", "C:\\evil.dbf", "ok/..\\..\\evil.shx", "a/../b.prj"]
)
def test_zip_slip_is_refused(tmp_path, member):
    parts = shapefile(tmp_path / "shp", "posts", "UTF-8", "UTF-8")
    path = make_zip(tmp_path / "posts.zip", {f"posts{s}": p for s, p in parts.items()}
                    | {member: b"x"})
    assert raises("unsafe_archive", lambda: read_vector(path)).params["member"] == member


def test_zip_unpacking_above_the_limit(tmp_path, monkeypatch):
    parts = shapefile(tmp_path / "shp", "posts", "UTF-8", "UTF-8")
    path = make_zip(tmp_path / "posts.zip", {f"posts{s}": p for s, p in parts.items()}
                    | {"notes.txt": b" " * 20_000})
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", path.stat().st_size + 10)
    err = raises("too_large", lambda: read_vector(path))
    assert err.params["limit_mb"] == 0.0 and err.params["size_mb"] == 0.0  # both rounded to MB


def test_zip_bomb_ratio(tmp_path, monkeypatch):
    monkeypatch.setattr(safe_archive, "RATIO_FREE_BYTES", 0)
    parts = shapefile(tmp_path / "shp", "posts", "UTF-8", "UTF-8")
    path = make_zip(tmp_path / "posts.zip", {f"posts{s}": p for s, p in parts.items()}
                    | {"zeros.bin": bytes(2 * 1024**2)})
    assert raises("too_large", lambda: read_vector(path)).params["size_mb"] == 2.0


def test_zip_without_layer(tmp_path):
    path = make_zip(tmp_path / "photos.zip", {"readme.txt": b"hello", "posts.csv": b"a,b\n1,2\n"})
    raises("no_layer_in_archive", lambda: read_vector(path))


# -- KML, KMZ -----------------------------------------------------------------------------

KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Mauritanie</name>
<Schema name="posts" id="posts"><SimpleField name="post_id" type="string"/></Schema>
<Placemark><name>Sélibabi</name><description>Poste de l’Est</description>
  <ExtendedData><SchemaData schemaUrl="#posts">
    <SimpleData name="post_id">007</SimpleData><SimpleData name="status">degraded</SimpleData>
  </SchemaData></ExtendedData>
  <Point><coordinates>-12.18, 15.16, 0</coordinates></Point></Placemark>
</Folder><Folder>
<Placemark><name>Route</name>
  <ExtendedData><Data name="road_class"><value>track</value></Data></ExtendedData>
  <LineString><coordinates>-12,15,0 -11.5,15.2,0
    -11,15.5,0</coordinates></LineString></Placemark>
<Placemark><name>Zone</name><Polygon>
  <outerBoundaryIs><LinearRing><coordinates>0,0 4,0 4,4 0,4 0,0</coordinates></LinearRing>
  </outerBoundaryIs>
  <innerBoundaryIs><LinearRing><coordinates>1,1 2,1 2,2 1,1</coordinates></LinearRing>
  </innerBoundaryIs></Polygon></Placemark>
<Placemark><name>Paire</name><MultiGeometry><Point><coordinates>1,2</coordinates></Point>
  <Point><coordinates>3,4</coordinates></Point></MultiGeometry></Placemark>
<Placemark><name>Sans géométrie</name></Placemark>
<Placemark><name>Cassé</name><Point><coordinates>abc</coordinates></Point></Placemark>
</Folder></Document></kml>"""


def check_kml(frame: gpd.GeoDataFrame) -> None:
    assert list(frame.columns[:5]) == ["name", "description", "post_id", "status", "road_class"]
    assert frame["name"].iloc[0] == "Sélibabi"
    assert frame["description"].iloc[0] == "Poste de l’Est"
    assert frame["post_id"].iloc[0] == "007"
    assert frame["road_class"].iloc[1] == "track"
    expected = [
        Point(-12.18, 15.16),
        LineString([(-12, 15), (-11.5, 15.2), (-11, 15.5)]),
        Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2)]]),
        MultiPoint([(1, 2), (3, 4)]),
    ]
    for geometry, wanted in zip(frame.geometry, expected, strict=False):
        assert geometry.equals(wanted)
    assert frame.geometry.iloc[4:].isna().all()
    assert frame.crs.to_epsg() == 4326


def test_kml(tmp_path):
    path = tmp_path / "posts.kml"
    path.write_text(KML, encoding="utf-8")
    assert detect_format(path) == "kml"
    check_kml(read_vector(path))


def test_kmz(tmp_path):
    path = make_zip(tmp_path / "posts.kmz", {"files/icon.png": b"\x89PNG", "doc.kml": KML.encode()})
    assert detect_format(path) == "kmz"
    check_kml(read_vector(path))


XXE = """<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&xxe;</name></Placemark></kml>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<kml><Placemark><name>&lol3;</name></Placemark></kml>"""


@pytest.mark.parametrize("text", [XXE, LAUGHS])
def test_unsafe_kml_is_refused(tmp_path, text):
    path = tmp_path / "evil.kml"
    path.write_text(text)
    raises("unsafe_xml", lambda: read_vector(path))
    kmz = make_zip(tmp_path / "evil.kmz", {"doc.kml": text.encode()})
    raises("unsafe_xml", lambda: read_vector(kmz))


def test_broken_kml(tmp_path):
    path = tmp_path / "broken.kml"
    path.write_text(KML[: len(KML) // 2])
    assert raises("unreadable", lambda: read_vector(path)).params["detail"]


def test_kmz_zip_slip(tmp_path):
    path = make_zip(tmp_path / "posts.kmz", {"doc.kml": KML.encode(), "../../x.kml": b"<kml/>"})
    raises("unsafe_archive", lambda: read_vector(path))


# -- CSV, XLSX ----------------------------------------------------------------------------


def test_csv_comma_utf8(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("post_id,nom,Latitude,Longitude\n007,Sélibabi,15.16,-12.18\n"
                    "008,Néma,,\n009,l’Est,14°N,-7.2\n", encoding="utf-8-sig")
    frame = read_vector(path)
    assert frame["post_id"].tolist() == ["007", "008", "009"]
    assert frame["nom"].tolist() == NAMES
    assert frame.geometry.iloc[0].equals(Point(-12.18, 15.16))
    assert frame.geometry.iloc[1:].isna().all()  # empty and non-numeric coordinates
    assert frame.crs.to_epsg() == 4326


def test_csv_french_semicolons_decimal_commas_cp1252(tmp_path):
    path = tmp_path / "postes.csv"
    text = "code;nom;lat;lon;effectif\n007;Sélibabi;15,16;-11,4321;12\n008;l’Est;16,6;-7,25;3\n"
    path.write_bytes(text.encode("cp1252"))
    frame = read_vector(path)
    assert frame["nom"].tolist() == NAMES[::2]
    assert frame["code"].tolist() == ["007", "008"]
    assert frame.geometry.iloc[0].equals(Point(-11.4321, 15.16))


def test_csv_tab_separated(tmp_path):
    path = tmp_path / "posts.txt"
    path.write_text("name\tx\ty\nNéma\t-7.25\t16.6\n", encoding="utf-8")
    assert read_vector(path).geometry.iloc[0].equals(Point(-7.25, 16.6))


def test_kobo_csv(tmp_path):
    path = tmp_path / "kobo.csv"
    path.write_text(
        "start;grp_site/nom;grp_site/gps;grp_site/_gps_latitude;grp_site/_gps_longitude;"
        "grp_site/_gps_altitude;grp_site/_gps_precision;_geolocation\n"
        "2025-01-01;Sélibabi;15.16 -12.18 0 5;15.16;-12.18;0;5;[15.16, -12.18]\n",
        encoding="utf-8",
    )
    frame = read_vector(path)
    assert "grp_site/_gps_altitude" not in frame and "grp_site/_gps_precision" not in frame
    assert "grp_site/gps" in frame and "_geolocation" in frame
    assert frame.geometry.iloc[0].equals(Point(-12.18, 15.16))


def test_odk_central_csv(tmp_path):
    path = tmp_path / "odk.csv"
    path.write_text(
        "SubmissionDate,site-nom,site-pos-Latitude,site-pos-Longitude,site-pos-Altitude,"
        "site-pos-Accuracy,KEY\n2025-01-01,Néma,16.6,-7.25,270,4.5,uuid:1\n",
        encoding="utf-8",
    )
    frame = read_vector(path)
    assert list(frame.columns) == [
        "SubmissionDate", "site-nom", "site-pos-Latitude", "site-pos-Longitude", "KEY", "geometry"
    ]
    assert frame.geometry.iloc[0].equals(Point(-7.25, 16.6))


@pytest.mark.parametrize(
    ("header", "cells"),
    [("gps", ["15.16 -12.18 300 5", "", "n/a"]),
     ("_geolocation", ["[15.16, -12.18]", "", "[None, None]"]),
     ("position_poste", ["15.16 -12.18", "", ""])],
)
def test_geopoint_text_column(tmp_path, header, cells):
    path = tmp_path / "geopoint.csv"
    rows = "".join(f'"{name}","{cell}"\n' for name, cell in zip(NAMES, cells, strict=True))
    path.write_text(f"nom,{header}\n{rows}", encoding="utf-8")
    frame = read_vector(path)
    assert frame.geometry.iloc[0].equals(Point(-12.18, 15.16))
    assert frame.geometry.iloc[1:].isna().all()
    assert header in frame


def test_no_coordinates(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("post_id;nom\n007;Néma\n", encoding="utf-8")
    assert raises("no_coordinates", lambda: read_vector(path)).params["columns"] == "post_id, nom"


def test_xlsx_sheets(tmp_path):
    path = tmp_path / "terrain.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["x"]}).to_excel(writer, sheet_name="Lisez-moi", index=False)
        pd.DataFrame({"code": ["007"], "nom": ["l’Est"], "latitude": ["15,16"],
                      "longitude": [-12.18], "effectif": [12]}).to_excel(
            writer, sheet_name="Posts", index=False)
    assert detect_format(path) == "xlsx"
    frame = read_vector(path, kind="posts")
    assert frame["code"].tolist() == ["007"]
    assert frame["effectif"].tolist() == [12]
    assert frame.geometry.iloc[0].equals(Point(-12.18, 15.16))
    raises("no_coordinates", lambda: read_vector(path))  # first sheet: the notes
    assert len(read_vector(path, layer="Posts")) == 1


def test_kobo_xlsx(tmp_path):
    path = tmp_path / "kobo.xlsx"
    pd.DataFrame({"nom": NAMES, "_gps_latitude": [15.1, None, 16.6],
                  "_gps_longitude": [-12.2, None, -7.3], "_gps_precision": [5, None, 4]}
                 ).to_excel(path, index=False)
    frame = read_vector(path)
    assert list(frame.columns) == ["nom", "_gps_latitude", "_gps_longitude", "geometry"]
    assert frame.geometry.iloc[1] is None


# -- GeoTIFF ------------------------------------------------------------------------------


def test_geotiff_info(tmp_path):
    path = tmp_path / "population.tif"
    profile = {"driver": "GTiff", "width": 4, "height": 3, "count": 1, "dtype": "float32",
               "crs": "EPSG:4326", "transform": Affine(0.5, 0, -13, 0, -0.5, 18), "nodata": -9999}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ones((1, 3, 4), dtype="float32"))
    assert detect_format(path) == "geotiff"
    info = read_raster_info(path)
    assert (info.crs, info.nodata, info.width, info.height) == ("EPSG:4326", -9999.0, 4, 3)
    assert info.bounds == (-13.0, 16.5, -11.0, 18.0)
    assert (info.count, info.dtype, info.res) == (1, "float32", (0.5, 0.5))
    raises("expected_vector", lambda: read_vector(path))
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("lat,lon\n1,2\n")
    raises("expected_raster", lambda: read_raster_info(csv_path))


# -- bad input ----------------------------------------------------------------------------


def test_missing_and_empty_files(tmp_path):
    raises("not_found", lambda: read_vector(tmp_path / "nowhere.gpkg"))
    raises("is_directory", lambda: read_raster_info(tmp_path))
    empty = tmp_path / "posts.geojson"
    empty.touch()
    assert raises("empty_file", lambda: read_vector(empty)).params["file"] == "posts.geojson"


def test_too_large(tmp_path, monkeypatch):
    path = tmp_path / "posts.csv"
    path.write_text("lat,lon\n" + "15.1,-12.2\n" * 100)
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    err = raises("too_large", lambda: read_vector(path))
    assert err.params["limit_mb"] == 0.0
    assert "MB" in err.message("en") and "Mo" in err.message("fr")


def test_truncated_geopackage(tmp_path):
    path = tmp_path / "posts.gpkg"
    pd.concat([posts()] * 200).to_file(path, engine="pyogrio")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    err = raises("unreadable", lambda: read_vector(path))
    assert err.params["detail"] == "database disk image is malformed"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [("posts.bin", bytes(range(256)), "unknown_format"),
     ("posts.gpkg", b"post_id,lat,lon\n1,2,3\n", "unknown_format"),
     ("notes.xml", b"<?xml version='1.0'?><html/>", "unknown_format"),
     ("posts.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "legacy_excel"),
     ("posts.zip", b"PK\x03\x04 broken", "unreadable"),
     ("posts.geojson", b'{"type": "FeatureCollection", "features": [', "unreadable")],
)
def test_bad_content(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    raises(code, lambda: read_vector(path))


def test_content_decides_over_extension(tmp_path):
    path = tmp_path / "posts.txt"
    posts().to_file(path, driver="GeoJSON", engine="pyogrio")
    assert detect_format(path) == "geojson"
    assert read_vector(path)["nom"].tolist() == NAMES


# -- catalogues ---------------------------------------------------------------------------


def test_catalogues_match():
    tables = {lang: {key: text for name in ("read.toml", "read_limits.toml")
                     for key, text in tomllib.loads((I18N / lang / name).read_text())["read"].items()
                     if isinstance(text, str)}  # not the tables of separators' names and of notes
              for lang in LANGUAGES}
    en, fr = tables["en"], tables["fr"]
    assert en.keys() == fr.keys()
    for key in en:
        fields = [{f for _, f, _, _ in string.Formatter().parse(t[key]) if f} for t in (en, fr)]
        assert fields[0] == fields[1], key
        assert "file" in fields[0], key
    codes = set(re.findall(r'LayerReadError\(\s*"(\w+)"', Path(readers.__file__).read_text()
                           + Path(safe_archive.__file__).read_text()))
    assert codes <= en.keys()


# -- real data ----------------------------------------------------------------------------


@pytest.mark.shared_data
def test_real_data():
    paths = [SHARED / "mr_ml" / "settlements.geojson", SHARED / "sahel_reference.gpkg",
             SHARED / "mr_ml" / "population_2020_persons.tif"]
    if not all(path.exists() for path in paths):
        pytest.skip("the shared reference data (../shared/data) is not available")
    settlements = read_vector(paths[0])
    assert len(settlements) > 50 and "Yélimané" in set(settlements["name"])
    assert (settlements.geom_type == "Point").all()
    countries = read_vector(paths[1], layer="countries")
    assert {"MRT", "MLI"} <= set(countries["iso3"]) and countries.crs.to_epsg() == 4326
    assert read_vector(paths[1], kind="countries").shape == countries.shape
    raises("several_layers", lambda: read_vector(paths[1]))
    info = read_raster_info(paths[2])
    assert (info.crs, info.nodata, info.width, info.height) == ("EPSG:4326", -9999.0, 61, 31)
