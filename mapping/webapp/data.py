"""What the app reads and computes, cached per store version (a weight change reads nothing).

Layers, indicators, the population overlay and the base map are keyed by the store's
path and latest version: an import, a rollback or an accepted note creates a version,
so every page sees the new data at its next run. The indicators, the population picture and
the base map's large layers are also kept in the store (``mapping.derived``), so that a new
process reads them instead of computing them again, and reads no layer it does not show.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass, field, replace

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from .. import derived
from ..access.catchments import access_columns, access_indicators, isochrones, quickest_areas
from ..access.load import SURGE_LOAD, with_surge_load
from ..access.routing import Origin, surge_sites
from ..access.run import SurgeRun, origin_minutes, used_modes
from ..access.scenario import SurgeScenario
from ..access.settings import TRAVEL_MODES, TravelSettings, as_dict, settings_from_dict
from ..access.surface import Surface
from ..access.surge import simulate
from ..accounts.roles import Role, Sensitivity, Viewer
from ..errors import BordermapError
from ..i18n import t
from ..layers.raster_checks import RasterError
from ..layers.store import LayerStore
from ..layers.user_store import default_store_location, store_at
from ..maps import NUMBERED_RANKS, base_map
from ..project import Bounds, Project, load_settings, project_of, view_bounds
from ..protection.levels import layer_levels
from ..protection.shown import (
    limited_kinds,
    shown_indicators,
    shown_layer,
    shown_ranking,
    shown_run,
    shown_sites,
    travel_drawn,
)
from ..raster_overlay import Overlay, population_overlay
from ..scoring.explain import results_table
from ..scoring.pipeline import travel_modes
from ..scoring.profile import Profile, profile_from_dict, profile_to_dict
from ..scoring.rank import Ranking, score
from ..scoring.selection import Selection, border_ids, post_borders
from ..scoring.selection import country_names as names_of
from ..scoring.sensitivity import rank_intervals
from ..web_assets import localise
from . import error_text
from . import viewer as session


@dataclass(frozen=True)
class Page:
    """What every page works from: language, store path and version, the sidebar's profile
    and the countries and borders whose posts it ranks."""

    lang: str
    path: str
    version: int
    profile: Profile
    selection: Selection = field(default_factory=Selection)


def page() -> Page:
    path = store_path()
    return Page(st.session_state.get("lang", "fr"), path, store_version(path), st.session_state["profile"],
                st.session_state.get("selection") or Selection())


TABLE_ROWS = NUMBERED_RANKS  # posts listed, with their explanation, as many as numbered on the map


def store_path() -> str:
    """The user's store: a path or a ``postgresql://`` URL."""
    return default_store_location()


def store() -> LayerStore:
    """The user's store, as ``app.py`` opened and checked it at the start of this run
    (``open_store``: a file that is not a store is said there, once per run, not at every read)."""
    return store_at(store_path())


def store_version(path: str) -> int:
    """The latest version number of the store (0 when empty): the key of every cache."""
    history = store_at(path).history()
    return history[-1].version if history else 0


def project(path: str, version: int) -> Project:
    """The project's settings completed from the layers (the record is read at each run: a
    change of settings makes no version)."""
    shown = {kind: layer(path, version, kind) for kind in ("countries", "posts", "borders")}
    return project_of(load_settings(store_at(path)), shown)


@st.cache_resource(show_spinner=False, max_entries=32)
def layer(path: str, version: int, kind: str) -> gpd.GeoDataFrame | None:
    """The current layer of ``kind``, read once per version (EPSG:4326), or None."""
    return store_at(path).read(kind)


def levels(path: str) -> dict[str, Sensitivity]:
    """Each vector kind's sensitivity level, read at each run (a change of level makes no version)."""
    return layer_levels(store_at(path))


def travel_shown(path: str) -> bool:
    """Whether the session's viewer may see travel times drawn (``protection.shown.travel_drawn``)."""
    return travel_drawn(levels(path), session.current())


