"""Travel-time catchments on the real Sahel reference data (../shared/data): people kept when
summed into the travel grid, catchments that add up, and a faster mode never reaching fewer
people. Hypothetical posts stand at the real road–border intersections around Mauritania–Mali
(lon −17 to −3, lat 13 to 18: the Senegal river, Mali's borders with Mauritania and Senegal)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio

from mapping.access.catchments import access_indicators, quickest_population
from mapping.access.settings import default_settings
from mapping.access.surface import access_grid, build_surface, population_on_grid
from mapping.inputs import Layers

SETTINGS = default_settings().with_changes(cell_m=2000, reach_km=80, minutes=[60, 120, 240])


@pytest.fixture(scope="module")
def inputs(shared_data) -> Layers:
    reference = shared_data / "sahel_reference.gpkg"
    crossings = gpd.read_file(reference, layer="road_border_intersections")
    crossings = crossings.cx[-17:-3, 13:18].reset_index(drop=True)  # Senegal river and Mali borders
    posts = gpd.GeoDataFrame({"post_id": crossings["crossing_id"], "name": crossings["crossing_id"],
                              "iso3": crossings["iso3_a"], "status": "operational"},
                             geometry=crossings.geometry, crs=crossings.crs)
    edges = gpd.read_file(reference, layer="road_network_edges")
    roads = gpd.GeoDataFrame({"road_id": edges["edge_id"].astype(str), "road_class": "primary",
                              "surface": "unknown", "all_season": True},
                             geometry=edges.geometry, crs=edges.crs)
    return Layers(posts, roads=roads, rivers=gpd.read_file(reference, layer="rivers"),
                        countries=gpd.read_file(reference, layer="countries"),
                        settlements=gpd.read_file(reference, layer="settlements_geonames"),
                        population=shared_data / "population_2020_persons.tif")


def test_the_population_raster_keeps_its_people_on_the_travel_grid(inputs, shared_data):
    raster = shared_data / "mr_ml" / "population_2020_persons.tif"
    with rasterio.open(raster) as src:
        values = src.read(1, masked=True)
        total = float(values[~values.mask & (values > 0)].sum())
        west, south, east, north = src.bounds
    # a grid around the raster's corners covers it whole: every person lands in one of its cells
    corners = Layers(gpd.GeoDataFrame({"post_id": ["a", "b"]}, crs="EPSG:4326",
                                            geometry=gpd.points_from_xy([west, east], [south, north])))
    grid = access_grid(corners, SETTINGS.with_changes(reach_km=30))
    people, source = population_on_grid(grid, raster, None)
    assert source == "raster"
    assert people.sum() == pytest.approx(total, rel=1e-7)  # GDAL's sum: less than a person in 13 million


def test_catchments_add_up_and_longer_times_reach_more(inputs):
    surface = build_surface(inputs, SETTINGS, "foot")
    table = access_indicators(surface, SETTINGS, inputs.settlements)
    assert len(table) == len(inputs.posts) > 3
    assert (table["pop_60min_foot"] <= table["pop_120min_foot"] + 1e-6).all()
    assert (table["pop_120min_foot"] <= table["pop_240min_foot"] + 1e-6).all()
    reached = surface.nearest >= 0
    # every person reached by some post is in exactly one post's catchment
    assert quickest_population(surface).sum() == pytest.approx(surface.population[reached].sum(), rel=1e-9)
    assert table["quickest_pop_foot"].sum() == pytest.approx(surface.population[reached].sum(), rel=1e-9)
    # a post's own cell counts within any time
    rows, cols = surface.post_cells[:, 0], surface.post_cells[:, 1]
    assert (table["pop_60min_foot"].to_numpy() >= surface.population[rows, cols] - 1e-6).all()
    assert np.isfinite(table["town_min_foot"]).any()


def test_a_faster_mode_never_reaches_fewer_people(inputs):
    foot = access_indicators(build_surface(inputs, SETTINGS, "foot"), SETTINGS, None)
    vehicle = access_indicators(build_surface(inputs, SETTINGS, "vehicle"), SETTINGS, None)
    assert (vehicle["pop_60min_vehicle"].to_numpy() >= foot["pop_60min_foot"].to_numpy() - 1e-6).all()
    on_foot, by_car = foot["pop_60min_foot"].to_numpy(), vehicle["pop_60min_vehicle"].to_numpy()
    assert (on_foot > 0).sum() >= len(foot) // 2
    assert (by_car[on_foot > 0] > on_foot[on_foot > 0]).all()


def test_the_wet_season_never_shortens_a_journey(inputs):
    dry = build_surface(inputs, SETTINGS, "vehicle")
    wet_settings = SETTINGS.with_changes(season="wet")
    unsealed = inputs.roads.assign(all_season=False)
    wet = build_surface(Layers(**{**inputs.__dict__, "roads": unsealed}), wet_settings, "vehicle")
    assert (wet.minutes >= dry.minutes - 1e-4).all()
    assert (wet.minutes > dry.minutes + 1).any()
