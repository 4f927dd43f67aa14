"""What the ranking commands write to a file (``score --out``, ``shortlist --out``): the
ranking's values as a public reader may see them unless ``--full-precision`` (distances to
restricted layers rounded up to whole grid cells), and the file logged in the audit log once
written."""

from __future__ import annotations

from pathlib import Path

from ..protection.audit import log_export, treatment
from ..protection.levels import layer_levels
from ..protection.precision import export_viewer
from ..protection.shown import measured_kinds, shown_ranking
from ..scoring.rank import Ranking
from .common import Context


def written_ranking(ctx: Context, ranking: Ranking, full_precision: bool) -> tuple[Ranking, dict[str, str]]:
    """``ranking`` as a file may hold it, and what was done to each sensitive layer it measures
    (``protection.audit.treatment``)."""
    writer = export_viewer(ctx.viewer(), full_precision)
    levels = layer_levels(ctx.store())
    measured = measured_kinds(ranking.table.columns, "value:")
    concerned = {kind: levels[kind] for kind in measured if kind in levels}
    return shown_ranking(ranking, levels, writer), treatment(concerned, writer)


def log_written(ctx: Context, what: str, out: Path, how: dict[str, str]) -> None:
    """Append the file ``out`` written by command ``what`` to the audit log."""
    log_export(ctx.store(), ctx.viewer(), what, out.name, out.suffix.lstrip(".").lower(), how)
