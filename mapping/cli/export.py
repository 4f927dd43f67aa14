"""``bordermap export``: the ranking and shortlist as CSV, XLSX, GeoPackage, GeoJSON, KML/KMZ,
or the printable report (PDF, HTML); ``--reproduce FILE`` recomputes an export from the store
and says whether the result is the same (exit 0) or which posts moved (exit 1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..accounts.roles import Permission
from ..exports.bundle import build_bundle
from ..exports.csv_table import record_path
from ..exports.errors import ExportError
from ..exports.reproduce import Reproduction, reproduce
from ..exports.write import FORMATS, REPORT_FORMATS, export_format, write_export
from ..i18n import Term, format_number, t
from ..protection.audit import log_export
from ..protection.precision import export_viewer
from ..scoring.methods import METHODS
from ..scoring.profile import load_profile
from ..scoring.selection import Selection
from .common import EXIT_DATA_ERRORS, EXIT_OK, EXIT_UNREADABLE, OUT_TYPE, Context, common, echo
from .options import AS_USER, BUDGET, FULL_PRECISION, POSTS
from .selection import limit_options, limits, selection, selection_options


def _number(value: float | None, lang: str, digits: int) -> str:
    """A number in the locale, or the words for "no data"."""
    return t("quantity.missing", lang) if value is None else format_number(value, lang, digits)

@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="File format (default: from --out's suffix).")
@click.option("--out", type=OUT_TYPE, help="The file to write.")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Criteria profile (TOML). Default: profiles/default.toml.")
@click.option("--method", type=click.Choice(METHODS), help="Override the profile's method.")
@click.option("--reference-date", type=click.DateTime(["%Y-%m-%d"]),
              help="Date that ages assessments and incidents (default: today).")
@click.option("--budget", type=BUDGET, help="Shortlist: budget in USD (more than 0, at most 10^12).")
@click.option("--top", "top_n", type=POSTS, help="Shortlist: at most this many posts.")
@limit_options
@selection_options
@click.option("--surge", "surges", multiple=True, metavar="NAME",
              help="Report: add a page for this saved surge scenario (repeat to compare several).")
@click.option("--hxl", is_flag=True, help="CSV: add the HXL hashtag row under the header (for HDX).")
@FULL_PRECISION
@AS_USER
@click.option("--reproduce", "reproduce_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Recompute this export from the store and compare (exit 0 identical, 1 different).")
@common
def export_cmd(ctx: Context, fmt: str | None, out: Path | None, profile_path: Path | None,
               method: str | None, reference_date: dt.datetime | None, budget: float | None,
               top_n: int | None, min_per_country: tuple[tuple[str, int], ...],
               max_per_country: tuple[tuple[str, int], ...], min_per_border: tuple[tuple[str, int], ...],
               max_per_border: tuple[tuple[str, int], ...], countries: tuple[str, ...],
               borders: tuple[str, ...], surges: tuple[str, ...], hxl: bool, full_precision: bool,
               as_user: str | None, reproduce_path: Path | None) -> int:
    """Export the ranked posts and shortlist for ministries, donors, QGIS or Google Earth."""
    if reproduce_path:
        return _reproduce(ctx, reproduce_path)
    if out is None:
        raise click.UsageError(t("export.need_out", ctx.lang))
    fmt = export_format(out, fmt)
    profile = load_profile(profile_path)
    if method:
        profile = profile.with_method(method)
    if profile.ahp is not None and not profile.ahp.consistent:
        ctx.say("ahp.inconsistent", err=True, cr=round(profile.ahp.consistency_ratio, 3))
    store = ctx.store()
    if "posts" not in store.kinds():
        raise ExportError("no_posts")
    viewer = ctx.viewer(as_user)
    viewer.require(Permission.EXPORT)
    writing = export_viewer(viewer, full_precision)
    advance = ctx.progress(2, "export.step.build")
    chosen: Selection = selection(countries, borders)
    bundle = build_bundle(store, profile, ctx.lang, budget=budget, top_n=top_n, selection=chosen,
                          reference_date=reference_date.date() if reference_date else None,
                          surges=list(surges), travel_map=fmt in REPORT_FORMATS, viewer=writing,
                          **limits(min_per_country, max_per_country, min_per_border, max_per_border))
    advance(t("export.step.rank", ctx.lang))
    write_export(bundle, out, fmt, hxl=hxl)
    advance(t("export.step.write", ctx.lang))
    logged = log_export(store, viewer, "export", out.name, fmt, bundle.record.precision)
    ctx.say("protection.logged", precision=Term(f"protection.precisions.{logged['precision']}"))
    ctx.say("export.done", format=fmt.upper(), out=str(out), posts=len(bundle.posts),
            shortlisted=len(bundle.shortlist.selected) if bundle.shortlist else 0)
    if fmt == "csv":
        ctx.say("export.record_written", out=str(record_path(out)))
    return EXIT_OK


def _reproduce(ctx: Context, path: Path) -> int:
    unopened = ctx.unopened()
    if not unopened.exists():  # never compare with a new demo store made by a typo
        ctx.say("export.no_store", err=True, store=unopened.location)
        return EXIT_UNREADABLE
    store = ctx.store()
    advance = ctx.progress(1, "export.step.reproduce")
    try:
        result = reproduce(path, store, ctx.lang)
    except ExportError as error:
        echo(error.message(ctx.lang), err=True)
        return EXIT_UNREADABLE
    advance(path.name)
    say_reproduction(ctx, result, path.name)
    return EXIT_OK if result.identical else EXIT_DATA_ERRORS


def say_reproduction(ctx: Context, result: Reproduction, name: str) -> None:
    """Print the verdict, the layers whose version changed, and every post that moved."""
    lang = ctx.lang
    ctx.say("export.reproduce.identical" if result.identical else "export.reproduce.different", file=name)
    for kind, (old, new) in result.layers.items():
        key = "layer_new" if old is None else "layer_gone" if new is None else "layer_changed"
        ctx.say(f"export.reproduce.{key}", kind=t(f"kinds.{kind}", lang), old=old or 0, new=new or 0)
    if not result.layers:
        ctx.say("export.reproduce.layers_same")
    if result.record.software != result.software:
        ctx.say("export.reproduce.software", old=result.record.software, new=result.software)
    for move in result.moved:
        if move.old_rank == move.new_rank:
            ctx.say("export.reproduce.score_changed", name=move.name, post=move.post_id, rank=move.new_rank,
                    old=_number(move.old_score, lang, 4), new=_number(move.new_score, lang, 4))
        else:
            ctx.say("export.reproduce.moved", name=move.name, post=move.post_id, old=move.old_rank,
                    new=move.new_rank)
    for move in result.appeared:
        ctx.say("export.reproduce.appeared", name=move.name, post=move.post_id, new=move.new_rank)
    for move in result.disappeared:
        ctx.say("export.reproduce.disappeared", name=move.name, post=move.post_id, old=move.old_rank)
    if result.shortlist_added:
        ctx.say("export.reproduce.shortlist_added", posts=", ".join(result.shortlist_added))
    if result.shortlist_removed:
        ctx.say("export.reproduce.shortlist_removed", posts=", ".join(result.shortlist_removed))
    for post, name, old_cost, new_cost in result.costs:
        ctx.say("export.reproduce.cost_changed", name=name, post=post, old=_number(old_cost, lang, 0),
                new=_number(new_cost, lang, 0))
    for change in result.surges:
        ctx.say("report_access.reproduce.surge_changed", scenario=change.scenario, name=change.name,
                post=change.post_id, measure=t(f"surge.columns.{change.measure}", lang),
                old=_number(change.old, lang, 0), new=_number(change.new, lang, 0))
    if result.record.surges and not result.surges:
        ctx.say("report_access.reproduce.surges_same", count=len(result.record.surges))
    if result.shortlist_error:
        ctx.say("export.reproduce.shortlist_failed", detail=result.shortlist_error)
