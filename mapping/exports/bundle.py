"""Everything an export needs, computed once: the ranking, the shortlist, the sensitivity
results, the layers for maps, and the record that lets ``--reproduce`` recompute it.

Every export format (spreadsheets, GIS files, KML, the report) is written from an
:class:`ExportBundle`, so the CLI and the app's download buttons give the same files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd

from ..access.load import with_surge_load
from ..accounts.roles import Viewer, local_viewer
from ..layers.store import LayerStore, Version
from ..protection.audit import treatment
from ..protection.levels import layer_levels
from ..protection.precision import export_viewer
from ..protection.shown import COUNT, shown_indicators, shown_layers, shown_ranking, shown_run, travel_drawn
from ..scoring.explain import results_table
from ..scoring.indicators import compute_indicators
from ..scoring.pipeline import indicator_params, layers_from_layers, select
from ..scoring.profile import Profile
from ..scoring.rank import Ranking, score
from ..scoring.selection import Selection
from ..scoring.sensitivity import SENSITIVITY_SAMPLES, rank_intervals
from ..scoring.shortlist import ShortlistResult, shortlist
from .access_parts import SurgeReport, TravelLayer, saved_reports, travel_layer
from .record import ExportRecord, make_record

MAP_KINDS = ("countries", "borders", "roads", "crossings", "settlements", "rivers", "lakes")


@dataclass(frozen=True, eq=False)
class ExportBundle:
    """The inputs of every export, in one language.

    ``results``: ``results_table`` (ranked posts best first, then excluded posts with the
    reason in words), index post id. ``posts``: the ranked posts as points (EPSG:4326) with
    every indicator, ``score``, ``rank`` and ``explanation``, best first. ``sensitivity``:
    rank p05/median/p95 and ``p_top_n`` per ranked post. ``layers``: the vector layers a map
    draws (``MAP_KINDS``). ``versions``: the current version of each stored layer.
    ``sources``: per stored vector layer, each distinct ``source`` text and how many of its
    features carry it. ``selection``: the countries and borders whose posts were ranked
    (``posts`` and ``indicators`` hold only those; ``border_id`` is the border each serves).
    ``surges``: the saved surge scenarios the report shows, run on the store; ``travel``:
    the minutes from the quickest post that the overview map shades when the profile ranks
    on travel time (None otherwise).
    """

    lang: str
    record: ExportRecord
    ranking: Ranking
    indicators: pd.DataFrame
    results: pd.DataFrame
    posts: gpd.GeoDataFrame
    shortlist: ShortlistResult | None
    sensitivity: pd.DataFrame
    layers: dict[str, gpd.GeoDataFrame]
    versions: list[Version]
    sources: dict[str, dict[str, int]]
    selection: Selection = field(default_factory=Selection)
    surges: tuple[SurgeReport, ...] = ()
    travel: TravelLayer | None = None
    travel_withheld: bool = False  # a travel layer was asked for but is not drawn for the viewer

    @property
    def profile(self) -> Profile:
        return self.ranking.profile


def current_versions(store: LayerStore) -> list[Version]:
    """The latest version of each kind in the store, in schema order."""
    latest: dict[str, Version] = {}
    for version in store.history():
        latest[version.kind] = version
    return [latest[kind] for kind in store.kinds() if kind in latest]


def layer_sources(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, dict[str, int]]:
    """Each layer's distinct ``source`` texts with their feature counts, most frequent first (a
    coarsened point counts for the features it stands for, ``protection.shown.COUNT``)."""
    def counts(layer: gpd.GeoDataFrame) -> pd.Series:
        weights = layer[COUNT] if COUNT in layer else pd.Series(1, index=layer.index)
        return weights.groupby(layer["source"]).sum().sort_values(ascending=False, kind="stable")

    return {kind: {str(k): int(v) for k, v in counts(layer).items()}
            for kind, layer in layers.items() if "source" in layer}


def ranked_posts(posts: gpd.GeoDataFrame, indicators: pd.DataFrame,
                 results: pd.DataFrame) -> gpd.GeoDataFrame:
    """Ranked posts (best first) as points with every indicator, score, rank and explanation."""
    ranked = results[results["rank"].notna()]
    located = posts.drop_duplicates("post_id").set_index("post_id")
    table = indicators.loc[ranked.index].drop(columns=["name", "iso3", "status"], errors="ignore")
    shown = [c for c in ("name", "iso3", "status", "score", "rank", "tied", "explanation", "flagged")
             if c in ranked]
    table = ranked[shown].join(table)
    return gpd.GeoDataFrame(table, geometry=located.geometry.reindex(table.index).values,
                            crs=posts.crs).rename_axis("post_id")


def build_bundle(store: LayerStore, profile: Profile, lang: str, *, budget: float | None = None,
                 top_n: int | None = None, min_per_country: dict[str, int] | None = None,
                 max_per_country: dict[str, int] | None = None,
                 min_per_border: dict[str, int] | None = None,
                 max_per_border: dict[str, int] | None = None,
                 selection: Selection | None = None,
                 reference_date: dt.date | None = None, samples: int = SENSITIVITY_SAMPLES,
                 layers: dict[str, gpd.GeoDataFrame] | None = None,
                 indicators: pd.DataFrame | None = None,
                 surges: list[str] | None = None, travel_map: bool = True,
                 viewer: Viewer | None = None) -> ExportBundle:
    """Rank the store's posts under ``profile`` and gather what every export shows.

    ``layers`` and ``indicators`` may be passed when already loaded (the app caches them);
    they must be the store's current layers and their indicators for ``reference_date``.
    Only the posts of ``selection`` are ranked (every post by default), normalised over them.
    A shortlist is made when ``budget`` or ``top_n`` is given. ``surges``: names of saved
    surge scenarios to run and show (``SurgeError`` for a name not saved). ``travel_map``:
    compute the travel-time layer of the report's map (only reports draw it).

    ``viewer``: whose view the export is written as (``protection.precision.export_viewer``;
    default: public layers only). The ranking is computed on the full layers; the layers drawn,
    the indicators, the explanations and the surge sites are as ``viewer`` may see them
    (``protection.shown``), and the record says what was done to each sensitive layer.
    """
    viewer = viewer or export_viewer(local_viewer(), full_precision=False)
    levels = layer_levels(store)
    selection = selection or Selection()
    reports = saved_reports(store, profile, surges) if surges else ()  # an unknown name fails first
    reference_date = reference_date or dt.date.today()
    if layers is None:
        layers = {kind: store.read(kind) for kind in store.kinds() if kind != "population"}
    if indicators is None:
        indicators = compute_indicators(layers_from_layers(layers, store),
                                        indicator_params(profile, reference_date))
        indicators = with_surge_load(indicators, store, store.read, profile.access, profile.names,
                                     profile.surge_scenario)
    indicators = select(indicators, selection, layers_from_layers(layers, store))
    ranking = score(indicators, profile)
    shown = shown_ranking(ranking, levels, viewer)
    results = results_table(shown, lang)
    chosen = None
    if budget is not None or top_n is not None:
        chosen = shortlist(ranking.table.reset_index(), budget=budget, top_n=top_n,
                           min_per_country=min_per_country, max_per_country=max_per_country,
                           min_per_border=min_per_border, max_per_border=max_per_border)
    reports = tuple(replace(r, run=shown_run(r.run, levels, viewer)) for r in reports)
    versions = current_versions(store)
    record = make_record(profile, lang, versions, ranking, chosen, reference_date=reference_date,
                         budget=budget, top_n=top_n, min_per_country=min_per_country,
                         max_per_country=max_per_country, min_per_border=min_per_border,
                         max_per_border=max_per_border, selection=selection, surges=reports,
                         precision=treatment({k: v for k, v in levels.items() if k in layers}, viewer),
                         exported_by=viewer.name)
    indicators = shown_indicators(indicators, levels, viewer)
    visible = shown_layers(layers, levels, viewer)
    drawn = travel_drawn(levels, viewer)
    return ExportBundle(lang, record, shown, indicators, results,
                        ranked_posts(layers["posts"], indicators, results), chosen,
                        rank_intervals(ranking, samples), {k: v for k, v in visible.items()
                                                              if k in MAP_KINDS}, versions,
                        layer_sources(visible), selection, reports,
                        travel_layer(store, profile) if travel_map and drawn else None,
                        travel_map and not drawn)