def limited(path: str, viewer: Viewer) -> dict[str, str]:
    """The kinds ``viewer`` sees coarsened or not at all, with their levels (a cache key)."""
    found = levels(path)
    return {kind: found[kind].label for kind in limited_kinds(found, viewer)}


@st.cache_resource(show_spinner=False, max_entries=32)
def _shown(path: str, version: int, kind: str, level: str, role: str) -> gpd.GeoDataFrame | None:
    return shown_layer(kind, layer(path, version, kind), Sensitivity.parse(level), Viewer("", Role(role)))


def shown(path: str, version: int, kind: str, viewer: Viewer) -> gpd.GeoDataFrame | None:
    """The ``kind`` layer as ``viewer`` may see it (``mapping.protection.shown``): what every
    page draws, tables and explains; the ranking itself is computed on ``layer``."""
    level = levels(path).get(kind, Sensitivity.PUBLIC)
    if viewer.sees_full(level):
        return layer(path, version, kind)
    return _shown(path, version, kind, level.label, viewer.role.value)


def shown_layers(path: str, version: int) -> dict[str, gpd.GeoDataFrame]:
    """Every current vector layer as the session's viewer may see it (withheld ones left out)."""
    viewer = session.current()
    found = {kind: shown(path, version, kind, viewer) for kind in layers(path, version)}
    return {kind: layer for kind, layer in found.items() if layer is not None}


def layers(path: str, version: int) -> dict[str, gpd.GeoDataFrame]:
    """Every current vector layer of the store, each read once per version (EPSG:4326)."""
    kinds = [kind for kind in store_at(path).kinds() if kind != "population"]
    return {kind: found for kind in kinds if (found := layer(path, version, kind)) is not None}


@st.cache_data(show_spinner=False, max_entries=8)
def _indicators(path: str, version: int, settings: str, day: str, travel: str) -> pd.DataFrame:
    """Indicators of every post, with the border each serves (``border_id``); ``settings`` is
    the profile's ``[indicators]`` table as JSON, ``day`` the reference date (ISO) that ages
    assessments and incidents, ``travel`` the travel modes its criteria use and their settings
    (JSON of ``mode -> [access] table``) (kept in the store)."""
    modes = {mode: settings_from_dict(table) for mode, table in json.loads(travel).items()}
    return derived.indicator_table(store_at(path), lambda kind: layer(path, version, kind),
                                   json.loads(settings), dt.date.fromisoformat(day), modes)


def country_names(path: str, version: int, lang: str) -> dict[str, str]:
    """ISO3 -> country name in ``lang``, from the store's countries layer."""
    return names_of(layer(path, version, "countries"), lang)


@st.cache_data(show_spinner=False, max_entries=4)
def served(path: str, version: int) -> pd.Series:
    """The border each post serves (index post id; None when unknown), once per store version."""
    posts = layer(path, version, "posts")
    if posts is None:
        return pd.Series(None, index=pd.Index([], name="post_id"), dtype=object)
    index = pd.Index(posts["post_id"].astype(str).drop_duplicates(), name="post_id")
    return post_borders(pd.DataFrame(index=index), posts, layer(path, version, "borders"))


def today() -> str:
    """The reference date of every cached result: a server left running overnight moves on."""
    return dt.date.today().isoformat()


@st.cache_resource(show_spinner=False, max_entries=4)
def overlay(path: str, version: int) -> Overlay | None:
    """The population picture; None without a raster, or when the stored raster cannot be used
    (the map is drawn without it; the ranking pages say why, from the indicators)."""
    opened = store_at(path)
    raster = opened.raster_source("population")
    if raster is None:
        return None

    def picture() -> Overlay | None:
        try:
            return population_overlay(raster)
        except RasterError:
            return None

    return derived.population_overlay(opened, picture)


