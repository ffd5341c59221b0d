"""How real the refined images look, and how well they keep their labels.

- `c2st_synthetic_vs_real`, `c2st_refined_vs_real`: held-out accuracy of a fresh
  classifier telling each set from real_train images (0.5 = indistinguishable).
- `mean_abs_change`: mean |R(x) - x| in the [-1, 1] image range (x 127.5 for gray
  levels: `mean_abs_change_gray`).
- `gaze_shift_deg`: mean angle between a synthetic-trained gaze regressor's
  predictions on x and on R(x): how far refinement moves the label a model reads.
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
from simgan_core.domain import GAZE
from simgan_core.gaze.conventions import angular_error_deg
from simgan_core.gaze.regressor import RegressorConfig, predict, train_regressor
from simgan_core.grid import image_grid
from simgan_core.image_source import IndexedImages
from simgan_core.realism import c2st_accuracy
from simgan_core.refiner.models import Refiner, RefinerConfig
from tasks.domain_gap import load_split
from tasks.params import TrainRefinerGaze, resolve_workers


def load_refiner(path: Path) -> tuple[Refiner, dict[str, Any]]:
    """A refiner saved by train_refiner (weights_only: no code runs from the file)."""
    state = torch.load(path, weights_only=True, map_location="cpu")
    refiner = Refiner(RefinerConfig(**state["config"]["refiner"]))
    refiner.load_state_dict(state["refiner"])
    return refiner.eval(), state


@torch.no_grad()
def refine_images(refiner: Refiner, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """(N, H, W) uint8 -> (N, H, W) uint8 refined."""
    x = torch.from_numpy(GAZE.to_unit(images)).unsqueeze(1)
    out = torch.cat([refiner(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    return GAZE.from_unit(out.squeeze(1).numpy())


def _unit(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(GAZE.to_unit(images)).unsqueeze(1)


@task(name="evaluate-refiner", cache_policy=NO_CACHE)
def evaluate_refiner(cfg: TrainRefinerGaze, training: dict[str, Any]) -> dict[str, Any]:
    """Write metrics_file and samples_file; return the metrics."""
    torch.set_num_threads(resolve_workers(cfg.threads))
    refiner, state = load_refiner(Path(cfg.model_file))
    shards = Path(cfg.shards_dir)
    syn_x, syn_y = load_split(shards / "synthetic", cfg.eval_samples)
    real_source = IndexedImages(shards / "real_train" / "index.json", GAZE)  # images only
    picks = torch.randperm(len(real_source), generator=torch.Generator().manual_seed(cfg.seed))
    real_x = np.stack([real_source[int(i)] for i in picks[:cfg.eval_samples]])
    refined_x = refine_images(refiner, syn_x)

    regressor = train_regressor(syn_x, syn_y, RegressorConfig(steps=cfg.regressor_steps,
                                                              seed=cfg.seed))
    shift = angular_error_deg(predict(regressor, syn_x), predict(regressor, refined_x))
    change = float(np.abs(GAZE.to_unit(refined_x) - GAZE.to_unit(syn_x)).mean())
    metrics = {
        "steps": int(state["step"]),
        "c2st_synthetic_vs_real": round(c2st_accuracy(_unit(syn_x), _unit(real_x),
                                                      steps=cfg.c2st_steps, seed=cfg.seed), 4),
        "c2st_refined_vs_real": round(c2st_accuracy(_unit(refined_x), _unit(real_x),
                                                    steps=cfg.c2st_steps, seed=cfg.seed), 4),
        "mean_abs_change": round(change, 5),
        "mean_abs_change_gray": round(change * 127.5, 3),
        "gaze_shift_deg": round(float(shift.mean()), 3),
        "gaze_shift_median_deg": round(float(np.median(shift)), 3),
        "eval_samples": len(syn_x),
        "train_seconds": training.get("seconds"),
        "steps_per_s": training.get("steps_per_s"),
        "run_key": state["run_key"],
    }
    grid = image_grid([syn_x[:10], refined_x[:10], real_x[:10]])
    with atomic_output(Path(cfg.samples_file)) as tmp:
        grid.save(tmp, format="PNG")
    atomic_write_text(Path(cfg.metrics_file), json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics
