"""The travel-time parts of an export: saved surge scenarios run on the store, and the
travel-time layer the report's overview map draws when the profile ranks on travel time.

A scenario is recorded (``ExportRecord.surges``) with its numbers and origin, and its table
(``ExportRecord.surge_results``: per site reached, arrivals, longest queue, day saturated and
day cleared), so that ``--reproduce`` runs it again and compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..access.catchments import requested_modes
from ..access.routing import Origin
from ..access.run import SurgeRun, run_surge
from ..access.saved import saved_surges
from ..access.scenario import SurgeError, SurgeScenario, scenario_from_dict, scenario_to_dict
from ..access.surface import Surface
from ..derived import access_surface
from ..layers.store import LayerStore
from ..scoring.profile import Profile

RECORDED = ("arrivals", "peak_queue", "saturation_day", "days_to_clear")


@dataclass(frozen=True, eq=False)
class SurgeReport:
    """A saved scenario (``name``) with its origin (EPSG:4326) and its simulated run."""

    name: str
    scenario: SurgeScenario
    origin: Origin
    run: SurgeRun


@dataclass(frozen=True, eq=False)
class TravelLayer:
    """Minutes from the quickest post (``surface``, one travel mode) shown in bands whose
    upper limits are ``minutes`` (the profile's times and its criteria's)."""

    surface: Surface
    minutes: tuple[float, ...]


def travel_layer(store: LayerStore, profile: Profile) -> TravelLayer | None:
    """The travel-time layer of the first travel mode the profile's criteria use (the
    profile's ``[access]`` mode when some criterion uses it); None without such a criterion."""
    modes = requested_modes(profile.names, profile.access)
    if not modes:
        return None
    mode = profile.access.mode if profile.access.mode in modes else next(iter(modes))
    settings = modes[mode]
    return TravelLayer(access_surface(store, store.read, settings, mode), tuple(settings.minutes))



def surge_entry(scenario: SurgeScenario, origin: Origin) -> dict[str, Any]:
    """A scenario and its origin as plain data (JSON) for the record."""
    return {"scenario": scenario_to_dict(scenario), "origin": origin.key(), "origin_label": origin.label}


def from_entry(entry: dict[str, Any]) -> tuple[SurgeScenario, Origin]:
    """The scenario and origin of a record's entry (``SurgeError``, ``KeyError``, ``ValueError``
    or ``TypeError`` when damaged)."""
    origin = Origin.from_key(entry["origin"], entry.get("origin_label", ""))
    return scenario_from_dict(entry["scenario"]), origin


def surge_table(run: SurgeRun) -> dict[str, list[int | None]]:
    """Per site reached (id): arrivals, longest queue, day saturated, day cleared (None: empty)."""
    summary = run.result.summary
    reached = summary[summary["arrivals"] > 0]
    return {str(row["post_id"]): [None if pd.isna(row[c]) else int(row[c]) for c in RECORDED]
            for _, row in reached.iterrows()}


def run_entry(store: LayerStore, profile: Profile, name: str, entry: dict[str, Any]) -> SurgeReport:
    """Run a recorded scenario on the store under the profile's ``[access]`` settings."""
    scenario, origin = from_entry(entry)
    return SurgeReport(name, scenario, origin, run_surge(store, store.read, profile.access, scenario, origin))


def saved_reports(store: LayerStore, profile: Profile, names: list[str]) -> tuple[SurgeReport, ...]:
    """The saved scenarios ``names`` (in that order, each once) run on the store; ``SurgeError``
    (``no_saved``) for a name not saved."""
    saved = saved_surges(store)
    names = list(dict.fromkeys(names))
    for name in names:
        if name not in saved:
            raise SurgeError("no_saved", name=name, known=", ".join(saved) or "-")
    return tuple(run_entry(store, profile, name, surge_entry(saved[name].scenario, saved[name].origin))
                 for name in names)
