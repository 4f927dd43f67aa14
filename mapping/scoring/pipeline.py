"""From a layer store (or a precomputed indicator table) to a ranking: the one path the CLI
and the app share."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..access.catchments import requested_modes
from ..access.load import with_surge_load
from ..access.settings import TravelSettings
from ..i18n import Term
from ..inputs import Layers
from ..layers.store import LayerStore, StoreError
from ..layers.values import to_numbers
from .indicators import IndicatorParams, compute_indicators
from .profile import Profile, ProfileError
from .rank import Ranking, score
from .selection import Selection, border_ids, post_borders, with_borders


def layers_from_store(store: LayerStore) -> Layers:
    """The layers the indicators use, read once from the store (EPSG:4326)."""
    return layers_from_layers({kind: store.read(kind) for kind in store.kinds() if kind != "population"},
                              store)


def layers_from_layers(layers: dict[str, gpd.GeoDataFrame], store: LayerStore) -> Layers:
    """The indicators' inputs from layers already read (kind -> layer), with the store's raster."""
    if layers.get("posts") is None:
        raise StoreError("no_layer", kind=Term("kinds.posts"))
    return Layers(posts=layers["posts"], crossings=layers.get("crossings"), borders=layers.get("borders"),
                  roads=layers.get("roads"), settlements=layers.get("settlements"),
                  flows=layers.get("flows"), incidents=layers.get("incidents"),
                  population=store.raster_source("population"), rivers=layers.get("rivers"),
                  lakes=layers.get("lakes"), countries=layers.get("countries"))


def indicator_params(profile: Profile, reference_date: dt.date | None = None) -> IndicatorParams:
    """Indicator settings from the profile's ``[indicators]`` table, and the travel modes its
    criteria need (``[access]``)."""
    return params_from_settings(profile.indicator_settings, reference_date, travel_modes(profile))


def travel_modes(profile: Profile) -> dict[str, TravelSettings]:
    """The travel modes whose indicators the profile's criteria use, with their settings."""
    return requested_modes(profile.names, profile.access)


def params_from_settings(settings: dict[str, float], reference_date: dt.date | None = None,
                         access: dict[str, TravelSettings] | None = None) -> IndicatorParams:
    """Indicator settings from a profile's ``[indicators]`` table (unknown keys ignored)."""
    defaults = IndicatorParams()
    return IndicatorParams(
        radius_km=float(settings.get("radius_km", defaults.radius_km)),
        incident_months=int(settings.get("incident_months", defaults.incident_months)),
        assessment_max_age_months=int(settings.get("assessment_max_age_months",
                                                   defaults.assessment_max_age_months)),
        reference_date=reference_date or defaults.reference_date, access=access or {})


def read_indicator_table(path: str | Path) -> pd.DataFrame:
    """A precomputed indicator table (CSV with ``,`` ``;`` or tab, or XLSX): ``post_id`` or
    the first column is the id. Columns whose every value is a number (decimal commas and
    spaced thousands accepted, as French spreadsheets write them) become numbers."""
    path = Path(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            table = pd.read_excel(path, dtype=object)
        else:
            table = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig", dtype=str)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ProfileError("table_unreadable", file=path.name, detail=str(error)[:120]) from None
    if table.empty or len(table.columns) < 2:
        raise ProfileError("table_unreadable", file=path.name, detail="-")
    id_column = "post_id" if "post_id" in table.columns else table.columns[0]
    table[id_column] = table[id_column].astype(str)
    for column in table.columns.drop(id_column):
        numbers, bad = to_numbers(table[column], whole=False)
        if not bad.any() and numbers.notna().any():
            table[column] = numbers.astype(float)
    return table.set_index(id_column).rename_axis("post_id")


def select(table: pd.DataFrame, selection: Selection, layers: Layers | None) -> pd.DataFrame:
    """The indicator table with the border each post serves (``border_id``), reduced to the
    posts of ``selection``; ``layers`` give the posts and borders when the table has no
    ``border_id`` column (a precomputed table may have none)."""
    posts = layers.posts if layers is not None else None
    borders = layers.borders if layers is not None else None
    table = with_borders(table, posts, borders)
    return selection.apply(table, post_borders(table), border_ids(borders))


def rank_store(store: LayerStore, profile: Profile, reference_date: dt.date | None = None,
               selection: Selection | None = None) -> tuple[pd.DataFrame, Ranking]:
    """Indicators of the store's posts in ``selection`` (every post by default), and their
    ranking under ``profile``: normalised over the selected posts only."""
    layers = layers_from_store(store)
    table = compute_indicators(layers, indicator_params(profile, reference_date))
    table = with_surge_load(table, store, store.read, profile.access, profile.names, profile.surge_scenario)
    table = select(table, selection or Selection(), layers)
    return table, score(table, profile)
