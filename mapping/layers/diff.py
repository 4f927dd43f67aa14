"""What changes, by feature id, between a stored layer and a new one."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..i18n import t

GEOMETRY_TOLERANCE_DEG = 1e-9  # ~0.1 mm: below this, a moved vertex is not a change
VALUE_TOLERANCE = 1e-9  # relative: float noise from a format round trip is not a change


@dataclass
class LayerDiff:
    """Ids added, changed (attributes or geometry) and removed, each list sorted; for each
    changed id the columns that change (``geometry`` for the position or shape); the number
    of stored features that stay as they are."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def as_dict(self) -> dict[str, object]:
        return {"added": self.added, "changed": self.changed, "removed": self.removed,
                "columns": self.columns, "unchanged": self.unchanged}


LISTED = 50  # ids listed by name in a diff; beyond, an ellipsis


def listed(ids: list[str], separator: str = ", ") -> str:
    """The first ``LISTED`` ids, then "…" when there are more."""
    return separator.join(ids[:LISTED]) + (" …" if len(ids) > LISTED else "")


def changed_columns(columns: list[str], lang: str | None = None) -> str:
    """The columns a feature changes, for a reader: schema names, and "position" for its geometry."""
    return ", ".join(t("cli.position", lang) if c == "geometry" else c for c in columns)


def _cells_equal(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Cell by cell: both missing, equal, or (numbers) equal within a relative 1e-9."""
    both_missing = old.isna().to_numpy() & new.isna().to_numpy()
    if pd.api.types.is_float_dtype(old) and pd.api.types.is_float_dtype(new):
        same = np.isclose(old.to_numpy(), new.to_numpy(), rtol=VALUE_TOLERANCE, atol=0)
    else:
        same = (old.astype(object) == new.astype(object)).fillna(False).to_numpy(dtype=bool)
    return both_missing | same


def _geometries_equal(old: gpd.GeoSeries, new: gpd.GeoSeries) -> np.ndarray:
    a, b = old.values, new.values
    missing = shapely.is_missing(a) & shapely.is_missing(b)
    with np.errstate(over="ignore", invalid="ignore"):  # a refused file's 1e308 or NaN: not equal
        exact = shapely.equals_exact(shapely.normalize(a), shapely.normalize(b),
                                     tolerance=GEOMETRY_TOLERANCE_DEG)
        return missing | exact | np.asarray(shapely.equals(a, b), dtype=bool)


def _by_id(layer: gpd.GeoDataFrame, id_column: str) -> gpd.GeoDataFrame:
    """Index by id; features without an id or with a repeated one (first kept) are left out."""
    layer = layer[layer[id_column].notna()]
    indexed = layer.set_index(layer[id_column].astype(str))
    return indexed[~indexed.index.duplicated()]


def diff_layers(old: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame, id_column: str) -> LayerDiff:
    """Compare two layers of the same kind and schema types, matching features by ``id_column``."""
    if old is None or old.empty:
        return LayerDiff(added=sorted(new[id_column].dropna().astype(str)))
    old_ids = _by_id(old, id_column)
    new_ids = _by_id(new, id_column)
    common = old_ids.index.intersection(new_ids.index)
    before, after = old_ids.loc[common], new_ids.loc[common]
    differs = {"geometry": ~_geometries_equal(before.geometry, after.geometry)}
    for column in (c for c in new.columns if c != new.geometry.name and c in old.columns):
        differs[column] = ~_cells_equal(before[column], after[column])
    table = pd.DataFrame(differs, index=common)
    changed = table.any(axis=1)
    return LayerDiff(
        added=sorted(new_ids.index.difference(old_ids.index)),
        changed=sorted(common[changed.to_numpy()]),
        removed=sorted(old_ids.index.difference(new_ids.index)),
        columns={fid: [c for c in table.columns if row[c]] for fid, row in table[changed].iterrows()},
        unchanged=int((~changed).sum()),
    )
