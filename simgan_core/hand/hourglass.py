"""A stacked hourglass network (Newell et al., ECCV 2016) predicting joint heatmaps.

(B, 1, S, S) depth in [-1, 1] -> one (B, J, H, H) heatmap tensor per stack (the
intermediate ones are supervised too). The stem halves the input with a strided conv
and brings it to the heatmap side H (a max-pool when it is twice H, nothing when it is
H, a bilinear resize otherwise: the paper's 224 -> 112 -> 64), then one residual
module; every other module works at H or below.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class Residual(nn.Module):
    """Pre-activation residual module. Bottleneck (Newell et al.):
    BN-ReLU-1x1(c/2)-BN-ReLU-3x3(c/2)-BN-ReLU-1x1(c) + skip; basic (the CPU preset: a
    third of the layers, whose per-layer cost dominates at this size): BN-ReLU-3x3(c)
    + skip."""

    def __init__(self, c_in: int, c_out: int, bottleneck: bool = True) -> None:
        super().__init__()
        mid = max(c_out // 2, 1)
        self.body = nn.Sequential(
            nn.BatchNorm2d(c_in), nn.ReLU(), nn.Conv2d(c_in, mid, 1),
            nn.BatchNorm2d(mid), nn.ReLU(), nn.Conv2d(mid, mid, 3, padding=1),
            nn.BatchNorm2d(mid), nn.ReLU(), nn.Conv2d(mid, c_out, 1)) if bottleneck else (
            nn.Sequential(nn.BatchNorm2d(c_in), nn.ReLU(), nn.Conv2d(c_in, c_out, 3, padding=1)))
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


class Hourglass(nn.Module):
    """One hourglass of `depth` halvings: (B, c, H, H) -> (B, c, H, H); H divisible by
    2**depth."""

    def __init__(self, depth: int, c: int, bottleneck: bool = True) -> None:
        super().__init__()
        self.up = Residual(c, c, bottleneck)
        self.down = Residual(c, c, bottleneck)
        self.inner: nn.Module = (Hourglass(depth - 1, c, bottleneck) if depth > 1
                                 else Residual(c, c, bottleneck))
        self.after = Residual(c, c, bottleneck)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = self.after(self.inner(self.down(F.max_pool2d(x, 2))))
        return self.up(x) + F.interpolate(low, scale_factor=2.0, mode="nearest")


class StackedHourglass(nn.Module):
    def __init__(self, joints: int, channels: int, stacks: int, depth: int,
                 heatmap_size: int, bottleneck: bool = True) -> None:
        super().__init__()
        if heatmap_size % (2**depth):
            raise ValueError(f"heatmap_size {heatmap_size} must be divisible by 2**depth "
                             f"({2**depth})")
        c = channels
        self.heatmap_size = heatmap_size
        self.stem = nn.Conv2d(1, c, 3, stride=2, padding=1)  # (B, c, S/2, S/2)
        self.stem_residual = Residual(c, c, bottleneck)  # at the heatmap side: cheaper
        self.hourglasses = nn.ModuleList(Hourglass(depth, c, bottleneck) for _ in range(stacks))
        self.features = nn.ModuleList(
            nn.Sequential(Residual(c, c, bottleneck), nn.Conv2d(c, c, 1), nn.BatchNorm2d(c),
                          nn.ReLU())
            for _ in range(stacks))
        self.heads = nn.ModuleList(nn.Conv2d(c, joints, 1) for _ in range(stacks))
        # Between stacks: features and heatmaps mapped back to c channels and added.
        self.merge_features = nn.ModuleList(nn.Conv2d(c, c, 1) for _ in range(stacks - 1))
        self.merge_heatmaps = nn.ModuleList(nn.Conv2d(joints, c, 1) for _ in range(stacks - 1))

    def _to_heatmap_side(self, x: torch.Tensor) -> torch.Tensor:
        side, h = x.shape[-1], self.heatmap_size
        if side == h:
            return x
        if side == 2 * h:
            return F.max_pool2d(x, 2)
        return F.interpolate(x, size=(h, h), mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:  # (B,1,S,S) -> [(B,J,H,H)]
        x = self.stem_residual(self._to_heatmap_side(self.stem(x)))
        outputs = []
        for i, (hourglass, features, head) in enumerate(
                zip(self.hourglasses, self.features, self.heads, strict=True)):
            f = features(hourglass(x))
            heatmaps = head(f)
            outputs.append(heatmaps)
            if i < len(self.merge_features):
                x = x + self.merge_features[i](f) + self.merge_heatmaps[i](heatmaps)
        return outputs
