"""Travel times: equal to GRASS GIS ``r.cost`` on random friction grids, hand-computed paths on
grids of a few cells, and the friction surface's rules on small geometries (EPSG:4326) and on
the real Senegal River: a river without a bridge is never crossed, a faster road never gives
a longer time."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.access.friction import close_corners, friction_minutes, speed_surface
from mapping.access.grid import TravelGrid
from mapping.access.settings import TravelSettings, default_settings, settings_from_dict
from mapping.access.times import travel_minutes
from mapping.inputs import Layers
from tests.grass import grass_available, run_r_cost

needs_grass = pytest.mark.skipif(not grass_available(), reason="GRASS GIS (`grass`, Debian grass-core) "
                                 "is not installed")
# r.cost and MCP_Geometric both add (f_a + f_b) x step length / 2 in double precision along the
# same paths: the times found were bit-identical; the tolerance only allows another summation
# order.
RTOL = 1e-12
R2 = math.sqrt(2.0)


def random_case(seed: int, shape: tuple[int, int], n_starts: int) -> tuple[np.ndarray, np.ndarray]:
    """Friction (minutes per cell) of foot, bike and car speeds on 1 km cells, with barriers
    (``inf``) on up to a third of the cells, and distinct start cells off the barriers."""
    rng = np.random.default_rng(seed)
    friction = 60.0 / rng.choice([4.0, 5.0, 20.0, 50.0, 80.0], shape) * rng.uniform(0.95, 1.05, shape)
    friction[rng.random(shape) < rng.uniform(0.0, 0.35)] = np.inf
    flat = rng.choice(shape[0] * shape[1], size=n_starts, replace=False)
    starts = np.column_stack(np.unravel_index(flat, shape))
    friction[starts[:, 0], starts[:, 1]] = 12.0
    return friction, starts


@needs_grass
@pytest.mark.parametrize(("seed", "shape", "n_starts"),
                         [(1, (3, 5), 1), (2, (17, 40), 3), (3, (120, 90), 5), (4, (200, 200), 8),
                          (5, (200, 31), 6)])
def test_times_and_allocation_equal_r_cost(seed, shape, n_starts):
    friction, starts = random_case(seed, shape, n_starts)
    grass = run_r_cost(friction, starts, cell_size=1000.0)
    ours = travel_minutes(friction, starts)
    assert np.array_equal(np.isfinite(grass.cost), np.isfinite(ours.minutes))  # same cells reached
    reached = np.isfinite(ours.minutes)
    assert reached.sum() > n_starts
    np.testing.assert_allclose(ours.minutes[reached], grass.cost[reached], rtol=RTOL, atol=0.0)
    # The nearest start agrees wherever the two quickest starts are not tied within the tolerance.
    each = np.sort(np.stack([travel_minutes(friction, start[None]).minutes for start in starts]), axis=0)
    with np.errstate(invalid="ignore"):
        tied = (each[1] - each[0] <= 1e-9 * each[0]) if n_starts > 1 else np.zeros(shape, dtype=bool)
    untied = reached & ~tied
    assert np.array_equal(ours.nearest[untied], grass.nearest[untied])
    assert np.array_equal(ours.nearest[~reached], grass.nearest[~reached])  # -1: no start


def test_a_start_on_a_barrier_reaches_only_its_own_cell():
    friction = np.ones((3, 4))
    friction[0, 0] = np.inf
    alone = travel_minutes(friction, np.array([[0, 0]]))
    assert alone.minutes[0, 0] == 0.0 and np.isinf(alone.minutes).sum() == friction.size - 1
    np.testing.assert_array_equal(alone.nearest, np.where(np.isinf(alone.minutes), -1, 0))
    both = travel_minutes(friction, np.array([[0, 0], [2, 3]]))
    assert both.minutes[0, 0] == 0.0 and both.nearest[0, 0] == 0
    assert np.isfinite(both.minutes).all() and (both.nearest[1:] == 1).all()
    if grass_available():  # r.cost does the same (its -n flag changes nothing without null_cost)
        grass = run_r_cost(friction, np.array([[0, 0], [2, 3]]))
        np.testing.assert_array_equal(both.minutes, grass.cost)
        np.testing.assert_array_equal(both.nearest, grass.nearest)


def test_hand_computed_3x3():
    friction = np.array([[1.0, 2.0, 3.0],
                         [4.0, 5.0, 6.0],
                         [7.0, 8.0, 9.0]])
    minutes = travel_minutes(friction, np.array([[0, 0]])).minutes
    expected = np.array([
        # (0,0) start; (0,1) (1+2)/2; (0,2) 1.5 + (2+3)/2
        [0.0, 1.5, 4.0],
        # (1,0) (1+4)/2; (1,1) diagonal (1+5)/2·√2 = 3√2 (not 1.5 + (2+5)/2 = 5);
        # (1,2) diagonal from (0,1): 1.5 + (2+6)/2·√2 (not 4 + 4.5, nor 3√2 + 5.5)
        [2.5, 3 * R2, 1.5 + 4 * R2],
        # (2,0) 2.5 + (4+7)/2; (2,1) 3√2 + (5+8)/2 (not 2.5 + 6√2);
        # (2,2) diagonal from (1,1): 3√2 + (5+9)/2·√2 = 10√2
        [8.0, 3 * R2 + 6.5, 10 * R2],
    ])
    np.testing.assert_allclose(minutes, expected, rtol=RTOL)


def test_hand_computed_2x4_diagonal_past_a_barrier_corner():
    """A single barrier cell does not stop a diagonal step between its two neighbours: that is
    why the friction surface closes a river's corners (:func:`close_corners`)."""
    friction = np.array([[1.0, np.inf, 1.0, 1.0],
                         [1.0, 1.0, 3.0, 1.0]])
    minutes = travel_minutes(friction, np.array([[0, 0]])).minutes
    expected = np.array([
        # (0,2) diagonal from (1,1) past the barrier's corner: √2 + √2; (0,3) 2√2 + 1
        [0.0, np.inf, 2 * R2, 2 * R2 + 1],
        # (1,1) diagonal √2; (1,2) √2 + (1+3)/2; (1,3) diagonal from (0,2): 3√2 (not 2√2 + 2)
        [1.0, R2, R2 + 2.0, 3 * R2],
    ])
    np.testing.assert_allclose(minutes, expected, rtol=RTOL)


