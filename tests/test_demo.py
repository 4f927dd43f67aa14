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

from mapping.demo import (
    GPKG_NAME,
    LAYER_ORDER,
    RASTER_NAME,
    RASTER_NODATA,
    UNOFFICIAL_MIN,
    build_demo,
    region_bounds,
)
from mapping.geo import GEOD
from mapping.layers.borders import BORDER_COLUMNS, border_pairs, derive_borders, pair_id, served_borders
from mapping.layers.schema import KINDS, STORAGE_CRS

REPO_DATA = Path(__file__).parents[1] / "data" / "geo"
SHARED_DATA = Path(__file__).parents[1].parent / "shared" / "data"
OGR_DTYPES = {"str": ("object",), "int": ("int64", "int32"), "float": ("float64",),
              "bool": ("bool",), "date": ("datetime64[D]",)}
POST_MAX_BORDER_KM = 50  # a town post (Nara, Maradi) stands up to this far from its border
OWN_SIDE_TOLERANCE_KM = 1  # a post on the line (Kaédi, on the river) may fall just across it
UNOFFICIAL_MAX_BORDER_KM = 3
RASTER_MAX_BYTES = 3_000_000
G5_BORDERS = ("MLI-MRT", "BFA-MLI", "MLI-NER", "BFA-NER", "NER-TCD")
MAURITANIA_MALI_POSTS = ("MRT-KOB", "MLI-NIO", "MRT-ADB", "MLI-NAR", "MRT-FAS", "MRT-BSK",
                         "MRT-BGD", "MRT-BST", "MRT-DJG", "MRT-KNK", "MRT-OYG", "MRT-HCH",
                         "MRT-SEL", "MRT-DGT", "MRT-CHK", "MLI-YEL")


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


def _border_distance_km(layer: gpd.GeoDataFrame, borders: gpd.GeoDataFrame,
                        pairs: pd.Series) -> np.ndarray:
    """Geodesic distance (km, WGS84) of each feature to the border ``pairs`` names for it."""
    lines = border_pairs(borders).loc[pairs.to_numpy()].to_numpy()
    ends = shapely.get_point(shapely.shortest_line(layer.geometry.to_numpy(), lines), 1)
    points = layer.geometry.to_numpy()
    return GEOD.inv(shapely.get_x(points), shapely.get_y(points),
                    shapely.get_x(ends), shapely.get_y(ends))[2] / 1000


def test_posts_stand_near_the_border_they_serve_on_their_own_side(layers):
    posts, borders = layers["posts"], layers["borders"]
    assert 40 <= len(posts) <= 70
    served = served_borders(posts, borders)
    assert served.notna().all(), list(posts.loc[served.isna(), "post_id"])
    distance = _border_distance_km(posts, borders, served)
    assert (distance <= POST_MAX_BORDER_KM).all(), list(posts.loc[distance > POST_MAX_BORDER_KM,
                                                                   "post_id"])
    countries = layers["countries"].set_index("iso3")
    inside = shapely.contains(countries.geometry.loc[posts.iso3].to_numpy(),
                              posts.geometry.to_numpy())
    assert (inside | (distance <= OWN_SIDE_TOLERANCE_KM)).all(), list(posts.loc[~inside, "post_id"])
    assert all(iso in pair.split("-") for iso, pair in zip(posts.iso3, served, strict=True))
    assert set(posts["iso3"]) == {"BFA", "MLI", "MRT", "NER", "TCD"}


def test_every_border_between_g5_countries_has_posts(layers):
    posts = layers["posts"]
    served = served_borders(posts, layers["borders"])
    for border in G5_BORDERS:
        countries = set(posts.loc[served == border, "iso3"])
        assert countries, f"no post on {border}"
        assert countries <= set(border.split("-"))
    country = posts.set_index("post_id")["iso3"]
    faced = posts.dropna(subset="facing_post_id")
    both_sides = {pair_id(own, country[other])
                  for own, other in zip(faced["iso3"], faced["facing_post_id"], strict=True)}
    assert both_sides == {"MLI-MRT", "BFA-MLI", "MLI-NER", "BFA-NER"}


def test_settlements_cover_the_region_across_its_borders(layers):
    settlements, posts = layers["settlements"], layers["posts"]
    west, south, east, north = region_bounds(posts)
    neighbours = settlements[~settlements["iso3"].isin(posts["iso3"])]
    assert {"SEN", "CIV", "GHA", "NGA", "CMR", "SDN"} <= set(neighbours["iso3"])
    inside = neighbours.geometry.x.between(west, east) & neighbours.geometry.y.between(south, north)
    assert inside.all()  # the neighbours' places where they count for the posts: near them


