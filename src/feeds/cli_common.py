"""What every ``feeds`` sub-command shares: the --config option, settings, store, errors."""

from __future__ import annotations

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


def settings_from(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def store_from(settings: Settings, *, migrate: bool = True) -> Store:
    try:
        return open_store(settings.database_url, migrate=migrate)
    except StoreError as exc:
        raise fail(str(exc)) from None
