"""Population within R km of a post: exact zonal sums on rasters, and the settlement fallback.

References: hand-computed areas, and exactextract on geodesic circle polygons (vertices from
``pyproj.Geod.fwd``, so the reference circle is the true WGS84 circle up to its vertex count).
"""

from __future__ import annotations

import math

import exactextract
import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Proj, Transformer
from rasterio.transform import from_origin

from mapping.geo import GEOD
from mapping.scoring import population
from mapping.scoring.population import (
    PopulationGrid,
    _ellipses,
    population_within,
    read_grid,
    settlement_population_within,
    zonal_sums,
)

R = 20_000.0
NODATA = -9999.0


def write_tif(path, data: np.ndarray, transform, crs: str = "EPSG:4326", nodata: float | None = NODATA):
    with rasterio.open(path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1], count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(data.astype("float32"), 1)
    return path


def geodesic_circles(lon, lat, radius_m: float, crs: str = "EPSG:4326",
                     vertices: int = 1440) -> gpd.GeoDataFrame:
    """True geodesic circles as polygons in ``crs``."""
    lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
    az = np.tile(np.linspace(0, 360, vertices, endpoint=False), lon.size)
    x, y, _ = GEOD.fwd(np.repeat(lon, vertices), np.repeat(lat, vertices), az,
                       np.full(az.size, radius_m))
    if crs != "EPSG:4326":
        x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(x, y)
    rings = np.stack([x, y], axis=1).reshape(lon.size, vertices, 2)
    return gpd.GeoDataFrame(geometry=shapely.polygons(rings), crs=crs)


def exact_sums(path, lon, lat, radius_m: float, crs: str = "EPSG:4326") -> np.ndarray:
    polygons = geodesic_circles(lon, lat, radius_m, crs)
    return exactextract.exact_extract(str(path), polygons, "sum", output="pandas")["sum"].to_numpy()


def cell_area_m2(lon: float, lat: float, dlon: float, dlat: float) -> float:
    area, _ = GEOD.polygon_area_perimeter([lon, lon + dlon, lon + dlon, lon],
                                          [lat, lat, lat + dlat, lat + dlat])
    return abs(area)


def uniform_grid(west: float = -10.0, north: float = 16.0, degrees: int = 1) -> PopulationGrid:
    """One person per 0.001° cell over [west, west + degrees] × [north − degrees, north]."""
    n = 1000 * degrees
    return PopulationGrid(np.ones((n, n), dtype="float32"), from_origin(west, north, 0.001, 0.001),
                          "EPSG:4326")


# ------------------------------------------------------------------ hand-computed answers
def test_uniform_raster_counts_circle_area_in_cells():
    grid = uniform_grid()
    lon, lat = np.array([-9.5, -9.37, -9.61]), np.array([15.5, 15.71, 15.33])
    expected = [math.pi * R**2 / cell_area_m2(x, y, 0.001, 0.001) for x, y in zip(lon, lat, strict=True)]
    assert zonal_sums(grid, lon, lat, R) == pytest.approx(expected, rel=0.002)


def test_single_cell_fractions():
    """A 0.01° cell of 8 persons and circles of 300 m: centred on a corner (a quarter inside),
    on the middle of an edge (a half), on the centre (all of it), and one covering the cell."""
    grid = PopulationGrid(np.array([[8.0]], dtype="float32"), from_origin(-9.0, 15.51, 0.01, 0.01),
                          "EPSG:4326")
    disk = 8 * math.pi * 300.0**2 / cell_area_m2(-9.0, 15.5, 0.01, 0.01)
    lon = np.array([-9.0, -9.0, -8.995, -8.995])
    lat = np.array([15.51, 15.505, 15.505, 15.505])
    got = zonal_sums(grid, lon, lat, 300.0)
    assert got[:3] == pytest.approx([disk / 4, disk / 2, disk], rel=1e-3)
    assert zonal_sums(grid, [-8.995], [15.505], 5_000.0)[0] == pytest.approx(8.0, rel=1e-12)


