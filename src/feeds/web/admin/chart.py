"""A bar chart of entries per day as inline SVG, drawn on the server (no script: the
console's pages have none). The template writes the elements; this computes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Bar", "Chart", "bar_chart"]

WIDTH = 600
HEIGHT = 160
_AXIS = 24  # room under the bars for the dates
_TOP = 14  # room above the tallest bar for its number


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    count: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    peak: int
    labels: tuple[tuple[float, str], ...]  # (x, text) under some bars
    total: int

    @property
    def baseline(self) -> int:
        return self.height - _AXIS


def bar_chart(counts: Sequence[int], last_day: date) -> Chart:
    """One bar per day of ``counts``, which ends on ``last_day``."""
    days = len(counts)
    first = last_day - timedelta(days=days - 1)
    peak = max(counts, default=0)
    room = HEIGHT - _AXIS - _TOP
    step = WIDTH / max(days, 1)
    bars = []
    for n, count in enumerate(counts):
        height = room * count / peak if peak else 0.0
        bars.append(
            Bar(
                x=round(n * step + 1, 1),
                y=round(HEIGHT - _AXIS - height, 1),
                width=round(max(step - 2, 1), 1),
                height=round(height, 1),
                day=first + timedelta(days=n),
                count=count,
            )
        )
    every = max(1, days // 6)
    labels = tuple(
        (round(b.x + b.width / 2, 1), b.day.strftime("%m-%d"))
        for n, b in enumerate(bars)
        if n % every == 0 or n == days - 1
    )
    return Chart(WIDTH, HEIGHT, tuple(bars), peak, labels, sum(counts))
