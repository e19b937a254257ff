"""The store is the only door to the database: no other room holds a connection.

import-linter keeps SQLAlchemy out of every room but ``feeds.store``; this keeps the other
rooms from reaching through a ``Store`` into its private ``Database`` instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import feeds

SRC = Path(feeds.__file__).resolve().parent
# A store's Database (``store._db``), its transactions, or an engine (``x.engine``, not
# the module ``feeds.store.engine``).
REACHING_IN = re.compile(r"store\w*\._db\b|\.(transaction|reading)\(\)|(?<!feeds\.store)\.engine\b")


def test_no_room_but_the_store_opens_a_connection() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if "store" not in path.relative_to(SRC).parts[:1]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if REACHING_IN.search(line)
    ]
    assert offenders == []
