"""Surge scenarios: how many displaced people leave, over how many days, how they travel,
how they choose where to cross, and how fast the posts process them.

A scenario is checked when it is made (``SurgeScenario(...)``, ``dataclasses.replace`` or
``scenario_from_dict``): a bad value raises ``SurgeError`` naming the catalogue message.

Departure curves (``departure_fractions``), over days d = 1 … D, each normalised to sum to 1:

- ``even``: every day the same share, f(d) = 1 / D.
- ``early``: front-loaded, geometric decay with a half-life of a quarter of the period:
  f(d) ∝ 2^(−4 (d − 1) / D), so the first day sees about 16 times as many departures as
  the last.
- ``peak``: triangular, rising to the peak day p (``peak_day``, default the middle day
  ⌈D / 2⌉) and falling after it: f(d) ∝ d / p for d ≤ p and (D + 1 − d) / (D + 1 − p) after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..errors import BordermapError
from .settings import TRAVEL_MODES

CURVES = ("even", "early", "peak")
MAX_PEOPLE = 100_000_000  # more than the largest displacement across a border ever recorded
MAX_DAYS = 365
MAX_NAME = 80  # characters
MIX_TOLERANCE = 0.01  # shares given to two decimals (0.33 + 0.33 + 0.33) are normalised
DEFAULT_MODE_MIX = {"foot": 0.6, "motorbike": 0.25, "vehicle": 0.15}  # illustrative: set it per scenario


class SurgeError(BordermapError, ValueError):
    """A surge scenario or its inputs that cannot be used; ``code`` names ``surge.errors.<code>``."""

    section = "surge.errors"


@dataclass(frozen=True)
class SurgeScenario:
    """``people`` displaced, leaving over ``days`` along ``curve``; ``mode_mix``: shares of
    each travel mode (sum 1); ``unofficial_share`` of them cross at unofficial crossings.

    Choice rule: the people of one mode and kind of site go to the ``choice_k`` quickest
    sites of that kind within ``max_travel_hours``, site i taking the weight
    exp(−(tᵢ − t_min) / ``choice_tau_minutes``) (tᵢ its travel time in minutes, t_min the
    quickest), normalised over those k sites. A post processes
    ``staff × throughput_per_staff_hour × hours_per_day`` people a day when it has no
    ``capacity_per_day``."""

    name: str = ""
    people: int = 10_000
    days: int = 30
    curve: str = "even"
    peak_day: int | None = None
    mode_mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MODE_MIX))
    unofficial_share: float = 0.3
    choice_k: int = 1
    choice_tau_minutes: float = 60.0
    max_travel_hours: float = 72.0
    throughput_per_staff_hour: float = 10.0
    hours_per_day: float = 12.0

    def __post_init__(self) -> None:
        checked: dict[str, Any] = {
            "name": _name(self.name),
            "people": _integer("people", self.people, 0, MAX_PEOPLE),
            "days": _integer("days", self.days, 1, MAX_DAYS),
            "curve": _choice("curve", self.curve, CURVES),
            "mode_mix": _mode_mix(self.mode_mix),
            "unofficial_share": _number("unofficial_share", self.unofficial_share, 0.0, 1.0),
            "choice_k": _integer("choice_k", self.choice_k, 1, 10_000),
            "choice_tau_minutes": _number("choice_tau_minutes", self.choice_tau_minutes, 1.0, 10_080.0),
            "max_travel_hours": _number("max_travel_hours", self.max_travel_hours, 1.0, 720.0),
            "throughput_per_staff_hour": _number("throughput_per_staff_hour",
                                                 self.throughput_per_staff_hour, 0.0, 10_000.0),
            "hours_per_day": _number("hours_per_day", self.hours_per_day, 0.0, 24.0),
        }
        checked["peak_day"] = (None if self.peak_day is None
                               else _integer("peak_day", self.peak_day, 1, checked["days"]))
        for key, value in checked.items():
            object.__setattr__(self, key, value)


SCENARIO_KEYS = tuple(f.name for f in fields(SurgeScenario))


def scenario_from_dict(data: object) -> SurgeScenario:
    """A checked scenario from a TOML or JSON table (missing keys take the defaults)."""
    if not isinstance(data, dict):
        raise SurgeError("bad_table", setting="surge")
    unknown = set(data) - set(SCENARIO_KEYS)
    if unknown:
        raise SurgeError("unknown_key", setting=sorted(map(str, unknown))[0], known=", ".join(SCENARIO_KEYS))
    return SurgeScenario(**data)


def scenario_to_dict(scenario: SurgeScenario) -> dict[str, Any]:
    """Plain data for TOML or JSON (``peak_day`` left out when it is not set: TOML has no null)."""
    data = {key: getattr(scenario, key) for key in SCENARIO_KEYS}
    data["mode_mix"] = dict(scenario.mode_mix)
    if data["peak_day"] is None:
        del data["peak_day"]
    return data


def departure_fractions(scenario: SurgeScenario) -> np.ndarray:
    """The share of the people leaving on each day 1 … ``days`` (the curves in the module's
    docstring); the shares sum to 1."""
    days = scenario.days
    d = np.arange(1, days + 1, dtype=float)
    if scenario.curve == "even":
        weight = np.ones(days)
    elif scenario.curve == "early":
        weight = 2.0 ** (-4.0 * (d - 1) / days)
    else:
        peak = scenario.peak_day or math.ceil(days / 2)
        weight = np.where(d <= peak, d / peak, (days + 1 - d) / (days + 1 - peak))
    return weight / weight.sum()


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise SurgeError("bad_name", limit=MAX_NAME)
    name = " ".join(value.split())
    if len(name) > MAX_NAME:
        raise SurgeError("bad_name", limit=MAX_NAME)
    return name


def _number(key: str, value: object, low: float, high: float) -> float:
    if not (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            and low <= value <= high):
        raise SurgeError("bad_number", setting=key, value=str(value), low=low, high=high)
    return float(value)


def _integer(key: str, value: object, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 20000.0 from JSON
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SurgeError("bad_integer", setting=key, value=str(value), low=low, high=high)
    return value


def _choice(key: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SurgeError("bad_choice", setting=key, value=str(value), allowed=", ".join(allowed))
    return str(value)


def _mode_mix(value: object) -> dict[str, float]:
    """Shares per travel mode (missing modes: 0), normalised when their sum is within
    ``MIX_TOLERANCE`` of 1."""
    if not isinstance(value, dict):
        raise SurgeError("bad_table", setting="mode_mix")
    unknown = set(value) - set(TRAVEL_MODES)
    if unknown:
        raise SurgeError("unknown_key", setting=f"mode_mix.{sorted(map(str, unknown))[0]}",
                         known=", ".join(TRAVEL_MODES))
    shares = {mode: _number(f"mode_mix.{mode}", value.get(mode, 0.0), 0.0, 1.0) for mode in TRAVEL_MODES}
    total = math.fsum(shares.values())
    if abs(total - 1.0) > MIX_TOLERANCE + 1e-9:  # 0.99 is within 0.01 of 1, in floats too
        raise SurgeError("bad_mix", total=total)
    return {mode: share / total for mode, share in shares.items()}
