"""``bordermap init`` and ``bordermap project``: start a project (empty, or from the demo data)
and read or change its name, countries and defaults."""

from __future__ import annotations

import json

import click

from ..i18n import format_number, t
from ..layers.schema import KINDS
from ..project import STARTS, Project, change_settings, init_project, load_project
from .common import EXIT_DATA_ERRORS, EXIT_OK, FORMAT_OPT, Context, common, echo
from .options import BUDGET

RESETTABLE = ("name", "countries", "budget", "note-country", "sign-in")
SIGN_IN = {"on": True, "off": False}


@click.command("init")
@click.option("--from", "start", type=click.Choice(STARTS), default="empty", show_default=True,
              help="Start empty (your own layers only) or from the demo data.")
@click.option("--name", help="The project's name (default: made from its countries).")
@common
def init_cmd(ctx: Context, start: str, name: str | None) -> int:
    """Create a new project store (--store, default: your own store); an existing store is
    never touched."""
    store = init_project(ctx.store_location, start, name,
                         progress=ctx.progress(len(KINDS), "cli.step.seed") if start == "demo" else None)
    ctx.say(f"cli.project.init_{start}", store=store.location)
    ctx.say("cli.project.next_import" if start == "empty" else "cli.project.next_demo")
    return EXIT_OK


@click.group("project")
def project() -> None:
    """The project's name, countries, default budget and default note country."""


def _lines(ctx: Context, found: Project) -> list[str]:
    derived = set(found.derived())

    def mark(key: str) -> str:
        return " " + t("cli.project.derived", ctx.lang) if key in derived else ""

    named = {c: found.country_name(c, ctx.lang) for c in found.countries}
    countries = ", ".join(c if name == c else f"{c} ({name})" for c, name in named.items()) or "—"
    note = found.note_country or "—"
    return [t("cli.project.name", ctx.lang, name=found.name(ctx.lang)) + mark("name"),
            t("cli.project.countries", ctx.lang, countries=countries) + mark("countries"),
            t("cli.project.budget", ctx.lang, budget=format_number(found.budget, ctx.lang, 0),
              currency=found.currency) + mark("budget"),
            t("cli.project.note_country", ctx.lang, country=note) + mark("note_country"),
            t({None: "cli.project.sign_in_auto", True: "cli.project.sign_in_required",
               False: "cli.project.sign_in_off"}[found.settings.sign_in], ctx.lang),
            t("protection.online_tiles." + ("on" if found.settings.online_tiles else "off"), ctx.lang)]


def _as_json(ctx: Context, found: Project) -> str:
    return json.dumps({"store": ctx.unopened().location, "name": found.name(ctx.lang),
                       "countries": list(found.countries), "budget": found.budget,
                       "currency": found.currency, "note_country": found.note_country,
                       "derived": found.derived(), "settings": found.settings.as_record()},
                      ensure_ascii=False, indent=2)


@project.command("show")
@FORMAT_OPT
@common
def show_cmd(ctx: Context, output: str) -> int:
    """Show the project's settings (those not set are derived from the store)."""
    found = load_project(ctx.store())
    if output == "json":
        echo(_as_json(ctx, found))
        return EXIT_OK
    ctx.say("cli.store_is", store=ctx.unopened().location)
    for line in _lines(ctx, found):
        echo(line)
    return EXIT_OK


@project.command("set")
@click.option("--name", help="The project's name.")
@click.option("--countries", help="The project's countries, ISO3 codes: MRT,MLI.")
@click.option("--budget", type=BUDGET, help="Default budget of the shortlist, in USD.")
@click.option("--note-country", help="ISO3 code of the country a note defaults to.")
@click.option("--sign-in", "sign_in", type=click.Choice(list(SIGN_IN)),
              help="on: users sign in (the project needs an account); off: one user, every right. "
                   "Default: required once accounts exist.")
@click.option("--online-tiles", type=click.Choice(["on", "off"]),
              help="Offer an online background map on the map page (it asks a tile server; default off).")
@click.option("--reset", "reset", multiple=True, type=click.Choice(RESETTABLE),
              help="Give a setting back to its default, derived from the store (repeatable).")
@common
def set_cmd(ctx: Context, name: str | None, countries: str | None, budget: float | None,
            note_country: str | None, sign_in: str | None, online_tiles: str | None,
            reset: tuple[str, ...]) -> int:
    """Change the project's settings; every value is checked before anything is saved."""
    store = ctx.store()
    if all(v is None for v in (name, countries, budget, note_country, sign_in, online_tiles)) and not reset:
        ctx.say("cli.project.nothing_to_set", err=True)
        return EXIT_DATA_ERRORS
    change_settings(store, name=name, countries=countries, budget=budget, note_country=note_country,
                    sign_in=None if sign_in is None else SIGN_IN[sign_in],
                    online_tiles=None if online_tiles is None else online_tiles == "on",
                    reset=tuple(r.replace("-", "_") for r in reset))
    ctx.say("cli.project.saved")
    for line in _lines(ctx, load_project(store)):
        echo(line)
    return EXIT_OK

