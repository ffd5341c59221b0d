"""The task-consistency term: a frozen label reader must read R(x) as it reads x.

The self-regularization keeps R(x) near x pixel by pixel, which charges the refiner for
every appearance change it must make (noise, texture, tone) as much as for a change of
what the image shows. A label reader charges only what moves the label: a small CNN
(label_shift.LabelRegressor) trained on synthetic images and their synthetic labels,
frozen, and the refiner pays |reader(R(x)) - reader(x)| in standardized label units
(CyCADA's semantic consistency, Hoffman et al., ICML 2018). No real label is read.

The reader is trained with the domain's label-preserving photometric augmentation
(simgan_core/augment.py: noise, blur, contrast, gamma, JPEG for 8-bit images; depth
noise, blur and holes for depth), so that appearance alone does not move its output:
what it still reacts to is the geometry that carries the label.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from simgan_core.augment import AugmentConfig, augment_batch
from simgan_core.label_shift import LabelRegressor

ToUnit = Callable[[np.ndarray], np.ndarray]  # (N, H, W) stored pixels -> float32 in [-1, 1]


def train_label_reader(images: np.ndarray, labels: np.ndarray, to_unit: ToUnit,
                       augment: AugmentConfig, steps: int, seed: int,
                       batch_size: int = 64, lr: float = 2e-3, width: int = 8) -> nn.Module:
    """(N, H, W) stored synthetic images, (N, L) labels -> a frozen reader whose output is
    the standardized label ((y - mean) / std per component), in eval mode."""
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"need as many labels as images (> 0), got {len(images)} and "
                         f"{len(labels)}")
    y = torch.from_numpy(np.asarray(labels, dtype=np.float32))  # (N, L)
    y = (y - y.mean(dim=0)) / y.std(dim=0, unbiased=False).clamp_min(1e-6)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):  # same seed, same weights; global RNG untouched
        torch.manual_seed(seed)
        model = LabelRegressor(y.shape[1], width)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(steps, 1))
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(images), (batch_size,), generator=gen)
        x = torch.from_numpy(to_unit(augment_batch(images[idx.numpy()], rng, augment)))
        loss = (model(x.unsqueeze(1)) - y[idx]).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return freeze(model)


def freeze(model: nn.Module) -> nn.Module:
    """Eval mode, no parameter takes a gradient (the refiner's gradient still flows
    through it to the input)."""
    model.eval()
    model.requires_grad_(False)
    return model


def label_consistency_loss(reader: nn.Module, refined: torch.Tensor,
                           synthetic: torch.Tensor) -> torch.Tensor:
    """mean |reader(R(x)) - reader(x)| over the batch and the label components; both
    (B, C, H, W) in [-1, 1]. Only `refined` carries a gradient."""
    with torch.no_grad():
        target = reader(synthetic.float())  # (B, L)
    return (reader(refined.float()) - target).abs().mean()
