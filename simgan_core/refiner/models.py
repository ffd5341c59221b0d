"""The paper's refiner (ResNet, no striding) and fully convolutional discriminator.

Images are (B, C, H, W) in [-1, 1]. The refiner keeps the shape; the discriminator
gives a (B, 2, h, w) map of patch logits, channel 0 = refined, 1 = real (the local
adversarial loss), or one decision per image in the "global" ablation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class RefinerConfig:
    channels: int = 1  # image channels (1: grayscale eyes or depth)
    maps: int = 16  # feature maps of every hidden conv
    blocks: int = 3  # ResNet blocks
    kernel: int = 3  # odd kernel size of the hidden convs
    # True: R(x) = clip(x + head(...), -1, 1) with a zero-initialised head, so the refiner
    # starts as the identity and learns only the change; False: tanh(head(...)) (the paper).
    residual: bool = False
    # Maps of N(0, 1) noise given to the refiner beside the image (0: the paper's
    # deterministic refiner). A real sensor's noise is drawn anew for every exposure; a
    # refiner without a noise source can only paint a fixed function of x in its place.
    noise_maps: int = 0

    def __post_init__(self) -> None:
        if self.kernel % 2 != 1 or min(self.channels, self.maps, self.kernel) < 1:
            raise ValueError(f"bad RefinerConfig {self}: kernel must be odd, sizes positive")
        if self.blocks < 0 or self.noise_maps < 0:
            raise ValueError(f"bad RefinerConfig {self}: blocks and noise_maps must be >= 0")


REFINER_PRESETS: dict[str, RefinerConfig] = {
    "paper_gaze": RefinerConfig(channels=1, maps=64, blocks=4, kernel=3),
    "paper_hand": RefinerConfig(channels=1, maps=64, blocks=10, kernel=7),
    # Small enough to train in minutes on a 2-core CPU.
    "default_gaze": RefinerConfig(channels=1, maps=16, blocks=3, kernel=3),
    # 64 x 64 depth crops: the paper's 7x7 kernel at 224 px spans 2 px at 64, so 3x3 keeps
    # each kernel's span per image at 5x less cost per pixel. The whole field is smaller
    # than the paper's: 15 px of 64 against about 127 of 224 (a 5x5 kernel, 29 px, was
    # tried and judged less realistic: README, "What did not help").
    "default_hand": RefinerConfig(channels=1, maps=16, blocks=3, kernel=3),
}


class ResnetBlock(nn.Module):
    """Two kxk convs with an identity skip; no batch norm, as the paper."""

    def __init__(self, maps: int, kernel: int) -> None:
        super().__init__()
        # Replicate padding: zero padding makes the refiner paint a frame along the borders.
        self.conv1 = nn.Conv2d(maps, maps, kernel, padding=kernel // 2, padding_mode="replicate")
        self.conv2 = nn.Conv2d(maps, maps, kernel, padding=kernel // 2, padding_mode="replicate")
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, M, H, W) -> (B, M, H, W)
        return self.relu(x + self.conv2(self.relu(self.conv1(x))))


def content_noise(x: torch.Tensor, maps: int) -> torch.Tensor:
    """(B, C, H, W) images -> (B, maps, H, W) N(0, 1) noise drawn from a generator seeded
    by each image's own float32 bytes: the same image gets the same noise, whatever batch,
    worker or machine refines it (numpy's PCG64 normals are platform-independent). On the
    meta device (FLOP counting) zeros of the right shape."""
    b, _, h, w = x.shape
    if x.device.type == "meta":
        return torch.zeros((b, maps, h, w), device="meta")
    pixels = x.detach().to("cpu", torch.float32).contiguous().numpy()
    draws = [np.random.default_rng(
        int.from_bytes(hashlib.blake2b(image.tobytes(), digest_size=8).digest(), "little")
    ).standard_normal((maps, h, w), dtype=np.float32) for image in pixels]
    return torch.from_numpy(np.stack(draws)).to(x.device)


class Refiner(nn.Module):
    def __init__(self, cfg: RefinerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.stem = nn.Sequential(
            nn.Conv2d(cfg.channels + cfg.noise_maps, cfg.maps, cfg.kernel,
                      padding=cfg.kernel // 2, padding_mode="replicate"), nn.ReLU()
        )
        self.blocks = nn.Sequential(*(ResnetBlock(cfg.maps, cfg.kernel) for _ in range(cfg.blocks)))
        self.head = nn.Conv2d(cfg.maps, cfg.channels, 1)
        if cfg.residual:  # the identity at the start: x + 0
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, H, W) -> same, in [-1, 1]. With noise_maps, `noise` (B, noise_maps, H, W)
        is the noise input; None draws it from the image itself (content_noise:
        reproducible refinement). Training passes fresh draws."""
        inp = x
        if self.cfg.noise_maps:
            if noise is None:
                noise = content_noise(x, self.cfg.noise_maps)
            inp = torch.cat([x, noise.to(x.dtype)], dim=1)
        out = self.head(self.blocks(self.stem(inp)))
        if self.cfg.residual:
            return (x + out).clamp(-1.0, 1.0)
        return torch.tanh(out)


# The paper's discriminator trunks: (kind, out_channels, kernel, stride), padding kernel // 2
# everywhere, a ReLU after every conv; the final 1x1 conv to the 2 logits is appended.
DISCRIMINATOR_ARCHS: dict[str, tuple[tuple[str, int, int, int], ...]] = {
    # 35 x 55 -> 18 x 28 -> 9 x 14 (then kept): a (B, 2, 9, 14) patch map.
    "gaze": (("conv", 96, 3, 2), ("conv", 64, 3, 2), ("pool", 0, 3, 1),
             ("conv", 32, 3, 1), ("conv", 32, 1, 1)),
    # 224 x 224 -> 56 -> 28 -> 14 -> 7: a (B, 2, 7, 7) patch map.
    "hand": (("conv", 96, 7, 4), ("conv", 64, 5, 2), ("pool", 0, 3, 2),
             ("conv", 32, 3, 2), ("conv", 32, 1, 1)),
    # A local critic for eye crops: one stride-2 conv, then 3x3 and 1x1 convs: each logit
    # sees 11 x 11 px of the 35 x 55 crop (the paper's: 23 x 23, enough to judge a whole
    # iris and the lids' shape, so a refiner is pushed to redraw them, moving the gaze).
    # Texture, noise, lashes, tone and blur are judged; the eye's geometry is not.
    # 35 x 55 -> 18 x 28: a (B, 2, 18, 28) patch map.
    "gaze_local": (("conv", 96, 3, 2), ("conv", 64, 3, 1), ("conv", 32, 3, 1),
                   ("conv", 32, 1, 1)),
    # The same trunk for 64 x 64 crops: 64 -> 32 -> 16 -> 8 (then kept): a (B, 2, 8, 8)
    # patch map, about the paper's 7 x 7 grid (the 224 trunk would leave 2 x 2 here).
    "hand_64": (("conv", 96, 5, 2), ("conv", 64, 3, 2), ("pool", 0, 3, 2),
                ("conv", 32, 3, 1), ("conv", 32, 1, 1)),
}
DISC_MODES = ("local", "global")


@dataclass(frozen=True)
class DiscriminatorConfig:
    channels: int = 1  # image channels
    arch: str = "gaze"  # a key of DISCRIMINATOR_ARCHS
    width: float = 1.0  # multiplies every hidden layer's channels (the 2 logits stay)

    def __post_init__(self) -> None:
        if self.arch not in DISCRIMINATOR_ARCHS:
            raise ValueError(f"unknown discriminator arch {self.arch!r}; "
                             f"known: {sorted(DISCRIMINATOR_ARCHS)}")
        if self.width <= 0 or self.channels < 1:
            raise ValueError(f"bad DiscriminatorConfig {self}: width and channels must be > 0")


DISCRIMINATOR_PRESETS: dict[str, DiscriminatorConfig] = {
    "paper_gaze": DiscriminatorConfig(channels=1, arch="gaze", width=1.0),
    "paper_hand": DiscriminatorConfig(channels=1, arch="hand", width=1.0),
    "default_gaze": DiscriminatorConfig(channels=1, arch="gaze", width=0.5),
    "local_gaze": DiscriminatorConfig(channels=1, arch="gaze_local", width=0.5),
    "default_hand": DiscriminatorConfig(channels=1, arch="hand_64", width=0.5),
}


class Discriminator(nn.Module):
    def __init__(self, cfg: DiscriminatorConfig, mode: str = "local") -> None:
        super().__init__()
        if mode not in DISC_MODES:
            raise ValueError(f"unknown discriminator mode {mode!r}; known: {list(DISC_MODES)}")
        self.cfg, self.mode = cfg, mode
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for kind, c_out, k, stride in DISCRIMINATOR_ARCHS[cfg.arch]:
            if kind == "pool":
                layers.append(nn.MaxPool2d(k, stride=stride, padding=k // 2))
                continue
            c_out = max(1, round(c_out * cfg.width))
            layers += [nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2), nn.ReLU()]
            c_in = c_out
        layers.append(nn.Conv2d(c_in, 2, 1))  # logits: [refined, real]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, 2, h, w)
        logits = self.net(x)
        if self.mode == "global":  # ablation: one decision per image, (B, 2, 1, 1)
            logits = logits.mean(dim=(2, 3), keepdim=True)
        return logits


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _conv_flops(meta_model: nn.Module, channels: int, h: int, w: int) -> int:
    """2 x the multiply-adds of every Conv2d for one (channels, h, w) image.

    The model is built on the meta device (shapes only, no arithmetic), so a paper-size hand
    refiner at 224 x 224 costs nothing to count. Pools, ReLUs and biases are not counted.
    """
    total = 0

    def count(mod: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        assert isinstance(mod, nn.Conv2d)
        kh, kw = mod.kernel_size  # each output element is one dot product of this length
        total += 2 * output.numel() * (mod.in_channels // mod.groups) * kh * kw

    hooks = [m.register_forward_hook(count) for m in meta_model.modules()
             if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            meta_model(torch.empty((1, channels, h, w), device="meta"))
    finally:
        for hook in hooks:
            hook.remove()
    return total


def refiner_flops_per_image(cfg: RefinerConfig, h: int, w: int) -> int:
    with torch.device("meta"):
        model = Refiner(cfg)
    return _conv_flops(model, cfg.channels, h, w)


def discriminator_flops_per_image(cfg: DiscriminatorConfig, h: int, w: int) -> int:
    with torch.device("meta"):
        model = Discriminator(cfg)
    return _conv_flops(model, cfg.channels, h, w)
