"""``bordermap audit``: the log of exports (who, when, what, at which precision), for
administrators."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..i18n import t
from ..protection.audit import audit_records, write_audit
from .common import EXIT_OK, FORMAT_OPT, OUT_TYPE, Context, common, echo
from .options import AS_USER


@click.group()
def audit() -> None:
    """Read and export the audit log of exports (administrators)."""


@audit.command("list")
@FORMAT_OPT
@AS_USER
@common
def list_cmd(ctx: Context, output: str, as_user: str | None) -> int:
    """List every export logged, oldest first: time (UTC), user, what, file, precision, layers."""
    rows = audit_records(ctx.store(), ctx.viewer(as_user))
    if output == "json":
        echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        ctx.say("protection.audit_empty")
    for row in rows:
        layers = ", ".join(f"{kind}: {t(f'protection.treatments.{how}', ctx.lang)}"
                           for kind, how in (row.get("layers") or {}).items())
        precision = t(f"protection.precisions.{row.get('precision', 'public')}", ctx.lang)
        who = f"{row.get('user') or '-'} ({row.get('role', '')})"
        what = f"{row.get('what', '')}  {row.get('file', '')}"
        echo(f"{row.get('time', '')}  {who}  {what}  {precision}  {layers}")
    return EXIT_OK


@audit.command("export")
@click.option("--out", required=True, type=OUT_TYPE, help="The file to write: .csv or .xlsx.")
@AS_USER
@common
def export_cmd(ctx: Context, out: Path, as_user: str | None) -> int:
    """Write the audit log to a CSV or XLSX file (formulas neutralised)."""
    write_audit(ctx.store(), ctx.viewer(as_user), out, ctx.lang)
    ctx.say("protection.audit_written", out=str(out))
    return EXIT_OK
