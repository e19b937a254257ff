"""Per-job cost of the parse worker pool against concurrent.futures.ProcessPoolExecutor.

    .venv/bin/python bench/workerpool.py [--jobs 2000] [--rounds 3]

The shape of a cold cycle: 2,000 jobs, 32 in flight from an asyncio loop, each sending a
75 KB body and getting back 50 rows of ~1 KB (what one 50-item feed's new entries weigh).
Two workers each; ProcessPoolExecutor started with "spawn" (as the aggregator had it),
``feeds.aggregate.workerpool.WorkerPool`` with its fork server. Printed per pool and
round: milliseconds of wall time per job and of the parent's CPU per job, and the time
to start the workers. Rounds alternate between the two pools.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

BODY = b"x" * 75_000


def rows(body: bytes, n: int) -> list[tuple[str, str, int, int, None]]:
    return [(f"key-{n}-{k}", "x" * 900, n, k, None) for k in range(50)]


def measure(make: str, jobs: int) -> dict[str, float]:
    from feeds.aggregate.workerpool import WorkerPool

    started = time.perf_counter()
    pool: Executor
    if make == "ProcessPoolExecutor":
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    else:
        pool = WorkerPool(2, 10.0, preload=("feeds.aggregate.workerpool",))
    list(pool.map(abs, range(8)))  # both workers up
    start_s = time.perf_counter() - started

    async def run() -> None:
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(32)

        async def one(n: int) -> object:
            async with slots:
                return await loop.run_in_executor(pool, rows, BODY, n)

        await asyncio.gather(*(one(n) for n in range(jobs)))

    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(run())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    pool.shutdown()
    return {
        "start_s": round(start_s, 2),
        "wall_ms_per_job": round(1000 * wall / jobs, 3),
        "parent_cpu_ms_per_job": round(1000 * cpu / jobs, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for _ in range(args.rounds):
        for make in ("ProcessPoolExecutor", "WorkerPool"):
            print(json.dumps({"pool": make, **measure(make, args.jobs)}), flush=True)


if __name__ == "__main__":
    main()
