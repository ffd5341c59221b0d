"""Helpers the benchmarks share: a calls-per-second timer, the matmul FLOP rate and the
CPU time of a job's worker processes."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], min_seconds: float, sync: Callable[[], None]) -> float:
    """Calls of fn per second, after one warm-up call, over at least min_seconds."""
    fn()
    sync()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        fn()
        calls += 1
    sync()
    return calls / (time.perf_counter() - start)


def matmul_flops_per_s(device, sync: Callable[[], None], seconds: float = 2.0) -> float:
    """The measured float32 torch.mm rate (FLOP/s) of a 1024^3 product: the FLOP bound."""
    import torch

    a = torch.randn(1024, 1024, device=device)
    return timed(lambda: a @ a, seconds, sync) * 2 * 1024**3


def with_worker_cpu(job: Callable[[], dict]) -> tuple[dict, float, float]:
    """Run job; return its summary and the (user, system) CPU seconds its workers used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = job()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return summary, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
