"""Generic photometric augmentation for grayscale images: the baseline to beat.

8-bit images (eyes) get the whole imaging chain below; 16-bit depth crops (hands, in
[-1, 1] within the crop cube, back of the cube = the largest value) get the ops that
mean something for a depth sensor: blur, noise on measured surfaces only, and holes
(pixels with no reading, stored as the back of the cube). Gamma and JPEG are refused
for depth: a depth map has no exposure curve and is not sent through an image codec.
`DEPTH_AUGMENT` is the depth configuration.

Before training a GAN, a user would try this: jitter gamma, contrast and brightness,
blur a little, add sensor noise, re-compress as JPEG. If a refiner does not beat it,
the refiner is not worth its cost. Only label-preserving operations are here: no
flips, crops or shifts, because moving or mirroring an eye changes its gaze label.

Operations run in a fixed order that follows the imaging chain: scene lighting
(gamma, contrast, brightness), optics (blur), sensor (noise), codec (JPEG). Each is
applied to each image independently with its own probability, with strengths drawn
per image from the ranges in `AugmentConfig` (JPEG quality: one draw per batch, so
that a batch is one codec call).

Cost matters because it runs on every training batch on a CPU: the work is vectorised
over the batch where numpy allows it and the slow paths (per-image Python calls,
numpy's normal sampler, threaded BLAS) are avoided; see the helpers' notes.

Determinism: the draws depend only on the generator's state, the batch size and the
config, never on pixel values, so the same generator state gives the same bytes.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.special import ndtri

OPS: tuple[str, ...] = ("gamma", "contrast", "brightness", "blur", "noise", "jpeg", "holes")
DEPTH_REFUSED_OPS = ("gamma", "jpeg")  # meaningless for a depth map (see the module notes)


@dataclass(frozen=True)
class AugmentConfig:
    """Probability (`<op>_p`) and strength range (`<op>_range`, low and high) per op.

    Defaults are mild: visible changes that a gaze label survives.
    Units: gamma is the exponent on [0, 1] intensities; contrast a factor about each
    image's mean; brightness and noise in stored levels (0..255 for 8-bit images,
    0..65535 for 16-bit depth); blur the Gaussian sigma in pixels; jpeg the PIL quality
    (1..95); holes the fraction of pixels set to the largest value (no reading).
    Holes are off by default and draw from the generator only when holes_p > 0, so
    configurations without holes keep the draws they had before holes existed.
    """

    gamma_p: float = 0.5
    gamma_range: tuple[float, float] = (0.7, 1.4)
    contrast_p: float = 0.5
    contrast_range: tuple[float, float] = (0.6, 1.4)
    brightness_p: float = 0.5
    brightness_range: tuple[float, float] = (-25.0, 25.0)
    blur_p: float = 0.3
    blur_range: tuple[float, float] = (0.3, 1.2)
    noise_p: float = 0.5
    noise_range: tuple[float, float] = (1.0, 8.0)
    jpeg_p: float = 0.3
    jpeg_range: tuple[int, int] = (30, 90)
    holes_p: float = 0.0
    holes_range: tuple[float, float] = (0.0, 0.05)

    def __post_init__(self) -> None:
        for op in OPS:
            p, (lo, hi) = getattr(self, f"{op}_p"), getattr(self, f"{op}_range")
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{op}_p must be in [0, 1], got {p}")
            if not lo <= hi:
                raise ValueError(f"{op}_range must be (low, high) with low <= high, got {lo, hi}")
        if self.gamma_range[0] <= 0:
            raise ValueError(f"gamma_range must be positive, got {self.gamma_range}")
        if self.contrast_range[0] < 0 or self.blur_range[0] < 0 or self.noise_range[0] < 0:
            raise ValueError("contrast_range, blur_range and noise_range must be >= 0")
        if not 1 <= self.jpeg_range[0] <= self.jpeg_range[1] <= 95:
            raise ValueError(f"jpeg_range must lie in [1, 95] (PIL quality), got {self.jpeg_range}")
        if not 0.0 <= self.holes_range[0] <= self.holes_range[1] <= 1.0:
            raise ValueError(f"holes_range must lie in [0, 1] (a pixel fraction), got "
                             f"{self.holes_range}")

    def only(self, *ops: str) -> AugmentConfig:
        """A copy with every op not named switched off (p = 0); strengths kept."""
        unknown = set(ops) - set(OPS)
        if unknown:
            raise ValueError(f"unknown augmentation ops {sorted(unknown)}; known: {OPS}")
        return replace(self, **{f"{op}_p": 0.0 for op in OPS if op not in ops})


# Depth crops (16-bit, 65535 = back of the cube): what a structured-light sensor varies.
# Noise sd 0.2-1% of the range is 0.6-3 mm on a 300 mm cube; blur below a pixel;
# up to 5% of the pixels lost, as the stand-in Kinect loses them.
DEPTH_AUGMENT = AugmentConfig(
    gamma_p=0.0, contrast_p=0.0, brightness_p=0.0, jpeg_p=0.0,
    blur_p=0.3, blur_range=(0.3, 1.0),
    noise_p=0.5, noise_range=(130.0, 650.0),
    holes_p=0.5, holes_range=(0.005, 0.05))


def augment_batch(images: np.ndarray, rng: np.random.Generator,
                  cfg: AugmentConfig = AugmentConfig()) -> np.ndarray:
    """(N, H, W) uint8 or uint16 -> the same shape and dtype, augmented per image; the
    input is not changed.

    Draws from `rng` in a fixed order (per op: N uniforms for "apply?" and N strengths,
    one JPEG quality per batch, then the noise field of the noisy images, then, only
    when holes_p > 0, the holes), so results are reproducible per generator state.
    For uint16 (depth) the noise lands on measured pixels only (below the largest
    value, the back of the cube) and gamma / JPEG must be off.
    """
    if images.dtype not in (np.uint8, np.uint16) or images.ndim != 3:
        raise ValueError(f"expected (N, H, W) uint8 or uint16 images, got {images.dtype} "
                         f"{images.shape}")
    depth = images.dtype == np.uint16
    if depth and (refused := [op for op in DEPTH_REFUSED_OPS if getattr(cfg, f"{op}_p") > 0]):
        raise ValueError(f"augmentation ops {refused} do not apply to 16-bit depth; set their "
                         "_p to 0 (see DEPTH_AUGMENT)")
    top = float(np.iinfo(images.dtype).max)  # 255 or 65535
    n, h, w = images.shape
    gamma_on, g = _draw(rng, n, cfg, "gamma")
    contrast_on, c = _draw(rng, n, cfg, "contrast")
    brightness_on, b = _draw(rng, n, cfg, "brightness")
    blur_on, blur_sigma = _draw(rng, n, cfg, "blur")
    noise_on, noise_sigma = _draw(rng, n, cfg, "noise")
    jpeg_on = rng.random(n) < cfg.jpeg_p
    # One quality per batch: PIL's per-call overhead dominates at 35 x 55, so the chosen
    # images are compressed together as one mosaic (see `_jpeg_roundtrip`).
    quality = int(rng.integers(int(cfg.jpeg_range[0]), int(cfg.jpeg_range[1]) + 1))

    # Ops work in place on one float32 buffer: at this size, fresh temporaries cost more
    # (page faults) than the arithmetic.
    x = images.astype(np.float32)  # (N, H, W) grey levels; a copy, so the input stays intact
    if gamma_on.any():
        # A per-image lookup table on the uint8 input: 256 powers per image, not H * W.
        lut = 255.0 * np.power(np.arange(256, dtype=np.float32) / 255.0, g[gamma_on, None])
        for row, i in zip(lut, np.flatnonzero(gamma_on), strict=True):  # (256,)[(H, W)]
            x[i] = row[images[i]]
    # Contrast about each image's own mean (the average brightness stays put), then
    # brightness, as one affine map per image: x * scale + shift.
    if contrast_on.any() or brightness_on.any():
        scale = np.where(contrast_on, c, 1.0).astype(np.float32)  # (N,)
        shift = np.where(brightness_on, b, 0.0).astype(np.float32)
        if contrast_on.any():
            shift += (1.0 - scale) * x.mean(axis=(1, 2), dtype=np.float32)
        x *= scale[:, None, None]
        x += shift[:, None, None]
    np.clip(x, 0.0, top, out=x)  # saturate like a sensor, before the optics

    if blur_on.any():
        radius = math.ceil(3.0 * cfg.blur_range[1])  # the kernel is cut at 3 sigma
        x[blur_on] = _gaussian_blur(x[blur_on], blur_sigma[blur_on], radius)
    if noise_on.any():
        noise = _normal_noise(rng, (int(noise_on.sum()), h, w))
        noise *= noise_sigma[noise_on, None, None]
        if depth:  # the back of the cube is a clip value, not a noisy measurement
            noise *= images[noise_on] < top
        x[noise_on] += noise
    np.rint(x, out=x)
    np.clip(x, 0.0, top, out=x)
    out = x.astype(images.dtype)
    if jpeg_on.any():
        out[jpeg_on] = _jpeg_roundtrip(out[jpeg_on], quality)
    if cfg.holes_p > 0:
        holes_on, fraction = _draw(rng, n, cfg, "holes")
        if holes_on.any():
            lost = rng.random((int(holes_on.sum()), h, w), dtype=np.float32)
            out[holes_on] = np.where(lost < fraction[holes_on, None, None],
                                     images.dtype.type(top), out[holes_on])
    return out


def _draw(rng: np.random.Generator, n: int, cfg: AugmentConfig, op: str
          ) -> tuple[np.ndarray, np.ndarray]:
    """(N,) bool "apply op?" and (N,) float32 strengths, drawn for every image whatever p
    is, so the stream's use depends on N alone: switching one op off leaves the draws of
    the others unchanged."""
    on = rng.random(n) < getattr(cfg, f"{op}_p")
    lo, hi = getattr(cfg, f"{op}_range")
    return on, rng.uniform(lo, hi, n).astype(np.float32)


@lru_cache(maxsize=1)
def _normal_quantiles() -> np.ndarray:
    """(65536,) float32: the standard normal's quantiles at (k + 0.5) / 65536."""
    return ndtri((np.arange(65536) + 0.5) / 65536).astype(np.float32)


