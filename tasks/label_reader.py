"""The task-consistency label reader of a refiner stage (simgan_core/refiner/label_reader.py).

Trained on synthetic images and their synthetic labels only, with the domain's
estimator augmentation; real images and their labels are never read here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from torch import nn

from simgan_core.domain import Domain, get_domain
from simgan_core.estimator_family import estimator_augment
from simgan_core.label_shift import LabelRegressor
from simgan_core.refiner.label_reader import freeze, train_label_reader
from tasks.evaluate_refiner import load_labeled
from tasks.params import TrainRefiner
from tasks.progress import Progress

READER_SAMPLES = 6000  # synthetic images the reader learns from (the first, in index order)
READER_SEED_OFFSET = 1000  # not the label-shift regressor's seed: another model measures


def train_reader(cfg: TrainRefiner, domain: Domain) -> nn.Module:
    """The frozen reader for cfg's domain, trained on the first READER_SAMPLES synthetic
    images with the augmentation the domain's estimators use."""
    if domain.label_vector is None or domain.estimator is None:
        raise ValueError(f"train_refiner.{domain.name}.lambda_task > 0 needs labels and an "
                         f"estimator family; the {domain.name} domain has neither: set it to 0")
    images, labels, _ = load_labeled(Path(cfg.shards_dir) / "synthetic", READER_SAMPLES, domain)
    return train_label_reader(images, labels, domain.to_unit, estimator_augment(domain),
                              steps=cfg.label_reader_steps,
                              seed=cfg.seeds[0] + READER_SEED_OFFSET)


def label_reader_shell(state: dict[str, Any]) -> nn.Module:
    """An untrained reader shaped like the one in a checkpoint's state (which then loads it)."""
    outputs = state["head.3.weight"].shape[0]  # the last Linear: (L, 128)
    width = state["features.0.weight"].shape[0]
    with torch.random.fork_rng(devices=[]):
        return freeze(LabelRegressor(outputs, width))


@task(name="train-label-reader", cache_policy=NO_CACHE)
def label_reader_for(cfg: TrainRefiner, domain: str) -> nn.Module | None:
    """The stage's frozen label reader, shared by every candidate; None when lambda_task
    is 0 (no task-consistency term)."""
    if cfg.lambda_task == 0:
        return None
    get_run_logger().info("train-refiner-%s: training the label reader (%d steps)", domain,
                          cfg.label_reader_steps)
    progress = Progress(f"train-refiner-{domain}: label reader", 1, "readers trained")
    reader = train_reader(cfg, get_domain(domain))
    progress.advance(note=f"{cfg.label_reader_steps} steps")
    return reader
