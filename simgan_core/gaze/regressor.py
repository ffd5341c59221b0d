"""A small CNN gaze regressor: the downstream gaze estimator's network
(gaze/estimator.py) and the refiner stage's label judge (gaze/label_judge.py).

Input (B, 1, 35, 55) in [-1, 1]; output (B, 2) = (pitch, yaw) in radians. Small on
purpose: it trains in about a minute on 2 CPU cores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


class GazeRegressor(nn.Module):
    """About 9 MFLOP per 35 x 55 image: pooling early keeps it cheap on a CPU."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.MaxPool2d(2),  # (B, w, 17, 27)
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 2w, 8, 13)
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d((2, 3)),  # keeps coarse position: where the iris is
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * w * 6, 128), nn.ReLU(),
                                  nn.Linear(128, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, H, W) -> (B, 2)
        return self.head(self.features(x))


@dataclass(frozen=True)
class RegressorConfig:
    steps: int = 800
    batch_size: int = 64
    lr: float = 1e-3
    width: int = 16
    seed: int = 0


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, H, W) uint8 -> (N, 1, H, W) float32 in [-1, 1]."""
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)


def train_regressor(images: np.ndarray, pitchyaw: np.ndarray, cfg: RegressorConfig
                    ) -> GazeRegressor:
    """Fit (N, H, W) uint8 images to (N, 2) radians with an L1 loss, on the CPU."""
    gen = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    model = GazeRegressor(cfg.width)
    x, y = images_to_tensor(images), torch.from_numpy(pitchyaw.astype(np.float32))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
    model.train()
    for _ in range(cfg.steps):
        idx = torch.randint(0, len(x), (cfg.batch_size,), generator=gen)
        loss = (model(x[idx]) - y[idx]).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return model.eval()


@torch.no_grad()
def predict(model: GazeRegressor, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """(N, H, W) uint8 -> (N, 2) predicted (pitch, yaw) radians."""
    x = images_to_tensor(images)
    return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]).numpy()