@st.cache_resource(show_spinner=False, max_entries=8)
def _base(path: str, version: int, lang: str, opacity: float, tiles: str | None, notes: bool,
          view: Bounds | None, symbols: tuple[str, ...] | None, role: str,
          limits: tuple[tuple[str, str], ...]) -> folium.Map:
    """``role``: the viewer's, ``limits``: the kinds they see limited and their levels."""
    viewer = Viewer("", Role(role))
    outlines = {kind: found for kind in ("countries", "borders")
                if (found := shown(path, version, kind, viewer)) is not None}
    prepared = derived.map_layers(store_at(path), lambda kind: shown(path, version, kind, viewer), lang,
                                  dict(limits))
    return localise(base_map(outlines, lang, overlay(path, version), opacity, tiles, notes, prepared,
                             view, symbols))


def base(path: str, version: int, lang: str, opacity: float, tiles: str | None,
         notes: bool = False, symbols: tuple[str, ...] | None = None) -> folium.Map:
    """The map without posts as the session's viewer may see it (``shown``), built once per
    store version, language, opacity, basemap and what the viewer sees limited (``notes``: with
    the kinds of delegate notes in the legend; ``symbols``: legend rows of the page's own
    symbols, in place of the posts' ranks).

    Each call returns a copy: streamlit-folium renames the elements of the map it draws and
    attaches the posts to it, so a map drawn twice would point at names that no longer exist.
    It opens on the project's data (``project.view_bounds``).
    """
    outlines = {kind: layer(path, version, kind) for kind in ("posts", "borders", "countries")}
    view = view_bounds(outlines, project(path, version).countries)
    viewer = session.current()
    limits = tuple(sorted(limited(path, viewer).items()))
    return copy.deepcopy(_base(path, version, lang, opacity, tiles, notes, view, symbols, viewer.role.value,
                               limits))


def profile_key(profile: Profile) -> str:
    return json.dumps(profile_to_dict(profile), sort_keys=True)


def indicator_table(path: str, version: int, profile: Profile, day: str | None = None) -> pd.DataFrame:
    """The indicators ``profile`` is scored on (its ``[indicators]`` settings), as of ``day``."""
    travel = {mode: as_dict(settings) for mode, settings in travel_modes(profile).items()}
    table = _indicators(path, version, json.dumps(profile.indicator_settings, sort_keys=True), day or today(),
                        json.dumps(travel, sort_keys=True))
    if SURGE_LOAD in profile.names:
        table = _with_load(path, version, table, json.dumps(as_dict(profile.access), sort_keys=True),
                           profile.surge_scenario)
    return table


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={pd.DataFrame: lambda _: None})
def _with_load(path: str, version: int, table: pd.DataFrame, settings: str, scenario: str) -> pd.DataFrame:
    """``table`` with the expected load under the saved surge ``scenario`` (``surge_load``)."""
    return with_surge_load(table, store_at(path), lambda kind: layer(path, version, kind),
                           settings_from_dict(json.loads(settings)), [SURGE_LOAD], scenario)


def selected_indicators(path: str, version: int, profile: Profile, selection: Selection,
                        day: str | None = None) -> pd.DataFrame:
    """The indicators of the posts of ``selection`` (all posts by default), to be ranked among
    themselves (normalised over them only)."""
    table = indicator_table(path, version, profile, day)
    read = layers(path, version)
    return selection.apply(table, table["border_id"], border_ids(read.get("borders")))


def shown_indicator_table(path: str, version: int, profile: Profile) -> pd.DataFrame:
    """The indicators of ``indicator_table`` as the session's viewer may see them: distances to
    layers they see coarsened rounded up to whole grid cells (``protection.shown``)."""
    return shown_indicators(indicator_table(path, version, profile), levels(path), session.current())