def test_the_mauritania_mali_posts_and_the_bilateral_meeting_places_are_kept(layers):
    posts = layers["posts"].set_index("post_id")
    assert set(MAURITANIA_MALI_POSTS) <= set(posts.index)
    assert posts.loc["MRT-ADB", ["name", "iso3"]].tolist() == ["Adel Bagrou", "MRT"]
    assert posts.loc["MRT-GOG", ["name", "iso3"]].tolist() == ["Gogui Zemal", "MRT"]
    assert "approximate" in posts.loc["MRT-GOG", "source"]  # not a published position


def test_posts_are_linked_and_plausible(layers):
    posts = layers["posts"]
    facing = posts.dropna(subset="facing_post_id").set_index("post_id")["facing_post_id"]
    assert all(facing[facing[p]] == p for p in facing.index)  # pairs face each other
    official = set(layers["crossings"].query("kind == 'official'")["crossing_id"])
    assert set(posts["crossing_id"].dropna()) == official
    assert set(posts["status"]) == {"operational", "degraded", "closed", "planned"}
    built = posts["status"] != "planned"
    assert posts.loc[built, "rehab_cost_usd"].between(40_000, 450_000).all()
    planned = posts[~built]  # no building yet: nothing assessed, nothing to rehabilitate
    assert planned[["building", "last_assessed", "rehab_cost_usd"]].isna().all().all()


def test_crossings_lie_on_or_close_to_their_border(layers):
    crossings, posts = layers["crossings"], layers["posts"]
    assert (crossings["iso3_a"] < crossings["iso3_b"]).all()
    pairs = crossings["iso3_a"] + "-" + crossings["iso3_b"]
    distance = _border_distance_km(crossings, layers["borders"], pairs)
    assert (distance[crossings["kind"] == "official"] < 0.01).all()
    assert (distance <= UNOFFICIAL_MAX_BORDER_KM).all()
    unofficial = pairs[crossings["kind"] == "unofficial"].value_counts()
    served = set(served_borders(posts, layers["borders"]))
    assert set(unofficial.index) == served  # along every border that has posts, and only there
    assert (unofficial >= UNOFFICIAL_MIN).all()
    assert set(layers["flows"]["crossing_id"]) <= set(crossings["crossing_id"])
    flows_on = set(pairs[crossings["crossing_id"].isin(layers["flows"]["crossing_id"])])
    assert set(G5_BORDERS) <= flows_on


def test_every_illustrative_value_says_so_in_its_source(layers):
    for name in ("posts", "crossings", "flows", "roads"):
        sources = layers[name]["source"]
        assert sources.str.contains("illustrative").all(), name
    positions = layers["posts"]["source"].str.split(";").str[0]
    assert positions.str.startswith("position: ").all()
    assert set(positions) - {"position: GeoNames (CC BY 4.0)"}  # other public facts are named


def test_the_demo_rivers_are_the_senegal_border_and_an_approximate_niger(layers):
    rivers = layers["rivers"].set_index("river_id")
    assert list(rivers.index) == ["RV-NIGER", "RV-SENEGAL"]
    senegal = border_pairs(layers["borders"])["MRT-SEN"]
    assert shapely.equals(rivers.geometry["RV-SENEGAL"], senegal)  # the border follows the river
    assert "Natural Earth border line" in rivers.loc["RV-SENEGAL", "source"]
    assert rivers.loc["RV-NIGER", "source"].startswith("approximate course")
    niger = rivers.geometry["RV-NIGER"]
    posts = layers["posts"].set_index("post_id").geometry
    for post in ("NER-AYO", "NER-GAY"):  # posts on the Niger's banks
        assert niger.distance(posts[post]) < 1e-9
    assert niger.distance(posts["BFA-DOR"]) > 1  # degrees: far from Dori


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
    assert (west, south, east, north) == pytest.approx(region_bounds(layers["posts"]))
    posts = layers["posts"].geometry
    assert (posts.x > west + 0.5).all() and (posts.x < east - 0.5).all()
    assert (posts.y > south + 0.5).all() and (posts.y < north - 0.5).all()
    assert (demo[0] / RASTER_NAME).stat().st_size < RASTER_MAX_BYTES
    settled = layers["settlements"].cx[west:east, south:north]["population"].sum()
    assert (values >= 0).all()
    assert settled < values.sum() < 3 * settled