def test_hand_computed_allocation_and_a_shared_start_cell():
    # From (0,0): 0, 1, 1 + (1+3)/2 = 3; from (0,3): (3+1)/2 = 2 to (0,2), 2 + 2 = 4 to (0,1).
    times = travel_minutes(np.array([[1.0, 1.0, 3.0, 1.0]]), np.array([[0, 0], [0, 3], [0, 0]]))
    np.testing.assert_allclose(times.minutes, [[0.0, 1.0, 2.0, 0.0]])
    np.testing.assert_array_equal(times.nearest, [[0, 0, 1, 1]])  # (0,0) twice: the first listed


def test_close_corners_stops_a_diagonal_step():
    barrier = np.array([[True, False, False],
                        [False, True, False]])
    closed = close_corners(barrier)
    assert closed.sum() == 3 and closed[barrier].all()
    for mask, reached in ((barrier, True), (closed, False)):  # (1,0) -> (0,1) slips between the two
        minutes = travel_minutes(np.where(mask, np.inf, 1.0), np.array([[1, 0]])).minutes
        assert np.isfinite(minutes[0, 2]) == reached


# Small geometries near Kayes (Mali), cells of 500 m in the grid's conformal projection.
LON, LAT = -11.0, 14.5
CELL_M = 500.0
MARGIN_KM = 8.0
KM_LAT = 1 / 111.0  # degrees of latitude in a kilometre


def points(*xy: tuple[float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.Point(x, y) for x, y in xy], crs="EPSG:4326")


def lines(*coords: list[tuple[float, float]], **columns: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=[shapely.LineString(c) for c in coords], crs="EPSG:4326")


def friction_of(layers: dict, travel: TravelSettings | None = None, mode: str = "foot",
                post: tuple[float, float] = (LON, LAT), centre: tuple[float, float] = (LON, LAT),
                margin_km: float = MARGIN_KM) -> tuple[TravelGrid, np.ndarray]:
    """The grid around ``centre`` and the friction (minutes per cell) of the layers, with a
    post at ``post``."""
    grid = TravelGrid.around(np.array([centre[0]]), np.array([centre[1]]), CELL_M, margin_km)
    speed = speed_surface(grid, Layers(posts=points(post), **layers), travel or default_settings(),
                          mode)
    return grid, friction_minutes(grid, speed)


def times_at(grid: TravelGrid, friction: np.ndarray, start: tuple[float, float]) -> np.ndarray:
    """Minutes from the cell of ``start`` (lon, lat) to every cell."""
    rows, cols, inside = grid.cells_of(np.array([start[0]]), np.array([start[1]]))
    assert inside.all()
    return travel_minutes(friction, np.column_stack([rows, cols])).minutes


def times_from_post(layers: dict, travel: TravelSettings | None = None, mode: str = "foot",
                    post: tuple[float, float] = (LON, LAT)) -> tuple[TravelGrid, np.ndarray]:
    grid, friction = friction_of(layers, travel, mode, post)
    return grid, times_at(grid, friction, post)


