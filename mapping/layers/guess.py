"""Which kind of layer a file most likely holds, from its columns and geometry, so that the app
can propose it (the user still chooses)."""

from __future__ import annotations

from pathlib import Path

import shapely

from .columns import map_columns
from .readers import detect_format, read_vector
from .schema import KINDS, VECTOR_KINDS


def guess_kind(path: Path) -> str | None:
    """The kind that recognises the most of the file's columns (then the largest share of its
    required ones: a field update may leave some out), among the kinds its geometry fits;
    ``population`` for a GeoTIFF; None when no kind's required column is there or the file
    cannot be read."""
    try:
        if detect_format(path) == "geotiff":
            return "population"
        layer = read_vector(path)
    except Exception:  # an unreadable file gets its message from the import, not from a guess
        return None
    headers = [c for c in layer.columns if c != layer.geometry.name]
    shapes = layer.geometry.values[~(shapely.is_missing(layer.geometry.values) | layer.geometry.is_empty)]
    types = {g.geom_type.removeprefix("Multi") for g in shapes}
    scores = []
    for name in VECTOR_KINDS:
        kind = KINDS[name]
        if types and not types <= {t.removeprefix("Multi") for t in kind.geometry_types}:
            continue
        found = set(map_columns(headers, kind)[0].values())
        required = sum(c in found for c in kind.required) / len(kind.required)
        scores.append((len(found), required, name))
    best = max(scores, default=None)
    return best[2] if best and best[1] > 0 else None
