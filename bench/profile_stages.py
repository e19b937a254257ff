"""A py-spy raw profile of an aggregator cycle, summed by stage (docs/benchmarks.md).

    .venv/bin/python bench/aggregate.py --phase farm --port 18765 --feeds 1000 &
    .venv/bin/py-spy record --subprocesses --threads --format raw -r 200 -o cold.raw -- \\
        .venv/bin/python bench/aggregate.py --phase cycles --port 18765 --feeds 1000
    .venv/bin/python bench/profile_stages.py cold.raw

Each sample goes to the stage of its innermost frame that a rule below names, in the
process it was taken in (the aggregator's, or a parse worker forked from the fork
server). Waits that py-spy samples as active (select, queue and lock waits) and the
bench's own setup (registering sources, imports) are counted apart, not in the shares.
"""

from __future__ import annotations

import collections
import re
import sys

RULES = [
    ("language", ("feeds/aggregate/lang.py", "py3langid")),
    ("sanitise (nh3)", ("safehtml.py",)),
    ("validation (Article)", ("feeds/model.py",)),
    ("row building (JSON document, outbox keys)", ("articlerows.py", "feedkeys.py")),
    (
        "parse (lxml fast path)",
        ("fastxml.py", "aggregate/parse.py", "document.py", "charset.py", "xmlguard.py"),
    ),
    ("decide", ("decide.py", "entrycap.py")),
    ("entry fields (links, caps, hygiene)", ("prepare.py", "hygiene.py")),
    ("crossing processes", ("pickle", "multiprocessing/connection.py", "workerpool.py")),
    ("store", ("feeds/store/", "sqlalchemy", "sqlite3", "psycopg")),
    ("fetch", ("fetch.py", "aiohttp", "policy.py", "yarl", "multidict", "selector_events")),
    ("pipeline", ("pipeline.py", "daemon.py")),
    ("event loop", ("asyncio",)),
]
SETUP = ("add_source", "import_module", "_find_and_load", "phase_cycles (aggregate.py:2")
WAIT = re.compile(r"(select|poll) \(selectors.py|\.wait \(threading|queue.py|SimpleQueue")


def stage(stack: str, frames: list[str]) -> str:
    if WAIT.search(frames[-1]):
        return "waiting"
    if any(k in stack for k in SETUP[:3]) and "prepare (feeds" not in stack:
        return "setup"
    for frame in reversed(frames):
        for name, keys in RULES:
            if any(k in frame for k in keys):
                return name
    return "other"


def main() -> None:
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    with open(sys.argv[1], encoding="utf-8") as raw:
        for line in raw:
            stack, n = line.rsplit(" ", 1)
            frames = stack.split(";")
            proc = "worker" if "forkserver import" in stack else "aggregator"
            counts[(proc, stage(stack, frames))] += int(n)
    busy = sum(n for (_, s), n in counts.items() if s not in ("waiting", "setup"))
    print("| process | stage | samples | share of busy samples |\n|---|---|---|---|")
    for (proc, name), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        share = "—" if name in ("waiting", "setup") else f"{100 * n / busy:.1f}%"
        print(f"| {proc} | {name} | {n} | {share} |")


if __name__ == "__main__":
    main()
