"""Z-buffered depth of capsules, spheres and ellipsoids by ray casting, NYU's Kinect camera.

Pixel (row v, column u) of the 640 x 480 frame samples the ray through image point
(u, v) exactly: integer coordinates are pixel centres (xyz_to_uvd's convention), so a
point at (u, v, d) shows at depth ~d in pixel (round(v), round(u)). The ray of pixel
(u, v) is ((u - cx) / fx, (cy - v) / fy, 1) from the camera centre (y up), so the ray
parameter t of a hit IS its depth z in mm. Each primitive only touches the pixels of its
projected bounding box (a few thousand for a finger segment), so a hand costs ~1 ms.

A depth buffer is (480, 640) float32 mm, +inf where nothing was hit.
"""

from __future__ import annotations

import numpy as np

from simgan_core.hand.hand_model import HandGeometry
from simgan_core.hand.joints import CX, CY, FRAME_H, FRAME_W, FX, FY

# float32 per pixel (a full-frame float64 op costs 4x); geometry stays float64 and enters
# the per-pixel arithmetic as Python floats, which keep the float32 type (NEP 50).
RAY_X = ((np.arange(FRAME_W) - CX) / FX).astype(np.float32)  # (W,) ray x per column
RAY_Y = ((CY - np.arange(FRAME_H)) / FY).astype(np.float32)  # (H,) ray y per row (y up)

Box = tuple[int, int, int, int]  # rows r0..r1-1, columns c0..c1-1


def empty_depth() -> np.ndarray:
    """(480, 640) float32 buffer of +inf (no surface)."""
    return np.full((FRAME_H, FRAME_W), np.inf, dtype=np.float32)


def _screen_box(points: np.ndarray, radius: float) -> Box | None:
    """Pixel box holding the projection of spheres of `radius` around (N, 3) points, or
    None when off the frame or not in front of the camera."""
    z = points[:, 2]
    if z.min() <= radius + 1.0:
        return None  # touches the camera plane: not a hand-held scene
    u = CX + FX * points[:, 0] / z
    v = CY - FY * points[:, 1] / z
    grow = radius * max(FX, FY) / (z.min() - radius) + 2.0  # px: a sphere's projected radius
    c0, c1 = int(np.floor(u.min() - grow)), int(np.ceil(u.max() + grow)) + 1
    r0, r1 = int(np.floor(v.min() - grow)), int(np.ceil(v.max() + grow)) + 1
    c0, c1, r0, r1 = max(c0, 0), min(c1, FRAME_W), max(r0, 0), min(r1, FRAME_H)
    return None if c0 >= c1 or r0 >= r1 else (r0, r1, c0, c1)