@st.cache_data(show_spinner=False, max_entries=64)
def _ranked(path: str, version: int, key: str, lang: str, day: str, chosen: str, role: str,
            limits: tuple[tuple[str, str], ...]) -> tuple[Ranking, pd.DataFrame]:
    """``role``: the viewer's, ``limits``: the kinds they see limited (the cache key)."""
    profile = profile_from_dict(json.loads(key))
    table = selected_indicators(path, version, profile, Selection.from_dict(json.loads(chosen)), day)
    ranking = shown_ranking(score(table, profile), {k: Sensitivity.parse(v) for k, v in limits},
                            Viewer("", Role(role)))
    return ranking, results_table(ranking, lang, top=TABLE_ROWS)


def selection_key(selection: Selection) -> str:
    return json.dumps(selection.to_dict(), sort_keys=True)


def ranked(path: str, version: int, profile: Profile, lang: str,
           selection: Selection | None = None) -> tuple[Ranking, pd.DataFrame]:
    """The ranking under ``profile`` of the posts of ``selection`` (all by default) and its
    results table in ``lang`` (cached); the first ``TABLE_ROWS`` posts have their explanation
    (``explain_row`` gives any other's). Scores and ranks are computed on the full layers, the
    same for every viewer; the values explained are as the session's viewer may see them
    (``protection.shown.shown_ranking``)."""
    viewer = session.current()
    return _ranked(path, version, profile_key(profile), lang, today(),
                   selection_key(selection or Selection()), viewer.role.value,
                   tuple(sorted(limited(path, viewer).items())))


def ranking_or_stop(page: Page) -> tuple[Ranking, pd.DataFrame]:
    """The sidebar's ranking; when no post can be ranked, says why and stops the page."""
    try:
        ranking, results = ranked(page.path, page.version, page.profile, page.lang, page.selection)
    except BordermapError as error:
        st.error(error_text(error, page.lang))
        st.stop()
    if ranking.table.empty:
        st.warning(t("profile.nothing_ranked", page.lang))
        st.stop()
    return ranking, results


@st.cache_data(show_spinner=False, max_entries=16)
def _intervals(path: str, version: int, key: str, day: str, chosen: str) -> pd.DataFrame:
    profile = profile_from_dict(json.loads(key))
    selection = Selection.from_dict(json.loads(chosen))
    return rank_intervals(score(selected_indicators(path, version, profile, selection, day), profile))


def intervals(path: str, version: int, profile: Profile, selection: Selection | None = None) -> pd.DataFrame:
    """Monte Carlo rank interval and P(top N) of each ranked post of ``selection`` (cached per
    profile and selection)."""
    return _intervals(path, version, profile_key(profile), today(), selection_key(selection or Selection()))



# ------------------------------------------------------------------ travel times
@st.cache_resource(show_spinner=False, max_entries=6)
def _surface(path: str, version: int, settings: str, mode: str) -> Surface:
    return derived.access_surface(store_at(path), lambda kind: layer(path, version, kind),
                                  settings_from_dict(json.loads(settings)), mode)


def surface(path: str, version: int, settings: TravelSettings, mode: str) -> Surface:
    """The travel-time surface of ``mode`` under the ``[access]`` ``settings``: read from the
    store (or computed and kept there) once per process, store version and settings."""
    return _surface(path, version, json.dumps(as_dict(settings), sort_keys=True), mode)


@st.cache_data(show_spinner=False, max_entries=64)
def _bands(path: str, version: int, settings: str, mode: str, post_id: str) -> gpd.GeoDataFrame:
    travel = settings_from_dict(json.loads(settings))
    return isochrones(_surface(path, version, settings, mode), post_id, travel)


def isochrone_bands(path: str, version: int, settings: TravelSettings, mode: str,
                    post_id: str) -> gpd.GeoDataFrame:
    """The bands of travel time by ``mode`` to ``post_id`` (``catchments.isochrones``: one
    polygon per time of ``settings.minutes``, EPSG:4326; none for a post off the grid)."""
    return _bands(path, version, json.dumps(as_dict(settings), sort_keys=True), mode, post_id)


@st.cache_data(show_spinner=False, max_entries=8)
def _quickest(path: str, version: int, settings: str, mode: str) -> gpd.GeoDataFrame:
    longest = max(settings_from_dict(json.loads(settings)).minutes)
    return quickest_areas(_surface(path, version, settings, mode), longest)


