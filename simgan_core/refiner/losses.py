"""SimGAN's two losses, as plain functions of tensors.

- Local adversarial loss: softmax cross-entropy of the discriminator's patch logits
  (B, 2, h, w) against one label for every patch, averaged over batch and patches. The
  discriminator minimises it with REFINED for R(x) and REAL for y; the refiner minimises
  it with REAL for R(x), i.e. -log(1 - D_refined(R(x))) as in the paper (not the
  saturating log D form).
- Self-regularization: mean |psi(R(x)) - psi(x)|, which keeps the refined image's
  annotation valid. Averaged per element (not summed per image as some public code), so
  lambda does not depend on the image size.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

REFINED = 0  # the discriminator's logit channel 0
REAL = 1  # the discriminator's logit channel 1


def local_adversarial_loss(logits: torch.Tensor, target: int) -> torch.Tensor:
    """(B, 2, h, w) logits, target 0 = refined / 1 = real -> scalar mean cross-entropy.

    Works unchanged for the global ablation's (B, 2, 1, 1).
    """
    if target not in (REFINED, REAL):
        raise ValueError(f"target must be {REFINED} (refined) or {REAL} (real), got {target!r}")
    labels = torch.full((logits.shape[0], *logits.shape[2:]), target, dtype=torch.long,
                        device=logits.device)  # (B, h, w): every patch gets the same label
    return F.cross_entropy(logits.float(), labels)  # float: stable under autocast


def patch_accuracy(logits: torch.Tensor, target: int) -> torch.Tensor:
    """Fraction of patches of (B, 2, h, w) logits classified as `target` (a 0-d tensor)."""
    return (logits.argmax(dim=1) == target).float().mean()


def _gradients(x: torch.Tensor) -> torch.Tensor:
    """Finite differences in x and y, flattened and joined: (B, C, H, W) -> (B, N)."""
    dx = x[..., :, 1:] - x[..., :, :-1]  # (B, C, H, W-1)
    dy = x[..., 1:, :] - x[..., :-1, :]  # (B, C, H-1, W)
    return torch.cat([dx.flatten(1), dy.flatten(1)], dim=1)


PSI: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda x: x,
    # A fixed 2x2 average pool, stride 2 (ceil: an odd last row/column is its own cell):
    # leaves the refiner free to change fine texture, not the coarse image.
    "blur": lambda x: F.avg_pool2d(x, 2, ceil_mode=True),
    # Image derivatives: the refiner may shift brightness, not move edges.
    "gradients": _gradients,
    # The mean over colour channels (the CVPR version's psi for RGB).
    "channel_mean": lambda x: x.mean(dim=1, keepdim=True),
}


def self_regularization_loss(refined: torch.Tensor, synthetic: torch.Tensor,
                             psi: str = "identity") -> torch.Tensor:
    """mean |psi(refined) - psi(synthetic)| over every element; both (B, C, H, W)."""
    if psi not in PSI:
        raise ValueError(f"unknown psi {psi!r}; options: {sorted(PSI)}")
    if refined.shape != synthetic.shape:
        raise ValueError(f"shape mismatch: refined {tuple(refined.shape)} "
                         f"vs synthetic {tuple(synthetic.shape)}")
    transform = PSI[psi]
    return (transform(refined.float()) - transform(synthetic.float())).abs().mean()