def at(grid: TravelGrid, minutes: np.ndarray, lon: float, lat: float) -> float:
    rows, cols, inside = grid.cells_of(np.array([lon]), np.array([lat]))
    assert inside.all()
    return float(minutes[rows[0], cols[0]])


def check_crossed_through_gates(grid: TravelGrid, friction: np.ndarray, river_only: np.ndarray,
                                land: np.ndarray, post: tuple[float, float],
                                across: tuple[float, float]) -> np.ndarray:
    """The time from ``post`` to ``across`` is that of a path through a gate (a cell the river
    closes, ``river_only`` infinite where ``land`` is not, that ``friction`` opens): the least
    of (post -> gate) + (gate -> across); the gates are returned."""
    gates = np.isinf(river_only) & np.isfinite(land) & np.isfinite(friction)
    assert gates.any()
    there, back = times_at(grid, friction, post), times_at(grid, friction, across)
    assert np.isfinite(at(grid, there, *across))
    assert at(grid, there, *across) == pytest.approx(float((there + back)[gates].min()), rel=1e-9)
    return gates


# An east-west river 3 km south of the post, longer than the grid is wide: no way around it.
RIVER = lines([(LON - 1.0, LAT - 3 * KM_LAT), (LON + 1.0, LAT - 3 * KM_LAT)])
ACROSS = (LON + 0.01, LAT - 5 * KM_LAT)  # 2 km south of the river, 1 km east of the post


def test_a_river_without_a_bridge_is_never_crossed():
    grid, minutes = times_from_post({"rivers": RIVER})
    _, lat = grid.centres_lonlat(*np.indices(grid.shape))
    south, north = lat < LAT - 4 * KM_LAT, lat > LAT - 2 * KM_LAT
    assert np.isinf(minutes[south]).all()
    assert np.isfinite(minutes[north]).all()


def test_a_road_across_a_river_is_a_bridge():
    road = lines([(LON, LAT), (LON, LAT - 6 * KM_LAT)], road_class=["track"])
    grid, friction = friction_of({"rivers": RIVER, "roads": road})
    gates = check_crossed_through_gates(grid, friction, friction_of({"rivers": RIVER})[1], friction_of({})[1],
                                        (LON, LAT), ACROSS)
    _, cols, _ = grid.cells_of(np.array([LON]), np.array([LAT]))
    assert set(np.nonzero(gates)[1]) <= {cols[0] - 1, cols[0], cols[0] + 1}  # the road's cells


def test_a_crossing_point_on_the_river_opens_it_there_only():
    crossing = (LON + 0.03, LAT - 3 * KM_LAT)
    grid, friction = friction_of({"rivers": RIVER, "crossings": points(crossing)})
    gates = check_crossed_through_gates(grid, friction, friction_of({"rivers": RIVER})[1], friction_of({})[1],
                                        (LON, LAT), ACROSS)
    rows, cols, _ = grid.cells_of(np.array([crossing[0]]), np.array([crossing[1]]))
    near = np.zeros(grid.shape, dtype=bool)
    near[grid.window_around(int(rows[0]), int(cols[0]), 1)] = True
    assert not (gates & ~near).any()


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 0.75])
def test_a_crossing_anywhere_on_a_diagonal_river_opens_it(fraction):
    """A river drawn on every cell it touches can be two cells wide where it runs diagonally:
    the crossing still opens a way across."""
    river = shapely.LineString(river_at(45.0))
    crossing = river.interpolate(river.length / 2 + fraction * CELL_M / 1000 * KM_LAT)
    layers = {"rivers": lines(river_at(45.0)), "crossings": points((crossing.x, crossing.y))}
    grid, friction = friction_of(layers)
    far = east_north(6 * math.sin(math.radians(45.0)), -6 * math.cos(math.radians(45.0)))
    check_crossed_through_gates(grid, friction, friction_of({"rivers": layers["rivers"]})[1],
                                friction_of({})[1], (LON, LAT), far)


@pytest.mark.parametrize("angle", [10.0, 30.0, 45.0, 52.0, 60.0, 89.0])
def test_a_diagonal_river_never_leaks_between_corner_cells(angle):
    """A straight river 3 km from the post at ``angle`` degrees from east: every cell on the
    far side is unreached, every cell well on the post's side is reached."""
    grid, minutes = times_from_post({"rivers": lines(river_at(angle))})
    x, y = grid.to_map(*grid.centres_lonlat(*np.indices(grid.shape)))
    side = signed_distance_m(grid, angle, x, y)
    post_side = signed_distance_m(grid, angle, *grid.to_map(np.array([LON]), np.array([LAT])))[0]
    far, near = side * post_side < 0, (side * post_side > 0) & (np.abs(side) > 2 * CELL_M)
    assert far.any() and np.isinf(minutes[far]).all()
    assert np.isfinite(minutes[near]).all()


