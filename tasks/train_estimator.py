"""Train the downstream estimators of a domain: one per (training set, seed), same budget.

Written once for every domain: the domain's estimator family (gaze: the pitch/yaw
regressor; hand: the heatmap hourglass; simgan_core/estimator_family.py) trains and
rebuilds the models. Each is saved as `<models_dir>/<training set>/seed<k>.pt`
(weights_only-loadable: weights, config, domain, which split and which samples
trained it).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_write_bytes
from simgan_core.augment import AugmentConfig
from simgan_core.domain import get_domain
from simgan_core.estimator_family import estimator_family
from simgan_core.image_source import domain_of_shards
from tasks.label_matching import label_match_weights
from tasks.params import TrainEstimator, TrainingSet
from tasks.progress import Progress
from tasks.splits import load_split

LOG_EVERY = 250  # steps: a progress line (rate, ETA, loss) and an artifact update


def estimator_path(models_dir: Path, training_set: str, seed: int) -> Path:
    return models_dir / training_set / f"seed{seed}.pt"


def estimator_config(cfg: TrainEstimator, training_set: TrainingSet, seed: int,
                     domain: str) -> Any:
    """The domain family's EstimatorConfig for one training set and seed."""
    family = estimator_family(get_domain(domain))
    return family.config(preset=cfg.preset, steps=cfg.steps, batch_size=cfg.batch_size,
                         lr=cfg.lr, seed=seed, augment=training_set.augment)


def save_estimator(path: Path, model: torch.nn.Module, config: Any,
                   record: dict[str, Any]) -> None:
    buf = io.BytesIO()
    torch.save({"state_dict": model.state_dict(), "config": asdict(config), **record}, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_estimator(path: Path) -> tuple[torch.nn.Module, dict[str, Any]]:
    """An estimator saved by save_estimator (weights_only: no code runs from the file);
    its domain is in the file (files from before domains were recorded are gaze)."""
    state = torch.load(path, weights_only=True, map_location="cpu")
    family = estimator_family(get_domain(state.get("domain", "gaze")))
    raw = state["config"]
    config = family.config(**{**raw, "augment_config": AugmentConfig(**raw["augment_config"])})
    model = family.build(config.preset)
    model.load_state_dict(state["state_dict"])
    return model.eval(), state


@task(name="load-training-set", cache_policy=NO_CACHE)
def load_training_set(shards_dir: Path, training_set: TrainingSet, limit: int,
                      domain: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(N, H, W) images as stored, (N, L) labels (gaze: pitch/yaw radians; hand: the 14
    joints' uv in crop pixels, flattened), and the sample keys."""
    sized = domain_of_shards(get_domain(domain), shards_dir)  # the size ingest wrote
    images, labels, keys = load_split(shards_dir / training_set.split, limit, with_keys=True,
                                      domain=sized)
    return images, labels, keys


@task(name="train-estimator", cache_policy=NO_CACHE)
def train_one(cfg: TrainEstimator, name: str, seed: int, data: tuple, domain: str
              ) -> dict[str, Any]:
    torch.set_num_threads(cfg.threads)
    images, labels, keys = data
    training_set = cfg.training_sets[name]
    family = estimator_family(get_domain(domain))
    config = estimator_config(cfg, training_set, seed, domain)
    progress = Progress(f"train-estimator-{domain} {name} seed {seed}", config.steps, "steps",
                        every=LOG_EVERY, log=get_run_logger().info)

    def log(step: int, values: dict[str, float]) -> None:
        progress.advance(1, note=f"loss {values['loss']:.4f}")

    weights, matching = None, None
    if training_set.pseudo_labeler is not None:  # its estimators were trained first
        labeler, _ = load_estimator(estimator_path(Path(cfg.models_dir),
                                                   training_set.pseudo_labeler, seed))
        weights, matching = label_match_weights(labeler, training_set.pseudo_labeler, images,
                                                Path(cfg.shards_dir), cfg.max_train_samples,
                                                domain)
    model = family.train(images, labels, config, log=log, sample_weights=weights)
    record = {"domain": domain, "training_set": name, "split": training_set.split,
              "n_train": len(images),
              "train_keys_sha256": hashlib.sha256("\n".join(keys).encode()).hexdigest()}
    if matching is not None:
        record["label_matching"] = matching
    save_estimator(estimator_path(Path(cfg.models_dir), name, seed), model, config, record)
    return record


def training_data_digest(data: tuple[np.ndarray, np.ndarray, list[str]]) -> str:
    """sha256 of a training set's images, labels and keys (dtypes and shapes included):
    two sets with the same digest and augmentation train the same estimator per seed."""
    images, labels, keys = data
    digest = hashlib.sha256()
    for array in (images, labels):
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update("\n".join(keys).encode())
    return digest.hexdigest()


@task(name="copy-estimator", cache_policy=NO_CACHE)
def copy_estimator(cfg: TrainEstimator, name: str, seed: int, same_as: str) -> dict[str, Any]:
    """The estimator that training set `same_as` trained with this seed, saved under
    `name`: its data and augmentation are the same, so training again (same seed, one
    fixed thread count) would give the same weights. The record names `name`'s set."""
    models_dir = Path(cfg.models_dir)
    state = torch.load(estimator_path(models_dir, same_as, seed), weights_only=True,
                       map_location="cpu")
    state.update(training_set=name, split=cfg.training_sets[name].split)
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(estimator_path(models_dir, name, seed), buf.getvalue())
    return {key: state[key] for key in ("domain", "training_set", "split", "n_train",
                                        "train_keys_sha256")}


def training_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"training_set": records[0]["training_set"], "split": records[0]["split"],
            "n_train": records[0]["n_train"], "seeds": len(records),
            # the distinct hashes of the seeds' training keys: one when they all saw the same
            "train_keys_sha256": sorted({r["train_keys_sha256"] for r in records}),
            # label matching, per seed (each seed's pseudo-labeler is its own estimator)
            **({"label_matching": [r["label_matching"] for r in records]}
               if "label_matching" in records[0] else {})}
