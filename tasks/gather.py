"""Waiting on a fan-out of Prefect task futures with a progress line as they finish."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from prefect.futures import PrefectFuture, as_completed

from tasks.progress import Progress


def gather(futures: Sequence[PrefectFuture], what: str, unit: str = "tasks",
           log: Callable[[str], None] | None = None, timed: bool = True) -> list[Any]:
    """The futures' results in submission order (a run's outputs must not depend on which
    worker finished first); a progress line and artifact update as each one finishes
    (`timed=False`: without a rate and an ETA). A failed task raises here, as
    `future.result()` would."""
    progress = Progress(what, len(futures), unit, log=log, timed=timed)
    for future in as_completed(list(futures)):
        future.result()
        progress.advance()
    return [future.result() for future in futures]
