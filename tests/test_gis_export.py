"""GIS exports as QGIS and GDAL users open them, in English and French, with a shortlist: the
GeoJSON's layer is named ``ranked_posts`` (not after the temporary file) and converts to a
GeoPackage; the GeoPackage is version 1.2 with typed fields and QGIS's default style for the
ranking. Every file is written through ``write_export`` and read with an independent reader."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from contextlib import closing

import pyogrio
import pytest
import test_exports

from mapping.exports.gis import LAYER, read_gpkg_record
from mapping.exports.reproduce import read_record
from mapping.exports.write import write_export
from mapping.palette import rank_colour

store, bundles = test_exports.store, test_exports.bundles  # fixtures: the demo store, its bundles
LANGS = ["en", "fr"]
CLASS_LABELS = {"en": ("Rank {}", "Ranks {}–{}"), "fr": ("Rang {}", "Rangs {} à {}")}


def rgba(colour: str) -> str:
    return ",".join(str(int(colour[i:i + 2], 16)) for i in (1, 3, 5)) + ",255"


def rows(path, sql: str, *params) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def gpkgs(bundles, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpkg")
    return {lang: write_export(bundles[lang], folder / f"classement-{lang}.gpkg") for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_geojson_layer_is_named_ranked_posts_and_converts_to_a_geopackage(bundles, tmp_path, lang):
    path = write_export(bundles[lang], tmp_path / "export.geojson")
    assert json.loads(path.read_text(encoding="utf-8"))["name"] == LAYER
    assert [name for name, _ in pyogrio.list_layers(path)] == [LAYER]
    assert pyogrio.read_info(path)["layer_name"] == LAYER
    frame = pyogrio.read_dataframe(path)
    converted = tmp_path / "converted.gpkg"
    pyogrio.write_dataframe(frame, converted, layer=pyogrio.read_info(path)["layer_name"], driver="GPKG")
    assert [name for name, _ in pyogrio.list_layers(converted)] == [LAYER]
    assert len(pyogrio.read_dataframe(converted)) == len(bundles[lang].posts)


@pytest.mark.parametrize("lang", LANGS)
def test_ogr2ogr_converts_the_geojson_to_a_geopackage(bundles, tmp_path, lang):
    if shutil.which("ogr2ogr") is None:
        pytest.skip("ogr2ogr (GDAL command-line tools, Debian package gdal-bin) is not installed")
    path = write_export(bundles[lang], tmp_path / "export.geojson")
    out = tmp_path / "out.gpkg"
    done = subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and "ERROR" not in done.stderr, done.stderr
    assert [name for name, _ in pyogrio.list_layers(out)] == [LAYER]


@pytest.mark.parametrize("lang", LANGS)
def test_gpkg_is_version_1_2_with_typed_fields_and_its_record(gpkgs, bundles, lang):
    path = gpkgs[lang]
    assert rows(path, "PRAGMA application_id") == [(0x47504B47,)]  # "GPKG"
    assert rows(path, "PRAGMA user_version") == [(10200,)]
    info = pyogrio.read_info(path, layer=LAYER)
    types = {field: (info["ogr_types"][i], info["ogr_subtypes"][i], str(info["dtypes"][i]))
             for i, field in enumerate(info["fields"])}
    assert types["rank"] == ("OFTInteger", "OFSTNone", "int32")
    assert types["score"] == ("OFTReal", "OFSTNone", "float64")
    assert types["shortlisted"] == types["tied"] == ("OFTInteger", "OFSTBoolean", "bool")
    assert types["post_id"][0] == "OFTString"
    assert info["crs"] == "EPSG:4326" and info["features"] == len(bundles[lang].posts)
    assert dict(pyogrio.list_layers(path)) == {LAYER: "Point", "layer_styles": None}
    assert json.loads(read_gpkg_record(path))["ranks"] == bundles[lang].record.ranks
    assert read_record(path).shortlist == bundles[lang].shortlist.selected


@pytest.mark.parametrize("lang", LANGS)
def test_gpkg_carries_the_ranking_style_as_qgis_default(gpkgs, bundles, lang):
    path = gpkgs[lang]
    assert rows(path, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'") == [
        ("attributes",)]
    styles = rows(path, "SELECT f_table_schema, f_geometry_column, styleQML, useAsDefault "
                        "FROM layer_styles WHERE f_table_name = ?", LAYER)
    assert len(styles) == 1
    schema, geometry, qml, default = styles[0]
    assert (schema, default) == ("", 1)  # QGIS looks the style up with f_table_schema = ''
    assert rows(path, "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", LAYER) == [
        (geometry,)]

    root = ET.fromstring(qml)
    assert root.tag == "qgis" and root.get("labelsEnabled") == "1"
    renderer = root.find("renderer-v2")
    assert (renderer.get("type"), renderer.get("attr")) == ("graduatedSymbol", "rank")
    colours = {symbol.get("name"): symbol.find("layer/Option/Option[@name='color']").get("value")
               for symbol in renderer.iterfind("symbols/symbol")}
    ranges = [(int(r.get("lower")), int(r.get("upper")), colours[r.get("symbol")], r.get("label"))
              for r in renderer.iterfind("ranges/range")]
    count = len(bundles[lang].posts)
    for rank in range(1, count + 1):
        covering = [colour for lower, upper, colour, _ in ranges if lower <= rank <= upper]
        assert covering == [rgba(rank_colour(rank, count))], rank  # exactly one class, the map's colour
    one, several = CLASS_LABELS[lang]
    assert [label for *_, label in ranges] == [
        one.format(lower) if lower == upper else several.format(lower, upper) for lower, upper, *_ in ranges]
    assert root.find("labeling/settings/text-style").get("fieldName") == "rank"


@pytest.mark.parametrize("lang", LANGS)
def test_ogrinfo_opens_the_gpkg_without_warning(gpkgs, lang):
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo (GDAL command-line tools, Debian package gdal-bin) is not installed")
    done = subprocess.run(["ogrinfo", "-so", str(gpkgs[lang])], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "warning" not in (done.stdout + done.stderr).lower(), done.stdout + done.stderr
    assert f"1: {LAYER} (Point)" in done.stdout


QGIS_READS = """
import sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
layer = QgsVectorLayer(sys.argv[1] + "|layername=ranked_posts", "ranked_posts", "ogr")
renderer = layer.renderer()
print(renderer.type(), renderer.classAttribute(), layer.labelsEnabled())
for r in renderer.ranges():
    print(int(r.lowerValue()), int(r.upperValue()), r.symbol().color().name(), r.label(), sep="|")
"""


@pytest.mark.parametrize("lang", LANGS)
def test_qgis_opens_the_gpkg_with_its_default_style(gpkgs, bundles, lang):
    """QGIS itself (its Python bindings, Debian package python3-qgis) applies the stored style."""
    python = shutil.which("python3", path="/usr/bin")
    if python is None or subprocess.run([python, "-c", "import qgis.core"], capture_output=True).returncode:
        pytest.skip("QGIS's Python bindings (Debian package python3-qgis) are not installed")
    done = subprocess.run([python, "-c", QGIS_READS, str(gpkgs[lang])], capture_output=True, text=True,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    head, *classes = done.stdout.splitlines()
    assert head == "graduatedSymbol rank True"
    count = len(bundles[lang].posts)
    one, several = CLASS_LABELS[lang]
    for line in classes:
        lower, upper, colour, label = line.split("|")
        assert colour == rank_colour(int(lower), count) == rank_colour(int(upper), count)
        assert label == (one.format(lower) if lower == upper else several.format(lower, upper))
    assert classes[0].startswith("1|") and classes[-1].split("|")[1] == str(count)