def test_single_cell_fractions_in_utm():
    """In UTM the circle is a circle of radius k·R (k: the point scale factor)."""
    crs = "EPSG:32629"
    lon, lat = -9.3, 15.6
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    k = Proj(crs).get_factors(lon, lat).meridional_scale
    grid = PopulationGrid(np.array([[5.0]], dtype="float32"), from_origin(x, y, 1000.0, 1000.0), crs)
    got = zonal_sums(grid, [lon], [lat], 400.0)[0]  # centred on the cell's top-left corner
    assert got == pytest.approx(5 * math.pi * (400.0 * k) ** 2 / 4 / 1e6, rel=1e-4)


def test_circles_partly_off_the_raster():
    """On the west edge half the circle is in, at the north-west corner a quarter; the same
    circles on a raster extending past them give the whole."""
    west_edge, corner, outside = zonal_sums(uniform_grid(), [-10.0, -10.0, -11.0], [15.5, 16.0, 15.5], R)
    full = zonal_sums(uniform_grid(-11.0, 17.0, 2), [-10.0, -10.0], [15.5, 16.0], R)
    assert west_edge == pytest.approx(full[0] / 2, rel=1e-9)  # the circle is symmetric east–west
    assert corner == pytest.approx(full[1] / 4, rel=1e-3)  # its south half is a little narrower
    assert outside == 0.0


def test_missing_coordinates_give_nan_and_empty_input_gives_empty():
    grid = uniform_grid()
    got = zonal_sums(grid, [np.nan, -9.5], [15.5, 15.5], R)
    assert np.isnan(got[0]) and got[1] > 0
    assert zonal_sums(grid, [], [], R).shape == (0,)
    with pytest.raises(ValueError, match="radius_m"):
        zonal_sums(grid, [-9.5], [15.5], 0.0)


def test_geodesic_frame_matches_the_true_circle():
    """The warped ellipse of the local frame against the geodesic circle: the symmetric
    difference is far below the 0.1 % of the circle's area the method allows."""
    for lat in (13.0, 18.0, 28.0):
        grid = PopulationGrid(np.zeros((1, 1), "float32"), from_origin(-12, 30, 1e-3, 1e-3), "EPSG:4326")
        c = _ellipses(grid, np.array([-8.0]), np.array([lat]), R)
        t = np.linspace(0, 2 * np.pi, 20_000, endpoint=False)
        x, v = np.cos(t), np.sin(t)  # the unit disk in the warped frame
        y = v + c.egg[0] * (1 - v**2)  # first-order inverse of y' = y − g(1 − y²)
        cols, rows = c.col[0] + c.semi_col[0] * x, c.row[0] + c.semi_row[0] * y
        lons, lats = grid.transform @ (cols, rows)
        frame = shapely.Polygon(np.column_stack([lons, lats]))
        true = geodesic_circles(-8.0, lat, R, vertices=20_000).geometry[0]
        assert frame.symmetric_difference(true).area / true.area < 2e-5


# ------------------------------------------------------------------ against exactextract
@pytest.fixture
def random_raster(tmp_path):
    """Log-normal persons on 0.005° cells over lon −10..−8, lat 14..16, with nodata holes."""
    rng = np.random.default_rng(7)
    data = rng.lognormal(2.0, 1.5, (400, 400)).astype("float32")
    data[rng.random(data.shape) < 0.02] = NODATA
    data[50:90, 200:260] = NODATA
    return write_tif(tmp_path / "random.tif", data, from_origin(-10, 16, 0.005, 0.005))


def test_agrees_with_exactextract_on_random_raster(random_raster):
    rng = np.random.default_rng(1)
    lon = np.concatenate([rng.uniform(-9.9, -8.1, 30), [-10.0, -8.05, -9.0]])
    lat = np.concatenate([rng.uniform(14.1, 15.9, 30), [15.0, 14.02, 16.0]])  # three run off the edge
    got = population_within(random_raster, lon, lat, R)
    assert got == pytest.approx(exact_sums(random_raster, lon, lat, R), rel=2e-4)  # asked: 0.5 %


def test_agrees_with_exactextract_on_projected_raster(tmp_path):
    crs = "EPSG:32629"  # UTM 29N: the western Mauritania–Mali border
    rng = np.random.default_rng(3)
    data = rng.gamma(0.5, 40.0, (600, 600))
    data[rng.random(data.shape) < 0.01] = NODATA
    path = write_tif(tmp_path / "utm.tif", data, from_origin(300_000, 1_800_000, 250.0, 250.0), crs)
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(rng.uniform(310_000, 440_000, 25), rng.uniform(1_660_000, 1_790_000, 25))
    got = population_within(path, lon, lat, R)
    assert got == pytest.approx(exact_sums(path, lon, lat, R, crs), rel=2e-4)  # asked: 0.5 %


