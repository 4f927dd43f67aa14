"""What a viewer may see of the layers: the one place where sensitive layers are coarsened
or withheld, applied before anything is drawn, tabled, explained or exported.

A layer whose sensitivity level is above the viewer's clearance (``Viewer.sees_full``):

- ``confidential``: withheld entirely;
- ``restricted``, points (unofficial crossings, flows, incidents, settlements): each point
  moved to the centre of its 10 km cell of the equal-area grid (``grid``), the points of one
  cell and group merged into one with their count (``features``), identifying text (names,
  ids, links to other layers) dropped, the source kept where the merged rows agree; the id
  becomes the cell's (``cell-<column>-<row>``);
- ``restricted``, lines and polygons (roads, rivers, lakes, borders, countries when an
  administrator restricts them): withheld, since snapping a line to a grid would distort it
  without hiding where it runs.

For crossings the level applies to the unofficial rows; official crossings stay as they are,
and so do the surge sites (``shown_sites``, ``shown_run``) and the notes reporting a new
crossing (``shown_notes``). Travel times are drawn only for a viewer who sees every layer of
the friction surface in full (``travel_drawn``).
Coarsened layers carry ``features`` and ``coarsened`` columns for popups and exports.

The ranking is computed on the full layers (the same for everyone in a workshop); what it
says about a layer is shown as the layer is: distances to a coarsened layer rounded, the
indicators computed from a withheld layer blanked (``shown_indicators``, ``shown_ranking``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from ..access.friction import FRICTION_KINDS
from ..access.settings import TRAVEL_MODES
from ..accounts.roles import Sensitivity, Viewer
from ..i18n import t
from ..inputs import Layers
from ..layers.schema import POINT, get_kind
from ..scoring.indicators import DISTANCE_COLUMNS, WITHHELD, indicator_kinds
from ..scoring.rank import Ranking
from .grid import CELL_KM, cells, rounded_km

if TYPE_CHECKING:  # the surge runs import the maps, which label coarsened points from here
    from ..access.run import SurgeRun

COUNT = "features"  # how many stored features a coarsened point stands for
COARSENED = "coarsened"  # True on coarsened rows


@dataclass(frozen=True)
class Merge:
    """How the points of one cell are merged: rows with the same ``group`` values make one
    point; ``kept`` text stays when all merged rows agree; ``summed`` numbers add up; the
    most recent of ``latest`` dates is kept. Every other column is dropped (set empty)."""

    group: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    summed: tuple[str, ...] = ()
    latest: tuple[str, ...] = ()


MERGES: dict[str, Merge] = {  # ``source`` (provenance) is kept where the merged rows agree
    "crossings": Merge(group=("kind",), kept=("iso3_a", "iso3_b", "modes", "season", "confidence", "source"),
                       summed=("est_daily_crossings",), latest=("last_observed",)),
    "flows": Merge(group=("period_start", "period_end"), kept=("source",), summed=("daily_in", "daily_out")),
    "incidents": Merge(group=("kind",), kept=("source",), latest=("date",)),
    "settlements": Merge(kept=("iso3", "admin1", "source"), summed=("population",)),
}

def sensitive_rows(kind: str, layer: gpd.GeoDataFrame) -> pd.Series:
    """The rows of ``layer`` the kind's level applies to: the unofficial rows of crossings,
    every row of other kinds."""
    if kind == "crossings":
        return (layer["kind"] != "official").fillna(True).astype(bool)
    return pd.Series(True, index=layer.index)


def coarsen(kind: str, layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``layer`` (points) with its sensitive rows moved to their cell's centre and merged per
    cell (see the module); the other rows as they are. Columns: the layer's, ``features`` and
    ``coarsened``; the same CRS."""
    merge = MERGES.get(kind, Merge())
    id_column = get_kind(kind).id_column
    hidden = sensitive_rows(kind, layer).to_numpy()
    kept = layer[~hidden].assign(**{COUNT: 1, COARSENED: False})
    rows = layer[hidden & layer.geometry.notna().to_numpy() & ~layer.geometry.is_empty.to_numpy()]
    if rows.empty:
        return gpd.GeoDataFrame(kept, geometry=layer.geometry.name, crs=layer.crs)
    names, centres = cell_names(rows.geometry)
    frame = pd.DataFrame(rows.drop(columns=rows.geometry.name))
    frame["_cell"] = names
    frame["_x"], frame["_y"] = centres.x.to_numpy(), centres.y.to_numpy()
    grouped = frame.groupby(["_cell", *merge.group], dropna=False, sort=True)
    parts = {"_x": grouped["_x"].first(), "_y": grouped["_y"].first(), COUNT: grouped.size()}
    for name in merge.kept:  # the value all merged rows share, else empty
        first = grouped[name].first().astype(object)
        parts[name] = first.where(grouped[name].nunique() == 1, None)
    parts |= {name: grouped[name].sum(min_count=1) for name in merge.summed}
    parts |= {name: grouped[name].max() for name in merge.latest}
    merged = pd.DataFrame(parts).reset_index()
    merged[id_column] = merged["_cell"]
    merged[COARSENED] = True
    columns = [c for c in layer.columns if c != layer.geometry.name]
    for name in columns:
        if name not in merged:
            merged[name] = None
    points = gpd.GeoDataFrame(merged[[*columns, COUNT, COARSENED]],
                              geometry=gpd.points_from_xy(merged["_x"], merged["_y"]), crs=layer.crs)
    points = points.rename_geometry(layer.geometry.name) if layer.geometry.name != "geometry" else points
    for name in merged.columns.intersection(columns):
        if name in layer and layer[name].dtype != object:
            points[name] = points[name].astype(layer[name].dtype)
    return gpd.GeoDataFrame(pd.concat([kept, points], ignore_index=True), geometry=layer.geometry.name,
                            crs=layer.crs)


