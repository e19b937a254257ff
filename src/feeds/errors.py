"""``FeedsError``: the one root of every error feeds raises on purpose.

Catch ``FeedsError`` to catch them all (the ``feeds`` command does, once, and prints
the message on one line). Each error lives in the room that raises it and keeps the
standard base its callers already catch (``ValueError`` for bad input, ``OSError``,
``TimeoutError``, ``RuntimeError``), so ``except ValueError`` keeps working too.
Messages say what failed, for which input, and what to do.

Standard library only: every room, the model included, may import it.
"""

from __future__ import annotations

__all__ = ["FeedsError"]


class FeedsError(Exception):
    """Something feeds refused or could not do; ``str()`` is the one-line message."""
