"""A deterministic parallel map: the same results, in the same order, for any worker count.

Work is cut into items (typically index chunks, `index_chunks`) whose results depend
only on the item itself (each draws from its own generator, seeded from (seed, index)),
so neither the number of workers nor the chunking changes a single output byte.
Processes start with 'spawn' by default: safe in a threaded parent (Prefect runs tasks
in threads) and identical on every platform; `fn` and the items must be picklable
(a module-level function or a functools.partial of one). workers=1 runs inline.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def keep_freed_memory() -> None:
    """Worker start-up: let glibc's malloc keep freed memory instead of returning it.

    Per-item temporaries (image-sized arrays) are otherwise handed back to the OS and
    faulted in again for every item, which costs more than the arithmetic on them. Only
    in our own worker processes (never the caller's); a no-op without glibc.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):  # not glibc
        return
    if mallopt is not None:
        mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to 256 MB of freed heap
        mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: blocks below 32 MB come from the heap


def keep_freed_memory_in_workers() -> None:
    """keep_freed_memory, but only in a child process (a process pool's or a Dask
    nanny's worker): a task that also runs in the caller's own process calls this."""
    if multiprocessing.parent_process() is not None:
        keep_freed_memory()


def index_chunks(n: int, workers: int, per_worker: int = 4,
                 max_size: int = 256) -> list[tuple[int, int]]:
    """[start, stop) ranges covering 0..n-1: about `per_worker` chunks per worker (load
    balance), at most `max_size` long (progress granularity), at least 1."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    size = max(1, min(max_size, -(-n // max(1, workers * per_worker))))
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def parallel_map(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None,
                 start_method: str = "spawn") -> list[R]:
    """[fn(item) for item in items], computed by `workers` processes (None: all cores).

    Results come back in item order; an exception in a worker is raised here, and a
    worker that dies (e.g. cannot start) raises BrokenProcessPool instead of hanging.
    """
    items = list(items)
    n_workers = default_workers() if workers is None else int(workers)
    if n_workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    n_workers = min(n_workers, len(items))
    if n_workers <= 1:
        return [fn(item) for item in items]
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(n_workers, mp_context=context,
                             initializer=keep_freed_memory) as pool:
        return list(pool.map(fn, items))
