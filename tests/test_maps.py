"""The web map: names from files reach the page as text only, and a map of a large store
stays light enough to send on every rerun (settlements and road vertices are capped, and
the legend says which road classes were left out)."""

from __future__ import annotations

import copy

import geopandas as gpd
import numpy as np
import shapely
from streamlit_folium import _get_map_string

from mapping.layers.user_store import demo_dir
from mapping.maps import (
    MAX_ROAD_COORDINATES,
    MAX_SETTLEMENTS,
    base_map,
    post_at,
    posts_layer,
)
from mapping.raster_overlay import population_overlay

HOSTILE = "<img src=x onerror=alert(1)>`${1+1}`</script>"


def script(fmap) -> str:
    fmap.get_root().render()
    return _get_map_string(fmap)


def test_names_from_files_are_inert_in_every_layer():
    point = [shapely.Point(-9.0, 15.2)]
    layers = {
        "settlements": gpd.GeoDataFrame({"name": [HOSTILE], "population": [5000]}, geometry=point, crs=4326),
        "crossings": gpd.GeoDataFrame({"crossing_id": ["C1", "C2"], "name": [HOSTILE, HOSTILE],
                                       "kind": ["official", "unofficial"]}, geometry=point * 2, crs=4326),
    }
    posts = gpd.GeoDataFrame({"post_id": ["P1"], "name": [HOSTILE]}, geometry=point, crs=4326)
    fmap = base_map(layers, "fr")
    posts_layer(posts, "fr", {"P1": 1}, selected="P1", radius_km=20).add_to(fmap)
    text = script(fmap)
    assert "<img" not in text and "</script>" not in text and "${1+1}" not in text
    assert text.count("&lt;img src=x onerror=alert(1)&gt;&#96;&#36;{1+1}&#96;") == 4


def test_a_large_store_gives_a_bounded_map_and_says_what_is_left_out():
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(-12, -4, 20_000), rng.uniform(14, 17, 20_000)
    settlements = gpd.GeoDataFrame({"name": [f"S{i}" for i in range(20_000)],
                                    "population": rng.integers(10, 100_000, 20_000)},
                                   geometry=gpd.points_from_xy(lon, lat), crs=4326)
    starts = np.column_stack([lon, lat])
    segments = [shapely.LineString([s, np.add(s, (0.05, 0.03)), np.add(s, (0.1, 0.0))]) for s in starts]
    roads = gpd.GeoDataFrame({"road_class": ["trunk"] * 200 + ["track"] * 19_800},
                             geometry=segments, crs=4326)
    fmap = base_map({"settlements": settlements, "roads": roads}, "en")
    text = script(fmap)
    assert text.count("bordermap-place") <= MAX_SETTLEMENTS + 2
    biggest = settlements.loc[settlements["population"].idxmax(), "name"]
    assert f'"{biggest}"' in text  # the most populous are the ones kept
    assert "not drawn (too many lines for this map): track" in text
    assert len(text) < 60 * MAX_ROAD_COORDINATES + 200 * MAX_SETTLEMENTS


def test_the_cached_base_map_renders_the_same_after_a_copy():
    layers = {k: gpd.read_file(demo_dir() / "demo.gpkg", layer=k) for k in ("countries", "borders", "posts")}
    fmap = base_map(layers, "fr", population_overlay(demo_dir() / "population.tif"))
    first, second = script(copy.deepcopy(fmap)), script(copy.deepcopy(fmap))
    assert "bordermap-legend" in first and "Légende" in first.encode().decode("unicode_escape")
    assert len(first) == len(second)


def test_a_click_on_a_post_symbol_names_that_post_and_nothing_else_does():
    posts = gpd.GeoDataFrame({"post_id": ["A", "B"], "name": ["a", "b"]},
                             geometry=[shapely.Point(-9.36528, 15.81722), None], crs=4326)
    assert post_at(posts, 15.81722, -9.36528) == "A"  # as the map sends it (1e-5 degrees)
    assert post_at(posts, 15.8173, -9.3653) is None  # a crossing 9 m away is not the post


def test_every_country_is_outlined_whole_and_every_symbol_is_in_the_legend():
    gpkg = demo_dir() / "demo.gpkg"
    layers = {k: gpd.read_file(gpkg, layer=k) for k in ("countries", "borders", "crossings", "posts")}
    text = script(base_map(layers, "en"))
    for words in ("posts by rank", "the chosen post", "posts not ranked", "official crossing",
                  "unofficial crossing", "settlements", "roads", "borders", "countries"):
        assert words in text, words
    notes_map = script(base_map(layers, "en", notes=True))  # the map of delegate notes has no posts
    assert "delegate note: new crossing" in notes_map and "posts by rank" not in notes_map
    assert "imperial: false" in text  # metric scale only
    assert "MarkerCluster" not in text and "markerClusterGroup" not in text  # nothing looks like a rank
    senegal = layers["countries"].loc[layers["countries"]["iso3"] == "SEN"].geometry.iloc[0]
    assert f"{senegal.bounds[0]:.3f}"[:6] in text  # the far west of Senegal is drawn, not cut off

