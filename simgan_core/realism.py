"""A visual Turing test that a machine takes: the classifier two-sample test (C2ST).

A fresh small CNN learns to tell images of set A from images of set B on one half of
each, and is scored on the other half (images it has never seen). Its held-out
accuracy is the figure: 0.5 means the sets are indistinguishable to it, 1.0 means
trivially told apart. Balanced halves, fixed seed, so the figure is reproducible.

The classifier runs in float32 (a measuring instrument: no reduced precision) in the
channels_last (NHWC) memory order, oneDNN's own layout on a CPU: no reorder around each
convolution, about 1.3x the steps/s of NCHW at both domains' sizes on one core
(`python -m benchmarks bench_judge`). The arithmetic is the same; only the order of
the sums inside a convolution differs.
"""

from __future__ import annotations

import torch
from torch import nn


def _classifier(channels: int, width: int) -> nn.Module:
    w = width
    return nn.Sequential(
        nn.Conv2d(channels, w, 3, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * w, 1),
    )


def c2st_accuracy(a: torch.Tensor, b: torch.Tensor, steps: int = 300, batch_size: int = 64,
                  lr: float = 2e-3, width: int = 16, seed: int = 0) -> float:
    """Held-out accuracy of a classifier trained to tell a (N, C, H, W) from b (M, C, H, W).

    Both in [-1, 1]. The first half of each (after a seeded shuffle) trains, the rest
    tests; the sets are cut to the same size so that chance is exactly 0.5.
    """
    gen = torch.Generator().manual_seed(seed)
    n = min(len(a), len(b))
    if n < 4:
        raise ValueError(f"c2st needs at least 4 images per set, got {len(a)} and {len(b)}")
    a = a[torch.randperm(len(a), generator=gen)[:n]].float()
    b = b[torch.randperm(len(b), generator=gen)[:n]].float()
    nhwc = torch.channels_last
    half = n // 2
    train_x = torch.cat([a[:half], b[:half]]).contiguous(memory_format=nhwc)
    train_y = torch.cat([torch.zeros(half), torch.ones(half)])
    test_x = torch.cat([a[half:], b[half:]]).contiguous(memory_format=nhwc)
    test_y = torch.cat([torch.zeros(n - half), torch.ones(n - half)])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _classifier(a.shape[1], width).to(memory_format=nhwc)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(train_x), (min(batch_size, len(train_x)),), generator=gen)
        loss = loss_fn(model(train_x[idx]).squeeze(1), train_y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(test_x[i:i + 256]).squeeze(1)
                            for i in range(0, len(test_x), 256)])
    return float(((logits > 0).float() == test_y).float().mean())
