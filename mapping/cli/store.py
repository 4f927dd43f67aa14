"""``bordermap store``: the layer store itself (``migrate``: copy it to another backend)."""

from __future__ import annotations

import click

from ..layers.migrate import migrate
from ..layers.user_store import store_at
from .common import EXIT_OK, Context, common


@click.group("store")
def store() -> None:
    """The layer store itself: copy it whole to another place or backend."""


@store.command("migrate")
@click.argument("source")
@click.argument("target")
@common
def migrate_cmd(ctx: Context, source: str, target: str) -> int:
    """Copy the store SOURCE, history included, into the new store TARGET (a GeoPackage file
    or a postgresql:// URL); SOURCE is left as it was, an existing TARGET is never touched."""
    origin, copy = store_at(source), store_at(target)
    origin.check()
    copy.check()
    total = len(origin.history()) + 1
    copied = migrate(origin, copy, ctx.progress(total, "cli.step.migrate"))
    ctx.say("cli.store.migrated", versions=copied, source=origin.location, target=copy.location)
    return EXIT_OK
