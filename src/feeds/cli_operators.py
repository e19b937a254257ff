"""``feeds operators``: the accounts of the operator console at ``/admin``.

A password is asked twice at the terminal (never echoed), or read from the first line of
standard input with ``--stdin`` (for scripts); only its argon2id hash is stored.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from feeds.cli_common import ConfigOption, fail, settings_from, store_from
from feeds.store.operators import OperatorError

operators_app = typer.Typer(
    help="Operators of the console at /admin: add, passwd, list, disable.", no_args_is_help=True
)

Stdin = Annotated[
    bool, typer.Option("--stdin", help="Read the password from the first line of stdin.")
]


def _password(stdin: bool) -> str:
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise fail("--stdin: no password on standard input")
        return password
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


@operators_app.command("add")
def add(name: str, stdin: Stdin = False, config: ConfigOption = None) -> None:
    """Make an operator account (the password is prompted for, or read with --stdin)."""
    settings = settings_from(config)
    password = _password(stdin)
    store = store_from(settings)
    try:
        store.operators.add(name, password, datetime.now(UTC))
    except OperatorError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    typer.echo(f"added operator {name}; log in at {settings.site.absolute('/admin/')}")


@operators_app.command("passwd")
def passwd(name: str, stdin: Stdin = False, config: ConfigOption = None) -> None:
    """Give an operator a new password; their open sessions end."""
    settings = settings_from(config)
    password = _password(stdin)
    store = store_from(settings)
    try:
        store.operators.set_password(name, password, datetime.now(UTC))
    except OperatorError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    typer.echo(f"new password for operator {name}; their sessions ended")


@operators_app.command("disable")
def disable(name: str, config: ConfigOption = None) -> None:
    """Stop an operator from logging in; their open sessions end."""
    store = store_from(settings_from(config))
    try:
        store.operators.disable(name, datetime.now(UTC))
    except OperatorError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    typer.echo(f"disabled operator {name}")


@operators_app.command("list")
def list_operators(config: ConfigOption = None) -> None:
    """Every operator: name, when added, and whether disabled."""
    store = store_from(settings_from(config))
    try:
        found = store.operators.all()
    finally:
        store.close()
    for record in found:
        state = "disabled" if record.disabled else "active"
        typer.echo(f"{record.name}\t{record.created_at.isoformat(timespec='seconds')}\t{state}")
    if not found:
        typer.echo("no operators yet: feeds operators add NAME")


def register(app: typer.Typer) -> None:
    """Mount ``feeds operators`` on the main app."""
    app.add_typer(operators_app, name="operators")