def quickest(path: str, version: int, settings: TravelSettings, mode: str) -> gpd.GeoDataFrame:
    """For each post, the area from which it is the quickest to reach by ``mode`` within the
    longest time of ``settings`` (``catchments.quickest_areas``, EPSG:4326)."""
    return _quickest(path, version, json.dumps(as_dict(settings), sort_keys=True), mode)


@st.cache_data(show_spinner=False, max_entries=8)
def _access_values(path: str, version: int, settings: str, mode: str) -> pd.DataFrame:
    travel = settings_from_dict(json.loads(settings))
    settlements = layer(path, version, "settlements")
    return access_indicators(_surface(path, version, settings, mode), travel, settlements)


def travel_indicators(path: str, version: int, settings: TravelSettings, mode: str,
                      indicators: pd.DataFrame) -> pd.DataFrame:
    """The travel-time indicators by ``mode`` of every post (``catchments.access_columns``:
    people within each time of ``settings``, people for whom the post is the quickest, minutes
    from the nearest town; index ``post_id``): taken from ``indicators`` when the profile's
    table has them, else computed on the cached surface."""
    columns = access_columns(settings, mode)
    if set(columns) <= set(indicators.columns):
        return indicators[columns]
    return _access_values(path, version, json.dumps(as_dict(settings), sort_keys=True), mode)


@st.cache_data(show_spinner=False, max_entries=8)
def _sites(path: str, version: int, throughput: float, hours: float) -> gpd.GeoDataFrame:
    capacity = replace(SurgeScenario(), throughput_per_staff_hour=throughput, hours_per_day=hours)
    return surge_sites(layer(path, version, "posts"), layer(path, version, "crossings"), capacity)


@st.cache_data(show_spinner=False, max_entries=96)
def _mode_minutes(path: str, version: int, settings: str, origin: str, mode: str) -> np.ndarray:
    """Minutes from ``origin`` to every site by ``mode`` (the sites' positions do not depend on
    the scenario's capacities: one run per origin and mode)."""
    by_mode = {mode: surface(path, version, settings_from_dict(json.loads(settings)), mode)}
    defaults = SurgeScenario()
    placed = _sites(path, version, defaults.throughput_per_staff_hour, defaults.hours_per_day)
    return origin_minutes(by_mode, Origin.from_key(origin), placed)[mode]


def sites(path: str, version: int, scenario: SurgeScenario | None = None) -> gpd.GeoDataFrame:
    """The sites people go to (``surge_sites``) as the session's viewer may see them
    (``protection.shown.shown_sites``): the placed posts with their capacity under
    ``scenario``'s throughput and hours (the defaults when None), and the unofficial crossings."""
    scenario = scenario or SurgeScenario()
    placed = _sites(path, version, scenario.throughput_per_staff_hour, scenario.hours_per_day)
    return shown_sites(placed, levels(path), session.current())


def surge(path: str, version: int, settings: TravelSettings, scenario: SurgeScenario,
          origin: Origin) -> SurgeRun:
    """``scenario`` simulated from ``origin``. The surfaces, the sites (with their capacities,
    which depend on the scenario's throughput and hours) and the minutes from the origin to
    every site by each mode used are cached, so a change of numbers only simulates again. The
    run is simulated on the sites where they are and shown as the session's viewer may see it
    (``protection.shown.shown_run``)."""
    placed = _sites(path, version, scenario.throughput_per_staff_hour, scenario.hours_per_day)
    key = json.dumps(as_dict(settings), sort_keys=True)
    minutes = {mode: np.full(len(placed), np.inf) for mode in TRAVEL_MODES}
    minutes |= {mode: _mode_minutes(path, version, key, origin.key(), mode) for mode in used_modes(scenario)}
    return shown_run(SurgeRun(simulate(scenario, placed, minutes), placed, minutes), levels(path),
                     session.current())
