"""Indicators over the whole G5 region on the real reference data (../shared/data).

The 133 road–border intersections of ``sahel_reference.gpkg`` stand for posts (each on the
side of ``iso3_a``): at this extent the study CRS's scale error is about 2 %, so counts within
R km and the coverage gaps are checked against values computed here independently (geodesic,
WGS84; positions along a border in an azimuthal equidistant projection centred on each post).
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.ops import substring

from mapping.inputs import Layers
from mapping.layers.schema import KINDS, with_schema_types
from mapping.scoring.indicators import IndicatorParams, compute_indicators

pytestmark = pytest.mark.shared_data

GEOD = Geod(ellps="WGS84")
TODAY = dt.date(2026, 11, 22)
PARAMS = IndicatorParams(radius_km=20, incident_months=12, reference_date=TODAY)
AZIMUTHS = np.arange(36) * 10.0 + 5.0


@pytest.fixture
def region(shared_data: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(posts, borders, the road–border intersections) of the G5 region."""
    return _read_region(shared_data / "sahel_reference.gpkg")


@functools.cache
def _read_region(path: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    crossings = gpd.read_file(path, layer="road_border_intersections")
    posts = gpd.GeoDataFrame({"post_id": crossings["crossing_id"], "name": crossings["crossing_id"],
                              "iso3": crossings["iso3_a"], "status": "operational"},
                             geometry=crossings.geometry.values, crs="EPSG:4326")
    lines = gpd.read_file(path, layer="boundary_lines")
    borders = lines[["border_id", "iso3_a", "iso3_b", "geometry"]]
    return (with_schema_types(posts, KINDS["posts"]), with_schema_types(borders, KINDS["borders"]),
            crossings)


def ends_of_the_region(posts: gpd.GeoDataFrame) -> np.ndarray:
    """The posts at the region's western end (lon < −11) and eastern end (Chad's borders, lon > 15)."""
    lon = posts.geometry.x.to_numpy()
    return np.flatnonzero((lon < -11.0) | (lon > 15.0))


def ring(posts: gpd.GeoDataFrame, chosen: np.ndarray, km: float) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of points at geodesic ``km`` from each chosen post in 36 azimuths."""
    lon = np.repeat(posts.geometry.x.to_numpy()[chosen], len(AZIMUTHS))
    lat = np.repeat(posts.geometry.y.to_numpy()[chosen], len(AZIMUTHS))
    x, y, _ = GEOD.fwd(lon, lat, np.tile(AZIMUTHS, len(chosen)), np.full(lon.shape, km * 1000.0))
    return x, y


def geodesic_matrix_m(posts: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Geodesic metres from every post (rows) to every point (columns)."""
    px, py = posts.geometry.x.to_numpy(), posts.geometry.y.to_numpy()
    shape = (len(px), len(x))
    return GEOD.inv(np.broadcast_to(px[:, None], shape).ravel(), np.broadcast_to(py[:, None], shape).ravel(),
                    np.broadcast_to(x, shape).ravel(), np.broadcast_to(y, shape).ravel())[2].reshape(shape)


@pytest.mark.parametrize("km", [19.99, 20.01])
def test_counts_at_the_radius_are_exact_at_both_ends_of_the_region(region, km):
    posts, _, _ = region
    chosen = ends_of_the_region(posts)
    assert len(chosen) > 30
    x, y = ring(posts, chosen, km)
    points = shapely.points(x, y)
    incidents = with_schema_types(gpd.GeoDataFrame(
        {"incident_id": [f"i{k}" for k in range(len(x))], "date": dt.date(2026, 6, 1), "kind": "attack"},
        geometry=points, crs="EPSG:4326"), KINDS["incidents"])
    crossings = with_schema_types(gpd.GeoDataFrame(
        {"crossing_id": [f"c{k}" for k in range(len(x))], "kind": "unofficial"},
        geometry=points, crs="EPSG:4326"), KINDS["crossings"])
    table = compute_indicators(Layers(posts, crossings=crossings, incidents=incidents), PARAMS)
    assert table.attrs["max_scale_distortion"] > 0.015  # the G5 extent: beyond the old 1 % margin

    distance = geodesic_matrix_m(posts, x, y)
    expected = pd.Series((distance <= 20_000).sum(axis=1).astype(float), index=posts["post_id"])
    own = np.zeros(len(posts))
    own[chosen] = len(AZIMUTHS) if km < 20 else 0  # each chosen post's own ring
    assert (expected.to_numpy() >= own).all()
    same = {"check_names": False, "check_index_type": False}
    pd.testing.assert_series_equal(table["incidents_20km"], expected, **same)
    pd.testing.assert_series_equal(table["unofficial_20km"], expected, **same)
    nearest = pd.Series(distance.min(axis=1) / 1000, index=posts["post_id"])
    pd.testing.assert_series_equal(table["unofficial_nearest_km"], nearest, rtol=0, atol=1e-6, **same)


def pair_line(borders: gpd.GeoDataFrame, pair: str, near: shapely.Point) -> shapely.LineString:
    """The connected line of border ``pair`` (all its rows, line-merged) nearest to ``near``."""
    rows = borders[borders["border_id"].str.startswith(pair + "-")]
    parts = shapely.get_parts(shapely.line_merge(shapely.union_all(rows.geometry.values)))
    return parts[np.argmin(shapely.distance(parts, near))]


def _transform(geometry, transformer: Transformer):
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def along_km(line: shapely.LineString, post: shapely.Point, to: shapely.Point) -> float:
    """Geodesic length (km) of ``line`` between the feet of ``post`` and ``to`` (a point, or an
    end of the line), the feet found in an azimuthal equidistant projection centred on the post."""
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={post.y} +lon_0={post.x} +datum=WGS84 +units=m")
    forward = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    back = Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    metric = _transform(line, forward)
    start, end = sorted((metric.project(_transform(post, forward)), metric.project(_transform(to, forward))))
    return GEOD.geometry_length(_transform(substring(metric, start, end), back)) / 1000


def end_towards(line: shapely.LineString, post: shapely.Point, compass: str) -> shapely.Point:
    """The end of ``line`` lying in the direction ``compass`` (8 points) from the post."""
    ends = [shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])]
    names = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
    sectors = [names[int(((GEOD.inv(post.x, post.y, e.x, e.y)[0] % 360) + 22.5) // 45) % 8] for e in ends]
    assert sectors.count(compass) == 1, sectors
    return ends[sectors.index(compass)]


@functools.cache
def gap_table(path: Path) -> pd.DataFrame:
    """The indicators of the region's posts with its borders (computed once)."""
    posts, borders, _ = _read_region(path)
    return compute_indicators(Layers(posts, borders=borders), PARAMS)


def test_every_post_takes_its_gap_from_its_own_border(region, shared_data):
    posts, borders, crossings = region
    table = gap_table(shared_data / "sahel_reference.gpkg")
    own_pair = crossings["border_id"].str.rsplit("-", n=1).str[0].to_numpy()
    assert (table.loc[posts["post_id"], "border_id"].to_numpy() == own_pair).all()
    # no gap runs beyond the post's own border: both gaps together fit in its length
    lengths = borders.assign(pair=borders["border_id"].str.rsplit("-", n=1).str[0]).groupby("pair").apply(
        lambda rows: GEOD.geometry_length(shapely.union_all(rows.geometry.values)) / 1000)
    total = table["gap_a_km"] + table["gap_b_km"]
    assert (total <= table["border_id"].map(lengths) + 1e-6).all()
    assert table["gap_a_towards"].notna().all() and table["gap_b_towards"].notna().all()


@pytest.mark.parametrize(("post_id", "pair", "neighbour_side", "tripoint_with"), [
    ("RBX-0104", "MLI-MRT", "b", "DZA"),  # Mali–Mauritania: its northern end meets Algeria
    ("RBX-0105", "MLI-MRT", "a", "SEN"),  # … and its western end meets Senegal
    ("RBX-0069", "DZA-MLI", "b", "MRT"),  # Algeria–Mali, two rows (-1 in ten parts, and -2)
    ("RBX-0067", "DZA-MLI", "a", "NER"),
])
def test_gaps_near_tripoints_and_on_multi_piece_borders_equal_a_hand_computation(
        region, shared_data, post_id, pair, neighbour_side, tripoint_with):
    posts, borders, _ = region
    table = gap_table(shared_data / "sahel_reference.gpkg")
    row = table.loc[post_id]
    where = posts.set_index("post_id").geometry
    line = pair_line(borders, pair, where[post_id])
    end_side = "a" if neighbour_side == "b" else "b"

    # towards the neighbour: along the line to the neighbour's foot
    neighbour = row[f"gap_{neighbour_side}_to"]
    assert isinstance(neighbour, str) and table.at[neighbour, "border_id"] == pair
    assert row[f"gap_{neighbour_side}_km"] == pytest.approx(
        along_km(line, where[post_id], where[neighbour]), abs=0.01)

    # the other way: to the line's end, a tripoint with a third country
    assert pd.isna(row[f"gap_{end_side}_to"])
    end = end_towards(line, where[post_id], row[f"gap_{end_side}_towards"])
    third = borders[(borders["iso3_a"] == tripoint_with) | (borders["iso3_b"] == tripoint_with)]
    assert shapely.distance(end, shapely.union_all(third.geometry.values)) < 1e-6
    assert row[f"gap_{end_side}_km"] == pytest.approx(along_km(line, where[post_id], end), abs=0.01)
    assert row["coverage_gap_km"] == pytest.approx((row["gap_a_km"] + row["gap_b_km"]) / 2)
