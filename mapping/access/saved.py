"""Surge scenarios saved in the layer store (records of collection ``surge_scenarios``): the
scenario's numbers and its origin, under the scenario's name, so that a workshop can run it
again and compare it with others."""

from __future__ import annotations

from dataclasses import dataclass

from ..layers.named import save_named
from ..layers.store import LayerStore
from .routing import Origin
from .scenario import SurgeError, SurgeScenario, scenario_from_dict, scenario_to_dict

COLLECTION = "surge_scenarios"


@dataclass(frozen=True)
class SavedSurge:
    scenario: SurgeScenario
    origin: Origin
    created: str  # UTC ISO 8601
    author: str = ""  # the account that saved it, or the name typed; empty when unknown


def save_surge(store: LayerStore, scenario: SurgeScenario, origin: Origin, author: str = "") -> SavedSurge:
    """Save (or replace) ``scenario`` under its name with its origin and who saved it."""
    if not scenario.name:
        raise SurgeError("no_name")
    record = save_named(store, COLLECTION, scenario.name, {
        "scenario": scenario_to_dict(scenario), "origin": origin.key(), "origin_label": origin.label}, author)
    return SavedSurge(scenario, origin, record["created"], record["author"])


def saved_surges(store: LayerStore) -> dict[str, SavedSurge]:
    """The saved surge scenarios by name, oldest first (records that no longer read are left out)."""
    found = {}
    for data in store.records(COLLECTION):
        try:
            scenario = scenario_from_dict(data["scenario"])
            origin = Origin.from_key(data["origin"], data.get("origin_label", ""))
            found[scenario.name] = SavedSurge(scenario, origin, str(data.get("created", "")),
                                              str(data.get("author", "")))
        except (KeyError, TypeError, ValueError):
            continue
    return found
