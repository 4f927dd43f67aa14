"""What every ``bordermap`` command shares: ``--store`` and ``--lang``, messages from the
catalogues, progress bars, and failures turned into messages with exit codes
(0 done, 1 refused because of errors in the data or settings, 2 unreadable file or store).
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pyogrio.errors
from tqdm import tqdm

from ..errors import BordermapError
from ..i18n import LANGUAGES, t
from ..layers.findings import LayerReadError
from ..layers.schema import KINDS
from ..layers.store import GeoPackageStore
from ..layers.user_store import default_store_path, open_store

EXIT_OK, EXIT_DATA_ERRORS, EXIT_UNREADABLE = 0, 1, 2
KIND_CHOICE = click.Choice(list(KINDS))
FORMAT_OPT = click.option("--format", "output", type=click.Choice(["text", "json"]),
                          default="text", show_default=True, help="Output format.")


class Context:
    """Options shared by every command."""

    def __init__(self, store: str | None, lang: str) -> None:
        self.store_path = Path(store) if store else default_store_path()
        self.lang = lang

    def store(self) -> GeoPackageStore:
        return open_store(self.store_path, progress=self.progress(len(KINDS), "cli.step.seed"))

    def say(self, key: str, err: bool = False, **params: Any) -> None:
        click.echo(t(key, self.lang, **params), err=err)

    def progress(self, total: int, label_key: str) -> Callable[[str], None]:
        """A progress bar on stderr (shown on a terminal only) advanced once per step."""
        bar = tqdm(total=total, desc=t(label_key, self.lang), file=sys.stderr, disable=None,
                   leave=False)

        def advance(step: str) -> None:
            bar.set_postfix_str(step)
            bar.update(1)
            if bar.n >= total:
                bar.close()

        return advance


def common(command: Callable) -> Callable:
    """Add ``--store`` and ``--lang`` and turn known failures into messages, not tracebacks."""

    @click.option("--store", envvar="BORDERMAP_STORE", type=click.Path(dir_okay=False),
                  help="Layer store (GeoPackage). Default: BORDERMAP_STORE or your own store, "
                       "created from the demo data on first use.")
    @click.option("--lang", envvar="BORDERMAP_LANG", type=click.Choice(LANGUAGES), default="en",
                  show_default=True, help="Language of messages (en or fr).")
    @functools.wraps(command)
    def wrapper(store: str | None, lang: str, **kwargs: Any) -> None:
        ctx = Context(store, lang)
        try:
            code = command(ctx, **kwargs)
        except BordermapError as error:
            click.echo(error.message(lang), err=True)
            sys.exit(EXIT_UNREADABLE if isinstance(error, LayerReadError) else EXIT_DATA_ERRORS)
        except BrokenPipeError:  # output piped to a command that stopped reading (e.g. head)
            sys.stderr.close()
            sys.exit(EXIT_OK)
        except OSError as error:
            where = Path(error.filename) if error.filename else ctx.store_path
            if where.resolve() == ctx.store_path.resolve():
                ctx.say("cli.store_failed", err=True, store=str(where), detail=str(error)[:200])
            else:
                ctx.say("cli.file_failed", err=True, file=str(where), detail=error.strerror or "")
            sys.exit(EXIT_UNREADABLE)
        except (sqlite3.Error, pyogrio.errors.DataSourceError,
                pyogrio.errors.DataLayerError, pyogrio.errors.FieldError) as error:
            ctx.say("cli.store_failed", err=True, store=str(ctx.store_path), detail=str(error)[:200])
            sys.exit(EXIT_UNREADABLE)
        sys.exit(code or EXIT_OK)

    return wrapper




def counting_bar(ctx: Context, label_key: str) -> Callable[[int, int], None]:
    """A progress bar driven by (done, total) callbacks."""
    bar = tqdm(desc=t(label_key, ctx.lang), file=sys.stderr, disable=None, leave=False)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update
