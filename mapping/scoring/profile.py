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
``[exclude]`` and ``[flag]`` tables mapping a column to the values that exclude or flag
a post (e.g. ``status = ["closed"]``), and ``[ahp]`` with ``matrix`` (rows of numbers or
fractions as strings, in criteria order) whose principal eigenvector replaces the weights.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

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


def _normalised(profile: Profile, weights: list[float], ahp: AHPResult | None) -> Profile:
    total = float(sum(weights))
    if total <= 0 or any(w < 0 for w in weights):
        raise ProfileError("bad_weights")
    criteria = tuple(replace(c, weight=w / total)
                     for c, w in zip(profile.criteria, weights, strict=True))
    return replace(profile, criteria=criteria, ahp=ahp)


def _criterion(entry: dict, position: int) -> Criterion:
    indicator = entry.get("indicator")
    if not indicator:
        raise ProfileError("criterion_without_indicator", position=position)
    direction = entry.get("direction", "benefit")
    if direction not in DIRECTIONS:
        raise ProfileError("bad_direction", indicator=indicator, value=direction)
    missing = entry.get("missing", "median")
    if missing not in MISSING_POLICIES:
        raise ProfileError("bad_missing", indicator=indicator, value=missing,
                           allowed=", ".join(MISSING_POLICIES))
    weight = entry.get("weight", 1.0)
    if not isinstance(weight, int | float) or weight < 0:
        raise ProfileError("bad_weights")
    bounds = entry.get("range")
    if bounds is not None and (len(bounds) != 2 or not bounds[0] < bounds[1]):
        raise ProfileError("bad_range", indicator=indicator)
    low, high = (float(bounds[0]), float(bounds[1])) if bounds else (None, None)
    return Criterion(indicator, direction, float(weight), missing, low, high)


def _value_lists(table: dict) -> dict[str, tuple[str, ...]]:
    return {column: tuple(str(v) for v in (values if isinstance(values, list) else [values]))
            for column, values in table.items()}


def profile_from_dict(data: dict) -> Profile:
    """Build and check a profile from parsed TOML."""
    method = data.get("method", "wsum")
    _check_method(method)
    entries = data.get("criteria") or []
    if not entries:
        raise ProfileError("no_criteria")
    criteria = tuple(_criterion(entry, i + 1) for i, entry in enumerate(entries))
    names = [c.indicator for c in criteria]
    if len(set(names)) != len(names):
        raise ProfileError("duplicate_criterion", indicator=next(n for n in names if names.count(n) > 1))
    profile = Profile(criteria, method, str(data.get("name", "")), int(data.get("top_n", 10)),
                      _value_lists(data.get("exclude", {})), _value_lists(data.get("flag", {})),
                      dict(data.get("indicators", {})))
    ahp = None
    weights = [c.weight for c in criteria]
    if "ahp" in data:
        matrix = np.array([[float(Fraction(str(cell))) for cell in row]
                           for row in data["ahp"].get("matrix", [])])
        ahp = ahp_weights(names, matrix)
        weights = [ahp.weights[n] for n in names]
    return _normalised(profile, weights, ahp)


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
