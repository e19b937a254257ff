"""Render linearity: per-item render time at 5,000 items against 50, and the cold render.

``feeds.publish.render`` of full-text stories (``bench/corpus.py``: English, a lead image,
a byline, tags, two translation links per item) in RSS, Atom and JSON Feed at 50, 500 and
5,000 items, the per-item time of each divided by its 50-item figure (target ≤ 1.15); raw
feedgen (``bench/serve.py``'s baseline: the same items, the fields feedgen writes itself)
beside it. Then the cold 50-item render against raw feedgen's (target ≤ 1.0). Rounds are
interleaved and the median kept, so a burst of load on the shared machine hits every size
alike, and the time is this process's CPU time (the render is all CPU).

Usage: ``.venv/bin/python bench/render.py [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from corpus import make_articles
from feeds.feedkeys import Format
from feeds.publish.render import render
from serve import description_for, raw_feedgen

SIZES = (50, 500, 5000)
FORMATS = (Format.RSS, Format.ATOM, Format.JSON)


def once(fn: Callable[[], object], calls: int) -> float:
    """CPU seconds of this process per call over ``calls`` calls: on a shared machine the
    wall clock also counts the time other processes held the CPU."""
    started = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    pool = make_articles(max(SIZES))
    description = description_for()
    runs: dict[tuple[str, Format, int], list[float]] = {}
    jobs: dict[tuple[str, Format, int], Callable[[], object]] = {}
    for fmt in FORMATS:
        for n in SIZES:
            subset = pool[:n]
            jobs[("ours", fmt, n)] = lambda s=subset, f=fmt: render(description, f, s)
            if fmt is not Format.JSON:
                jobs[("feedgen", fmt, n)] = lambda s=subset, f=fmt: raw_feedgen(s, f)
    for job in jobs.values():
        job()  # warm-up
    for _ in range(args.rounds):
        for key, job in jobs.items():
            calls = max(1, 20_000 // (key[2] * 40))  # about the same work per measurement
            runs.setdefault(key, []).append(once(job, calls))
    median = {key: statistics.median(times) for key, times in runs.items()}
    print(
        "| format | items | ours (ms) | µs per item | per item vs 50 (target ≤ 1.15) "
        "| raw feedgen (ms) | feedgen per item vs 50 |"
    )
    print("|---|---|---|---|---|---|---|")
    for fmt in FORMATS:
        for n in SIZES:
            ours = median[("ours", fmt, n)]
            ratio = (ours / n) / (median[("ours", fmt, 50)] / 50)
            raw = median.get(("feedgen", fmt, n))
            raw_cells = "— | —"
            if raw is not None:
                raw_ratio = (raw / n) / (median[("feedgen", fmt, 50)] / 50)
                raw_cells = f"{raw * 1e3:.1f} | {raw_ratio:.2f}"
            print(
                f"| {fmt.value} | {n} | {ours * 1e3:.1f} | {ours / n * 1e6:.0f} "
                f"| {ratio:.2f} | {raw_cells} |"
            )
    print("\n| cold 50-item render | ours (ms) | raw feedgen (ms) | ratio (target ≤ 1.0) |")
    print("|---|---|---|---|")
    for fmt in (Format.RSS, Format.ATOM):
        ours, raw = median[("ours", fmt, 50)], median[("feedgen", fmt, 50)]
        print(f"| {fmt.value} | {ours * 1e3:.2f} | {raw * 1e3:.2f} | {ours / raw:.2f} |")
    print(f"| json | {median[('ours', Format.JSON, 50)] * 1e3:.2f} | — | — |")
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
