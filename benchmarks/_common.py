"""Helpers the benchmarks share: a calls-per-second timer, the matmul FLOP rate and the
CPU time of a job's worker processes."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any


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


def trainer_round(refiner: str, discriminator: str, hw: tuple[int, int], batch: int,
                  precision: str, syn: Any, real: Any, **settings: Any
                  ) -> tuple[Any, Callable[[], None]]:
    """The pipeline's SimGANTrainer for two presets (residual refiner, float16 history of
    1024, the weight average, no pre-training; `settings` override SimGANConfig fields)
    and one adversarial round on (syn, real): kg refiner steps, then kd critic steps."""
    from dataclasses import replace

    import torch

    from simgan_core.refiner.models import DISCRIMINATOR_PRESETS, REFINER_PRESETS
    from simgan_core.refiner.trainer import SimGANConfig, SimGANTrainer

    cfg = SimGANConfig(refiner=replace(REFINER_PRESETS[refiner], residual=True),
                       discriminator=DISCRIMINATOR_PRESETS[discriminator], image_hw=hw,
                       batch_size=batch, history_size=1024, history_dtype="float16",
                       refiner_ema=0.995, pretrain_refiner_steps=0, pretrain_disc_steps=0,
                       cpu_precision=precision, **settings)
    trainer = SimGANTrainer(cfg, torch.device("cpu"))

    def round_() -> None:
        for _ in range(cfg.kg):
            trainer.refiner_step(syn)
        for _ in range(cfg.kd):
            trainer.disc_step(syn, real)

    return trainer, round_
