"""Rivers and lakes, the barriers of travel time, are layers like any other: imported, validated,
stored with their history, exported, guessed and drawn; and a post's daily capacity is checked."""

from __future__ import annotations

import json

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from conftest import make_posts

from mapping.cli import main
from mapping.layers.findings import ERROR
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.guess import guess_kind
from mapping.layers.schema import KINDS
from mapping.layers.validate import validate_layer
from mapping.maps import base_map

NIGER = shapely.LineString([(-8.0, 12.6), (-6.26, 13.44), (-4.2, 14.5)])
LAKE = shapely.Polygon([(13.0, 13.0), (14.5, 13.0), (14.5, 14.0), (13.0, 14.0)])


def run(store_path, *args):
    result = CliRunner().invoke(main, [*args, "--store", str(store_path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def empty_store(tmp_path):
    path = tmp_path / "store.gpkg"
    assert run(path, "init", "--from", "empty").exit_code == 0
    return path


def field_rivers() -> gpd.GeoDataFrame:
    """Rivers as a field team writes them: French column names."""
    return gpd.GeoDataFrame({"id_fleuve": ["RV-1", "RV-2"], "nom_fleuve": ["Niger", "Bani"],
                             "source": ["sketch", "sketch"]},
                            geometry=[NIGER, shapely.LineString([(-5.0, 12.0), (-4.2, 14.5)])],
                            crs="EPSG:4326")


def field_lakes() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id_lac": ["LK-1"], "nom_lac": ["Lac Tchad"]}, geometry=[LAKE], crs="EPSG:4326")


@pytest.mark.parametrize("kind, layer, suffix", [("rivers", field_rivers, "geojson"),
                                                 ("lakes", field_lakes, "gpkg")])
def test_rivers_and_lakes_import_keep_history_and_export_back_unchanged(empty_store, tmp_path, kind, layer,
                                                                        suffix):
    source = tmp_path / f"field.{suffix}"
    layer().to_file(source)
    assert guess_kind(source) == kind
    result = run(empty_store, "layers", "import", str(source), "--kind", kind, "--user", "A. Diallo")
    assert result.exit_code == 0, result.output
    store = GeoPackageStore(empty_store)
    stored = store.read(kind)
    id_column = KINDS[kind].id_column
    assert sorted(stored[id_column]) == sorted(layer().iloc[:, 0])
    assert set(stored["name"]) == set(layer().iloc[:, 1])
    assert [(v.kind, v.user, v.features) for v in store.history()] == [(kind, "A. Diallo", len(layer()))]
    history = run(empty_store, "layers", "history", "--kind", kind)
    assert "A. Diallo" in history.output
    for out in ("csv", "kml", "gpkg"):
        target = tmp_path / f"out.{out}"
        assert run(empty_store, "layers", "export", kind, "--to", str(target)).exit_code == 0
        diff = json.loads(run(empty_store, "layers", "diff", str(target), "--kind", kind,
                              "--format", "json").output)["diff"]
        assert (diff["added"], diff["changed"], diff["removed"]) == ([], [], []), out
        assert diff["unchanged"] == len(layer())


def test_a_river_without_an_id_or_drawn_as_a_point_is_refused(empty_store, tmp_path):
    rivers = field_rivers().assign(id_fleuve=["RV-1", None])
    rivers.loc[0, "geometry"] = shapely.Point(-8.0, 12.6)
    source = tmp_path / "bad.geojson"
    rivers.to_file(source)
    result = run(empty_store, "layers", "import", str(source), "--kind", "rivers")
    assert result.exit_code == 1
    assert "missing_value" in result.output and "wrong_geometry" in result.output
    assert GeoPackageStore(empty_store).read("rivers") is None  # nothing stored


@pytest.mark.shared_data
@pytest.mark.parametrize("kind, id_prefix", [("rivers", "NE-R"), ("lakes", "NE-L")])
def test_natural_earth_rivers_and_lakes_import(shared_data, empty_store, tmp_path, kind, id_prefix):
    """The reference rivers (43 lines) and lakes (5 polygons) have no id: the GIS officer adds one
    and keeps the name; everything else is left out."""
    real = pyogrio.read_dataframe(shared_data / "sahel_reference.gpkg", layer=kind)
    mapped = gpd.GeoDataFrame({"id": [f"{id_prefix}{i:03d}" for i in range(len(real))],
                               "nom": real["name"], "source": "Natural Earth 10 m (public domain)"},
                              geometry=real.geometry.values, crs=real.crs)
    source = tmp_path / f"{kind}.gpkg"
    mapped.to_file(source, layer=kind)
    result = run(empty_store, "layers", "import", str(source), "--kind", kind)
    assert result.exit_code == 0, result.output
    stored = GeoPackageStore(empty_store).read(kind)
    assert len(stored) == len(real) and set(stored.geom_type) <= set(KINDS[kind].geometry_types)
    if kind == "rivers":
        assert {"Niger", "Sénégal"} <= set(stored["name"])
    else:
        assert "Lake Chad" in set(stored["name"])
    target = tmp_path / f"out-{kind}.geojson"
    assert run(empty_store, "layers", "export", kind, "--to", str(target)).exit_code == 0
    assert len(gpd.read_file(target)) == len(real)


def test_a_negative_daily_capacity_is_refused_in_both_languages():
    report = validate_layer(make_posts(capacite_jour=["-5", "400", ""]), KINDS["posts"])
    refused = [f for f in report.findings if f.code == "out_of_range"]
    assert [(f.feature_id, f.severity) for f in refused] == [("MRT-001", ERROR)]
    assert "capacity_per_day" in refused[0].message("en") and "-5" in refused[0].message("en")
    french = refused[0].message("fr")
    assert "capacity_per_day" in french and "hors de l’intervalle" in french
    assert report.layer["capacity_per_day"].iloc[1] == 400


def test_an_implausible_daily_capacity_names_its_bound():
    report = validate_layer(make_posts(capacity_per_day=["5000000", "", ""]), KINDS["posts"])
    (finding,) = [f for f in report.findings if f.params.get("column") == "capacity_per_day"]
    assert finding.feature_id == "MRT-001"
    assert "hundred thousand" in finding.message("en") and "centaines de milliers" in finding.message("fr")


def test_rivers_and_lakes_are_drawn_and_in_the_legend_only_when_there():
    rivers = gpd.GeoDataFrame({"river_id": ["RV-1"]}, geometry=[NIGER], crs="EPSG:4326")
    lakes = gpd.GeoDataFrame({"lake_id": ["LK-1"]}, geometry=[LAKE], crs="EPSG:4326")
    html = base_map({"rivers": rivers, "lakes": lakes}, "en").get_root().render()
    assert "</i>rivers" in html and "</i>lakes" in html
    assert "#3182bd" in html and "#9ecae1" in html  # the river line and the lake fill
    assert "-6.26" in html  # the river's course is on the map
    bare = base_map({}, "en").get_root().render()
    assert "</i>rivers" not in bare and "#9ecae1" not in bare  # no water layer, no legend row