def _normal_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal float32 noise by inverse-CDF lookup of uniform 16-bit integers.

    Three times cheaper than `rng.standard_normal` here (the largest cost of a batch),
    and exact to what matters: mean 0, sd 1 to 3e-4, 65,536 equally likely levels,
    tails cut at 4.3 sd; the noise is rounded to whole grey levels afterwards anyway.
    Portable bytes: integers and a table, no platform-specific maths.
    """
    return np.take(_normal_quantiles(), rng.integers(0, 65536, shape, dtype=np.uint16))


def _gaussian_blur(x: np.ndarray, sigma: np.ndarray, radius: int) -> np.ndarray:
    """(n, H, W) float32 blurred with a per-image sigma (n,) px; separable, mirrored edges.

    Kernels are built for all images at once; the filtering is two single-threaded scipy
    calls per image. (Batched matrix products were faster alone but stalled badly, in
    BLAS threads, when another process kept the other core busy.)
    """
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (offsets[None, :] / np.maximum(sigma[:, None], 1e-3)) ** 2)
    k /= k.sum(axis=1, keepdims=True)  # (n, 2r+1), each kernel sums to 1
    out = np.empty_like(x)
    for i in range(len(x)):
        rows = ndimage.correlate1d(x[i], k[i], axis=1, mode="mirror")
        ndimage.correlate1d(rows, k[i], axis=0, output=out[i], mode="mirror")
    return out


def _jpeg_roundtrip(images: np.ndarray, quality: int) -> np.ndarray:
    """(n, H, W) uint8 -> the same images after a JPEG encode/decode at `quality`.

    JPEG codes 8 x 8 blocks independently (up to lossless DC prediction), so tiles
    padded to multiples of 8 by edge replication (what libjpeg does at an image's
    border) and stacked into one tall mosaic come back as if each had been coded alone,
    at one PIL call instead of n.
    """
    n, h, w = images.shape
    th, tw = h + (-h % 8), w + (-w % 8)
    per_mosaic = max(1, min(512, 65535 // th))  # a JPEG side may not exceed 65,535 pixels
    if n > per_mosaic:
        return np.concatenate([_jpeg_roundtrip(images[i:i + per_mosaic], quality)
                               for i in range(0, n, per_mosaic)])
    tiles = np.empty((n, th, tw), dtype=np.uint8)  # edge replication by hand: np.pad is slower
    tiles[:, :h, :w] = images
    tiles[:, :h, w:] = images[:, :, w - 1:]
    tiles[:, h:, :] = tiles[:, h - 1:h, :]
    buf = io.BytesIO()
    Image.fromarray(tiles.reshape(n * th, tw)).save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf, formats=["JPEG"]) as decoded:
        mosaic = np.asarray(decoded.convert("L"), dtype=np.uint8)  # (n * th, tw)
    return mosaic.reshape(n, th, tw)[:, :h, :w]
