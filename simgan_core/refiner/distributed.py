"""Refiner training on several processes (GPUs or CPU ranks) with DistributedDataParallel.

Launched by `torchrun --nproc_per_node N` (which sets RANK, WORLD_SIZE, LOCAL_RANK and
the rendezvous address). Each rank runs the same schedule on its own data:

- its own seeded sample streams (`rank_seed`): rank 0 draws exactly what a
  single-process run draws; the effective batch is N x batch_size;
- its own history buffer, drawn from its own generator (rank 0: the single-process one);
- the same models: DDP broadcasts rank 0's weights at the start and averages every
  gradient over the ranks (all-reduce) before each optimizer step, so the ranks'
  weights and optimizer states stay identical;
- only rank 0 writes checkpoints, the model file, curves and logs (`is_main`).

A checkpoint holds rank 0's state. A resumed DDP run gives every rank rank 0's models,
optimizers and stream positions (equal on every rank: each draws the same number of
batches); every other rank then reseeds its history generator from (seed, rank, step)
and starts from rank 0's history images. The bit-exact resume guarantee is the single-process one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from simgan_core.refiner.trainer import SimGANTrainer

_RANK_SEED_STRIDE = 7919  # a prime: rank r's streams use seed + r * stride


@dataclass(frozen=True)
class RankInfo:
    """This process's place in the job."""

    rank: int
    world_size: int
    local_rank: int  # rank on this node: picks the GPU

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def device(self) -> torch.device:
        """cuda:<local_rank> when there is a GPU, else the CPU."""
        if torch.cuda.is_available():
            return torch.device("cuda", self.local_rank)
        return torch.device("cpu")

    @classmethod
    def from_env(cls) -> RankInfo:
        """From torchrun's RANK / WORLD_SIZE / LOCAL_RANK; a clear error without them."""
        missing = [k for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK") if k not in os.environ]
        if missing:
            raise RuntimeError(f"{', '.join(missing)} not set: start this with "
                               f"`torchrun --nproc_per_node N -m flows.train_refiner_ddp ...`")
        return cls(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]),
                   int(os.environ["LOCAL_RANK"]))


def rank_seed(seed: int, rank: int) -> int:
    """The seed of rank `rank`'s sample streams; rank 0 keeps `seed`."""
    return seed + rank * _RANK_SEED_STRIDE


def init_process_group(info: RankInfo, init_method: str | None = None) -> None:
    """Join the job: NCCL on GPUs, gloo on the CPU. init_method None: torchrun's env://."""
    backend = "nccl" if info.device.type == "cuda" else "gloo"
    if info.device.type == "cuda":
        torch.cuda.set_device(info.device)
    dist.init_process_group(backend, init_method=init_method or "env://", rank=info.rank,
                            world_size=info.world_size)


def make_distributed(trainer: SimGANTrainer, info: RankInfo) -> SimGANTrainer:
    """Wrap the trainer's gradient-taking passes in DDP (call after loading a checkpoint:
    DDP broadcasts rank 0's weights) and give the rank its own history draws."""
    if not dist.is_initialized():
        raise RuntimeError("torch.distributed is not initialized (init_process_group first)")
    ids = [trainer.device.index] if trainer.device.type == "cuda" else None
    # The refiner step does not run the discriminator's wrapper (the critic is frozen
    # there), so every wrapped forward is followed by a backward that reaches all its
    # parameters. (No buffers to keep in sync: the models have no batch norm.)
    trainer.refiner_for_training = DistributedDataParallel(trainer.refiner, device_ids=ids)
    trainer.discriminator_for_training = DistributedDataParallel(trainer.discriminator,
                                                                 device_ids=ids)
    if info.rank != 0:  # rank 0 keeps the single-process draws (and a checkpoint's)
        trainer.generator.manual_seed(rank_seed(trainer.cfg.seed, info.rank) * 1_000_003
                                      + trainer.step)
    return trainer


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