def _rays(box: Box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ray components of a box: x (1, w), y (h, 1), and |ray|^2 (h, w)."""
    rx = RAY_X[box[2]:box[3]][None, :]
    ry = RAY_Y[box[0]:box[1]][:, None]
    return rx, ry, rx * rx + ry * ry + 1.0


def _sphere_t(rx: np.ndarray, ry: np.ndarray, rdrd: np.ndarray, c: np.ndarray,
              r: float) -> np.ndarray:
    """Nearest hit depth of the sphere (centre c, radius r) per ray; +inf on a miss."""
    cx, cy, cz = c.tolist()
    b = cx * rx + cy * ry + cz  # ray . centre
    h = b * b - rdrd * float(c @ c - r * r)
    with np.errstate(invalid="ignore"):
        t = (b - np.sqrt(h)) / rdrd
    return np.where(h >= 0.0, t, np.inf)


def _cylinder_t(rx: np.ndarray, ry: np.ndarray, rdrd: np.ndarray, a: np.ndarray,
                b: np.ndarray, r: float) -> np.ndarray:
    """Nearest hit depth of the finite cylinder a-b (no caps) per ray; +inf on a miss."""
    ba, oa = b - a, -a
    baba, baoa, oaoa = float(ba @ ba), float(ba @ oa), float(oa @ oa)
    bx, by, bz = ba.tolist()
    ox, oy, oz = oa.tolist()
    bard = bx * rx + by * ry + bz
    rdoa = ox * rx + oy * ry + oz
    k2 = baba * rdrd - bard * bard
    k1 = baba * rdoa - baoa * bard
    k0 = baba * oaoa - baoa * baoa - r * r * baba  # a Python float
    h = k1 * k1 - k2 * k0
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (-k1 - np.sqrt(h)) / k2
        y = baoa + t * bard  # position along the axis x |ba|
        hit = (h >= 0.0) & (y > 0.0) & (y < baba) & (k2 > 0.0)
    return np.where(hit, t, np.inf)


def draw_capsule(depth: np.ndarray, a: np.ndarray, b: np.ndarray, r: float,
                 start_cap: bool = True) -> None:
    """Z-buffer the capsule (segment a-b, radius r; camera frame, mm) into depth, in place.
    start_cap=False leaves out the sphere at a (when a larger one is drawn there anyway)."""
    box = _screen_box(np.stack([a, b]), r)
    if box is None:
        return
    rx, ry, rdrd = _rays(box)
    t = _sphere_t(rx, ry, rdrd, b, r)
    if start_cap:
        np.minimum(t, _sphere_t(rx, ry, rdrd, a, r), out=t)
    if np.sum((b - a) ** 2) > 1e-9:
        np.minimum(t, _cylinder_t(rx, ry, rdrd, a, b, r), out=t)
    view = depth[box[0]:box[1], box[2]:box[3]]
    np.minimum(view, t, out=view)


def draw_sphere(depth: np.ndarray, c: np.ndarray, r: float) -> None:
    """Z-buffer a sphere into depth, in place."""
    draw_capsule(depth, c, c, r)


def draw_ellipsoid(depth: np.ndarray, centre: np.ndarray, rotation: np.ndarray,
                   axes: np.ndarray) -> None:
    """Z-buffer the ellipsoid {centre + rotation @ (axes * s) : |s| <= 1} into depth."""
    box = _screen_box(centre[None], float(np.max(axes)))
    if box is None:
        return
    rx, ry, _ = _rays(box)
    m = rotation.T / axes[:, None]  # camera -> unit-sphere coordinates (directions)
    dx, dy, dz = (mx * rx + my * ry + mz for mx, my, mz in m.tolist())
    c = m @ centre
    cx, cy, cz = c.tolist()
    dd = dx * dx + dy * dy + dz * dz
    dc = dx * cx + dy * cy + dz * cz
    h = dc * dc - dd * float(c @ c - 1.0)
    with np.errstate(invalid="ignore"):
        t = np.where(h >= 0.0, (dc - np.sqrt(h)) / dd, np.inf)
    view = depth[box[0]:box[1], box[2]:box[3]]
    np.minimum(view, t, out=view)


def draw_hand(depth: np.ndarray, hand: HandGeometry) -> None:
    """Z-buffer every primitive of a posed hand into depth, in place."""
    for a, b, r, cap in zip(hand.capsule_a, hand.capsule_b, hand.capsule_r.tolist(),
                            hand.capsule_start_cap.tolist(), strict=True):
        draw_capsule(depth, a, b, r, start_cap=cap)
    draw_ellipsoid(depth, hand.ellipsoid_centre, hand.ellipsoid_rotation, hand.ellipsoid_axes)


def render_hand_depth(hand: HandGeometry) -> np.ndarray:
    """(480, 640) float32 depth of the hand alone, mm; +inf = background."""
    depth = empty_depth()
    draw_hand(depth, hand)
    return depth


def to_uint16_mm(depth: np.ndarray, background: int = 0) -> np.ndarray:
    """Float depth (mm, +inf = nothing) -> (H, W) uint16 whole millimetres; nothing and
    anything beyond 65535 mm -> `background`."""
    out = np.full(depth.shape, background, dtype=np.uint16)
    valid = np.isfinite(depth) & (depth < 65535.5)
    out[valid] = np.rint(depth[valid]).astype(np.uint16)
    return out
