"""Travel-time indicators of each post and the catchment shapes drawn on the map.

Indicators (one set per travel mode ``m``, the mode and times of the profile's ``[access]``):
- ``pop_<T>min_<m>``: people within T minutes of the post, whichever post is quicker for them;
- ``quickest_pop_<m>``: people for whom this post is the quickest to reach (its catchment);
- ``town_min_<m>``: minutes from the quickest town (a settlement of at least
  ``town_population`` people) to the post.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio import features

from ..inputs import Layers
from .settings import TRAVEL_MODES, TravelSettings
from .surface import Surface, access_grid, build_surface, population_on_grid
from .times import times_from_each, travel_minutes, window_radius


def pop_time_column(minutes: float, mode: str) -> str:
    return f"pop_{minutes:g}min_{mode}"


def quickest_column(mode: str) -> str:
    return f"quickest_pop_{mode}"


def town_column(mode: str) -> str:
    return f"town_min_{mode}"


def access_columns(settings: TravelSettings, mode: str) -> list[str]:
    return [*(pop_time_column(m, mode) for m in settings.minutes), quickest_column(mode), town_column(mode)]


_COLUMN = re.compile(rf"^(?:pop_(\d+(?:\.\d+)?)min|quickest_pop|town_min)_({'|'.join(TRAVEL_MODES)})$")


def access_column(name: str) -> tuple[str, float | None] | None:
    """(mode, minutes) named by a travel-time indicator column (minutes None for
    ``quickest_pop_*`` and ``town_min_*``), or None for any other column."""
    match = _COLUMN.match(name)
    if not match:
        return None
    return match.group(2), float(match.group(1)) if match.group(1) else None


def requested_modes(names: list[str], settings: TravelSettings) -> dict[str, TravelSettings]:
    """For each travel mode some of ``names`` (indicator columns, e.g. a profile's criteria)
    refer to, the settings to compute them with: ``settings`` with the criteria's times added."""
    wanted: dict[str, set[float]] = {}
    for name in names:
        found = access_column(name)
        if found:
            wanted.setdefault(found[0], set(settings.minutes)).update({found[1]} - {None})  # type: ignore[arg-type]
    return {mode: settings.with_changes(minutes=sorted(times)) for mode, times in wanted.items()}


def access_table(inputs: Layers, modes: dict[str, TravelSettings],
                 progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """The travel-time indicators of each placed post for each of ``modes`` (index ``post_id``)."""
    tables = []
    population: tuple[np.ndarray, str] | None = None
    for mode, settings in modes.items():
        if population is None:
            population = population_on_grid(access_grid(inputs, settings), inputs.population,
                                            inputs.settlements)
        surface = build_surface(inputs, settings, mode, population)
        tables.append(access_indicators(surface, settings, inputs.settlements, progress))
    return pd.concat(tables, axis=1) if tables else pd.DataFrame(index=pd.Index([], name="post_id"))


def population_within_times(surface: Surface, settings: TravelSettings, max_speed_kmh: float,
                            progress: Callable[[int], None] | None = None) -> np.ndarray:
    """People within each of ``settings.minutes`` of each post (posts x times); NaN for a post
    outside the grid. Each post's times are computed over a window wide enough for the longest
    time at ``max_speed_kmh``."""
    minutes = np.asarray(settings.minutes)
    out = np.full((len(surface.post_ids), len(minutes)), np.nan)
    inside = surface.post_cells[:, 0] >= 0
    radius = window_radius(float(minutes.max()), max_speed_kmh, float(surface.grid.ground_cell_m().min()))

    def visit(i: int, window: tuple[slice, slice], times: np.ndarray) -> None:
        people = surface.population[window]
        out[index[i]] = [people[times <= m].sum() for m in minutes]

    index = np.flatnonzero(inside)
    times_from_each(surface.friction, surface.post_cells[inside], radius, visit, progress,
                    limit=float(minutes.max()))
    return out


def quickest_population(surface: Surface) -> np.ndarray:
    """People in the cells for which each post is the quickest (posts in ``post_ids`` order)."""
    reached = surface.nearest >= 0
    return np.bincount(surface.nearest[reached], weights=surface.population[reached],
                       minlength=len(surface.post_ids)).astype(float)


def town_minutes(surface: Surface, settlements: gpd.GeoDataFrame | None,
                 town_population: float) -> np.ndarray:
    """Minutes from the quickest town to each post (NaN: no town, or none reaches the post)."""
    out = np.full(len(surface.post_ids), np.nan)
    if settlements is None or settlements.empty or "population" not in settlements:
        return out
    people = settlements["population"].to_numpy(dtype=float)
    geoms = settlements.geometry
    towns = (geoms.notna() & ~geoms.is_empty).to_numpy() & (np.nan_to_num(people) >= town_population)
    rows, cols, inside = surface.grid.cells_of(geoms.x.to_numpy()[towns], geoms.y.to_numpy()[towns])
    if not inside.any():
        return out
    times = travel_minutes(surface.friction, np.column_stack([rows[inside], cols[inside]])).minutes
    placed = surface.post_cells[:, 0] >= 0
    at_posts = times[surface.post_cells[placed, 0], surface.post_cells[placed, 1]]
    out[placed] = np.where(np.isfinite(at_posts), at_posts, np.nan)
    return out


def access_indicators(surface: Surface, settings: TravelSettings, settlements: gpd.GeoDataFrame | None,
                      progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """The travel-time indicators of each post (index ``post_id``) for the surface's mode."""
    mode = surface.mode
    within = population_within_times(surface, settings, settings.max_speed_kmh(mode), progress)
    table = pd.DataFrame({pop_time_column(m, mode): within[:, i] for i, m in enumerate(settings.minutes)},
                         index=pd.Index(surface.post_ids, name="post_id"))
    table[quickest_column(mode)] = quickest_population(surface)
    table[town_column(mode)] = town_minutes(surface, settlements, settings.town_population)
    return table


def _polygons(values: np.ndarray, mask: np.ndarray, transform: Affine) -> tuple[list, list]:
    """Polygons (grid CRS) of the cells of each value of ``values`` where ``mask`` holds;
    ``transform`` places ``values`` (the grid's, or a window's)."""
    shapes = features.shapes(values.astype(np.int32), mask=mask, transform=transform, connectivity=4)
    geoms, keys = [], []
    for geometry, value in shapes:
        geoms.append(shapely.geometry.shape(geometry))
        keys.append(int(value))
    return geoms, keys


def _frame(columns: dict, geoms: list, surface: Surface) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(columns, geometry=geoms, crs=surface.grid.crs)
    return frame.dissolve(by=list(columns)).reset_index().to_crs("EPSG:4326") if len(frame) else \
        frame.to_crs("EPSG:4326")


def isochrones(surface: Surface, post_id: str, settings: TravelSettings) -> gpd.GeoDataFrame:
    """Bands of travel time to one post (``minutes`` = the band's upper limit, minutes; one
    polygon per band, EPSG:4326), for the times of ``settings``."""
    where = np.flatnonzero(surface.post_ids == post_id)
    minutes = np.asarray(settings.minutes)
    empty = gpd.GeoDataFrame({"post_id": [], "minutes": []}, geometry=[], crs="EPSG:4326")
    if not len(where) or surface.post_cells[where[0], 0] < 0:
        return empty
    radius = window_radius(float(minutes.max()), settings.max_speed_kmh(surface.mode),
                           float(surface.grid.ground_cell_m().min()))
    found: list[tuple[list, list]] = []

    def visit(_: int, window: tuple[slice, slice], times: np.ndarray) -> None:
        band = np.searchsorted(minutes, times, side="left") + 1  # 1 = first band
        transform = surface.grid.transform @ Affine.translation(window[1].start, window[0].start)
        found.append(_polygons(band, band <= len(minutes), transform))

    times_from_each(surface.friction, surface.post_cells[where[:1]], radius, visit,
                    limit=float(minutes.max()))
    geoms, keys = found[0]
    columns = {"post_id": [post_id] * len(keys), "minutes": [float(minutes[k - 1]) for k in keys]}
    frame = _frame(columns, geoms, surface)
    return frame.sort_values("minutes", ascending=False).reset_index(drop=True) if len(frame) else empty


def quickest_areas(surface: Surface, max_minutes: float) -> gpd.GeoDataFrame:
    """For each post, the area from which it is the quickest to reach within ``max_minutes``
    (one polygon per post, EPSG:4326), with the people living there."""
    mask = (surface.nearest >= 0) & (surface.minutes <= max_minutes)
    geoms, keys = _polygons(surface.nearest, mask, surface.grid.transform)
    frame = _frame({"post_id": [str(surface.post_ids[k]) for k in keys]}, geoms, surface)
    people = np.bincount(surface.nearest[mask], weights=surface.population[mask],
                         minlength=len(surface.post_ids))
    lookup = dict(zip(map(str, surface.post_ids), people, strict=True))
    frame["population"] = [float(lookup[p]) for p in frame["post_id"]]
    return frame
