"""Run travel-time work on a store: the surfaces of the modes a scenario uses (kept in the
store, :func:`mapping.derived.access_surface`), the minutes from an origin to every site, and
the simulated surge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from .. import derived
from ..i18n import Term
from ..layers.store import LayerStore, StoreError
from .routing import Origin, minutes_to_sites, origin_cells, surge_sites
from .scenario import SurgeScenario
from .settings import TRAVEL_MODES, TravelSettings
from .surface import Surface
from .surge import SurgeResult, simulate

Read = Callable[[str], gpd.GeoDataFrame | None]


@dataclass(frozen=True)
class SurgeRun:
    """A simulated scenario with its sites (EPSG:4326) and the minutes from the origin to each
    site per travel mode."""

    result: SurgeResult
    sites: gpd.GeoDataFrame
    minutes: dict[str, np.ndarray]


def surfaces(store: LayerStore, read: Read, settings: TravelSettings, modes: tuple[str, ...],
             progress: Callable[[str], None] | None = None) -> dict[str, Surface]:
    """The travel-time surface of each of ``modes``."""
    return {mode: derived.access_surface(store, read, settings, mode, progress) for mode in modes}


def used_modes(scenario: SurgeScenario) -> tuple[str, ...]:
    """The travel modes some of the scenario's people use."""
    return tuple(mode for mode in TRAVEL_MODES if scenario.mode_mix.get(mode, 0) > 0)


def origin_minutes(by_mode: dict[str, Surface], origin: Origin,
                   sites: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Minutes from ``origin`` to each site for every travel mode (``inf`` for modes without a
    surface: no one of the scenario uses them)."""
    out = {mode: np.full(len(sites), np.inf) for mode in TRAVEL_MODES}
    for mode, surface in by_mode.items():
        out[mode] = minutes_to_sites(surface, origin_cells(surface, origin), sites)
    return out


def run_surge(store: LayerStore, read: Read, settings: TravelSettings, scenario: SurgeScenario,
              origin: Origin, progress: Callable[[str], None] | None = None) -> SurgeRun:
    """Simulate ``scenario`` from ``origin`` over the store's posts and unofficial crossings."""
    posts = read("posts")
    if posts is None or posts.empty:
        raise StoreError("no_layer", kind=Term("kinds.posts"))
    sites = surge_sites(posts, read("crossings"), scenario)
    minutes = origin_minutes(surfaces(store, read, settings, used_modes(scenario), progress), origin, sites)
    return SurgeRun(simulate(scenario, sites, minutes), sites, minutes)
