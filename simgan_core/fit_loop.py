"""The downstream estimators' training loop, written once for every domain.

Minibatches of `batch_size` indices drawn with replacement by a torch Generator seeded
with cfg.seed (uniformly, or in proportion to per-sample weights: label matching,
simgan_core/label_match.py); optional per-batch augmentation (simgan_core/augment.py)
from a numpy Generator seeded with cfg.seed; Adam with an optional cosine schedule to 0 at `steps`.
The domain brings its model, how stored images become network input, and its loss;
on the CPU the same inputs and config give the same weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch
from torch import nn

from simgan_core.augment import AugmentConfig, augment_batch

StepLog = Callable[[int, dict[str, float]], None]  # (step, {"loss", "lr"}) after each step
SCHEDULES: tuple[str, ...] = ("cosine", "constant")  # the learning-rate schedules `fit` has


class FitConfig(Protocol):
    """The fields of a domain's EstimatorConfig that the loop reads."""

    steps: int
    batch_size: int
    lr: float
    weight_decay: float
    schedule: str  # "cosine" | "constant"
    seed: int
    augment: bool
    augment_config: AugmentConfig


def check_fit_config(cfg: FitConfig, preset: str, presets: tuple[str, ...]) -> None:
    """Raise ValueError, naming the field, for a domain's EstimatorConfig that its family
    or this loop cannot train: an unknown preset or schedule, steps or batch_size below
    1, lr not above 0, a negative weight_decay."""
    if preset not in presets:
        raise ValueError(f"preset must be one of {presets}, got {preset!r}")
    if cfg.schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {cfg.schedule!r}")
    if cfg.steps < 1 or cfg.batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {cfg.steps}, "
                         f"{cfg.batch_size}")
    if not cfg.lr > 0 or cfg.weight_decay < 0:
        raise ValueError(f"need lr > 0 and weight_decay >= 0, got {cfg.lr}, "
                         f"{cfg.weight_decay}")


def fit(model: nn.Module, images: np.ndarray, cfg: FitConfig,
        to_tensor: Callable[[np.ndarray], torch.Tensor],
        batch_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        log: StepLog | None = None, device: torch.device | str = "cpu",
        foreach: bool | None = None, sample_weights: np.ndarray | None = None) -> nn.Module:
    """Train `model` (already on `device`, in train mode) on (N, ...) stored images;
    `batch_loss(output, indices)` scores one batch against its labels. Returns the
    model in eval mode. `foreach=True` fuses Adam's update over many small tensors.
    `sample_weights` ((N,), non-negative): draw each batch's samples in proportion to
    them instead of uniformly."""
    batches = torch.Generator().manual_seed(cfg.seed)
    draw_p = _draw_probabilities(sample_weights, len(images))
    aug_rng = np.random.default_rng(cfg.seed)
    # Without augmentation the whole set is converted once; with it, per batch.
    x = None if cfg.augment else to_tensor(images)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                           foreach=foreach)
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
             if cfg.schedule == "cosine" else None)
    for step in range(cfg.steps):
        idx = (torch.randint(0, len(images), (cfg.batch_size,), generator=batches)
               if draw_p is None else
               torch.multinomial(draw_p, cfg.batch_size, replacement=True, generator=batches))
        if x is None:
            xb = to_tensor(augment_batch(images[idx.numpy()], aug_rng, cfg.augment_config))
        else:
            xb = x[idx]
        lr = opt.param_groups[0]["lr"]
        loss = batch_loss(model(xb.to(device)), idx)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        if log is not None:
            log(step, {"loss": loss.item(), "lr": float(lr)})
    return model.eval()


def _draw_probabilities(sample_weights: np.ndarray | None, n: int) -> torch.Tensor | None:
    """(N,) weights -> float64 draw probabilities; None stays None (uniform draws)."""
    if sample_weights is None:
        return None
    w = np.asarray(sample_weights, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"sample_weights: need {n} finite non-negative weights, not all "
                         f"zero; got shape {w.shape}")
    return torch.from_numpy(w / w.sum())
