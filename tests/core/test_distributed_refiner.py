"""Refiner training under DistributedDataParallel: 2 CPU ranks (gloo), a tiny model.

Each rank trains on its own batches; a step's gradient is the mean of the ranks' local
gradients, and both ranks end with identical refiner and discriminator weights.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from simgan_core.refiner.distributed import (
    RankInfo,
    init_process_group,
    make_distributed,
    shutdown,
)
from simgan_core.refiner.losses import self_regularization_loss
from simgan_core.refiner.models import DiscriminatorConfig, RefinerConfig
from simgan_core.refiner.trainer import SimGANConfig, SimGANTrainer

WORLD = 2
TINY = SimGANConfig(refiner=RefinerConfig(1, 4, 1, 3),
                    discriminator=DiscriminatorConfig(1, "gaze", 0.125), image_hw=(35, 55),
                    history_size=8, batch_size=4, pretrain_refiner_steps=2,
                    pretrain_disc_steps=1, steps=2, seed=0)


def _batches(seed: int):  # noqa: ANN202 - a () -> (4, 1, 35, 55) batch callable
    generator = torch.Generator().manual_seed(seed)
    return lambda: torch.rand(4, 1, 35, 55, generator=generator) * 2 - 1


def _rank_main(rank: int, init_file: str, out_dir: str) -> None:
    """One rank: the gradient check on the first step, then the rest of the schedule."""
    torch.set_num_threads(1)
    info = RankInfo(rank, WORLD, rank)
    init_process_group(info, f"file://{init_file}")
    try:
        trainer = make_distributed(SimGANTrainer(TINY, torch.device("cpu")), info)
        x = trainer._batch(_batches(100 + rank)())  # this rank's own first batch
        local = copy.deepcopy(trainer.refiner)  # the plain model: this rank's own gradient
        self_regularization_loss(local(x), x, TINY.psi).backward()
        local_grad = torch.cat([p.grad.reshape(-1) for p in local.parameters()])
        trainer.train_step(lambda: x, lambda: x)  # pretrain_refiner: through DDP
        ddp_grad = torch.cat([p.grad.reshape(-1) for p in trainer.refiner.parameters()])
        every = [torch.zeros_like(local_grad) for _ in range(WORLD)]
        dist.all_gather(every, local_grad)
        syn, real = _batches(200 + rank), _batches(300 + rank)
        trainer.fit(syn, real)
        torch.save({"mean_error": (ddp_grad - torch.stack(every).mean(0)).abs().max(),
                    "ranks_differ": (every[0] - every[1]).abs().max(),
                    "refiner": trainer.refiner.state_dict(),
                    "discriminator": trainer.discriminator.state_dict(),
                    "step": trainer.step}, Path(out_dir) / f"rank{rank}.pt")
    finally:
        shutdown()


@pytest.mark.slow
def test_two_ranks_average_gradients_and_end_identical(tmp_path: Path) -> None:
    mp.spawn(_rank_main, args=(str(tmp_path / "rendezvous"), str(tmp_path)), nprocs=WORLD,
             join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(WORLD))
    assert r0["step"] == r1["step"] == 5  # 2 + 1 pretraining steps, 2 rounds
    assert r0["ranks_differ"] > 1e-4  # the ranks' own gradients differ (their own data)
    for r in (r0, r1):
        assert r["mean_error"] < 1e-6  # the step's gradient: the mean of the ranks'
    for name in ("refiner", "discriminator"):
        for key, value in r0[name].items():
            assert torch.equal(value, r1[name][key]), f"{name}.{key} differs between ranks"
    # and the ranks really moved the weights together (not left at the initial ones)
    start = SimGANTrainer(TINY, torch.device("cpu")).refiner.state_dict()
    assert any(not torch.equal(v, start[k]) for k, v in r0["refiner"].items())
