"""Each indicator against a hand-computed answer on small geometry near the Mali–Mauritania border."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from mapping.layers.schema import KINDS, with_schema_types
from mapping.scoring.indicators import IndicatorParams, Layers, compute_indicators

GEOD = Geod(ellps="WGS84")
ORIGIN = (-10.0, 15.0)
TODAY = dt.date(2026, 11, 22)


def at(km_east: float = 0.0, km_north: float = 0.0, origin=ORIGIN) -> shapely.Point:
    """The point reached by going km_east then km_north from origin (geodesic)."""
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], 90, km_east * 1000)
    lon, lat, _ = GEOD.fwd(lon, lat, 0, km_north * 1000)
    return shapely.Point(lon, lat)


def layer(kind: str, rows: list[dict]) -> gpd.GeoDataFrame:
    geometry = [row.pop("geometry") for row in rows]
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geometry, crs="EPSG:4326")
    return with_schema_types(frame, KINDS[kind])


def post(post_id, geometry, **values):
    return {"post_id": post_id, "name": post_id, "iso3": "MRT", "status": "operational",
            "geometry": geometry, **values}


@pytest.fixture
def params():
    return IndicatorParams(radius_km=20, incident_months=12, reference_date=TODAY)


def test_unofficial_crossings_count_and_nearest(params):
    posts = layer("posts", [post("A", at())])
    crossings = layer("crossings", [
        {"crossing_id": "U5", "kind": "unofficial", "geometry": at(5)},
        {"crossing_id": "U15", "kind": "unofficial", "geometry": at(0, -15)},
        {"crossing_id": "U25", "kind": "unofficial", "geometry": at(25)},
        {"crossing_id": "O1", "kind": "official", "geometry": at(1)},
    ])
    table = compute_indicators(Layers(posts, crossings=crossings), params)
    assert table.at["A", "unofficial_20km"] == 2
    assert table.at["A", "unofficial_nearest_km"] == pytest.approx(5.0, abs=0.01)


def test_coverage_gap_along_the_border_each_way(params):
    border = layer("borders", [{"border_id": "MLI-MRT", "iso3_a": "MLI", "iso3_b": "MRT",
                                "geometry": shapely.LineString([(-11.0, 15.0), (-9.0, 15.0)])}])
    posts = layer("posts", [
        post("W", shapely.Point(-10.5, 15.05)),
        post("M", shapely.Point(-10.0, 15.05), status="degraded"),
        post("E", shapely.Point(-9.6, 15.05)),
        post("MALI", shapely.Point(-10.2, 14.95), iso3="MLI"),
    ])
    table = compute_indicators(Layers(posts, borders=border), params)

    def along(lon_a, lon_b):
        return GEOD.inv(lon_a, 15.0, lon_b, 15.0)[2] / 1000

    # the degraded post does not cover the border, so W and E are each other's neighbours
    assert table.at["W", "gap_west_km"] == pytest.approx(along(-11.0, -10.5), rel=5e-3)
    assert table.at["W", "gap_east_km"] == pytest.approx(along(-10.5, -9.6), rel=5e-3)
    assert table.at["E", "gap_east_km"] == pytest.approx(along(-9.6, -9.0), rel=5e-3)
    assert table.at["M", "gap_west_km"] == pytest.approx(along(-10.5, -10.0), rel=5e-3)
    assert table.at["W", "coverage_gap_km"] == pytest.approx(
        (along(-11.0, -10.5) + along(-10.5, -9.6)) / 2, rel=5e-3)
    # Mali's only post answers for its whole side of the border
    assert table.at["MALI", "gap_west_km"] + table.at["MALI", "gap_east_km"] == pytest.approx(
        along(-11.0, -9.0), rel=5e-3)


def test_distance_to_the_nearest_all_season_road(params):
    posts = layer("posts", [post("A", at())])
    roads = layer("roads", [
        {"road_id": "track", "road_class": "track", "all_season": False,
         "geometry": shapely.LineString([at(-30, 2), at(30, 2)])},
        {"road_id": "N3", "road_class": "trunk", "all_season": True,
         "geometry": shapely.LineString([at(-30, 10), at(30, 10)])},
    ])
    table = compute_indicators(Layers(posts, roads=roads), params)
    assert table.at["A", "road_km"] == pytest.approx(10.0, rel=2e-3)
    assert table.at["A", "road_class"] == "trunk"


def test_flows_condition_facing_post_and_assessment_age(params):
    posts = layer("posts", [
        post("A", at(), building=1, equipment=3, crossing_id="C1", facing_post_id="B",
             last_assessed=dt.date(2023, 11, 22)),
        post("B", at(3, -3), building=4, power=2, last_assessed=dt.date(2026, 5, 22)),
        post("C", at(40)),
    ])
    flows = layer("flows", [
        {"flow_id": "f1", "crossing_id": "C1", "period_start": dt.date(2024, 1, 1),
         "daily_in": 10, "daily_out": 20, "geometry": at(1)},
        {"flow_id": "f2", "crossing_id": "C1", "period_start": dt.date(2024, 2, 1),
         "daily_in": 30, "daily_out": 40, "geometry": at(1)},
    ])
    table = compute_indicators(Layers(posts, flows=flows), params)
    assert table.at["A", "daily_crossings"] == 50
    assert np.isnan(table.at["B", "daily_crossings"])
    assert table.at["A", "condition_need"] == 2.0  # 4 - mean(1, 3)
    assert table.at["B", "condition_need"] == 1.0  # 4 - mean(4, 2)
    assert np.isnan(table.at["C", "condition_need"]) and table.at["C", "assessment_stale"]
    assert table.at["A", "assessment_age_months"] == pytest.approx(36, abs=0.1)
    assert table.at["A", "assessment_stale"] and not table.at["B", "assessment_stale"]
    assert table.at["A", "facing_post"] == 1 and table.at["A", "facing_condition_need"] == 1.0
    assert table.at["B", "facing_post"] == 0 and np.isnan(table.at["B", "facing_condition_need"])


def test_recent_incidents_within_the_radius(params):
    posts = layer("posts", [post("A", at())])
    incidents = layer("incidents", [
        {"incident_id": "near-recent", "date": dt.date(2026, 6, 1), "kind": "x", "geometry": at(5)},
        {"incident_id": "near-old", "date": dt.date(2025, 5, 1), "kind": "x", "geometry": at(5)},
        {"incident_id": "far-recent", "date": dt.date(2026, 6, 1), "kind": "x", "geometry": at(30)},
    ])
    table = compute_indicators(Layers(posts, incidents=incidents), params)
    assert table.at["A", "incidents_20km"] == 1


def test_population_from_settlements_when_there_is_no_raster(params):
    posts = layer("posts", [post("A", at())])
    settlements = layer("settlements", [
        {"settlement_id": "s1", "name": "in", "population": 1000, "geometry": at(10)},
        {"settlement_id": "s2", "name": "edge", "population": 300, "geometry": at(0, 19.9)},
        {"settlement_id": "s3", "name": "out", "population": 5000, "geometry": at(30)},
        {"settlement_id": "s4", "name": "unknown", "population": None, "geometry": at(5)},
    ])
    table = compute_indicators(Layers(posts, settlements=settlements), params)
    assert table.at["A", "pop_20km"] == 1300
    assert table.attrs["population_source"] == "settlements"
    assert table.attrs["units"]["pop_20km"] == "persons"
    assert table.attrs["max_scale_distortion"] < 0.001


def test_missing_layers_give_missing_values_not_zeros(params):
    table = compute_indicators(Layers(layer("posts", [post("A", at())])), params)
    for column in ("pop_20km", "unofficial_20km", "coverage_gap_km", "road_km", "daily_crossings",
                   "incidents_20km"):
        assert np.isnan(table.at["A", column]), column


def test_posts_without_a_position_keep_their_row(params):
    posts = layer("posts", [post("A", at(), building=2, facing_post_id="B"),
                            post("B", None, building=1, facing_post_id="A")])
    table = compute_indicators(Layers(posts), params)
    assert list(table.index) == ["A", "B"]
    assert table.at["B", "condition_need"] == 3.0 and np.isnan(table.at["B", "road_km"])
    assert table.at["A", "facing_post"] == 1 and table.at["A", "facing_condition_need"] == 3.0


def test_a_period_counted_one_way_only_is_not_a_daily_total(params):
    posts = layer("posts", [post("A", at(), crossing_id="C1")])
    flows = layer("flows", [
        {"flow_id": "f1", "crossing_id": "C1", "period_start": dt.date(2024, 1, 1),
         "daily_in": 100, "daily_out": 80, "geometry": at(1)},
        {"flow_id": "f2", "crossing_id": "C1", "period_start": dt.date(2024, 2, 1),
         "daily_in": 90, "daily_out": None, "geometry": at(1)},
    ])
    assert compute_indicators(Layers(posts, flows=flows), params).at["A", "daily_crossings"] == 180


def test_an_assessment_dated_in_the_future_is_flagged(params):
    posts = layer("posts", [post("A", at(), building=3, last_assessed=dt.date(2027, 6, 1))])
    assert compute_indicators(Layers(posts), params).at["A", "assessment_stale"]
