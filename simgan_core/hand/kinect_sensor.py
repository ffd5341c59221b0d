"""What a structured-light Kinect makes of a true depth map, and how NYU stored it.

Applied in this order to the (480, 640) true depth (mm, +inf = nothing in range):
1. ragged silhouettes: the image is resampled through a smooth random displacement of
   about a pixel (the correlation window's blocky edges);
2. projector shadows: the projector sits BASELINE_MM to the camera's side, so surfaces
   just right of a nearer object receive no pattern (no reading);
3. depth discontinuities: most pixels there read nothing, some become flying pixels
   (depth between the two sides);
4. oblique surfaces: the steeper a surface (normal vs view ray, from the depth gradient)
   past the subject's dropout angle, the likelier a hole; plus sparse random blobs;
5. disparity noise (per pixel and smooth) and quantization: depth is K / disparity with
   integer disparity, so steps grow as z^2 / K (1.7 mm at 0.75 m, 12 mm at 2 m);
6. storage as the release has it (../shared/fixtures/nyu/depth_1_0000001.png): no
   zeros; no reading and anything past MAX_RANGE_MM are filled with FAR_FILL_MM.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from simgan_core.hand.joints import FX

DISPARITY_K = 340000.0  # mm x disparity units; fits the fixture's steps (1.7 mm @ 0.75 m)
BASELINE_MM = 75.0  # projector - camera distance (Kinect v1)
MAX_RANGE_MM = 2000.0
FAR_FILL_MM = 2001  # the fixture's value for "no reading / far background"
EDGE_JUMP_MM = 35.0  # a neighbour this much nearer or farther: a depth discontinuity
EDGE_HOLE_P, FLYING_P = 0.55, 0.15  # fates of a discontinuity pixel
_CAP_MM = 4000.0  # stands in for +inf in differences


def smooth_field(rng: np.random.Generator, hw: tuple[int, int], cell: int) -> np.ndarray:
    """(H, W) float32 noise of unit-ish std, correlated over about `cell` pixels."""
    small = rng.standard_normal((hw[0] // cell + 2, hw[1] // cell + 2), dtype=np.float32)
    big = Image.fromarray(small, "F").resize(
        (small.shape[1] * cell, small.shape[0] * cell), Image.BILINEAR)
    return np.asarray(big)[:hw[0], :hw[1]]


def block_field(rng: np.random.Generator, hw: tuple[int, int], cell: int) -> np.ndarray:
    """(H, W) float32 standard normal values constant over cell x cell blocks (cheap; the
    correlation window's blockiness is what these stand for)."""
    small = rng.standard_normal((-(-hw[0] // cell), -(-hw[1] // cell)), dtype=np.float32)
    return np.repeat(np.repeat(small, cell, axis=0), cell, axis=1)[:hw[0], :hw[1]]


def _shift(a: np.ndarray, step: int, axis: int) -> np.ndarray:
    """a moved by `step` pixels along axis (edge values repeat): out[i] = a[i - step]."""
    out = np.roll(a, step, axis=axis)
    edge = [slice(None)] * 2
    edge[axis] = slice(0, step) if step > 0 else slice(step, None)
    out[tuple(edge)] = a[tuple(edge)]
    return out


def _jitter(depth: np.ndarray, rng: np.random.Generator, amplitude_px: float) -> np.ndarray:
    """Ragged edges: each pixel takes its own value or a neighbour's one pixel away in u
    and/or v, chosen by random 3 x 3 blocks."""
    out = depth
    for axis in (1, 0):
        field = amplitude_px * block_field(rng, depth.shape, 3)
        out = np.where(field > 0.5, _shift(out, 1, axis),
                       np.where(field < -0.5, _shift(out, -1, axis), out))
    return out


def projector_shadow(depth: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose surface the projector cannot see. With the projector to
    the camera's right, a surface at column u is lit along projector column
    p = u + f * b / z; it is shadowed when a pixel to its left reaches a larger p."""
    u = np.arange(depth.shape[1], dtype=np.float32)[None, :]
    p = u + np.float32(FX * BASELINE_MM) / depth  # +inf depth -> p = u
    reach = np.maximum.accumulate(p, axis=1)
    shadow = np.zeros(depth.shape, dtype=bool)
    shadow[:, 1:] = reach[:, :-1] > p[:, 1:] + 0.5
    return shadow & np.isfinite(depth)


def _neighbour_extremes(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min and max over each pixel and its 4 neighbours."""
    pad = np.pad(z, 1, mode="edge")
    stack = (pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:])
    lo, hi = z.copy(), z.copy()
    for s in stack:
        np.minimum(lo, s, out=lo)
        np.maximum(hi, s, out=hi)
    return lo, hi


def _steepness_tan2(z: np.ndarray) -> np.ndarray:
    """tan^2 of the angle between the surface normal and the optical axis, from central
    differences of depth (mm per pixel -> mm per mm: x f / z)."""
    pad = np.pad(z, 1, mode="edge")
    gx = pad[1:-1, 2:] - pad[1:-1, :-2]
    gy = pad[2:, 1:-1] - pad[:-2, 1:-1]
    scale = np.float32(0.5 * FX) / z
    return (gx * gx + gy * gy) * (scale * scale)


def quantize_disparity(z: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Depth (mm) through integer disparity d = round(K / z + noise) -> K / d (mm)."""
    disparity = np.rint(np.float32(DISPARITY_K) / z + noise)
    return np.float32(DISPARITY_K) / np.maximum(disparity, np.float32(1.0))


def kinect_depth(true_depth: np.ndarray, rng: np.random.Generator, noise_disparity: float,
                 edge_jitter_px: float, dropout_angle_deg: float) -> np.ndarray:
    """(H, W) float32 true depth (mm, +inf = nothing) -> uint16 as NYU stores a real
    frame: mm, holes and far background = FAR_FILL_MM, never 0. Only the box round the
    surfaces in range is simulated (often a third of the frame); the rest is fill."""
    finite = np.isfinite(true_depth)
    rows, cols = np.flatnonzero(finite.any(axis=1)), np.flatnonzero(finite.any(axis=0))
    out = np.full(true_depth.shape, FAR_FILL_MM, dtype=np.uint16)
    if rows.size == 0:
        return out
    pad = 4  # background round the box: the edge effects stay inside it
    r0, r1 = max(int(rows[0]) - pad, 0), min(int(rows[-1]) + pad + 1, true_depth.shape[0])
    c0, c1 = max(int(cols[0]) - pad, 0), min(int(cols[-1]) + pad + 1, true_depth.shape[1])
    out[r0:r1, c0:c1] = _sense(np.asarray(true_depth[r0:r1, c0:c1], dtype=np.float32), rng,
                               noise_disparity, edge_jitter_px, dropout_angle_deg)
    return out


def _sense(true_depth: np.ndarray, rng: np.random.Generator, noise_disparity: float,
           edge_jitter_px: float, dropout_angle_deg: float) -> np.ndarray:
    """kinect_depth on a box of the frame (the projector's geometry only needs columns
    relative to each other)."""
    h, w = true_depth.shape
    depth = _jitter(true_depth, rng, edge_jitter_px)
    finite = np.isfinite(depth)
    z = np.minimum(depth, np.float32(_CAP_MM))
    lo, hi = _neighbour_extremes(z)
    edge = (hi - lo) > EDGE_JUMP_MM
    fate = rng.random((h, w), dtype=np.float32)
    flying = edge & (fate < FLYING_P) & (lo < MAX_RANGE_MM)
    holes = projector_shadow(depth)
    holes |= edge & (fate >= FLYING_P) & (fate < FLYING_P + EDGE_HOLE_P)
    # Oblique surfaces: a soft threshold 8 degrees wide, in patches of 5 x 5 pixels.
    lo_tan, hi_tan = np.tan(np.radians([dropout_angle_deg - 4.0, dropout_angle_deg + 4.0]))
    ramp = (np.sqrt(_steepness_tan2(z)) - np.float32(lo_tan)) * np.float32(1 / (hi_tan - lo_tan))
    patches = block_field(rng, (h, w), 5)
    holes |= ~edge & (ramp > np.maximum(0.5 + 0.3 * patches, 0.0))  # never below the ramp
    holes |= patches > 3.0  # rare blobs anywhere (0.13 % of the blocks)
    # Flying pixels: somewhere between the nearer and the farther side.
    z = np.where(flying, lo + fate * np.float32(1 / FLYING_P) * (
        np.minimum(hi, np.float32(2 * MAX_RANGE_MM)) - lo), z)
    noise = rng.standard_normal((h, w), dtype=np.float32)
    noise *= np.float32(noise_disparity)
    noise += 0.3 * smooth_field(rng, (h, w), 16)
    measured = quantize_disparity(z, noise)
    missing = holes | ~(finite | flying) | (measured > MAX_RANGE_MM)
    return np.where(missing, FAR_FILL_MM, np.rint(measured)).astype(np.uint16)
