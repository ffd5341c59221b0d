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


DEPTH_WINDOW = 5  # px: the depth psi's window, about a finger's width in a 64 x 64 crop


def _depth_local_mean(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H, W): the mean over a 5x5 window around every pixel.

    For depth crops. What a structured-light sensor adds is high-frequency: speckle-like
    noise, quantization steps, flying pixels along silhouettes; within a window these
    roughly cancel (i.i.d. noise of std s costs about s / 5 instead of s), so the refiner
    may add them cheaply. The hand's geometry (where each finger is, how near it is)
    lives at the window's scale and above: changing a finger's depth costs what it costs
    under the identity psi, moving it sideways nearly so (a 4 px wide finger moved by 1 px:
    80 %, by 3 px: 73 % of the identity cost; tests/core/test_losses.py). Holes (pixels
    pushed to the back of the cube) are one-sided and do not cancel: an isolated hole
    costs as much as under identity; only a hole mixed with noise of the other sign is
    cheaper. Edges use only in-image pixels (no zero padding, which would pull border
    means toward depth 0).
    """
    return F.avg_pool2d(x, DEPTH_WINDOW, stride=1, padding=DEPTH_WINDOW // 2,
                        count_include_pad=False)


PSI: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda x: x,
    # A fixed 2x2 average pool, stride 2 (ceil: an odd last row/column is its own cell):
    # leaves the refiner free to change fine texture, not the coarse image.
    "blur": lambda x: F.avg_pool2d(x, 2, ceil_mode=True),
    # Image derivatives: the refiner may shift brightness, not move edges.
    "gradients": _gradients,
    # The mean over colour channels (the CVPR version's psi for RGB).
    "channel_mean": lambda x: x.mean(dim=1, keepdim=True),
    # Depth: a local mean (see _depth_local_mean): sensor noise may change, geometry not.
    "depth_local_mean": _depth_local_mean,
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
