"""The baseline the refiner's training is measured against: SimGAN's adversarial round as
a plain eager PyTorch loop, written the way the public PyTorch ports write it.

The same layers (the project's Refiner and Discriminator modules, residual output), the
same losses (patch cross-entropy, L1 self-regularization), Adam, and a history buffer
that replaces half of the critic's refined batch, but none of the trainer's levers:
NCHW float32 tensors, the history as a Python list of images, no weight average. One
round = 2 refiner steps + 1 discriminator step, as the default schedule (kg=2, kd=1).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import torch
import torch.nn.functional as F

from simgan_core.refiner.models import (
    DISCRIMINATOR_PRESETS,
    REFINER_PRESETS,
    Discriminator,
    Refiner,
)


def eager_round(refiner: str, discriminator: str, synthetic: torch.Tensor, real: torch.Tensor,
                lambda_reg: float = 0.5, history_size: int = 1024) -> Callable[[], None]:
    """A no-argument callable that runs one adversarial round on the given (B, 1, H, W)
    batches (fixed: the data pipeline is not what is timed)."""
    from dataclasses import replace

    torch.manual_seed(0)
    rng = random.Random(0)
    R = Refiner(replace(REFINER_PRESETS[refiner], residual=True))
    D = Discriminator(DISCRIMINATOR_PRESETS[discriminator])
    opt_r = torch.optim.Adam(R.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    history: list[torch.Tensor] = []
    b = len(synthetic)

    def labels(logits: torch.Tensor, value: int) -> torch.Tensor:
        return torch.full((logits.shape[0], *logits.shape[2:]), value, dtype=torch.long)

    def refiner_step() -> None:
        for p in D.parameters():
            p.requires_grad_(False)
        refined = R(synthetic)
        logits = D(refined)
        loss = (F.cross_entropy(logits, labels(logits, 1))
                + lambda_reg * (refined - synthetic).abs().mean())
        opt_r.zero_grad()
        loss.backward()
        opt_r.step()
        for p in D.parameters():
            p.requires_grad_(True)

    def disc_step() -> None:
        with torch.no_grad():
            refined = R(synthetic)
        half = b // 2
        if len(history) >= half:  # half the batch from earlier refiners
            earlier = torch.stack(rng.sample(history, half))
            fresh = refined[half:]
            mixed = torch.cat([earlier, fresh])
        else:
            fresh, mixed = refined, refined
        history.extend(img.clone() for img in fresh)
        del history[:max(0, len(history) - history_size)]
        logits = D(torch.cat([mixed, real]))
        loss = (F.cross_entropy(logits[:b], labels(logits[:b], 0))
                + F.cross_entropy(logits[b:], labels(logits[b:], 1)))
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()

    def round_() -> None:
        refiner_step()
        refiner_step()
        disc_step()

    return round_


def eager_refine(refiner: str, images: torch.Tensor) -> Callable[[], torch.Tensor]:
    """Inference as the ports do it: one NCHW float32 forward of the whole batch."""
    from dataclasses import replace

    torch.manual_seed(0)
    R = Refiner(replace(REFINER_PRESETS[refiner], residual=True)).eval()

    def run() -> torch.Tensor:
        with torch.no_grad():
            return R(images)

    return run
