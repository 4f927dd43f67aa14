"""What the ranking commands write to a file (``score --out``, ``shortlist --out``): the
ranking's values as a public reader may see them unless ``--full-precision`` (distances to
restricted layers rounded up to whole grid cells), and the file logged in the audit log."""

from __future__ import annotations

from pathlib import Path

from ..protection.audit import log_export, treatment
from ..protection.levels import layer_levels
from ..protection.precision import export_viewer
from ..protection.shown import DISTANCE_INDICATORS, shown_ranking
from ..scoring.rank import Ranking
from .common import Context


def written_ranking(ctx: Context, ranking: Ranking, full_precision: bool, what: str, out: Path) -> Ranking:
    """``ranking`` as the file ``out`` of command ``what`` may hold, the export logged."""
    store = ctx.store()
    viewer = ctx.viewer()
    writer = export_viewer(viewer, full_precision)
    levels = layer_levels(store)
    concerned = {kind: levels[kind] for kind in set(DISTANCE_INDICATORS.values()) if kind in levels}
    log_export(store, viewer, what, out.name, out.suffix.lstrip(".").lower(), treatment(concerned, writer))
    return shown_ranking(ranking, levels, writer)
