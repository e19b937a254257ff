"""What every ``feeds`` sub-command shares: the --config option, settings, store, errors.

Errors: a sub-command lets a ``FeedsError`` rise; ``FeedsGroup`` prints it once.

``--config`` may come before the sub-command (``feeds --config f.toml serve``, read by
the root callback in ``feeds.cli``) or after it (``feeds serve --config f.toml``); the
one after wins. Without either, ``$FEEDS_CONFIG``.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from feeds import logs
from feeds.config import LogSettings, Settings, load_settings
from feeds.errors import FeedsError
from feeds.store import Store, open_store

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML config file (default: $FEEDS_CONFIG).", show_default=False
    ),
]


LogFormatOption = Annotated[
    str | None,
    typer.Option(
        "--log-format",
        help="Log lines as text or json (default: [log] format, $FEEDS_LOG_FORMAT, text).",
        show_default=False,
    ),
]
LogLevelOption = Annotated[
    str | None,
    typer.Option(
        "--log-level",
        help="debug, info, warning or error (default: [log] level, $FEEDS_LOG_LEVEL, info).",
        show_default=False,
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
    """The settings, and logging in their format: a short command (``import``,
    ``partners add``…) logs warnings and errors only, unless the level is ``debug``;
    ``serve``, ``aggregate`` and ``poll`` log at the level set (``start_logging``)."""
    settings = load_settings(config if config is not None else _root_config.get())
    level = settings.log.level
    logs.configure(settings.log.format, level if level in ("debug", "error") else "warning")
    return settings


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


def log_options_problem(log_format: str | None, log_level: str | None) -> str | None:
    """What is wrong with ``--log-format``/``--log-level``, said before anything starts."""
    if log_format is not None and log_format.lower() not in logs.FORMATS:
        return f"--log-format {log_format}: must be one of {', '.join(logs.FORMATS)}"
    if log_level is not None and log_level.lower() not in logs.LEVELS:
        return f"--log-level {log_level}: must be one of {', '.join(logs.LEVELS)}"
    return None


def start_logging(
    settings: Settings, log_format: str | None = None, log_level: str | None = None
) -> Settings:
    """Log as the options (else the settings) say; the settings returned say it too, so
    that the processes started from them (the aggregator's child) log alike."""
    chosen = LogSettings(
        format=(log_format or settings.log.format).lower(),
        level=(log_level or settings.log.level).lower(),
    )
    logs.configure(chosen.format, chosen.level)
    return replace(settings, log=chosen)
