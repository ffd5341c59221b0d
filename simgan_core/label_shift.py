"""How far refinement moves the labels a model reads off an image (any domain).

A small CNN learns image -> label vector on synthetic images; the shift of a refined
image is the distance between its predictions on x and on R(x). A refiner that keeps
annotations valid leaves that distance near zero. Domain-agnostic: images are
(N, 1, H, W) in [-1, 1] (Domain.to_unit), labels (N, L) floats (Domain.label_vector).
Gaze keeps its own regressor (gaze/regressor.py, `gaze_shift_deg`); the hand domain uses
this one with its 14 joints' (u, v): `joint_shift_px`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


class LabelRegressor(nn.Module):
    """Three stride-2 convs and a linear head: about 1.3 MFLOP per 64 x 64 image."""

    def __init__(self, outputs: int, width: int = 8) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 3, stride=2, padding=1), nn.ReLU(),  # (B, w, H/2, W/2)
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.ReLU(),  # (B, 2w, H/4, W/4)
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1), nn.ReLU(),  # (B, 4w, H/8, W/8)
            nn.AdaptiveAvgPool2d((4, 4)),  # keeps coarse position: where each joint is
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * w * 16, 128), nn.ReLU(),
                                  nn.Linear(128, outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, H, W) -> (B, L)
        return self.head(self.features(x))


@dataclass(frozen=True)
class LabelRegressorConfig:
    steps: int = 300
    batch_size: int = 64
    lr: float = 2e-3
    width: int = 8
    seed: int = 0


class FittedRegressor:
    """A trained LabelRegressor with the label standardization it was trained under."""

    def __init__(self, model: LabelRegressor, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.model, self.mean, self.std = model.eval(), mean, std

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 512) -> np.ndarray:
        """(N, 1, H, W) in [-1, 1] -> (N, L) labels in the training labels' units."""
        out = torch.cat([self.model(images[i:i + batch_size])
                         for i in range(0, len(images), batch_size)])
        return (out * self.std + self.mean).numpy().astype(np.float64)


def train_label_regressor(images: torch.Tensor, labels: np.ndarray,
                          cfg: LabelRegressorConfig) -> FittedRegressor:
    """Fit (N, 1, H, W) images to (N, L) labels with an L1 loss on standardized labels."""
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"need as many labels as images (> 0), got {len(images)} images "
                         f"and {len(labels)} labels")
    y = torch.from_numpy(np.asarray(labels, dtype=np.float32))  # (N, L)
    mean, std = y.mean(dim=0), y.std(dim=0, unbiased=False).clamp_min(1e-6)
    y = (y - mean) / std
    gen = torch.Generator().manual_seed(cfg.seed)
    with torch.random.fork_rng(devices=[]):  # same seed, same weights; global RNG untouched
        torch.manual_seed(cfg.seed)
        model = LabelRegressor(y.shape[1], cfg.width)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(cfg.steps, 1))
    model.train()
    for _ in range(cfg.steps):
        idx = torch.randint(0, len(images), (cfg.batch_size,), generator=gen)
        loss = (model(images[idx].float()) - y[idx]).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return FittedRegressor(model, mean, std)


def point_shift(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(N, 2K) flattened (u, v) points, twice -> (N, K) Euclidean distances per point."""
    diff = (np.asarray(after) - np.asarray(before)).reshape(len(before), -1, 2)
    return np.linalg.norm(diff, axis=2)