def river_at(angle: float, half_km: float = 100.0) -> list[tuple[float, float]]:
    """A straight river at ``angle`` degrees from east, passing 3 km from the post (to its
    south for angles up to 90), ``half_km`` each way from there."""
    east, north = 3 * math.sin(math.radians(angle)), -3 * math.cos(math.radians(angle))
    de, dn = half_km * math.cos(math.radians(angle)), half_km * math.sin(math.radians(angle))
    return [east_north(east - de, north - dn), east_north(east + de, north + dn)]


def east_north(east_km: float, north_km: float) -> tuple[float, float]:
    """The point ``east_km`` east and ``north_km`` north of the post (lon, lat)."""
    return LON + east_km / 111.0 / math.cos(math.radians(LAT)), LAT + north_km * KM_LAT


def signed_distance_m(grid: TravelGrid, angle: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Signed distance (grid metres) of points from the river, a straight line in the grid's
    projection over the grid (a straight lon/lat line stays nearly straight over a few km)."""
    (ax, bx), (ay, by) = grid.to_map(*np.array(river_at(angle, half_km=10.0)).T)
    length = math.hypot(bx - ax, by - ay)
    return ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / length


ROAD_CLASSES = ("trunk", "primary", "secondary", "tertiary", "track")
road_lines = st.lists(
    st.tuples(st.sampled_from(ROAD_CLASSES),
              st.lists(st.tuples(st.floats(-6, 6), st.floats(-6, 6)), min_size=2, max_size=4)),
    min_size=0, max_size=4)


def road_layer(roads: list[tuple[str, list[tuple[float, float]]]]) -> gpd.GeoDataFrame:
    """Roads given in km east and north of the post."""
    coords = [[east_north(e, n) for e, n in line] for _, line in roads]
    return lines(*coords, road_class=[cls for cls, _ in roads])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roads=road_lines, added=road_lines.filter(bool),
       mode=st.sampled_from(["foot", "motorbike", "vehicle"]), faster=st.sampled_from(ROAD_CLASSES),
       gain=st.floats(1.0, 60.0), wet=st.booleans())
def test_a_faster_road_never_gives_a_longer_time(roads, added, mode, faster, gain, wet):
    base = default_settings().with_changes(season="wet" if wet else "dry")
    quicker_speeds = {mode: {**base.speeds_kmh[mode], faster: base.speeds_kmh[mode][faster] + gain}}
    quicker = settings_from_dict({**_plain(base), "speeds_kmh": quicker_speeds})
    layers = {"rivers": RIVER, "roads": road_layer(roads) if roads else None}
    _, before = times_from_post(layers, base, mode)
    _, with_more = times_from_post({**layers, "roads": road_layer(roads + added)}, base, mode)
    _, sped_up = times_from_post(layers, quicker, mode)
    assert (with_more <= before + 1e-9).all()  # inf <= inf where neither reaches
    assert (sped_up <= before + 1e-9).all()


def _plain(travel: TravelSettings) -> dict:
    return {key: value for key, value in travel.key().items() if key != "speeds_kmh"}


# Rosso, where the road crosses the Senegal River between Mauritania (north) and Senegal.
ROSSO = "RBX-0115"


@pytest.mark.shared_data
def test_the_senegal_river_is_crossed_only_at_a_crossing_or_a_bridge(shared_data):
    reference = shared_data / "sahel_reference.gpkg"
    rivers = gpd.read_file(reference, layer="rivers")
    edges = gpd.read_file(reference, layer="road_network_edges")
    roads = edges[["geometry"]].assign(road_class="primary", all_season=True)  # no class in the layer
    crossings = gpd.read_file(reference, layer="road_border_intersections")
    crossing = crossings[crossings["crossing_id"] == ROSSO]
    x, y = float(crossing.geometry.x.iloc[0]), float(crossing.geometry.y.iloc[0])
    post, across = (x, y + 3 * KM_LAT), (x + 0.01, y - 3 * KM_LAT)  # 3 km north and south of it
    senegal = rivers[rivers["name"] == "Sénégal"].union_all()
    assert senegal.intersects(shapely.LineString([post, across]))  # the river runs between them

    def friction(layers: dict) -> tuple[TravelGrid, np.ndarray]:
        return friction_of(layers, post=post, centre=(x, y), margin_km=15.0)

    grid, land = friction({})
    _, river_only = friction({"rivers": rivers})
    assert at(grid, times_at(grid, river_only, post), *across) > at(grid, times_at(grid, land, post), *across)
    for layers in ({"rivers": rivers, "crossings": crossing}, {"rivers": rivers, "roads": roads}):
        _, opened = friction(layers)
        check_crossed_through_gates(grid, opened, river_only, land, post, across)
