"""``feeds`` (the installed command) and ``python -m feeds``.

Kept this small on purpose: multiprocessing runs a program's main module again in the
fork server that starts the parse workers, so the command itself is imported only once it
runs, here in the parent, not in the workers' server (``feeds.aggregate.workerpool``).
"""

from __future__ import annotations


def main() -> None:
    from feeds.cli import main as run

    run()


if __name__ == "__main__":
    main()
