"""Criteria profiles: which indicators count, in which direction, how much, and how
missing values, exclusions and flags are handled. A profile is a TOML file.

Minimal form::

    method = "wsum"          # wsum | wgm | topsis
    [[criteria]]
    indicator = "pop_20km"   # a column of the indicator table
    direction = "benefit"    # benefit: higher raises priority; cost: lower raises priority
    weight = 0.3

Optional: ``name``, ``top_n``, per criterion ``missing`` (exclude | worst | median) and
``range = [low, high]`` (a fixed min–max range; values outside are clipped),
``[indicators]`` settings (radius_km, incident_months, assessment_max_age_months),
``[access]`` (travel modes, speeds and times: :mod:`mapping.access.settings`),
``surge_scenario`` (the saved surge scenario whose arrivals the ``surge_load`` criterion counts),
``[exclude]`` and ``[flag]`` tables mapping a column to the values that exclude or flag
a post (e.g. ``status = ["closed"]``), and ``[ahp]`` with ``matrix`` (rows of numbers or
fractions as strings, in criteria order) whose principal eigenvector replaces the weights.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..access.settings import TravelSettings, as_dict, default_settings, settings_from_dict
from ..errors import BordermapError
from ..paths import shipped
from .ahp import AHPResult, ahp_weights
from .methods import METHODS

DIRECTIONS = ("benefit", "cost")
MISSING_POLICIES = ("exclude", "worst", "median")
DEFAULT_PROFILE = shipped("profiles", "profiles") / "default.toml"


class ProfileError(BordermapError, ValueError):
    """A profile that cannot be used; ``code`` and ``params`` name the catalogue message."""

    section = "profile"


@dataclass(frozen=True)
class Criterion:
    """One criterion: an indicator column, its direction, its weight (normalised), missing policy."""

    indicator: str
    direction: str
    weight: float
    missing: str = "median"
    low: float | None = None  # fixed min–max range (None: the observed minimum/maximum)
    high: float | None = None

    @property
    def benefit(self) -> bool:
        return self.direction == "benefit"


@dataclass(frozen=True)
class Profile:
    """A complete scoring profile; weights sum to 1."""

    criteria: tuple[Criterion, ...]
    method: str = "wsum"
    name: str = ""
    top_n: int = 10
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    flag: dict[str, tuple[str, ...]] = field(default_factory=dict)
    indicator_settings: dict[str, float] = field(default_factory=dict)
    ahp: AHPResult | None = None
    access: TravelSettings = field(default_factory=default_settings)  # the [access] table
    surge_scenario: str = ""  # the saved surge scenario of the surge_load criterion

    @property
    def names(self) -> list[str]:
        return [c.indicator for c in self.criteria]

    @property
    def weights(self) -> np.ndarray:
        return np.array([c.weight for c in self.criteria])

    @property
    def benefit(self) -> np.ndarray:
        return np.array([c.benefit for c in self.criteria])

    @property
    def low(self) -> np.ndarray:
        return np.array([np.nan if c.low is None else c.low for c in self.criteria])

    @property
    def high(self) -> np.ndarray:
        return np.array([np.nan if c.high is None else c.high for c in self.criteria])

    def with_weights(self, weights: dict[str, float]) -> Profile:
        """The same profile with new weights (normalised to sum 1), e.g. from sliders."""
        return _normalised(self, [weights.get(c.indicator, c.weight) for c in self.criteria],
                           ahp=None)

    def with_method(self, method: str) -> Profile:
        _check_method(method)
        return replace(self, method=method)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ProfileError("unknown_method", method=method, methods=", ".join(METHODS))


INDICATOR_SETTINGS = ("radius_km", "incident_months", "assessment_max_age_months")


def _positive_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
        and value > 0


def _normalised(profile: Profile, weights: list[float], ahp: AHPResult | None) -> Profile:
    if not all(isinstance(w, int | float) and math.isfinite(w) and w >= 0 for w in weights):
        raise ProfileError("bad_weights")
    total = float(sum(weights))
    if total <= 0:
        raise ProfileError("bad_weights")
    criteria = tuple(replace(c, weight=w / total)
                     for c, w in zip(profile.criteria, weights, strict=True))
    return replace(profile, criteria=criteria, ahp=ahp)


def _criterion(entry: object, position: int) -> Criterion:
    if not isinstance(entry, dict) or not entry.get("indicator"):
        raise ProfileError("criterion_without_indicator", position=position)
    indicator = str(entry["indicator"])
    direction = entry.get("direction", "benefit")
    if direction not in DIRECTIONS:
        raise ProfileError("bad_direction", indicator=indicator, value=direction)
    missing = entry.get("missing", "median")
    if missing not in MISSING_POLICIES:
        raise ProfileError("bad_missing", indicator=indicator, value=missing,
                           allowed=", ".join(MISSING_POLICIES))
    weight = entry.get("weight", 1.0)
    if not (weight == 0 or _positive_number(weight)):
        raise ProfileError("bad_weights")
    bounds = entry.get("range")
    if bounds is not None and not (
            isinstance(bounds, list) and len(bounds) == 2
            and all(isinstance(b, int | float) and math.isfinite(b) for b in bounds)
            and bounds[0] < bounds[1]):
        raise ProfileError("bad_range", indicator=indicator)
    low, high = (float(bounds[0]), float(bounds[1])) if bounds else (None, None)
    return Criterion(indicator, direction, float(weight), missing, low, high)


def _value_lists(data: dict, key: str) -> dict[str, tuple[str, ...]]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise ProfileError("bad_table", table=key)
    return {column: tuple(str(v) for v in (values if isinstance(values, list) else [values]))
            for column, values in table.items()}


def _indicator_settings(data: dict) -> dict[str, float]:
    settings = data.get("indicators", {})
    if not isinstance(settings, dict):
        raise ProfileError("bad_table", table="indicators")
    for key, value in settings.items():
        if key not in INDICATOR_SETTINGS:
            raise ProfileError("unknown_setting", key=key, known=", ".join(INDICATOR_SETTINGS))
        if not _positive_number(value):
            raise ProfileError("bad_setting", key=key, value=str(value))
    return dict(settings)


def _ahp_matrix(rows: Any, size: int) -> np.ndarray:
    try:
        matrix = np.array([[float(Fraction(str(cell).replace(",", "."))) for cell in row]
                           for row in rows], dtype=float)
    except (ValueError, ZeroDivisionError, TypeError):
        raise ProfileError("bad_ahp_matrix", size=size) from None
    if matrix.shape != (size, size):
        raise ProfileError("bad_ahp_matrix", size=size)
    return matrix


def profile_from_dict(data: dict) -> Profile:
    """Build and check a profile from parsed TOML."""
    method = data.get("method", "wsum")
    _check_method(method)
    entries = data.get("criteria") or []
    if not entries or not isinstance(entries, list):
        raise ProfileError("no_criteria")
    criteria = tuple(_criterion(entry, i + 1) for i, entry in enumerate(entries))
    names = [c.indicator for c in criteria]
    if len(set(names)) != len(names):
        raise ProfileError("duplicate_criterion", indicator=next(n for n in names if names.count(n) > 1))
    top_n = data.get("top_n", 10)
    if not isinstance(top_n, int) or isinstance(top_n, bool) or top_n < 1:
        raise ProfileError("bad_setting", key="top_n", value=str(top_n))
    profile = Profile(criteria, method, str(data.get("name", "")), top_n,
                      _value_lists(data, "exclude"), _value_lists(data, "flag"),
                      _indicator_settings(data), access=settings_from_dict(data.get("access", {})),
                      surge_scenario=str(data.get("surge_scenario", "")))
    ahp = None
    weights = [c.weight for c in criteria]
    if "ahp" in data:
        rows = data["ahp"].get("matrix", []) if isinstance(data["ahp"], dict) else []
        ahp = ahp_weights(names, _ahp_matrix(rows, len(names)))
        weights = [ahp.weights[n] for n in names]
    return _normalised(profile, weights, ahp)


def profile_to_dict(profile: Profile) -> dict:
    """The profile as plain data that ``profile_from_dict`` reads back to the same profile
    (weights as used, so an AHP-derived profile keeps its weights; its consistency is kept
    under ``ahp_result`` for the record and is not read back)."""
    criteria = []
    for c in profile.criteria:
        entry = {"indicator": c.indicator, "direction": c.direction, "weight": c.weight,
                 "missing": c.missing}
        if c.low is not None:
            entry["range"] = [c.low, c.high]
        criteria.append(entry)
    data = {"name": profile.name, "method": profile.method, "top_n": profile.top_n,
            "exclude": {k: list(v) for k, v in profile.exclude.items()},
            "flag": {k: list(v) for k, v in profile.flag.items()},
            "indicators": dict(profile.indicator_settings), "access": as_dict(profile.access),
            "surge_scenario": profile.surge_scenario,
            "criteria": criteria}
    if profile.ahp is not None:
        data["ahp_result"] = profile.ahp.as_dict()
    return data


def load_profile(path: str | Path | None = None) -> Profile:
    """Read a profile TOML file (default: ``profiles/default.toml``)."""
    path = Path(path) if path else DEFAULT_PROFILE
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ProfileError("profile_not_found", file=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        raise ProfileError("profile_unreadable", file=path.name, detail=str(error)) from None
    return profile_from_dict(data)
