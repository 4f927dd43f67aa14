"""Expected load as a criterion: ``surge_load``, the people a post receives in all under the
saved surge scenario the profile names (``surge_scenario = "NAME"``, a scenario saved with
``bordermap surge --save`` or on the Scenario page)."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from ..layers.store import LayerStore
from .run import run_surge
from .saved import saved_surges
from .scenario import SurgeError
from .settings import TravelSettings

SURGE_LOAD = "surge_load"


def surge_load(store: LayerStore, read: Callable[[str], gpd.GeoDataFrame | None], settings: TravelSettings,
               name: str) -> pd.Series:
    """People each post receives under the saved scenario ``name`` (index ``post_id``)."""
    found = saved_surges(store).get(name)
    if found is None:
        raise SurgeError("no_saved", name=name, known=", ".join(saved_surges(store)) or "-")
    summary = run_surge(store, read, settings, found.scenario, found.origin).result.summary
    posts = summary[summary["site_kind"] == "post"]
    return pd.Series(posts["arrivals"].to_numpy(dtype=float), index=pd.Index(posts["post_id"].astype(str),
                                                                             name="post_id"))


def with_surge_load(table: pd.DataFrame, store: LayerStore, read: Callable[[str], gpd.GeoDataFrame | None],
                    settings: TravelSettings, criteria: list[str], scenario: str) -> pd.DataFrame:
    """``table`` (indicators, index ``post_id``) with ``surge_load`` when ``criteria`` use it."""
    if SURGE_LOAD not in criteria:
        return table
    if not scenario:
        raise SurgeError("no_surge_scenario")
    out = table.copy()
    out[SURGE_LOAD] = surge_load(store, read, settings, scenario).reindex(out.index.astype(str)).to_numpy()
    out.attrs = {**table.attrs, "units": {**table.attrs.get("units", {}), SURGE_LOAD: "persons"}}
    return out
