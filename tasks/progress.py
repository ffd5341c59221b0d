"""Progress of long work, for a person watching the terminal and for the Prefect UI.

`Progress` logs a line (through the run's logger: the terminal and the run's log) each
time the work done crosses a multiple of `every` units, and at the end, with the rate
and the ETA (`timed=False`: without them, for a few units that finish at uneven times,
where a rate would mislead), and keeps a Prefect progress artifact (percent done) on
the run up to date at the same moments. Call it from a flow or a task: it needs a run context.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

LINES = 10  # default: a line per tenth of the work


def format_seconds(seconds: float) -> str:
    """12 -> '12 s', 75 -> '1 min 15 s', 3720 -> '1 h 02 min'; unknown -> '?'."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def progress_line(what: str, done: int, total: int, unit: str, seconds: float,
                  timed: bool = True) -> str:
    """'simulate-gaze-synthetic: 3000/12000 images (25 %), 310.2 images/s, ETA 29 s'; untimed:
    'train-refiner-hand: judged: 1/3 candidates (33 %)'."""
    percent = 100.0 * done / total if total else 100.0
    counted = f"{what}: {done}/{total} {unit} ({percent:.0f} %)"
    if not timed:
        return counted
    rate = done / seconds if seconds > 0 else math.nan
    eta = (total - done) / rate if done and rate > 0 else math.nan
    return f"{counted}, {rate:.1f} {unit}/s, ETA {format_seconds(eta)}"


class Progress:
    """`total` units of work called `unit`; `advance(n)` as they complete."""

    def __init__(self, what: str, total: int, unit: str, every: int | None = None,
                 log: Callable[[str], None] | None = None, artifact: bool = True,
                 clock: Callable[[], float] = time.perf_counter, timed: bool = True) -> None:
        self.what, self.total, self.unit, self.timed = what, max(int(total), 0), unit, timed
        self.every = max(1, every if every is not None else math.ceil(self.total / LINES))
        self.log = log if log is not None else get_run_logger().info
        self.clock, self.started, self.done = clock, clock(), 0
        self.artifact: UUID | None = (
            create_progress_artifact(progress=0.0, description=f"{what}: {unit} done / total")
            if artifact else None)

    @property
    def percent(self) -> float:
        return 100.0 * min(self.done, self.total) / self.total if self.total else 100.0

    def advance(self, n: int = 1, note: str = "") -> None:
        """Count n more units; report when a multiple of `every` (or the end) is crossed."""
        before, self.done = self.done, self.done + n
        if self.done // self.every == before // self.every and not (
                before < self.total <= self.done):
            return
        line = progress_line(self.what, self.done, self.total, self.unit,
                             self.clock() - self.started, self.timed)
        self.log(f"{line}{', ' + note if note else ''}")
        if self.artifact is not None:
            update_progress_artifact(self.artifact, progress=self.percent)
