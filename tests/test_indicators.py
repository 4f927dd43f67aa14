"""Each indicator against a hand-computed answer on small geometry near the Mali–Mauritania border."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from mapping.inputs import Layers
from mapping.layers.schema import KINDS, with_schema_types
from mapping.scoring.indicators import IndicatorParams, compute_indicators

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

    # posts 5.5 km off the line: their feet are found in the study CRS (to 1e-3)
    # the degraded post does not cover the border, so W and E are each other's neighbours;
    # the border runs east-west, so way a leads west
    assert table.at["W", "border_id"] == "MLI-MRT"
    assert table.at["W", "gap_a_km"] == pytest.approx(along(-11.0, -10.5), rel=1e-3)
    assert table.at["W", "gap_a_towards"] == "W" and pd.isna(table.at["W", "gap_a_to"])
    assert table.at["W", "gap_b_km"] == pytest.approx(along(-10.5, -9.6), rel=1e-3)
    assert (table.at["W", "gap_b_towards"], table.at["W", "gap_b_to"]) == ("E", "E")
    assert table.at["E", "gap_b_km"] == pytest.approx(along(-9.6, -9.0), rel=1e-3)
    assert table.at["M", "gap_a_km"] == pytest.approx(along(-10.5, -10.0), rel=1e-3)
    assert table.at["M", "gap_a_to"] == "W" and table.at["M", "gap_b_to"] == "E"
    assert table.at["W", "coverage_gap_km"] == pytest.approx(
        (along(-11.0, -10.5) + along(-10.5, -9.6)) / 2, rel=1e-3)
    # Mali's only post answers for its whole side of the border
    assert table.at["MALI", "gap_a_km"] + table.at["MALI", "gap_b_km"] == pytest.approx(
        along(-11.0, -9.0), rel=1e-3)


def border(iso3_a: str, iso3_b: str, *lines: list[tuple[float, float]], piece: int = 0) -> list[dict]:
    """Rows of the borders layer: one per line (pieces of the same pair)."""
    return [{"border_id": f"{iso3_a}-{iso3_b}-{piece + k + 1}", "iso3_a": iso3_a, "iso3_b": iso3_b,
             "geometry": shapely.MultiLineString([line])} for k, line in enumerate(lines)]


def geodesic_km(*points: tuple[float, float]) -> float:
    """Geodesic length (km, WGS84) of the polyline through ``points``."""
    return GEOD.geometry_length(shapely.LineString(points)) / 1000


def test_a_tripoint_ends_the_gap_and_another_pair_never_gives_it(params):
    # MRT, MLI and SEN meet at (-12, 15); the MRT-SEN border is a 50 m stub at the tripoint,
    # as the real data's small pieces: the old gap took the stub (0.05 km) for the post's border
    borders = layer("borders", border("MLI", "MRT", [(-12.0, 15.0), (-11.0, 15.0), (-10.0, 15.2)])
                    + border("MRT", "SEN", [(-12.0, 15.0), (-12.0, 14.99955)]))
    posts = layer("posts", [
        post("P", shapely.Point(-11.99, 15.0004), facing_post_id="Q"),
        post("Q", shapely.Point(-11.99, 14.9996), iso3="MLI"),
        post("R", shapely.Point(-11.0, 15.0)),
    ])
    table = compute_indicators(Layers(posts, borders=borders), params)
    assert table.at["P", "border_id"] == "MLI-MRT"
    assert table.at["P", "gap_a_km"] == pytest.approx(geodesic_km((-12.0, 15.0), (-11.99, 15.0)), rel=1e-3)
    assert table.at["P", "gap_a_towards"] == "W" and pd.isna(table.at["P", "gap_a_to"])
    assert table.at["P", "gap_b_km"] == pytest.approx(geodesic_km((-11.99, 15.0), (-11.0, 15.0)), rel=1e-4)
    assert (table.at["P", "gap_b_towards"], table.at["P", "gap_b_to"]) == ("E", "R")
    # R, alone beyond P, answers for the rest of the border up to its eastern end
    assert table.at["R", "gap_b_km"] == pytest.approx(geodesic_km((-11.0, 15.0), (-10.0, 15.2)), rel=1e-4)
    assert table.at["R", "gap_b_towards"] == "E" and pd.isna(table.at["R", "gap_b_to"])


def test_a_border_in_pieces_is_one_line_where_they_connect(params):
    # DZA-MLI digitised as two rows that meet at (2, 20), and a third that does not connect
    borders = layer("borders", border("DZA", "MLI", [(0.0, 20.0), (2.0, 20.0)], [(4.0, 20.0), (2.0, 20.0)])
                    + border("DZA", "MLI", [(5.0, 20.0), (6.0, 20.0)], piece=2))
    posts = layer("posts", [
        post("A", shapely.Point(1.0, 19.99), iso3="MLI"),
        post("B", shapely.Point(3.0, 19.99), iso3="MLI"),
        post("C", shapely.Point(5.5, 19.99), iso3="MLI"),
    ])
    table = compute_indicators(Layers(posts, borders=borders), params)
    assert set(table["border_id"]) == {"DZA-MLI"}
    assert table.at["A", "gap_b_km"] == pytest.approx(geodesic_km((1.0, 20.0), (3.0, 20.0)), rel=1e-4)
    assert table.at["A", "gap_b_to"] == "B" and table.at["B", "gap_a_to"] == "A"
    assert table.at["B", "gap_b_km"] == pytest.approx(geodesic_km((3.0, 20.0), (4.0, 20.0)), rel=1e-4)
    assert pd.isna(table.at["B", "gap_b_to"])
    # the piece that does not connect is a stretch of its own: C answers for all of it
    assert table.at["C", "gap_a_km"] + table.at["C", "gap_b_km"] == pytest.approx(
        geodesic_km((5.0, 20.0), (6.0, 20.0)), rel=1e-4)
    assert pd.isna(table.at["C", "gap_a_to"]) and pd.isna(table.at["C", "gap_b_to"])


@pytest.mark.parametrize("digitised", ["north_to_south", "south_to_north"])
def test_a_north_south_border_names_north_then_south(params, digitised):
    line = [(15.0, 20.0), (15.1, 17.0), (15.0, 14.0)]
    borders = layer("borders", border("NER", "TCD", line if digitised == "north_to_south" else line[::-1]))
    posts = layer("posts", [post("N", shapely.Point(14.99, 19.0), iso3="NER"),
                            post("S", shapely.Point(14.99, 15.0), iso3="NER")])
    table = compute_indicators(Layers(posts, borders=borders), params)
    assert table.at["N", "gap_a_towards"] == "N" and pd.isna(table.at["N", "gap_a_to"])
    assert (table.at["N", "gap_b_towards"], table.at["N", "gap_b_to"]) == ("S", "S")
    assert (table.at["S", "gap_a_towards"], table.at["S", "gap_a_to"]) == ("N", "N")
    assert table.at["S", "gap_b_towards"] == "S" and pd.isna(table.at["S", "gap_b_to"])
    assert table.at["N", "gap_a_km"] == pytest.approx(
        GEOD.inv(15.0, 20.0, 15.0333, 19.0)[2] / 1000, rel=2e-3)


def test_an_east_west_border_digitised_east_to_west_names_west_first(params):
    borders = layer("borders", border("MLI", "NER", [(4.0, 15.0), (2.0, 15.3), (0.0, 15.0)]))
    posts = layer("posts", [post("P", shapely.Point(1.0, 15.1), iso3="MLI")])
    table = compute_indicators(Layers(posts, borders=borders), params)
    assert table.at["P", "gap_a_towards"] == "W" and table.at["P", "gap_b_towards"] == "E"
    assert table.at["P", "gap_a_km"] < table.at["P", "gap_b_km"]


def test_without_an_operational_neighbour_a_post_answers_up_to_both_ends(params):
    borders = layer("borders", border("MLI", "MRT", [(-12.0, 15.0), (-10.0, 15.0)]))
    posts = layer("posts", [post("A", shapely.Point(-11.5, 15.0), status="degraded"),
                            post("B", shapely.Point(-10.5, 15.0), status="closed")])
    table = compute_indicators(Layers(posts, borders=borders), params)
    for name in ("A", "B"):
        assert table.at[name, "gap_a_km"] + table.at[name, "gap_b_km"] == pytest.approx(
            geodesic_km((-12.0, 15.0), (-10.0, 15.0)), rel=1e-6)
        assert pd.isna(table.at[name, "gap_a_to"]) and pd.isna(table.at[name, "gap_b_to"])


def test_a_post_far_from_any_border_has_no_gap_and_no_border(params):
    borders = layer("borders", border("MLI", "MRT", [(-12.0, 15.0), (-10.0, 15.0)]))
    posts = layer("posts", [post("FAR", at(0, 200))])
    table = compute_indicators(Layers(posts, borders=borders), params)
    assert pd.isna(table.at["FAR", "border_id"]) and np.isnan(table.at["FAR", "coverage_gap_km"])


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


def test_the_nearest_is_the_geodesic_nearest_when_the_projection_distorts(params):
    # posts across the G5 extent, where the study CRS is off by about 2 % near the ends and
    # not by the same in every direction: around each western post one crossing is at 10 km,
    # 35 more at 10.15 km; in the CRS one of the farther ones can look nearer
    west = [(-16.5 + 1.0 * (k % 4), 13.0 + 1.0 * (k // 4)) for k in range(8)]
    posts = layer("posts", [post(f"W{k}", shapely.Point(xy)) for k, xy in enumerate(west)]
                  + [post("EAST", shapely.Point(24.0, 13.0), iso3="TCD")])
    rows = []
    for k, (lon, lat) in enumerate(west):
        for step in range(36):
            azimuth = k * 45.0 + step * 10.0
            x, y, _ = GEOD.fwd(lon, lat, azimuth, 10_000.0 if step == 0 else 10_150.0)
            rows.append({"crossing_id": f"W{k}-{step}", "kind": "unofficial",
                         "geometry": shapely.Point(x, y)})
    table = compute_indicators(Layers(posts, crossings=layer("crossings", rows)), params)
    assert table.attrs["max_scale_distortion"] > 0.015
    for k in range(8):
        assert table.at[f"W{k}", "unofficial_nearest_km"] == pytest.approx(10.0, abs=1e-6)


def test_posts_without_any_position_keep_their_rows_and_no_spatial_value():
    """A first posts file without coordinates (an assessment sheet) ranks on its own columns."""
    posts = with_schema_types(gpd.GeoDataFrame(
        {"post_id": ["A", "B"], "name": ["a", "b"], "iso3": ["MLI", "MRT"], "status": "operational",
         "building": [1, 3], "last_assessed": ["2026-01-10", "2026-02-01"]},
        geometry=[None, None], crs="EPSG:4326"), KINDS["posts"])
    table = compute_indicators(Layers(posts=posts), IndicatorParams(reference_date=dt.date(2026, 6, 1)))
    assert list(table.index) == ["A", "B"]
    assert table["condition_need"].tolist() == [3.0, 1.0]
    assert table[["pop_20km", "coverage_gap_km", "road_km"]].isna().all().all()