def coarse_label(count: int, lang: str) -> str:
    """The label of a coarsened point in ``lang``: the position is a cell's centre, standing
    for ``count`` features."""
    return t("protection.coarse_label", lang, cell=CELL_KM, count=count)


def shown_layer(kind: str, layer: gpd.GeoDataFrame | None, level: Sensitivity,
                viewer: Viewer) -> gpd.GeoDataFrame | None:
    """What ``viewer`` may see of the ``kind`` layer at sensitivity ``level``: the layer, its
    points coarsened, or None (withheld); see the module."""
    if layer is None or viewer.sees_full(level):
        return layer
    if withheld_kind(kind, level, viewer):
        return None
    return coarsen(kind, layer)


def shown_layers(layers: Mapping[str, gpd.GeoDataFrame], levels: Mapping[str, Sensitivity],
                 viewer: Viewer) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of ``layers`` as ``viewer`` may see it (withheld ones left out)."""
    shown = {kind: shown_layer(kind, layer, levels.get(kind, Sensitivity.PUBLIC), viewer)
             for kind, layer in layers.items()}
    return {kind: layer for kind, layer in shown.items() if layer is not None}


def shown_inputs(layers: Layers, levels: Mapping[str, Sensitivity], viewer: Viewer) -> Layers:
    """``layers`` as ``viewer`` may see them (the posts and the population raster unchanged)."""
    changes = {kind: shown_layer(kind, getattr(layers, kind), levels.get(kind, Sensitivity.PUBLIC), viewer)
               for kind in ("crossings", "borders", "roads", "settlements", "flows", "incidents", "rivers",
                            "lakes", "countries")}
    return replace(layers, **changes)


def cell_names(points: gpd.GeoSeries) -> tuple[list[str], gpd.GeoSeries]:
    """The id of each point's cell (``cell-<column>-<row>``) and the cell's centre in the
    points' CRS: the one naming of coarsened features (layers and surge sites)."""
    column, row, centres = cells(points)
    return [f"cell-{c}-{r}" for c, r in zip(column, row, strict=True)], centres


