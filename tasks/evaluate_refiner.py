"""How real the refined images look, and how well they keep their labels (any domain).

Every domain:
- `c2st_synthetic_vs_real`, `c2st_refined_vs_real`: held-out accuracy of a fresh
  classifier telling each set from real_train images (0.5 = indistinguishable).
- `mean_abs_change`: mean |R(x) - x| in the [-1, 1] image range.
Per domain (the label a model reads off the image is domain-specific: Domain.label_shift,
in simgan_core/<domain>/label_judge.py):
- gaze: `mean_abs_change_gray` (x 127.5: gray levels); `gaze_shift_deg` and
  `gaze_shift_median_deg`: the angle between a synthetic-trained gaze regressor's
  predictions on x and on R(x).
- hand: `mean_abs_change_mm` (x cube_mm / 2: depth in mm); `joint_shift_px` and
  `joint_shift_median_px`: the distance between a small synthetic-trained joint
  regressor's (u, v) predictions on x and on R(x), crop pixels, over the 14 joints;
  `joint_shift_px_224` the mean at the paper's 224-pixel scale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_output, atomic_write_text
from simgan_core.domain import Domain, get_domain
from simgan_core.grid import display_uint8, grid_scale, image_grid
from simgan_core.image_source import IndexedImages, domain_of_shards
from simgan_core.label_judge import JUDGE_SEED
from simgan_core.realism import c2st_accuracy
from simgan_core.refiner.models import Refiner, RefinerConfig
from simgan_core.shards import iter_samples
from tasks.params import TrainRefiner, resolve_workers


def load_refiner(path: Path) -> tuple[Refiner, dict[str, Any]]:
    """A refiner saved by train_refiner (weights_only: no code runs from the file)."""
    state = torch.load(path, weights_only=True, map_location="cpu")
    refiner = Refiner(RefinerConfig(**state["config"]["refiner"]))
    refiner.load_state_dict(state["refiner"])
    return refiner.eval(), state


@torch.no_grad()
def refine_images(refiner: Refiner, images: np.ndarray, domain: Domain,
                  batch_size: int = 256) -> np.ndarray:
    """(N, H, W[, C]) stored pixels -> (N, H, W[, C]) refined, same dtype."""
    x = domain.to_tensor(images)
    out = torch.cat([refiner(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    return domain.from_tensor(out)


def load_real_draw(shards: Path, n: int, domain: Domain) -> np.ndarray:
    """(n, H, W): the judges' draw of real_train images (JUDGE_SEED), images only: no
    real label is decoded."""
    source = IndexedImages(shards / "real_train" / "index.json", domain)
    picks = torch.randperm(len(source), generator=torch.Generator().manual_seed(JUDGE_SEED))
    return np.stack([source[int(i)] for i in picks[:n]])


def load_labeled(split_dir: Path, limit: int, domain: Domain
                 ) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """The first `limit` samples of a split: (N, H, W[, C]) stored images, (N, L) label
    vectors ((N, 0) for a domain without labels), and the annotations."""
    images, labels, annotations = [], [], []
    for sample in iter_samples(sorted(split_dir.glob("*.tar"))):
        if len(images) == limit:
            break
        images.append(sample.image)
        labels.append(np.zeros(0) if domain.label_vector is None
                      else domain.label_vector(sample.annotation))
        annotations.append(sample.annotation)
    if not images:
        raise ValueError(f"{split_dir}: no samples")
    return np.stack(images), np.stack(labels), annotations


def label_shift(domain: Domain, *judged: Any) -> dict[str, float]:
    """The domain's label-shift figures (Domain.label_shift); none for a domain without
    labels."""
    return {} if domain.label_shift is None else domain.label_shift(domain, *judged)


REALISM_METRIC = "c2st_refined_vs_real"


@task(name="synthetic-realism", cache_policy=NO_CACHE)
def synthetic_realism(cfg: TrainRefiner, domain_name: str) -> float:
    """`c2st_synthetic_vs_real`: the judge on the raw synthetic images, the same for
    every candidate (computed once per stage)."""
    shards = Path(cfg.shards_dir)
    domain = domain_of_shards(get_domain(domain_name), shards)
    torch.set_num_threads(resolve_workers(cfg.threads))
    syn_x = load_labeled(shards / "synthetic", cfg.eval_samples, domain)[0]
    real_x = load_real_draw(shards, cfg.eval_samples, domain)
    return round(c2st_accuracy(domain.to_tensor(syn_x), domain.to_tensor(real_x),
                               steps=cfg.c2st_steps, seed=JUDGE_SEED), 4)


@task(name="evaluate-refiner", cache_policy=NO_CACHE)
def evaluate_refiner(cfg: TrainRefiner, training: dict[str, Any], domain_name: str,
                     model_file: Path | None = None, metrics_file: Path | None = None,
                     samples_file: Path | None = None,
                     synthetic_c2st: float | None = None) -> dict[str, Any]:
    """Judge one refiner (cfg.model_file by default) without real labels; write its
    metrics and sample grid (cfg's files by default); return the metrics.
    `synthetic_c2st`: synthetic_realism's figure when the caller has it (else computed)."""
    shards = Path(cfg.shards_dir)
    domain = domain_of_shards(get_domain(domain_name), shards)
    model_file = Path(cfg.model_file) if model_file is None else model_file
    metrics_file = Path(cfg.metrics_file) if metrics_file is None else metrics_file
    samples_file = Path(cfg.samples_file) if samples_file is None else samples_file
    torch.set_num_threads(resolve_workers(cfg.threads))
    refiner, state = load_refiner(model_file)
    syn_x, syn_y, annotations = load_labeled(shards / "synthetic", cfg.eval_samples, domain)
    real_x = load_real_draw(shards, cfg.eval_samples, domain)
    refined_x = refine_images(refiner, syn_x, domain=domain)

    change = float(np.abs(domain.to_unit(refined_x) - domain.to_unit(syn_x)).mean())
    refined_u, real_u = (domain.to_tensor(x) for x in (refined_x, real_x))
    metrics = {
        "steps": int(state["step"]),
        "seed": int(state["config"]["seed"]),
        "c2st_synthetic_vs_real": (synthetic_realism.fn(cfg, domain_name)
                                   if synthetic_c2st is None else synthetic_c2st),
        REALISM_METRIC: round(c2st_accuracy(refined_u, real_u, steps=cfg.c2st_steps,
                                            seed=JUDGE_SEED), 4),
        "mean_abs_change": round(change, 5),
        **label_shift(domain, syn_x, syn_y, annotations, refined_x, change,
                      cfg.regressor_steps),
        "eval_samples": len(syn_x),
        "train_seconds": training.get("seconds"),
        "steps_per_s": training.get("steps_per_s"),
        "run_key": state["run_key"],
    }
    rows = [display_uint8(x[:10], domain) for x in (syn_x, refined_x, real_x)]
    grid = image_grid(rows, scale=grid_scale(domain.image_hw))
    with atomic_output(samples_file) as tmp:
        grid.save(tmp, format="PNG")
    atomic_write_text(metrics_file, json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics
