"""The ``bordermap`` command line: thin shells over ``mapping.layers`` and ``mapping.scoring``.

Every command takes ``--store PATH`` (env ``BORDERMAP_STORE``) and ``--lang en|fr``
(env ``BORDERMAP_LANG``).

The top-level group is lazy (click's ``LazyGroup`` pattern): ``COMMANDS`` maps each command's
name to the ``module:attribute`` that defines it, imported only when that command runs or
shows its own help. ``bordermap --help`` lists the commands with their one-line help from the
catalogues (``cli.commands.<name>``), so it imports none of geopandas, pandas, shapely,
pyogrio, rasterio or streamlit. Adding a command is one line in ``COMMANDS`` (and its
one-line help under ``[cli.commands]`` in ``mapping/i18n/en`` and ``fr``; without it the
listing imports the command to read its docstring).
"""

from __future__ import annotations

import importlib

import click

from ..i18n import catalogue, check_language, t

COMMANDS = {  # name -> "module:attribute", in the order `bordermap --help` lists them
    "init": "mapping.cli.project:init_cmd",
    "project": "mapping.cli.project:project",
    "users": "mapping.cli.users:users",
    "layers": "mapping.cli.layers:layers",
    "store": "mapping.cli.store:store",
    "demo": "mapping.cli.demo:demo",
    "score": "mapping.cli.scoring:score_cmd",
    "ahp": "mapping.cli.scoring:ahp_cmd",
    "sensitivity": "mapping.cli.scoring:sensitivity_cmd",
    "shortlist": "mapping.cli.scoring:shortlist_cmd",
    "export": "mapping.cli.export:export_cmd",
    "access": "mapping.cli.access:access_cmd",
    "surge": "mapping.cli.access:surge_cmd",
    "audit": "mapping.cli.audit:audit",
}


def load_command(target: str) -> click.Command:
    """The command defined at ``target`` (``module:attribute``), importing its module."""
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command


def short_help(name: str) -> str | None:
    """The one-line help of command ``name`` from the catalogue of ``BORDERMAP_LANG`` (default
    English), or None when the catalogue has none."""
    try:
        lang = check_language(None)
    except ValueError:
        lang = "en"
    key = f"cli.commands.{name}"
    return t(key, lang) if key in catalogue(lang) else None


class LazyGroup(click.Group):
    """A group whose subcommands (``lazy``: name -> ``module:attribute``) are imported only when
    invoked or asked for their own help; the listing in ``--help`` uses ``short_help``."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy, *(name for name in super().list_commands(ctx) if name not in self.lazy)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            if cmd_name not in self.commands:
                self.commands[cmd_name] = load_command(self.lazy[cmd_name])
            return self.commands[cmd_name]
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their one-line help, importing only those without a catalogue entry."""
        rows = []
        for name in self.list_commands(ctx):
            text = short_help(name) if name in self.lazy and name not in self.commands else None
            if text is None:
                command = self.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                text = command.get_short_help_str(limit=formatter.width - 6 - len(name))
            rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(package_name="bordermap")
def main() -> None:
    """bordermap: border posts, crossings, roads, settlements and population on G5 Sahel borders."""