def _site_ids(sites: gpd.GeoDataFrame, levels: Mapping[str, Sensitivity], viewer: Viewer) -> pd.Series | None:
    """Each site's id as ``viewer`` may see it: its own for a post, its cell's for an unofficial
    crossing coarsened for them, None for one withheld; None when they see every site as it is."""
    level = levels.get("crossings", Sensitivity.PUBLIC)
    unofficial = (sites["site_kind"] == "unofficial").to_numpy()
    if viewer.sees_full(level) or not unofficial.any():
        return None
    ids = sites["site_id"].astype(str).astype(object)
    if withheld_kind("crossings", level, viewer):
        ids[unofficial] = None
    else:
        ids[unofficial] = cell_names(sites.geometry[unofficial])[0]
    return ids


def shown_sites(sites: gpd.GeoDataFrame, levels: Mapping[str, Sensitivity],
                viewer: Viewer) -> gpd.GeoDataFrame:
    """A surge scenario's sites (``access.routing.surge_sites``) as ``viewer`` may see them: the
    unofficial crossings of one cell merged into one site at the cell's centre, named and
    identified by the cell (``cell_names``) when crossings are coarsened for them, left out when
    withheld; the posts as they are."""
    ids = _site_ids(sites, levels, viewer)
    if ids is None:
        return sites
    shown = sites[ids.notna().to_numpy()].copy()
    coarse = (shown["site_kind"] == "unofficial").to_numpy()
    if coarse.any():
        names, centres = cell_names(shown.geometry[coarse])
        shown.loc[coarse, "name"] = names
        shown.loc[coarse, shown.geometry.name] = centres.to_numpy()
    shown["site_id"] = ids[ids.notna()].to_numpy()
    return shown.drop_duplicates("site_id").reset_index(drop=True)


SUMMED_SURGE = ("arrivals", "share", *(f"arrivals_{mode}" for mode in TRAVEL_MODES))  # people: added up


def _merged(table: pd.DataFrame, ids: Mapping[str, str | None], keys: tuple[str, ...]) -> pd.DataFrame:
    """A surge table (``post_id`` per site) with its sites' ids as shown (``ids``): rows of
    withheld sites left out, the rows of one cell (and ``keys``) merged, people added up."""
    shown = table.assign(post_id=table["post_id"].astype(str).map(ids))
    shown = shown[shown["post_id"].notna()]
    unofficial = (shown["site_kind"] == "unofficial").to_numpy()
    named = shown["name"].astype(object).to_numpy().copy()
    named[unofficial] = shown["post_id"].to_numpy()[unofficial]
    shown = shown.assign(name=named)
    rules = {c: ("sum" if c in SUMMED_SURGE else "first") for c in shown.columns
             if c not in ("post_id", *keys)}
    merged = shown.groupby(["post_id", *keys], sort=False, dropna=False).agg(rules).reset_index()
    merged = merged[table.columns]
    for column in table.columns:
        if isinstance(table[column].dtype, pd.CategoricalDtype):  # cells' ids and names: new categories
            merged[column] = merged[column].astype("category")
        else:
            merged[column] = merged[column].astype(object if column == "name" else table[column].dtype)
    return merged


def shown_run(run: SurgeRun, levels: Mapping[str, Sensitivity], viewer: Viewer) -> SurgeRun:
    """A simulated surge as ``viewer`` may see it: its sites by ``shown_sites``, its tables
    with the same sites (people added up per cell, withheld crossings left out) and the
    minutes to a merged site the shortest of its crossings'. The simulation is unchanged."""
    ids = _site_ids(run.sites, levels, viewer)
    if ids is None:
        return run
    sites = shown_sites(run.sites, levels, viewer)
    by_site = dict(zip(run.sites["site_id"].astype(str), ids, strict=True))
    minutes = {mode: pd.Series(values, index=ids.to_numpy()).loc[ids.notna().to_numpy()]
               .groupby(level=0).min().reindex(sites["site_id"]).to_numpy()
               for mode, values in run.minutes.items()}
    result = replace(run.result, summary=_merged(run.result.summary, by_site, ()),
                     daily=_merged(run.result.daily, by_site, ("day",)))
    return replace(run, sites=sites, result=result, minutes=minutes)


