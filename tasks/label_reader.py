"""The task-consistency label reader of a refiner stage (simgan_core/refiner/label_reader.py).

Trained on synthetic images and their synthetic labels only, with the domain's
estimator augmentation; real images and their labels are never read here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from torch import nn

from simgan_core.domain import Domain, get_domain
from simgan_core.estimator_family import estimator_augment
from simgan_core.image_source import domain_of_shards
from simgan_core.refiner.label_reader import train_label_reader
from tasks.evaluate_refiner import load_labeled
from tasks.params import TrainRefiner
from tasks.progress import Progress

READER_SAMPLES = 6000  # synthetic images the reader learns from (the first, in index order)
READER_SEED_OFFSET = 1000  # not the label-shift regressor's seed: another model measures
READER_THREADS = 1  # torch threads while the reader trains: one count, one set of weights


def train_reader(cfg: TrainRefiner, domain: Domain) -> nn.Module:
    """The frozen reader for cfg's domain, trained on the first READER_SAMPLES synthetic
    images with the augmentation the domain's estimators use.

    The same reader wherever it is trained (the stage's flow, a candidate's process, a
    trial): seed cfg.seeds[0] + READER_SEED_OFFSET and READER_THREADS torch threads,
    since the thread count changes how float sums are split, and so the weights.
    """
    if domain.label_vector is None or domain.estimator is None:
        raise ValueError(f"train_refiner.{domain.name}.lambda_task > 0 needs labels and an "
                         f"estimator family; the {domain.name} domain has neither: set it to 0")
    domain = domain_of_shards(domain, cfg.shards_dir)  # refuses shards of another size
    images, labels, _ = load_labeled(Path(cfg.shards_dir) / "synthetic", READER_SAMPLES, domain)
    threads = torch.get_num_threads()
    torch.set_num_threads(READER_THREADS)
    try:
        return train_label_reader(images, labels, domain.to_unit, estimator_augment(domain),
                                  steps=cfg.label_reader_steps,
                                  seed=cfg.seeds[0] + READER_SEED_OFFSET)
    finally:
        torch.set_num_threads(threads)


def reader_digest(reader: nn.Module) -> str:
    """sha256 of a reader's weights (names, shapes and float32 bytes, in state order):
    part of the refiner's run key, so a checkpoint made with another reader is never
    resumed as this one's."""
    digest = hashlib.sha256()
    for name, tensor in reader.state_dict().items():
        digest.update(f"{name}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


@task(name="train-label-reader", cache_policy=NO_CACHE)
def label_reader_for(cfg: TrainRefiner, domain: str) -> nn.Module | None:
    """The stage's frozen label reader, shared by every candidate; None when lambda_task
    is 0 (no task-consistency term)."""
    if cfg.lambda_task == 0:
        return None
    get_run_logger().info("train-refiner-%s: training the label reader (%d steps)", domain,
                          cfg.label_reader_steps)
    progress = Progress(f"train-refiner-{domain}: label reader", 1, "readers trained",
                        timed=False)  # one unit: a rate and an ETA say nothing
    reader = train_reader(cfg, get_domain(domain))
    progress.advance(note=f"{cfg.label_reader_steps} steps")
    return reader
