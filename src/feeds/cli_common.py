"""What every ``feeds`` sub-command shares: the --config option, settings, store, errors.

``--config`` may come before the sub-command (``feeds --config f.toml serve``, read by
the root callback in ``feeds.cli``) or after it (``feeds serve --config f.toml``); the
one after wins. Without either, ``$FEEDS_CONFIG``.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Annotated

import typer

from feeds.config import ConfigError, Settings, load_settings
from feeds.store import Store, StoreError, open_store

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML config file (default: $FEEDS_CONFIG).", show_default=False
    ),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one red ``error:`` line and return the exit to raise."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


# The ``--config`` given before the sub-command; set by the root callback on every run.
_root_config: ContextVar[Path | None] = ContextVar("feeds_root_config", default=None)


def remember_root_config(config: Path | None) -> None:
    """Called by ``feeds.cli``'s root callback with its ``--config`` (None: not given)."""
    _root_config.set(config)


def settings_from(config: Path | None) -> Settings:
    try:
        return load_settings(config if config is not None else _root_config.get())
    except ConfigError as exc:
        raise fail(str(exc)) from None


def store_from(settings: Settings, *, migrate: bool = True) -> Store:
    try:
        return open_store(settings.database_url, migrate=migrate)
    except StoreError as exc:
        raise fail(str(exc)) from None
