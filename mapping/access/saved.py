"""Surge scenarios saved in the layer store (records of collection ``surge_scenarios``): the
scenario's numbers and its origin, under the scenario's name, so that a workshop can run it
again and compare it with others."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..layers.store import LayerStore
from .routing import Origin
from .scenario import SurgeError, SurgeScenario, scenario_from_dict, scenario_to_dict

COLLECTION = "surge_scenarios"


@dataclass(frozen=True)
class SavedSurge:
    scenario: SurgeScenario
    origin: Origin
    created: str  # UTC ISO 8601


def save_surge(store: LayerStore, scenario: SurgeScenario, origin: Origin) -> SavedSurge:
    """Save (or replace) ``scenario`` under its name with its origin."""
    if not scenario.name:
        raise SurgeError("no_name")
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    store.save_record(COLLECTION, scenario.name, {"scenario": scenario_to_dict(scenario),
                                                  "origin": origin.key(), "origin_label": origin.label,
                                                  "created": created})
    return SavedSurge(scenario, origin, created)


def saved_surges(store: LayerStore) -> dict[str, SavedSurge]:
    """The saved surge scenarios by name, oldest first (records that no longer read are left out)."""
    found = {}
    for data in store.records(COLLECTION):
        try:
            scenario = scenario_from_dict(data["scenario"])
            origin = Origin.from_key(data["origin"], data.get("origin_label", ""))
            found[scenario.name] = SavedSurge(scenario, origin, str(data.get("created", "")))
        except (KeyError, TypeError, ValueError):
            continue
    return found
