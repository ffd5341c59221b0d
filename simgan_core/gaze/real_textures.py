"""Procedural textures and optics of the stand-in real camera (real_camera.py).

Small, cheap building blocks on float32 grayscale arrays: band-limited noise (skin
blotches, pores, sclera), an iris texture from polar lookup tables, eyelashes drawn
as strokes along the upper-lid margin, a lens blur (defocus and a little motion), a
Poisson-Gaussian sensor and a JPEG round trip.
"""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageDraw, JpegImagePlugin
from scipy import ndimage


@functools.cache
def _upsampler(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) float32 matrix of linear interpolation across n_in coarse samples."""
    pos = (np.arange(n_out) + 0.5) * (n_in - 1) / n_out  # output centres in coarse units
    lo = np.minimum(pos.astype(int), n_in - 2)
    w = np.zeros((n_out, n_in), np.float32)
    w[np.arange(n_out), lo] = 1.0 - (pos - lo)
    w[np.arange(n_out), lo + 1] = pos - lo
    return w


def smooth_noise(rng: np.random.Generator, hw: tuple[int, int],
                 cells: tuple[int, int]) -> np.ndarray:
    """(H, W) float32 zero-mean, unit-ish noise with about `cells` blobs per axis:
    coarse Gaussian noise, linearly interpolated (two small matrix products)."""
    coarse = rng.standard_normal((cells[0] + 1, cells[1] + 1), dtype=np.float32)
    return _upsampler(cells[0] + 1, hw[0]) @ coarse @ _upsampler(cells[1] + 1, hw[1]).T


def iris_tables(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(256,) azimuth table (fibres and crypts) and (64,) radial table, both ~1 on average."""
    phi = np.linspace(-np.pi, np.pi, 256, endpoint=False)
    k = np.arange(1, 9)
    freq = rng.integers(6, 70, size=k.size)  # integers: the pattern wraps round the iris
    waves = (rng.uniform(0.4, 1.0, k.size)[:, None] / np.sqrt(k)[:, None]
             * np.sin(freq[:, None] * phi + rng.uniform(0, 2 * np.pi, k.size)[:, None])).sum(0)
    crypts = np.convolve(np.tile(rng.standard_normal(256), 3), np.ones(5) / 5, "same")[256:512]
    azimuth = 1.0 + 0.28 * waves / np.abs(waves).max() + 0.12 * crypts
    rho = np.linspace(0.0, 1.0, 64)
    collarette = rng.uniform(0.3, 0.5)
    radial = (0.9 + 0.25 * np.exp(-(((rho - collarette) / 0.08) ** 2))
              - 0.6 * np.clip((rho - 0.78) / 0.22, 0.0, 1.0) ** 1.5)
    return azimuth.astype(np.float32), radial.astype(np.float32)


def draw_lashes(rng: np.random.Generator, hw: tuple[int, int], upper: np.ndarray,
                lower: np.ndarray, count: int, length: float) -> np.ndarray:
    """(H, W) float32 coverage of eyelashes along the lid curves (N, 2), inner -> outer.

    Upper lashes leave the margin roughly along its upward normal, tilted and curling
    toward the outer corner (image right); a quarter as many short ones hang from the lower
    lid. `length` is in pixels. Each lash is one 2-pixel-wide, two-segment polyline.
    """
    canvas = Image.new("L", (hw[1], hw[0]))
    draw = ImageDraw.Draw(canvas)
    for curve, n, sign, scale in ((upper, count, 1.0, 1.0), (lower, count // 4, -1.0, 0.35)):
        if n == 0:
            continue
        t = rng.uniform(0.1, 0.95, n)
        i = np.clip((t * (len(curve) - 1)).astype(int), 1, len(curve) - 2)
        tangent = curve[i + 1] - curve[i - 1]
        tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
        normal = sign * np.stack([tangent[:, 1], -tangent[:, 0]], 1)  # up for the upper lid
        tilt = np.radians(10.0 + 35.0 * t + rng.normal(0.0, 8.0, n))[:, None]
        d1 = np.cos(tilt) * normal + np.sin(tilt) * tangent
        d2 = np.cos(tilt + 0.45) * normal + np.sin(tilt + 0.45) * tangent  # the curl
        size = length * scale * (0.55 + 0.45 * np.sin(np.pi * t)) * rng.uniform(0.7, 1.1, n)
        p1 = curve[i] + d1 * (0.55 * size)[:, None]
        p2 = p1 + d2 * (0.45 * size)[:, None]
        for line in np.stack([curve[i], p1, p2], 1).reshape(n, 6).tolist():
            draw.line(line, fill=255, width=2)
    return np.asarray(canvas, dtype=np.float32) * np.float32(1 / 255)


def _pad_shift_mean(img: np.ndarray, offsets: list[tuple[int, int]]) -> np.ndarray:
    """Mean of copies of img shifted by integer (dy, dx) offsets, edges replicated."""
    p = max(1, max(max(abs(dy), abs(dx)) for dy, dx in offsets))
    padded = np.pad(img, p, mode="edge")
    h, w = img.shape
    out = np.zeros_like(img)
    for dy, dx in offsets:
        out += padded[p + dy:p + dy + h, p + dx:p + dx + w]
    return out * np.float32(1.0 / len(offsets))


def lens_blur(img: np.ndarray, sigma: float, motion_px: float, motion_angle: float) -> np.ndarray:
    """Defocus (separable 5-tap Gaussian, sigma px) then motion blur along an angle."""
    x = np.arange(-2, 3, dtype=np.float32)
    k = np.exp(-0.5 * (x / max(sigma, 1e-3)) ** 2)
    k /= k.sum()
    out = ndimage.correlate1d(img, k, axis=0, mode="nearest")
    out = ndimage.correlate1d(out, k, axis=1, mode="nearest")
    n = int(round(motion_px))
    if n < 1:
        return out
    dy, dx = np.sin(motion_angle), np.cos(motion_angle)
    taps = [(int(round(s * dy)), int(round(s * dx))) for s in np.linspace(-n / 2, n / 2, n + 1)]
    return _pad_shift_mean(out, taps)


def sensor(rng: np.random.Generator, radiance: np.ndarray, full_well: float,
           read_noise: float) -> np.ndarray:
    """Poisson shot noise (radiance 1.0 = full_well electrons) plus Gaussian read noise."""
    electrons = rng.poisson(np.maximum(radiance, 0.0) * full_well).astype(np.float32)
    electrons += rng.normal(0.0, read_noise, radiance.shape).astype(np.float32)
    return electrons * np.float32(1.0 / full_well)


def tone_curve(x: np.ndarray, black: float, white: float, knee: float) -> np.ndarray:
    """Compressive camera response: black + (white - black) (1 - e^-kx) / (1 - e^-k), in 0..255."""
    y = (1.0 - np.exp(-knee * np.clip(x, 0.0, 1.5))) / (1.0 - np.exp(-knee))
    return black + (white - black) * y


def jpeg_round_trip(gray: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode an (H, W) uint8 image as a baseline JPEG: its block artifacts."""
    buf = io.BytesIO()
    Image.fromarray(gray, "L").save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    # The JPEG plugin directly: Image.open's format sniffing costs more than the decode.
    return np.asarray(JpegImagePlugin.JpegImageFile(buf), dtype=np.uint8)
