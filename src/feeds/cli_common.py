"""What every ``feeds`` sub-command shares: the --config option, settings, store, errors.

Errors: a sub-command lets a ``FeedsError`` rise; ``FeedsGroup`` prints it once.

``--config`` may come before the sub-command (``feeds --config f.toml serve``, read by
the root callback in ``feeds.cli``) or after it (``feeds serve --config f.toml``); the
one after wins. Without either, ``$FEEDS_CONFIG``.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from feeds.config import Settings, load_settings
from feeds.errors import FeedsError
from feeds.store import Store, open_store

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


def root_config() -> Path | None:
    """The ``--config`` given before the sub-command, if any."""
    return _root_config.get()


def settings_from(config: Path | None) -> Settings:
    return load_settings(config if config is not None else _root_config.get())


def store_from(settings: Settings, *, migrate: bool = True) -> Store:
    return open_store(settings.database_url, migrate=migrate)


class FeedsGroup(TyperGroup):
    """The ``feeds`` command group: a ``FeedsError`` from any sub-command, wherever it
    is raised, becomes one red ``error:`` line and exit status 2, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click.Context
        try:
            return super().invoke(ctx)
        except FeedsError as exc:
            raise fail(str(exc)) from None
