"""Scenarios: named weight sets saved in the layer store, and two of them compared.

A scenario is a whole profile (criteria, weights, method) under a name, so a workshop can
come back to "security first" or "population first" and see how the ranking differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import BordermapError
from ..layers.named import save_named
from ..layers.store import LayerStore
from .profile import Profile, profile_from_dict, profile_to_dict
from .rank import Ranking

COLLECTION = "scenarios"
MAX_NAME = 80  # characters


class ScenarioError(BordermapError, ValueError):
    """A scenario that cannot be saved; ``code`` names the message ``scenarios.<code>``."""

    section = "scenarios"


@dataclass(frozen=True)
class Scenario:
    name: str
    author: str
    created: str  # UTC ISO 8601
    profile: Profile


def save_scenario(store: LayerStore, name: str, profile: Profile, author: str = "") -> Scenario:
    """Save (or replace) the scenario ``name`` (spaces folded, at most ``MAX_NAME`` characters);
    ``ScenarioError`` when the name is empty."""
    name = " ".join(name.split())[:MAX_NAME]
    if not name:
        raise ScenarioError("no_name")
    record = save_named(store, COLLECTION, name, {"profile": profile_to_dict(profile)}, author)
    return Scenario(name, record["author"], record["created"], profile)


def scenarios(store: LayerStore) -> dict[str, Scenario]:
    """Saved scenarios by name, oldest first."""
    return {data["name"]: Scenario(data["name"], data["author"], data["created"],
                                   profile_from_dict(data["profile"]))
            for data in store.records(COLLECTION)}


def compare(first: Ranking, second: Ranking) -> pd.DataFrame:
    """Rank and score of every post under two rankings, best first under ``second``.

    ``change`` is how many places a post gains from ``first`` to ``second`` (positive: it
    moves up); NaN where a post is ranked under only one of them.
    """
    a, b = first.table, second.table
    names = pd.concat([a[["name", "iso3"]], b[["name", "iso3"]]])
    table = names[~names.index.duplicated()].join(a[["rank", "score"]].add_suffix("_a")).join(
        b[["rank", "score"]].add_suffix("_b"))
    table["change"] = table["rank_a"] - table["rank_b"]
    return table.sort_values(["rank_b", "rank_a"], na_position="last")


def rank_change_marks(change: pd.Series) -> list[str]:
    """``compare``'s ``change`` as marks: ``▲ 2`` (up two places), ``▼ 1``, ``=``, or empty where
    a post is ranked under only one of the two rankings."""
    return ["" if pd.isna(c) else "=" if c == 0 else f"▲ {int(c)}" if c > 0 else f"▼ {int(-c)}"
            for c in change]
