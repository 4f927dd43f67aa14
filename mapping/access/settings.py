"""Travel settings: the ``[access]`` table of a profile (TOML).

Speeds are in km/h per travel mode (``foot``, ``motorbike``, ``vehicle``): one per road class
(``trunk`` … ``track``) and ``off_road`` for land without a road. A road's speed is its class
speed times the factor of its ``surface`` for that mode; in the ``wet`` season a road not
marked ``all_season`` is multiplied by the mode's ``wet_factor`` (0: not usable, the off-road
speed applies). The defaults are those of ``profiles/default.toml``; a profile without an
``[access]`` table, or without some of its keys, uses them.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..errors import BordermapError
from ..layers.schema import ROAD_CLASS, SURFACE
from ..paths import shipped

TRAVEL_MODES = ("foot", "motorbike", "vehicle")
SEASONS = ("dry", "wet")
SPEED_KEYS = (*ROAD_CLASS, "off_road")
SCALARS = ("mode", "minutes", "season", "cell_m", "reach_km", "town_population")
TABLES = ("speeds_kmh", "surface_factor", "wet_factor")
MAX_SPEED_KMH = 300.0  # faster than any road vehicle on a border road: a typo or a wrong unit
MIN_CELL_M = 10.0
MAX_CELL_M = 50_000.0


class AccessSettingsError(BordermapError, ValueError):
    """An ``[access]`` table that cannot be used; ``code`` names the catalogue message."""

    section = "access.settings"


@dataclass(frozen=True)
class TravelSettings:
    """Travel modes and speeds (km/h), the criteria's mode and time (minutes), the grid's
    cell size (m) and reach (km from the nearest post), and the population of a town."""

    mode: str = "foot"
    minutes: tuple[float, ...] = (60.0,)
    season: str = "dry"
    cell_m: float = 1000.0
    reach_km: float = 100.0
    town_population: float = 5000.0
    speeds_kmh: dict[str, dict[str, float]] = field(default_factory=dict)
    surface_factor: dict[str, dict[str, float]] = field(default_factory=dict)
    wet_factor: dict[str, float] = field(default_factory=dict)

    def road_speed_kmh(self, mode: str, road_class: str, surface: str | None,
                       all_season: bool | None) -> float:
        """Speed (km/h) of ``mode`` on a road of that class, surface and season flag."""
        speed = self.speeds_kmh[mode][road_class]
        speed *= self.surface_factor[mode].get(surface or "unknown", self.surface_factor[mode]["unknown"])
        if self.season == "wet" and not all_season:
            speed *= self.wet_factor[mode]
        return speed

    def off_road_kmh(self, mode: str) -> float:
        return self.speeds_kmh[mode]["off_road"]

    def max_speed_kmh(self, mode: str) -> float:
        return max(self.speeds_kmh[mode].values())

    def with_changes(self, **changes: Any) -> TravelSettings:
        """The same settings with some scalars changed (checked like a profile's)."""
        data = as_dict(self)
        data.update(changes)
        return settings_from_dict(data)

    def key(self) -> dict[str, Any]:
        """Plain data naming these settings (for the derived-data key)."""
        return as_dict(self)


def as_dict(settings: TravelSettings) -> dict[str, Any]:
    return {"mode": settings.mode, "minutes": list(settings.minutes), "season": settings.season,
            "cell_m": settings.cell_m, "reach_km": settings.reach_km,
            "town_population": settings.town_population,
            "speeds_kmh": settings.speeds_kmh, "surface_factor": settings.surface_factor,
            "wet_factor": settings.wet_factor}


@cache
def _defaults() -> dict[str, Any]:
    with (shipped("profiles", "profiles") / "default.toml").open("rb") as handle:
        return tomllib.load(handle)["access"]


def _number(key: str, value: object, low: float, high: float) -> float:
    if not (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            and low <= value <= high):
        raise AccessSettingsError("bad_number", setting=key, value=str(value), low=low, high=high)
    return float(value)


def _choice(key: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise AccessSettingsError("bad_choice", setting=key, value=str(value), allowed=", ".join(allowed))
    return str(value)


def _table(name: str, given: object, default: dict, keys: tuple[str, ...], high: float) -> dict:
    if not isinstance(given, dict):
        raise AccessSettingsError("bad_table", setting=name)
    unknown = set(given) - set(keys)
    if unknown:
        raise AccessSettingsError("unknown_key", setting=f"{name}.{sorted(unknown)[0]}",
                                  known=", ".join(keys))
    return {key: _number(f"{name}.{key}", given.get(key, default.get(key)), 0.0, high) for key in keys}


def settings_from_dict(data: object) -> TravelSettings:
    """Check and complete an ``[access]`` table (missing keys take the default profile's)."""
    if not isinstance(data, dict):
        raise AccessSettingsError("bad_table", setting="access")
    unknown = set(data) - set(SCALARS) - set(TABLES)
    if unknown:
        raise AccessSettingsError("unknown_key", setting=sorted(unknown)[0],
                                  known=", ".join((*SCALARS, *TABLES)))
    defaults = _defaults()
    merged = {**defaults, **data}
    minutes = merged["minutes"] if isinstance(merged["minutes"], list) else [merged["minutes"]]
    if not minutes:
        raise AccessSettingsError("bad_number", setting="minutes", value="[]", low=1, high=10_080)
    minutes_checked = tuple(sorted({_number("minutes", m, 1.0, 10_080.0) for m in minutes}))
    speeds, surfaces = {}, {}
    given_speeds = merged["speeds_kmh"] if isinstance(merged["speeds_kmh"], dict) else None
    given_surfaces = merged["surface_factor"] if isinstance(merged["surface_factor"], dict) else None
    if given_speeds is None or given_surfaces is None:
        raise AccessSettingsError("bad_table",
                                  setting="speeds_kmh" if given_speeds is None else "surface_factor")
    for mode in TRAVEL_MODES:
        speeds[mode] = _table(f"speeds_kmh.{mode}", given_speeds.get(mode, {}),
                              defaults["speeds_kmh"][mode], SPEED_KEYS, MAX_SPEED_KMH)
        surfaces[mode] = _table(f"surface_factor.{mode}", given_surfaces.get(mode, {}),
                                defaults["surface_factor"][mode], SURFACE, 1.0)
    wet = _table("wet_factor", merged["wet_factor"], defaults["wet_factor"], TRAVEL_MODES, 1.0)
    for mode in TRAVEL_MODES:
        if speeds[mode]["off_road"] <= 0 and max(speeds[mode].values()) <= 0:
            raise AccessSettingsError("no_speed", mode=mode)
    return TravelSettings(
        mode=_choice("mode", merged["mode"], TRAVEL_MODES),
        minutes=minutes_checked,
        season=_choice("season", merged["season"], SEASONS),
        cell_m=_number("cell_m", merged["cell_m"], MIN_CELL_M, MAX_CELL_M),
        reach_km=_number("reach_km", merged["reach_km"], 1.0, 5000.0),
        town_population=_number("town_population", merged["town_population"], 0.0, 1e8),
        speeds_kmh=speeds, surface_factor=surfaces, wet_factor=wet)


def default_settings() -> TravelSettings:
    return settings_from_dict({})
