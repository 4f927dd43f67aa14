"""Border derivation and the demo dataset: schema, determinism, plausibility."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from shapely.geometry import MultiPolygon, box

from mapping.demo import GPKG_NAME, LAYER_ORDER, RASTER_NAME, RASTER_NODATA, build_demo
from mapping.geo import GEOD, MR_ML_BOUNDS, study_crs
from mapping.layers.borders import BORDER_COLUMNS, derive_borders
from mapping.layers.schema import KINDS, STORAGE_CRS

REPO_DATA = Path(__file__).parents[1] / "data" / "geo"
SHARED_DATA = Path(__file__).parents[1].parent / "shared" / "data"
OGR_DTYPES = {"str": ("object",), "int": ("int64", "int32"), "float": ("float64",),
              "bool": ("bool",), "date": ("datetime64[D]",)}
POST_MAX_BORDER_KM = 60
UNOFFICIAL_MAX_BORDER_KM = 3


def _countries(*shapes) -> gpd.GeoDataFrame:
    iso3 = [iso for iso, _ in shapes]
    return gpd.GeoDataFrame({"iso3": iso3}, geometry=[g for _, g in shapes], crs=STORAGE_CRS)


# ------------------------------------------------------------------ derive_borders
def test_two_squares_sharing_an_edge_give_one_line_of_geodesic_length():
    borders = derive_borders(_countries(("MRT", box(1, 0, 2, 1)), ("MLI", box(0, 0, 1, 1))))
    assert borders[["border_id", "iso3_a", "iso3_b"]].values.tolist() == [["MLI-MRT", "MLI", "MRT"]]
    line = borders.geometry.iloc[0]
    assert line.geom_type == "MultiLineString" and len(line.geoms) == 1
    assert shapely.equals(line, shapely.LineString([(1, 0), (1, 1)]))
    expected_km = GEOD.line_length([1, 1], [0, 1]) / 1000  # one degree of meridian, ~110.6 km
    assert borders["length_km"].iloc[0] == pytest.approx(expected_km, abs=1e-3)


def test_disjoint_shared_pieces_stay_in_one_multilinestring():
    split = MultiPolygon([box(0, 0, 1, 1), box(0, 2, 1, 3)])
    borders = derive_borders(_countries(("AAA", split), ("BBB", box(1, 0, 2, 3))))
    assert len(borders) == 1
    assert len(borders.geometry.iloc[0].geoms) == 2
    assert borders["length_km"].iloc[0] == pytest.approx(2 * 110.57, rel=1e-3)


@pytest.mark.parametrize("other", [box(2, 0, 3, 1), box(1, 1, 2, 2)], ids=["apart", "corner"])
def test_countries_not_sharing_an_edge_have_no_border(other):
    borders = derive_borders(_countries(("AAA", box(0, 0, 1, 1)), ("BBB", other)))
    assert borders.empty
    assert list(borders.columns) == [*BORDER_COLUMNS, "geometry"]


def test_duplicate_iso3_is_refused():
    with pytest.raises(ValueError, match="one row per iso3"):
        derive_borders(_countries(("AAA", box(0, 0, 1, 1)), ("AAA", box(1, 0, 2, 1))))


@pytest.mark.shared_data
def test_mali_mauritania_border_matches_natural_earth_boundary_lines():
    reference = SHARED_DATA / "sahel_reference.gpkg"
    if not reference.exists():
        pytest.skip(f"real reference data not found at {SHARED_DATA}")
    borders = derive_borders(gpd.read_file(reference, layer="countries")).set_index("border_id")
    lines = gpd.read_file(reference, layer="boundary_lines")
    expected_km = lines.loc[(lines.iso3_a == "MLI") & (lines.iso3_b == "MRT"), "length_km"].sum()
    derived_km = GEOD.geometry_length(borders.geometry["MLI-MRT"]) / 1000
    assert derived_km == pytest.approx(expected_km, rel=0.05)
    assert borders.loc["MLI-MRT", "length_km"] == pytest.approx(derived_km, abs=1e-3)


# ------------------------------------------------------------------ the demo build
@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict[str, int], list[tuple[int, int]]]:
    out = tmp_path_factory.mktemp("demo")
    calls: list[tuple[int, int]] = []
    counts = build_demo(out, progress=lambda done, total: calls.append((done, total)))
    return out, counts, calls


@pytest.fixture(scope="module")
def layers(demo) -> dict[str, gpd.GeoDataFrame]:
    out = demo[0]
    return {name: gpd.read_file(out / GPKG_NAME, layer=name) for name in LAYER_ORDER}


def test_build_reports_counts_and_progress(demo, layers):
    _, counts, calls = demo
    assert counts == {name: len(layers[name]) for name in LAYER_ORDER}
    assert [name for name, _ in pyogrio.list_layers(demo[0] / GPKG_NAME)] == list(LAYER_ORDER)
    assert calls[-1][0] == calls[-1][1] and [d for d, _ in calls] == sorted(d for d, _ in calls)


@pytest.mark.parametrize("name", LAYER_ORDER)
def test_build_reproduces_the_committed_demo_layers(demo, layers, name):
    committed_path = REPO_DATA / GPKG_NAME
    assert committed_path.exists(), "data/geo/demo.gpkg missing: run build_demo(Path('data/geo'))"
    committed = gpd.read_file(committed_path, layer=name)
    built = layers[name]
    pd.testing.assert_frame_equal(built.drop(columns="geometry"),
                                  committed.drop(columns="geometry"))
    assert built.crs == committed.crs
    assert (shapely.to_wkb(built.geometry.values) == shapely.to_wkb(committed.geometry.values)).all()


def test_build_reproduces_the_committed_population_raster(demo):
    with rasterio.open(demo[0] / RASTER_NAME) as built, \
            rasterio.open(REPO_DATA / RASTER_NAME) as committed:
        assert built.profile == committed.profile
        assert built.tags() == committed.tags()
        np.testing.assert_array_equal(built.read(1), committed.read(1))


def _values(series: pd.Series, multiple: bool) -> set[str]:
    texts = series.dropna().astype(str)
    if multiple:
        return {v for text in texts for v in re.split(r"[;,\s]+", text) if v}
    return set(texts)


@pytest.mark.parametrize("name", LAYER_ORDER)
def test_layers_follow_their_schema(demo, layers, name):
    kind, layer = KINDS[name], layers[name]
    info = pyogrio.read_info(demo[0] / GPKG_NAME, layer=name)
    stored = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert list(stored) == list(kind.names)
    assert layer.crs == STORAGE_CRS
    assert set(layer.geom_type) <= set(kind.geometry_types)
    assert layer[kind.id_column].is_unique
    for column in kind.columns:
        assert stored[column.name] in OGR_DTYPES[column.dtype], column.name
        if column.required:
            assert layer[column.name].notna().all(), column.name
        if column.allowed:
            assert _values(layer[column.name], column.multiple) <= set(column.allowed), column.name
        if column.minimum is not None:
            assert (layer[column.name].dropna() >= column.minimum).all(), column.name
        if column.maximum is not None:
            assert (layer[column.name].dropna() <= column.maximum).all(), column.name


def _border_distance_km(layer: gpd.GeoDataFrame, borders: gpd.GeoDataFrame) -> pd.Series:
    crs = study_crs(MR_ML_BOUNDS)
    line = borders.set_index("border_id").loc[["MLI-MRT"]].to_crs(crs).geometry.iloc[0]
    return layer.to_crs(crs).distance(line) / 1000


def test_posts_are_near_the_border_inside_their_country_and_linked(layers):
    posts, countries = layers["posts"], layers["countries"].set_index("iso3")
    assert 15 <= len(posts) <= 24
    assert (_border_distance_km(posts, layers["borders"]) <= POST_MAX_BORDER_KM).all()
    assert shapely.contains(countries.geometry.loc[posts.iso3].values, posts.geometry.values).all()
    facing = posts.dropna(subset="facing_post_id").set_index("post_id")["facing_post_id"]
    assert all(facing[facing[p]] == p for p in facing.index)  # pairs face each other
    official = set(layers["crossings"].query("kind == 'official'")["crossing_id"])
    assert set(posts["crossing_id"].dropna()) == official
    assert set(posts["status"]) == {"operational", "degraded", "closed", "planned"}
    built = posts["status"] != "planned"
    assert posts.loc[built, "rehab_cost_usd"].between(40_000, 450_000).all()
    planned = posts[~built]  # no building yet: nothing assessed, nothing to rehabilitate
    assert planned[["building", "last_assessed", "rehab_cost_usd"]].isna().all().all()


def test_crossings_lie_on_or_close_to_the_border(layers):
    crossings = layers["crossings"]
    distance = _border_distance_km(crossings, layers["borders"])
    assert (distance[crossings["kind"] == "official"] < 0.01).all()
    assert (distance <= UNOFFICIAL_MAX_BORDER_KM).all()
    assert (crossings["kind"] == "unofficial").sum() >= 50
    assert (crossings["iso3_a"] < crossings["iso3_b"]).all()
    assert set(layers["flows"]["crossing_id"]) <= set(crossings["crossing_id"])


def test_borders_derive_cleanly_from_the_simplified_countries(layers):
    borders = layers["borders"].set_index("border_id")
    assert borders.geometry.is_valid.all()
    assert len(borders.geometry["MLI-MRT"].geoms) == 1
    assert borders.loc["MLI-MRT", "length_km"] == pytest.approx(2168.9, rel=0.01)


def test_population_raster_is_modelled_persons_per_cell(demo, layers):
    with rasterio.open(demo[0] / RASTER_NAME) as raster:
        assert raster.crs == STORAGE_CRS
        assert raster.nodata == RASTER_NODATA
        assert raster.profile["compress"] == "deflate"
        tags = raster.tags()
        values = raster.read(1, masked=True)
        west, south, east, north = raster.bounds
    assert tags["UNITS"] == "persons per cell" and tags["MODELLED"].startswith("yes")
    assert "METHOD" in tags
    assert (west, south, east, north) == pytest.approx(MR_ML_BOUNDS)
    settled = layers["settlements"].cx[west:east, south:north]["population"].sum()
    assert (values >= 0).all()
    assert settled < values.sum() < 3 * settled
