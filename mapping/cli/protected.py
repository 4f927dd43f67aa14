"""What the commands write to a file beside what they print (``score --out``, ``shortlist
--out``, ``access --out``, ``surge --out``): as a public reader may see it unless
``--full-precision`` by a user cleared for it (``--as-user``: as that account may see it), and
the file logged in the audit log once written (who, when, what, at which precision)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..access.files import TABLE_SUFFIXES, access_format
from ..access.friction import FRICTION_KINDS
from ..accounts.roles import Permission, Viewer
from ..i18n import Term
from ..protection.audit import log_export, treatment
from ..protection.levels import ProtectionError, layer_levels
from ..protection.precision import export_viewer
from ..protection.shown import measured_kinds, shown_ranking, shown_run, travel_drawn
from ..scoring.rank import Ranking
from .common import Context

if TYPE_CHECKING:  # the surge runs are loaded by the commands that simulate one
    from ..access.run import SurgeRun


FILE_PERMISSIONS = (Permission.EXPORT, Permission.EXPORT_LAYERS)  # reports and tables, or GIS layers


def file_viewers(ctx: Context, as_user: str | None, full_precision: bool) -> tuple[Viewer, Viewer]:
    """Who writes a travel-time or surge file (the account ``as_user``, who may export reports
    or GIS layers: a manager's tables, GIS staff's catchments; or the local operator) and whose
    view it is written as (``export_viewer``); asked before any work, so that a refusal costs
    nothing and writes nothing."""
    viewer = ctx.viewer(as_user)
    if not any(viewer.may(permission) for permission in FILE_PERMISSIONS):
        viewer.require(Permission.EXPORT)
    return viewer, export_viewer(viewer, full_precision)


def written_ranking(ctx: Context, ranking: Ranking, full_precision: bool) -> tuple[Ranking, dict[str, str]]:
    """``ranking`` as a file may hold it, and what was done to each sensitive layer it measures
    (``protection.audit.treatment``)."""
    writer = export_viewer(ctx.viewer(), full_precision)
    levels = layer_levels(ctx.store())
    measured = measured_kinds(ranking.table.columns, "value:")
    concerned = {kind: levels[kind] for kind in measured if kind in levels}
    return shown_ranking(ranking, levels, writer), treatment(concerned, writer)


def written_run(ctx: Context, run: SurgeRun, writer: Viewer) -> tuple[SurgeRun, dict[str, str]]:
    """A simulated surge as a file may hold it for ``writer`` (its unofficial crossings merged by
    grid cell, or left out: ``protection.shown.shown_run``), and what was done to them."""
    levels = layer_levels(ctx.store())
    return shown_run(run, levels, writer), treatment({"crossings": levels["crossings"]}, writer)


def travel_file(ctx: Context, out: Path, writer: Viewer) -> dict[str, str]:
    """What a file of travel-time results does with the sensitive layers: a table (people within
    each time, per post) shows none of them; travel-time areas or a raster are drawn from the
    layers of the friction surface, and are written only for a ``writer`` who sees them all in
    full (``protection.shown.travel_drawn``), else ``ProtectionError`` ``travel_withheld``; a
    file of another format: ``access_format``."""
    if access_format(out) in TABLE_SUFFIXES:
        return {}
    levels = layer_levels(ctx.store())
    if not travel_drawn(levels, writer):
        raise ProtectionError("travel_withheld", file=out.name, user=writer.name or "-")
    return treatment({kind: levels[kind] for kind in FRICTION_KINDS if kind in levels}, writer)


def log_written(ctx: Context, viewer: Viewer, what: str, out: Path, how: dict[str, str]) -> None:
    """Append the file ``out`` written by ``viewer`` with command ``what`` to the audit log, and
    say at which precision."""
    logged = log_export(ctx.store(), viewer, what, out.name, out.suffix.lstrip(".").lower(), how)
    ctx.say("protection.logged", precision=Term(f"protection.precisions.{logged['precision']}"))
