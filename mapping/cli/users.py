"""``bordermap users``: the project's local accounts (``mapping.accounts.accounts``).

Whoever runs the command line on the laptop that holds the store manages its accounts (the
accounts govern the app). A password is asked twice, hidden, or read from one line of standard
input with ``--password-stdin`` (scripts); it is never shown nor written anywhere but hashed.
"""

from __future__ import annotations

import json
import sys

import click

from ..accounts.accounts import (
    AccountError,
    accounts,
    add_account,
    checked_new,
    get,
    remove_account,
    set_password,
    set_role,
)
from ..accounts.roles import Role
from ..i18n import t
from .common import EXIT_OK, FORMAT_OPT, Context, common, echo, operator

ROLE_CHOICE = click.Choice([r.value for r in Role])
STDIN_OPT = click.option("--password-stdin", is_flag=True,
                         help="Read the password from one line of standard input (for scripts).")


def _role(ctx: Context, role: Role) -> str:
    return t(f"accounts.roles.{role.value}", ctx.lang)


def _password(ctx: Context, name: str, from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise AccountError("no_password")
        return line
    first = click.prompt(t("cli.users.password_prompt", ctx.lang, name=name), hide_input=True,
                         err=True)
    again = click.prompt(t("cli.users.password_again", ctx.lang), hide_input=True, err=True)
    if first != again:
        raise AccountError("passwords_differ")
    return str(first)


@click.group("users")
def users() -> None:
    """The project's accounts: who may sign in to the app, and with which role."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICE, required=True, help="The account's role.")
@STDIN_OPT
@common
def add_cmd(ctx: Context, name: str, role: str, password_stdin: bool) -> int:
    """Add an account (the first one must be an admin); asks for its password."""
    store = ctx.store()
    chosen = Role(role)
    checked_new(store, name, chosen)  # refused before the password is asked
    password = _password(ctx, name, password_stdin)
    account = add_account(store, name, chosen, password, operator())
    ctx.say("cli.users.added", name=account.name, role=_role(ctx, account.role))
    return EXIT_OK


@users.command("list")
@FORMAT_OPT
@common
def list_cmd(ctx: Context, output: str) -> int:
    """List the accounts: name, role, when and by whom each was added."""
    found = accounts(ctx.store())
    if output == "json":
        echo(json.dumps([{"name": a.name, "role": a.role.value, "created": a.created,
                          "created_by": a.created_by} for a in found], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not found:
        ctx.say("cli.users.none")
        return EXIT_OK
    rows = [[t(f"cli.users.{c}", ctx.lang) for c in ("name", "role", "created", "created_by")]]
    rows += [[a.name, _role(ctx, a.role), a.created, a.created_by] for a in found]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


@users.command("remove")
@click.argument("name")
@common
def remove_cmd(ctx: Context, name: str) -> int:
    """Remove an account (never the last admin)."""
    account = remove_account(ctx.store(), name)
    ctx.say("cli.users.removed", name=account.name)
    return EXIT_OK


@users.command("passwd")
@click.argument("name")
@STDIN_OPT
@common
def passwd_cmd(ctx: Context, name: str, password_stdin: bool) -> int:
    """Set an account's password."""
    store = ctx.store()
    name = get(store, name).name  # an unknown name is refused before the password is asked
    account = set_password(store, name, _password(ctx, name, password_stdin))
    ctx.say("cli.users.password_set", name=account.name)
    return EXIT_OK


@users.command("role")
@click.argument("name")
@click.argument("role", type=ROLE_CHOICE)
@common
def role_cmd(ctx: Context, name: str, role: str) -> int:
    """Give an account another role (the last admin keeps theirs)."""
    account = set_role(ctx.store(), name, Role(role))
    ctx.say("cli.users.role_set", name=account.name, role=_role(ctx, account.role))
    return EXIT_OK
