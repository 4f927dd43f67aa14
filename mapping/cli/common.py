"""What every ``bordermap`` command shares: ``--store`` and ``--lang``, messages from the
catalogues, progress bars, and failures turned into messages with exit codes
(0 done, 1 refused because of errors in the data or settings, 2 unreadable file or store).
"""

from __future__ import annotations

import functools
import getpass
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pyogrio.errors
from tqdm import tqdm

from ..accounts.roles import Viewer, local_viewer
from ..errors import BordermapError
from ..escape import terminal_text
from ..i18n import LANGUAGES, t
from ..layers.findings import LayerReadError
from ..layers.schema import KINDS
from ..layers.store import LayerStore, UnreadableStoreError
from ..layers.user_store import default_store_location, open_store, store_at
from ..outputs import OutputError

EXIT_OK, EXIT_DATA_ERRORS, EXIT_UNREADABLE = 0, 1, 2
KIND_CHOICE = click.Choice(list(KINDS))
FORMAT_OPT = click.option("--format", "output", type=click.Choice(["text", "json"]),
                          default="text", show_default=True, help="Output format.")
UNREADABLE = (LayerReadError, UnreadableStoreError, OutputError)  # exit 2; other refusals exit 1


def echo(text: object = "", err: bool = False) -> None:
    """Print a line for the user: every text the CLI prints goes through here, so a name
    holding terminal control sequences is shown escaped (``\\x1b[2J``), never obeyed."""
    click.echo(terminal_text(text), err=err)


class OutputPath(click.Path):
    """A file the command writes; ``common`` refuses it when it is the store or one of its files."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)


OUT_TYPE = OutputPath()


class Context:
    """Options shared by every command; ``named``: the store was chosen (``--store`` or
    ``BORDERMAP_STORE``), not the default one."""

    def __init__(self, store: str | None, lang: str, named: bool = False) -> None:
        self.store_location = store or default_store_location()  # a path or a postgresql:// URL
        self.lang = lang
        self.named = named and bool(store)
        self._store: LayerStore | None = None

    def unopened(self) -> LayerStore:
        """The store named, not opened (nothing read, checked or created)."""
        return store_at(self.store_location)

    def store(self) -> LayerStore:
        """The store, opened once per command; the default store is created from the demo data
        on first use (the quick start), a store named that does not exist is refused (``bordermap
        init`` creates it, empty or from the demo). Versions whose history row is damaged are
        told once, on stderr."""
        if self._store is None:
            unopened = self.unopened()
            if self.named and not unopened.exists():
                raise UnreadableStoreError("no_store", store=unopened.location)
            self._store = open_store(self.store_location,
                                     progress=self.progress(len(KINDS), "cli.step.seed"))
            for version, column in self._store.damaged_versions().items():
                self.say("store.history_damaged", err=True, version=version, column=column)
        return self._store

    def viewer(self, as_user: str | None = None) -> Viewer:
        """Who the command acts for: the account ``as_user`` of the store (``--as-user``), else
        the local operator (every right, full clearance), named by their login."""
        from ..accounts.accounts import get

        if as_user is not None:
            account = get(self.store(), as_user)
            return Viewer(account.name, account.role)
        return local_viewer(operator())

    def say(self, key: str, err: bool = False, **params: Any) -> None:
        echo(t(key, self.lang, **params), err=err)

    def progress(self, total: int, label_key: str) -> Callable[[str], None]:
        """A progress bar on stderr (shown on a terminal only) advanced once per step."""
        bar = tqdm(total=total, desc=t(label_key, self.lang), file=sys.stderr, disable=None,
                   leave=False)

        def advance(step: str) -> None:
            bar.set_postfix_str(terminal_text(step))
            bar.update(1)
            if bar.n >= total:
                bar.close()

        return advance


def _outputs_in_store(ctx: Context, values: dict[str, Any]) -> Path | None:
    """The first file given to an ``OutputPath`` option or argument that is the store, or one
    of its files (also through a link: see ``LayerStore.owns``)."""
    store = ctx.unopened()
    for param in click.get_current_context().command.params:
        value = values.get(param.name or "")
        if isinstance(param.type, OutputPath) and value is not None and store.owns(value):
            return Path(value)
    return None


def common(command: Callable) -> Callable:
    """Add ``--store`` and ``--lang`` and turn known failures into messages, not tracebacks.

    ``--lang`` is eager: it is known before any other option's value is checked, so that
    a refused value (``mapping.cli.options``) is told in the chosen language."""

    @click.option("--store", envvar="BORDERMAP_STORE", type=click.Path(dir_okay=False),
                  help="Layer store: a GeoPackage file or a postgresql:// URL (PostGIS). "
                       "Default: BORDERMAP_STORE or your own store, created from the demo data "
                       "on first use; create another with bordermap init.")
    @click.option("--lang", envvar="BORDERMAP_LANG", type=click.Choice(LANGUAGES), default="en",
                  show_default=True, is_eager=True, help="Language of messages (en or fr).")
    @functools.wraps(command)
    def wrapper(store: str | None, lang: str, **kwargs: Any) -> None:
        source = click.get_current_context().get_parameter_source("store")
        ctx = Context(store, lang, named=source is not click.core.ParameterSource.DEFAULT)
        try:
            inside = _outputs_in_store(ctx, kwargs)
            if inside is not None:
                ctx.say("output.is_store", err=True, file=str(inside), store=ctx.unopened().location)
                sys.exit(EXIT_DATA_ERRORS)
            code = command(ctx, **kwargs)
        except BordermapError as error:
            echo(error.message(lang), err=True)
            sys.exit(EXIT_UNREADABLE if isinstance(error, UNREADABLE) else EXIT_DATA_ERRORS)
        except BrokenPipeError:  # output piped to a command that stopped reading (e.g. head)
            sys.stderr.close()
            sys.exit(EXIT_OK)
        except OSError as error:
            where = str(error.filename) if error.filename else ctx.store_location
            if where == ctx.store_location:  # the store's own failures come as StoreFailedError
                ctx.say("cli.store_failed", err=True, store=where, detail=str(error)[:200])
            else:
                ctx.say("cli.file_failed", err=True, file=str(where), detail=error.strerror or "")
            sys.exit(EXIT_UNREADABLE)
        except (sqlite3.Error, pyogrio.errors.DataSourceError,
                pyogrio.errors.DataLayerError, pyogrio.errors.FieldError) as error:
            ctx.say("cli.store_failed", err=True, store=ctx.store_location, detail=str(error)[:200])
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


def operator() -> str:
    """Who runs the command: their login, recorded with what they write (empty when unknown)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""