# ------------------------------------------------------------------ reading and nodata
def test_nodata_counts_zero_and_the_window_is_enough(random_raster):
    rng = np.random.default_rng(2)
    lon, lat = rng.uniform(-9.8, -8.2, 10), rng.uniform(14.2, 15.8, 10)
    whole = read_grid(random_raster)
    window = read_grid(random_raster, (lon.min(), lat.min(), lon.max(), lat.max()), margin_m=R)
    assert np.isnan(whole.data).any() and window.data.size < whole.data.size
    zeroed = PopulationGrid(np.nan_to_num(whole.data), whole.transform, whole.crs)
    expected = zonal_sums(zeroed, lon, lat, R)
    assert zonal_sums(whole, lon, lat, R) == pytest.approx(expected, rel=1e-12)
    assert population_within(random_raster, lon, lat, R) == pytest.approx(expected, rel=1e-12)
    assert population_within(whole, lon, lat, R) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("band_rows", [1, 7, 50])
def test_reading_in_bands_while_summing_gives_the_same_sums(random_raster, monkeypatch, band_rows):
    """population_within sums circles while later bands of rows are still being read."""
    monkeypatch.setattr(population, "_BAND_ROWS", band_rows)
    monkeypatch.setattr(population, "_WORK_PER_CHUNK", 3_000)  # a few circles per group
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(-9.9, -8.1, 40), rng.uniform(14.1, 15.9, 40)
    expected = zonal_sums(read_grid(random_raster), lon, lat, R)
    assert population_within(random_raster, lon, lat, R) == pytest.approx(expected, rel=1e-12)


def test_rows_arriving_one_at_a_time_give_the_same_sums():
    """The bookkeeping of rows that arrive while circles are summed, circles starting far
    below the grid's first row."""
    rng = np.random.default_rng(6)
    grid = PopulationGrid(rng.random((500, 300), dtype="float32"), from_origin(-10, 16, 0.002, 0.002),
                          "EPSG:4326")
    lon, lat = rng.uniform(-9.8, -9.6, 30), rng.uniform(15.3, 15.5, 30)
    arrivals = iter(range(1, 501))
    got = population._zonal_sums(grid, lon, lat, 5_000.0, rows_read=arrivals)
    assert got == pytest.approx(zonal_sums(grid, lon, lat, 5_000.0), rel=1e-12)


def test_points_outside_the_raster_read_nothing(random_raster):
    assert population_within(random_raster, [-20.0], [5.0], R).tolist() == [0.0]
    assert np.isnan(population_within(random_raster, [np.nan], [np.nan], R)).all()


# ------------------------------------------------------------------ settlement fallback
def test_settlement_fallback_counts_places_within_the_geodesic_radius():
    post_lon, post_lat = -9.42, 15.90
    distances = [5_000, 19_900, 20_100, 10_000, 30_000]
    azimuths = [10, 100, 200, 250, 300]
    lon, lat, _ = GEOD.fwd([post_lon] * 5, [post_lat] * 5, azimuths, distances)
    places = gpd.GeoDataFrame({"population": [100, 200, 400, None, 800]},
                              geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    places["population"] = places["population"].astype("Int64")
    got = settlement_population_within(places, [post_lon, -5.0, np.nan], [post_lat, 13.5, 15.0], R)
    assert got[:2].tolist() == [300.0, 0.0]  # 5 km and 19.9 km in; 20.1 km, 30 km out; missing counts 0
    assert np.isnan(got[2])


# ------------------------------------------------------------------ real data
@pytest.mark.shared_data
def test_real_population_raster_agrees_with_exactextract(shared_data):
    path = shared_data / "mr_ml" / "population_2020_persons.tif"
    if not path.exists():
        pytest.skip(f"{path} not found")
    places = gpd.read_file(shared_data / "mr_ml" / "settlements.geojson")
    lon, lat = places.geometry.x.to_numpy(), places.geometry.y.to_numpy()
    for radius in (20_000.0, 50_000.0):
        got = population_within(path, lon, lat, radius)
        assert got.sum() > 0
        assert got == pytest.approx(exact_sums(path, lon, lat, radius), rel=5e-3)
