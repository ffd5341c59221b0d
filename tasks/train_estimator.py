"""Train the downstream gaze estimators: one per (training set, seed), same budget.

Each is saved as `<models_dir>/<training set>/seed<k>.pt` (weights_only-loadable:
weights, config, which split and which samples trained it).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_write_bytes
from simgan_core.augment import AugmentConfig
from simgan_core.gaze.estimator import EstimatorConfig, build_estimator, train_estimator
from tasks.domain_gap import load_split
from tasks.params import TrainEstimatorGaze, TrainingSet

LOG_EVERY = 250  # steps


def estimator_path(models_dir: Path, training_set: str, seed: int) -> Path:
    return models_dir / training_set / f"seed{seed}.pt"


def estimator_config(cfg: TrainEstimatorGaze, training_set: TrainingSet, seed: int
                     ) -> EstimatorConfig:
    return EstimatorConfig(preset=cfg.preset, steps=cfg.steps, batch_size=cfg.batch_size,
                           lr=cfg.lr, seed=seed, augment=training_set.augment)


def save_estimator(path: Path, model: torch.nn.Module, config: EstimatorConfig,
                   record: dict[str, Any]) -> None:
    buf = io.BytesIO()
    torch.save({"state_dict": model.state_dict(), "config": asdict(config), **record}, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_estimator(path: Path) -> tuple[torch.nn.Module, dict[str, Any]]:
    """An estimator saved by save_estimator (weights_only: no code runs from the file)."""
    state = torch.load(path, weights_only=True, map_location="cpu")
    raw = state["config"]
    config = EstimatorConfig(**{**raw, "augment_config": AugmentConfig(**raw["augment_config"])})
    model = build_estimator(config.preset)
    model.load_state_dict(state["state_dict"])
    return model.eval(), state


@task(name="load-training-set", cache_policy=NO_CACHE)
def load_training_set(shards_dir: Path, training_set: TrainingSet, limit: int
                      ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(N, H, W) uint8 images, (N, 2) pitch/yaw radians, and the sample keys."""
    images, labels, keys = load_split(shards_dir / training_set.split, limit, with_keys=True)
    return images, labels, keys


@task(name="train-estimator", cache_policy=NO_CACHE)
def train_one(cfg: TrainEstimatorGaze, name: str, seed: int, data: tuple) -> dict[str, Any]:
    torch.set_num_threads(cfg.threads)
    images, labels, keys = data
    training_set = cfg.training_sets[name]
    config = estimator_config(cfg, training_set, seed)
    logger = get_run_logger()

    def log(step: int, values: dict[str, float]) -> None:
        if (step + 1) % LOG_EVERY == 0 or step + 1 == config.steps:
            logger.info("%s seed %d: step %d/%d loss %.4f", name, seed, step + 1,
                        config.steps, values["loss"])

    model = train_estimator(images, labels, config, log=log)
    record = {"training_set": name, "split": training_set.split, "n_train": len(images),
              "train_keys_sha256": hashlib.sha256("\n".join(keys).encode()).hexdigest()}
    save_estimator(estimator_path(Path(cfg.models_dir), name, seed), model, config, record)
    return record


def training_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"training_set": records[0]["training_set"], "split": records[0]["split"],
            "n_train": records[0]["n_train"], "seeds": len(records),
            "train_keys_sha256": json.dumps(sorted({r["train_keys_sha256"] for r in records}))}