def shown_notes(notes: gpd.GeoDataFrame, levels: Mapping[str, Sensitivity],
                viewer: Viewer) -> gpd.GeoDataFrame:
    """Delegate notes (``layers.notes.notes_frame``, EPSG:4326) as ``viewer`` may see them: a
    note of kind ``new_crossing`` reports a crossing, so its position is shown as unofficial
    crossings are to ``viewer``: as it is, at its cell's centre (``lon``/``lat`` too) or not at
    all (the note left out); the other notes as they are."""
    level = levels.get("crossings", Sensitivity.PUBLIC)
    reported = (notes["kind"] == "new_crossing").to_numpy()
    if viewer.sees_full(level) or not reported.any():
        return notes
    if withheld_kind("crossings", level, viewer):
        return notes[~reported]
    shown = notes.copy()
    centres = cell_names(shown.geometry[reported])[1]
    shown.loc[reported, shown.geometry.name] = centres.to_numpy()
    shown.loc[reported, "lon"], shown.loc[reported, "lat"] = centres.x.to_numpy(), centres.y.to_numpy()
    return shown


def limited_kinds(levels: Mapping[str, Sensitivity], viewer: Viewer) -> list[str]:
    """The kinds ``viewer`` sees coarsened or not at all."""
    return [kind for kind, level in levels.items() if not viewer.sees_full(level)]


def travel_drawn(levels: Mapping[str, Sensitivity], viewer: Viewer) -> bool:
    """Whether ``viewer`` may see travel times drawn (isochrones, quickest-post areas, the
    report's travel raster): only when they see in full every layer the friction surface is
    made of (``access.friction.FRICTION_KINDS``), since the surface shows where, say, an
    unofficial crossing lets people over a river. Figures of people within T minutes stay."""
    return all(viewer.sees_full(levels.get(kind, Sensitivity.PUBLIC)) for kind in FRICTION_KINDS)


def withheld_kind(kind: str, level: Sensitivity, viewer: Viewer) -> bool:
    """Whether ``viewer`` sees nothing of the ``kind`` layer at ``level`` (see the module)."""
    return not viewer.sees_full(level) and (level >= Sensitivity.CONFIDENTIAL
                                            or get_kind(kind).geometry_types != POINT)


def measured_kinds(columns: Iterable[str], prefix: str = "") -> set[str]:
    """The layer kinds the indicators among ``columns`` are computed from
    (``scoring.indicators.indicator_kinds``); ``prefix``: of the column names."""
    return {kind for column in columns if column.startswith(prefix)
            for kind in indicator_kinds(column.removeprefix(prefix))}


def shown_indicators(table: pd.DataFrame, levels: Mapping[str, Sensitivity], viewer: Viewer,
                     prefix: str = "") -> pd.DataFrame:
    """``table`` as ``viewer`` may see it: each indicator computed from a layer withheld from
    them blanked (NaN or None, its name listed in ``attrs[WITHHELD]`` so that it is said to be
    withheld), each distance (km) to a layer they see coarsened rounded up to whole cells
    (``grid.rounded_km``); ``prefix``: of the column names (``value:`` in a ranking)."""
    blanked, rounded = [], []
    for column in table.columns:
        name = str(column).removeprefix(prefix)
        kinds = indicator_kinds(name) if str(column).startswith(prefix) else ()
        seen = [levels.get(kind, Sensitivity.PUBLIC) for kind in kinds]
        if any(withheld_kind(kind, level, viewer) for kind, level in zip(kinds, seen, strict=True)):
            blanked.append(column)
        elif name in DISTANCE_COLUMNS and not all(viewer.sees_full(level) for level in seen):
            rounded.append(column)
    if not blanked and not rounded:
        return table
    shown = table.copy()
    for column in rounded:
        shown[column] = pd.to_numeric(shown[column], errors="coerce").map(rounded_km)
    for column in blanked:
        shown[column] = shown[column].where(pd.Series(False, index=shown.index))
    shown.attrs[WITHHELD] = tuple(str(column).removeprefix(prefix) for column in blanked)
    return shown


def shown_ranking(ranking: Ranking, levels: Mapping[str, Sensitivity], viewer: Viewer) -> Ranking:
    """``ranking`` with the same scores and ranks, its values of distances to layers ``viewer``
    sees coarsened rounded up to whole cells: what explanations are written from."""
    return replace(ranking, table=shown_indicators(ranking.table, levels, viewer, "value:"))
