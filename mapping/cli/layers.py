"""``bordermap layers``: check, import, compare, list, export and roll back layers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..accounts.roles import Permission, Sensitivity
from ..i18n import Term, format_number, t
from ..layers.clearing import clear_layer, clearable_ids
from ..layers.columns import SYNONYMS
from ..layers.diff import LISTED, changed_columns, listed
from ..layers.export import export_layer
from ..layers.findings import ERROR, Finding, fix_message
from ..layers.importing import ImportResult, check_file, check_raster_file, diff_file, import_file
from ..layers.schema import get_kind
from ..layers.store import LayerStore, Version
from ..protection.audit import log_export
from ..protection.levels import layer_levels, set_level
from ..protection.precision import export_viewer
from .common import (
    EXIT_DATA_ERRORS,
    EXIT_OK,
    FORMAT_OPT,
    KIND_CHOICE,
    OUT_TYPE,
    Context,
    common,
    echo,
    operator,
)
from .options import AS_USER, FULL_PRECISION, VERSION


@click.group()
def layers() -> None:
    """Check, import, compare, list, export and roll back layers."""


# ------------------------------------------------------------------ output helpers
def _finding_lines(ctx: Context, findings: list[Finding]) -> list[str]:
    lines = []
    for f in findings:
        label = t(f"severity.{f.severity}", ctx.lang).upper()
        where = f.feature_id if f.feature_id is not None else "-"
        lines.append(f"{label:<14} {where:<16} {f.code:<24} {f.message(ctx.lang)}")
    return lines


def _summary(ctx: Context, file: str, kind: str, features: int, findings: list[Finding]) -> str:
    errors = sum(f.severity == ERROR for f in findings)
    return t("cli.summary", ctx.lang, file=file, kind=Term(f"kinds.{kind}"), features=features,
             errors=errors, warnings=len(findings) - errors)


def _report_json(ctx: Context, file: str, result: ImportResult, **extra: Any) -> str:
    body = {"file": file, "kind": result.kind, "features": result.features,
            "findings": [f.as_dict(ctx.lang) for f in result.findings], **extra}
    return json.dumps(body, ensure_ascii=False, indent=2, default=str)


def _diff_lines(ctx: Context, result: ImportResult) -> list[str]:
    """What changes by id, the columns that change for each changed feature, and what stays."""
    diff = result.diff
    lines = [t("cli.diff_summary", ctx.lang, added=len(diff.added), changed=len(diff.changed),
               removed=len(diff.removed))]
    for key in ("added", "changed", "removed"):
        ids = getattr(diff, key)
        if ids:
            lines.append("  " + t(f"cli.diff_{key}", ctx.lang, ids=listed(ids)))
    lines += [t("cli.diff_columns", ctx.lang, feature=fid, columns=changed_columns(columns, ctx.lang))
              for fid, columns in list(diff.columns.items())[:LISTED]]
    if diff.unchanged:
        lines.append(t("cli.diff_unchanged", ctx.lang, count=diff.unchanged))
    return lines


def _hints(ctx: Context, result: ImportResult) -> None:
    """How to go on when the import was refused for removing features, or names could match."""
    if any(f.code == "removes_most" for f in result.findings):
        ctx.say("cli.removals_hint", err=True)
    if any(f.code == "name_match" for f in result.findings):
        ctx.say("cli.match_hint", err=True)


def _exit_code(findings: list[Finding]) -> int:
    return EXIT_DATA_ERRORS if any(f.severity == ERROR for f in findings) else EXIT_OK


# ------------------------------------------------------------------ commands
# not click.Path(dir_okay=False, exists=True): the readers say what is wrong (a folder, a named
# pipe, no such file) in the chosen language, where click would answer in English
FILE_ARG = click.argument("file", type=click.Path(path_type=Path))
KIND_OPT = click.option("--kind", required=True, type=KIND_CHOICE, help="Kind of layer.")
LAYER_OPT = click.option("--layer", help="Layer or sheet to read when the file holds several.")


@layers.command("validate")
@FILE_ARG
@KIND_OPT
@LAYER_OPT
@FORMAT_OPT
@common
def validate_cmd(ctx: Context, file: Path, kind: str, layer: str | None, output: str) -> int:
    """Report every problem in FILE as a layer of KIND (exit 0: no error, 1: errors, 2: unreadable)."""
    if get_kind(kind).raster:
        result = check_raster_file(file, kind, ctx.store())
    else:
        store = ctx.store()
        report = check_file(file, kind, store, layer,
                            progress=ctx.progress(2, "cli.step.validate"))
        result = ImportResult(kind, len(report.layer), report.findings)
    if output == "json":
        echo(_report_json(ctx, str(file), result))
    else:
        echo(_summary(ctx, file.name, kind, result.features, result.findings))
        for line in _finding_lines(ctx, result.findings):
            echo(line)
    return _exit_code(result.findings)


UPDATE_OPT = click.option("--update", is_flag=True,
                          help="Update the stored layer: add and change the file's features, keep the "
                               "features, columns and values the file leaves out.")
MATCH_OPT = click.option("--match-names", is_flag=True,
                         help="Treat a feature whose id is unknown as the stored feature of the same "
                              "name within 1 km.")


@layers.command("diff")
@FILE_ARG
@KIND_OPT
@LAYER_OPT
@click.option("--fix", is_flag=True, help="Show the diff after the fixes --fix would apply.")
@UPDATE_OPT
@MATCH_OPT
@FORMAT_OPT
@common
def diff_cmd(ctx: Context, file: Path, kind: str, layer: str | None, fix: bool, update: bool,
             match_names: bool, output: str) -> int:
    """Show what importing FILE as KIND would add, change and remove (by id); changes nothing."""
    result = diff_file(file, kind, ctx.store(), layer, fix, progress=ctx.progress(4, "cli.step.diff"),
                       update=update, match_names=match_names)
    if output == "json":
        echo(_report_json(ctx, str(file), result, diff=result.diff.as_dict(),
                                fixes=[fix_message(f, ctx.lang) for f in result.fixes_applied]))
    else:
        echo(_summary(ctx, file.name, kind, result.features, result.findings))
        for line in [*_finding_lines(ctx, result.findings), *_diff_lines(ctx, result)]:
            echo(line)
        for applied in result.fixes_applied:
            echo(fix_message(applied, ctx.lang))
        _hints(ctx, result)
    return _exit_code(result.findings)


@layers.command("import")
@FILE_ARG
@KIND_OPT
@LAYER_OPT
@click.option("--fix", is_flag=True,
              help="Apply the fixes bordermap offers (missing CRS, swapped lat/lon, invalid shapes).")
@click.option("--user", help="Your name, recorded with the version (default: your login).")
@click.option("--allow-removals", is_flag=True,
              help="Replace the layer even when the file removes more than half of the stored features.")
@UPDATE_OPT
@MATCH_OPT
@common
def import_cmd(ctx: Context, file: Path, kind: str, layer: str | None, fix: bool,
               user: str | None, allow_removals: bool, update: bool, match_names: bool) -> int:
    """Validate FILE and store it as the new KIND layer (or, with --update, merge it into the
    stored one), or change nothing if errors remain."""
    store = ctx.store()
    result = import_file(file, kind, store, user, layer, fix, allow_removals,
                         progress=ctx.progress(5, "cli.step.import"), update=update, match_names=match_names)
    echo(_summary(ctx, file.name, kind, result.features, result.findings))
    for line in _finding_lines(ctx, result.findings):
        echo(line)
    for applied in result.fixes_applied:
        echo(fix_message(applied, ctx.lang))
    if result.unchanged:
        ctx.say("cli.import_unchanged", kind=Term(f"kinds.{kind}"))
        return EXIT_OK
    if result.version is None:
        ctx.say("cli.import_refused", err=True)
        _hints(ctx, result)
        return EXIT_DATA_ERRORS
    if not get_kind(kind).raster:
        for line in _diff_lines(ctx, result):
            echo(line)
    ctx.say("cli.import_done", version=result.version.version, kind=Term(f"kinds.{kind}"),
            store=store.location)
    return EXIT_OK


def _version_line(ctx: Context, v: Version) -> str:
    action = t(f"cli.action.{v.action}", ctx.lang)
    restored = (" " + t("cli.restored_from", ctx.lang, version=v.restored_from)
                if v.restored_from else "")
    return (f"v{v.version:<4} {v.time:<26} {v.kind:<12} {action:<12}{restored} {v.user} · "
            f"{v.source_file or '-'} · "
            + t("cli.version_counts", ctx.lang, features=v.features, added=len(v.added),
                changed=len(v.changed), removed=len(v.removed)))


@layers.command("history")
@click.option("--kind", type=KIND_CHOICE, help="Only this kind of layer.")
@FORMAT_OPT
@common
def history_cmd(ctx: Context, kind: str | None, output: str) -> int:
    """List committed versions: when, who, which file (SHA-256), what changed by id."""
    versions = ctx.store().history(kind)
    if output == "json":
        echo(json.dumps([v.as_dict() for v in versions], ensure_ascii=False, indent=2))
    else:
        for v in versions:
            echo(_version_line(ctx, v))
    return EXIT_OK


@layers.command("rollback")
@click.argument("version", type=VERSION)
@click.option("--user", help="Your name, recorded with the rollback (default: your login).")
@common
def rollback_cmd(ctx: Context, version: int, user: str | None) -> int:
    """Make a layer as it was at VERSION current again (recorded as a new version)."""
    new = ctx.store().rollback(version, user or operator())
    ctx.say("cli.rollback_done", kind=Term(f"kinds.{new.kind}"), version=version,
            new=new.version)
    echo(_version_line(ctx, new))
    return EXIT_OK


@layers.command("clear")
@click.argument("kind", type=KIND_CHOICE)
@click.option("--yes", is_flag=True, help="Consent to removing every feature of the layer.")
@click.option("--user", help="Your name, recorded with the version (default: your login).")
@common
def clear_cmd(ctx: Context, kind: str, yes: bool, user: str | None) -> int:
    """Remove every feature of the KIND layer (recorded as a version, undone by a rollback);
    refused without --yes, saying what would be removed."""
    store = ctx.store()
    ids = clearable_ids(store, kind)
    if not yes:
        ctx.say("cli.clear.needs_consent", err=True, kind=Term(f"kinds.{kind}"), count=len(ids),
                ids=listed(ids))
        return EXIT_DATA_ERRORS
    version = clear_layer(store, kind, user or operator())
    ctx.say("cli.clear.done", kind=Term(f"kinds.{kind}"), count=len(version.removed),
            version=version.version)
    echo(_version_line(ctx, version))
    return EXIT_OK


@layers.command("list")
@FORMAT_OPT
@common
def list_cmd(ctx: Context, output: str) -> int:
    """List the current layers of the store with their feature counts and versions."""
    store = ctx.store()
    latest = {v.kind: v for v in store.history()}  # oldest first: the last version of each kind wins
    levels = layer_levels(store)
    rows = [_layer_row(store, kind, latest.get(kind))
            | {"level": levels.get(kind, Sensitivity.PUBLIC).label} for kind in store.kinds()]
    if output == "json":
        echo(json.dumps({"store": store.location, "layers": rows}, indent=2))
        return EXIT_OK
    ctx.say("cli.store_is", store=store.location)
    if not rows:
        ctx.say("cli.project.no_layers")
    for row in rows:
        name = t(f"kinds.{row['kind']}", ctx.lang)
        version = f"v{row['version']}" if row["version"] is not None else "v?"
        level = t(f"accounts.levels.{row['level']}", ctx.lang)
        echo(f"{name:<22} {format_number(row['features'], ctx.lang, 0):>8}  {version}  {level:<14} "
             f"{row['time'] or ''}")
    return EXIT_OK


def _layer_row(store: LayerStore, kind: str, version: Version | None) -> dict[str, Any]:
    """A current layer: its kind, feature count, version and time; a layer whose last version is
    damaged in the history (told on stderr) is counted from the layer itself, version unknown."""
    if version is not None:
        return {"kind": kind, "features": version.features, "version": version.version,
                "time": version.time}
    layer = None if get_kind(kind).raster else store.read(kind)
    return {"kind": kind, "features": 0 if layer is None else len(layer), "version": None, "time": None}


@layers.command("level")
@click.argument("kind", type=KIND_CHOICE)
@click.argument("level", type=click.Choice([level.label for level in Sensitivity]))
@common
def level_cmd(ctx: Context, kind: str, level: str) -> int:
    """Set the sensitivity level of the KIND layer: public, restricted (shown coarsened to a
    10 km grid to those not cleared) or confidential (withheld from those not cleared)."""
    set_level(ctx.store(), kind, Sensitivity.parse(level), ctx.viewer())
    ctx.say("protection.level_set", kind=Term(f"kinds.{kind}"), level=Term(f"accounts.levels.{level}"))
    return EXIT_OK


@layers.command("export")
@click.argument("kind", type=KIND_CHOICE)
@click.option("--to", "target", required=True, type=OUT_TYPE,
              help="File to write: .gpkg, .geojson, .kml, .fgb, .csv or .xlsx (.tif for population).")
@FULL_PRECISION
@AS_USER
@common
def export_cmd(ctx: Context, kind: str, target: Path, full_precision: bool, as_user: str | None) -> int:
    """Write the current KIND layer to a file for QGIS, Google Earth or a spreadsheet (a sensitive
    layer coarsened unless --full-precision; every export is logged)."""
    store = ctx.store()
    viewer = ctx.viewer(as_user)
    viewer.require(Permission.EXPORT_LAYERS)
    how = export_layer(store, kind, target, export_viewer(viewer, full_precision))
    ctx.say("cli.export_done", kind=Term(f"kinds.{kind}"), target=str(target))
    logged = log_export(store, viewer, "layers export", target.name, target.suffix.lstrip(".").lower(), how)
    ctx.say("protection.logged", precision=Term(f"protection.precisions.{logged['precision']}"))
    return EXIT_OK


@layers.command("columns")
@click.option("--kind", "kind_name", required=True, type=KIND_CHOICE, help="Kind of layer.")
@common
def columns_cmd(ctx: Context, kind_name: str) -> int:
    """Show the columns of a KIND: type, required, allowed values, and the field names accepted."""
    kind = get_kind(kind_name)
    for column in kind.columns:
        flags = [t(f"types.{column.dtype}", ctx.lang)]
        if column.required:
            flags.append(t("cli.required", ctx.lang))
        if column.name == kind.id_column:
            flags.append(t("cli.identifier", ctx.lang))
        echo(f"{column.name}  ({', '.join(flags)})")
        if column.allowed:
            echo("    " + t("cli.allowed", ctx.lang, values=", ".join(column.allowed)))
        names = SYNONYMS.get(column.name, (column.name,))
        echo("    " + t("cli.accepted_names", ctx.lang, names=", ".join(names)))
    return EXIT_OK


