"""One log format for every feeds process: ``text`` or ``json`` lines on stderr.

``configure`` is called once by each process that logs: ``feeds serve`` and each of its web
workers (``feeds.web.app.create_app``, so a factory under uvicorn or gunicorn logs the same
way), the aggregator's child process, ``feeds aggregate`` and ``feeds poll``. It puts one
handler on the root logger and hands uvicorn's own loggers (``uvicorn.error``,
``uvicorn.access``) to it, so that their lines have the same shape as ours.

A line of ``text``::

    2026-12-03T06:30:00.123Z INFO feeds.web[4242]: message request_id=0f3a...

A line of ``json`` is one object: ``time``, ``level``, ``logger``, ``pid``, ``message``,
``request_id`` while a request is answered, ``client``/``method``/``path``/``status`` on
uvicorn's access lines and ``exception`` (the traceback, one string) when there is one, so
that every line of stderr parses.

APScheduler writes two INFO lines per job run (every ``tick_seconds``) and Alembic two each
time a process opens the store; both are held at WARNING unless the level is ``debug``
(feeds says itself when it migrates).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["FORMATS", "LEVELS", "JsonFormatter", "TextFormatter", "configure", "request_id"]

FORMATS = ("text", "json")
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}

# The id of the HTTP request this code is answering (set by ``feeds.web.requestid``).
request_id: ContextVar[str | None] = ContextVar("feeds_request_id", default=None)

# Loggers whose own handlers are dropped so that their records reach ours.
_HANDED_OVER = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# Loggers that say too much at INFO for an operator's log.
_QUIET = ("apscheduler", "alembic")


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """What a line says beside its message: the request id, and what an access line is."""
    fields: dict[str, Any] = {}
    rid = getattr(record, "request_id", None) or request_id.get()
    if rid:
        fields["request_id"] = rid
    args = record.args
    if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        client, method, path, _version, status = args  # as uvicorn writes them
        fields.update(client=client, method=method, path=path, status=status)
    return fields


class TextFormatter(logging.Formatter):
    """``time LEVEL logger[pid]: message key=value ...``, then the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        fields.pop("client", None)  # the message of an access line says all of these
        fields.pop("method", None)
        fields.pop("path", None)
        fields.pop("status", None)
        line = f"{_time(record)} {record.levelname} {record.name}[{record.process}]: "
        line += record.getMessage()
        line += "".join(f" {key}={value}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line; a traceback is a field, never lines of its own."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes, not when it was made."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """StreamHandler.__init__ and setStream assign a stream; it is not kept, since the
        handler always writes to the current ``sys.stderr``."""


def configure(log_format: str = "text", level: str = "info") -> None:
    """Log ``log_format`` lines at ``level`` and above to stderr, from every logger.

    Called again, it replaces the handler it put there before (and only that one).
    """
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(FORMATS)}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Stderr):
            root.removeHandler(handler)
    handler = _Stderr()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(LEVELS[level])
    for name in _HANDED_OVER:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "debug" else logging.WARNING)
