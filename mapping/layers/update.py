"""Field updates of part of a layer: the features of a file merged into the stored layer, and
field ids matched to stored features by name and position.

An update adds the file's new features and changes the stored ones it names; stored features
absent from the file stay as they are, and so do the columns (and cells, and positions) the
file leaves out. Layers are in EPSG:4326 with the schema's types.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..geo import geodesic_m
from .schema import LayerKind

NAME_MATCH_M = 1000.0  # a field id and a stored feature of the same name this close are one place


@dataclass(frozen=True)
class NameMatch:
    """A feature of the file whose id the store does not know, and the stored feature of the
    same name ``distance_m`` metres (geodesic) away that it probably is."""

    file_id: str
    stored_id: str
    name: str
    distance_m: float


def merge_update(stored: gpd.GeoDataFrame | None, incoming: gpd.GeoDataFrame, columns: tuple[str, ...],
                 kind: LayerKind) -> gpd.GeoDataFrame:
    """``stored`` with ``incoming`` applied: stored features named by the file take the file's
    non-empty values of ``columns`` and its position when it has one; the file's other
    features are added at the end. Row order and the other features stay as stored."""
    if stored is None or stored.empty:
        return incoming.copy()
    key = kind.id_column
    merged = stored.copy()
    position = pd.Series(np.arange(len(stored)), index=stored[key].astype(str))
    new_ids = incoming[key].astype(str)
    known = new_ids.isin(position.index).to_numpy()
    rows = position[new_ids[known]].to_numpy()
    for column in (c for c in columns if c != key):
        values = incoming.loc[known, column]
        given = values.notna().to_numpy()
        merged.iloc[rows[given], merged.columns.get_loc(column)] = values[given].to_numpy()
    shapes = incoming.geometry[known]
    placed = (shapes.notna() & ~shapes.is_empty).to_numpy()
    merged.iloc[rows[placed], merged.columns.get_loc(merged.geometry.name)] = shapes[placed].to_numpy()
    added = incoming[~known]
    if added.empty:
        return merged
    return gpd.GeoDataFrame(pd.concat([merged, added], ignore_index=True), geometry=merged.geometry.name,
                            crs=merged.crs)


def name_key(name: str) -> str:
    """A place name for comparison: case folded, accents removed, runs of spaces and punctuation
    as one space; letters of every script kept ("Nioro-du-Sahel" = "nioro du sahel")."""
    decomposed = unicodedata.normalize("NFKD", str(name).casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[\W_]+", letters)).strip()


def _named_points(layer: gpd.GeoDataFrame) -> pd.Series:
    """Features that are single points with a name that has letters or digits."""
    keys = layer["name"].map(lambda n: name_key(n) if isinstance(n, str) else "")
    return (keys != "") & (layer.geom_type == "Point")


def name_matches(incoming: gpd.GeoDataFrame, stored: gpd.GeoDataFrame | None,
                 kind: LayerKind) -> list[NameMatch]:
    """Each point of the file whose id is not stored, paired with the stored point of the same
    name (``name_key``) within ``NAME_MATCH_M`` metres that no row of the file names; one stored
    feature matches at most one of the file's."""
    if stored is None or stored.empty or "name" not in kind.names or kind.geometry_types != ("Point",):
        return []
    key = kind.id_column
    file_ids = set(incoming[key].dropna().astype(str))
    free = stored[~stored[key].astype(str).isin(file_ids) & _named_points(stored)]
    unknown = incoming[incoming[key].notna() & ~incoming[key].astype(str).isin(set(stored[key].astype(str)))
                       & _named_points(incoming)]
    by_name: dict[str, list[int]] = {}
    for row, name in enumerate(free["name"]):
        by_name.setdefault(name_key(name), []).append(row)
    matches: list[NameMatch] = []
    taken: set[int] = set()
    for file_id, name, point in zip(unknown[key], unknown["name"], unknown.geometry, strict=True):
        rows = [r for r in by_name.get(name_key(name), []) if r not in taken]
        if not rows:
            continue
        candidates = free.geometry.iloc[rows]
        distance = geodesic_m(candidates.x.to_numpy(), candidates.y.to_numpy(),
                              np.full(len(rows), point.x), np.full(len(rows), point.y))
        best = int(np.argmin(distance))
        if distance[best] <= NAME_MATCH_M:
            taken.add(rows[best])
            matches.append(NameMatch(str(file_id), str(free[key].iloc[rows[best]]), str(name),
                                     round(float(distance[best]), 1)))
    return matches


def match_fixes(matches: list[NameMatch]) -> list[str]:
    """The matches as recorded with a version: ``matched_name:["<file id>", "<stored id>"]``."""
    return [f"matched_name:{json.dumps([m.file_id, m.stored_id], ensure_ascii=False)}" for m in matches]
