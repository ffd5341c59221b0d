"""The clean synthetic eye renderer (UnityEyes-like look): Lambert shading, no noise, no glint.

Two parts. `rasterise_eye` and `skin_lambert` turn the 3-D scene of eye_model.py into
per-pixel geometry for any orthographic view (the stand-in real camera, real_camera.py,
shades the same geometry its own way). `render_synthetic(scene, look, width, height)`
shades it cleanly -> (H, W, 3) uint8 RGB of a LEFT eye: skin from one small matrix
product and a colour table; the eyeball only inside the box around the lid opening,
with analytic antialiased iris/pupil edges and a 4x supersampled lid mask.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from simgan_core.gaze.eye_model import (
    LIMBUS_DEPTH,
    EyeScene,
    View,
    image_view,
    light_direction,
)

# Name -> base albedo (linear-ish RGB in [0, 1]); the names are what the JSON records.
IRIS_TEXTURES = {
    "eyeball_brown": (0.36, 0.20, 0.10),
    "eyeball_darkbrown": (0.19, 0.11, 0.06),
    "eyeball_amber": (0.55, 0.36, 0.13),
    "eyeball_green": (0.30, 0.38, 0.20),
    "eyeball_blue": (0.30, 0.43, 0.60),
    "eyeball_grey": (0.42, 0.44, 0.47),
}
SKIN_TEXTURES = {
    "f01_color": (0.94, 0.78, 0.68), "m01_color": (0.90, 0.73, 0.62),
    "f02_color": (0.86, 0.66, 0.53), "m02_color": (0.80, 0.60, 0.47),
    "f03_color": (0.72, 0.52, 0.38), "m03_color": (0.64, 0.45, 0.32),
    "f04_color": (0.52, 0.36, 0.25), "m04_color": (0.44, 0.30, 0.21),
    "f05_color": (0.34, 0.23, 0.16), "m05_color": (0.27, 0.18, 0.13),
}
SKIN_NAMES, IRIS_NAMES = tuple(SKIN_TEXTURES), tuple(IRIS_TEXTURES)
SKYBOXES = ("bergen_2k", "cape_hill_2k", "lebombo_2k", "studio_small_2k")
LAMBERT_MIN, LAMBERT_MAX = -0.25, 1.25  # skin n . light is coded on 8 bits over this range
SHADOW_GAMMA = np.array([0.85, 1.0, 1.15], dtype=np.float32)  # shadows redden (scattering)
SCLERA_RGB = np.array([0.92, 0.88, 0.84], dtype=np.float32)
SCLERA_VEINS = np.array([0.04, 0.18, 0.22], dtype=np.float32)  # loss away from the iris
WARM_CENTRE = np.array([0.35, 0.15, -0.15], dtype=np.float32)  # iris colour near the pupil
SUPERSAMPLE = 4  # lid and caruncle masks are drawn at 4x and box-averaged: antialiased edges
# Skin relief round the eye, head frame, in eyeball radii: (x, y, amplitude, sigma_x, sigma_y).
SKIN_FEATURES = np.array([
    (0.0, 0.0, 0.5, 1.6, 1.2),  # the lids over the eyeball
    (0.2, -2.2, 0.35, 3.5, 0.8),  # brow ridge
    (0.3, 2.6, 0.3, 3.0, 1.0),  # cheek
    (-3.0, 0.3, 0.5, 1.0, 4.0),  # side of the nose (the inner-corner side)
])
SKIN_ANCHORS = np.stack([SKIN_FEATURES[:, 0], SKIN_FEATURES[:, 1],
                         np.full(len(SKIN_FEATURES), -0.5)], 1)  # head frame, eyeball radii
SKIN_SIGMAS = SKIN_FEATURES[:, 3:5]
SKIN_SLOPES = SKIN_FEATURES[:, 2:3] / SKIN_SIGMAS  # amplitude / sigma per axis


Bounds = tuple[int, int, int, int]  # (r0, r1, c0, c1): rows r0..r1-1, columns c0..c1-1


def region(b: Bounds) -> tuple[slice, slice]:
    """Bounds -> the numpy index of that region."""
    return slice(b[0], b[1]), slice(b[2], b[3])


@dataclass(frozen=True, eq=False)
class EyeRaster:
    """Per-pixel geometry of the eye region: a box [y0:y0+h, x0:x0+w] of a pixel grid.

    Three nested regions keep the work small: the box (skin near the lids), the eye
    region (bounds of the lid opening, in box pixels) and the iris region (bounds of the
    limbus, in eye-region pixels). Arrays are float32 of their region's shape, or
    broadcastable to it where marked (1, w) / (h, 1).
    """

    x0: int
    y0: int
    shape: tuple[int, int]  # (h, w) of the box
    within_corners: np.ndarray  # (1, w): 1 between the eye corners' x, fading outside
    below_upper: np.ndarray  # (h, w) pixels below the upper lid margin (negative above it)
    above_lower: np.ndarray  # (h, w) pixels above the lower lid margin
    caruncle_box: Bounds  # in box pixels
    caruncle_alpha: np.ndarray  # coverage of the caruncle polygon
    eye_box: Bounds  # in box pixels
    open_alpha: np.ndarray  # coverage of the lid opening (visible eyeball), [0, 1]
    normal_x: np.ndarray  # (1, w) eyeball surface normal, camera frame ...
    normal_y: np.ndarray  # (h, 1)
    normal_z: np.ndarray
    cos_gaze: np.ndarray  # cosine of the angle between the normal and the gaze axis
    iris_box: Bounds  # in eye-region pixels
    iris_alpha: np.ndarray  # antialiased coverage of the iris (pupil included)
    pupil_alpha: np.ndarray
    rho: np.ndarray  # angle from the gaze axis / limbus angle: 0 centre, 1 limbus
    phi: np.ndarray  # azimuth round the gaze axis, radians; 0 = iris left, pi/2 = top
    upper_xy: np.ndarray  # (N_DENSE, 2) the upper lid in grid pixels, inner -> outer
    lower_xy: np.ndarray  # (N_DENSE, 2) the lower lid

    def dot_normal(self, v: np.ndarray) -> np.ndarray:
        """Eye-region eyeball normal . v for a (3,) camera-frame vector."""
        return (np.float32(v[0]) * self.normal_x + np.float32(v[1]) * self.normal_y
                + np.float32(v[2]) * self.normal_z)


def _bounds(points: np.ndarray, x0: int, y0: int, hw: tuple[int, int], grow: float) -> Bounds:
    """Pixel bounds of (N, 2) grid points grown by `grow`, relative to (x0, y0), clipped."""
    lo, hi = points.min(0) - grow, points.max(0) + grow
    c0 = min(max(math.floor(lo[0]) - x0, 0), hw[1])
    r0 = min(max(math.floor(lo[1]) - y0, 0), hw[0])
    c1 = min(max(math.ceil(hi[0]) - x0, c0), hw[1])
    r1 = min(max(math.ceil(hi[1]) - y0, r0), hw[0])
    return r0, r1, c0, c1


def _coverage(poly: np.ndarray, x0: float, y0: float, b: Bounds) -> np.ndarray:
    """(N, 2) polygon in grid pixels -> coverage of the pixels of bounds b (origin x0, y0)."""
    h, w = b[1] - b[0], b[3] - b[2]
    if h == 0 or w == 0:
        return np.zeros((h, w), np.float32)
    canvas = Image.new("L", (w * SUPERSAMPLE, h * SUPERSAMPLE))
    # PIL's polygon fill samples pixel centres at +0.5 of its coordinates: corner origin.
    pts = (poly - np.array([x0 + b[2], y0 + b[0]])) * SUPERSAMPLE
    ImageDraw.Draw(canvas).polygon(pts.ravel().tolist(), fill=255)
    return np.asarray(canvas.reduce(SUPERSAMPLE), dtype=np.float32) * np.float32(1 / 255)


def _lid_offset(px: np.ndarray, py: np.ndarray, curve: np.ndarray) -> np.ndarray:
    """(h, w) pixel row minus the lid curve's row in the same column."""
    order = np.argsort(curve[:, 0])
    row = np.interp(px, curve[order, 0], curve[order, 1]).astype(np.float32)
    return py[:, None] - row[None, :]


def _cap_alpha(cos_gaze: np.ndarray, cos_edge: float, inv_grad: np.ndarray) -> np.ndarray:
    """Antialiased coverage of {cos_gaze > cos_edge}: a ramp about one pixel wide."""
    a = (cos_gaze - np.float32(cos_edge)) * inv_grad
    a += np.float32(0.5)
    return np.minimum(np.maximum(a, 0.0, out=a), 1.0, out=a)


def rasterise_eye(scene: EyeScene, view: View, hw: tuple[int, int], pad: int) -> EyeRaster:
    """Rasterise the eye region of `scene` in an (H, W) grid seen through `view`.

    The box is the lid opening and caruncle's bounding box grown by `pad` pixels.
    """
    pts = scene.points
    outlines = view.project(np.concatenate([pts.upper, pts.lower, pts.caruncle_outline]))
    upper, lower, car = np.split(outlines, [len(pts.upper), len(pts.upper) + len(pts.lower)])
    opening = np.concatenate([upper, lower[-2:0:-1]])
    r0, r1, c0, c1 = _bounds(np.concatenate([opening, car]), 0, 0, hw, pad)
    y0, x0 = min(r0, hw[0] - 1), min(c0, hw[1] - 1)
    h, w = max(r1, y0 + 1) - y0, max(c1, x0 + 1) - x0
    px = np.arange(x0, x0 + w, dtype=np.float32) + np.float32(0.5)  # (w,) pixel centres
    py = np.arange(y0, y0 + h, dtype=np.float32) + np.float32(0.5)  # (h,)
    eye = _bounds(opening, x0, y0, (h, w), 0.5)
    car_box = _bounds(car, x0, y0, (h, w), 0.5)

    # Orthographic rays hit the eyeball's front: n = (X, Y, -sqrt(R^2 - X^2 - Y^2)) / R.
    big_r = scene.eyeball_radius
    nx = ((px[eye[2]:eye[3]] - view.cx) / (view.scale * big_r))[None, :]  # (1, ew) = X / R
    ny = ((py[eye[0]:eye[1]] - view.cy) / (view.scale * big_r))[:, None]  # (eh, 1)
    nz = np.minimum(nx * nx + ny * ny, np.float32(0.995))  # off-sphere pixels: the rim
    np.sqrt(np.subtract(1.0, nz, out=nz), out=nz)
    np.negative(nz, out=nz)  # (eh, ew)
    g = scene.gaze.astype(np.float32)
    cos_gaze = g[0] * nx + g[1] * ny + g[2] * nz

    # The iris: only inside the bounds of its projected limbus ellipse (+1.5 px of ramp).
    e_right, e_up = scene.iris_axes
    centre = view.project(LIMBUS_DEPTH * scene.gaze[None])
    half = view.scale * scene.shape.iris_radius * np.hypot(e_right[:2], e_up[:2]) + 1.5
    iris = _bounds(np.concatenate([centre - half, centre + half]), x0 + eye[2], y0 + eye[0],
                   cos_gaze.shape, 0.0)
    sx, sy, sz = nx[:, iris[2]:iris[3]], ny[iris[0]:iris[1]], nz[region(iris)]
    cos_iris = cos_gaze[region(iris)]
    # |grad cos_gaze| per pixel (analytic), so that cap edges ramp over about one pixel.
    inv_z = np.float32(1.0) / sz
    dcx = g[0] - g[2] * sx * inv_z
    dcy = g[1] - g[2] * sy * inv_z
    inv_grad = np.float32(view.scale * big_r) / np.sqrt(dcx * dcx + dcy * dcy + 1e-12)
    sin_iris = scene.shape.iris_radius / big_r
    cos_pupil = math.sqrt(1.0 - (scene.pupil_ratio * sin_iris) ** 2)
    rho = np.arccos(np.minimum(cos_iris, 1.0)) * np.float32(1.0 / math.asin(sin_iris))
    eu, er = e_up.astype(np.float32), e_right.astype(np.float32)
    phi = np.arctan2(eu[0] * sx + eu[1] * sy + eu[2] * sz, -(er[0] * sx + er[1] * sy + er[2] * sz))

    ramp = 0.1 * view.scale * big_r
    x_in, x_out = min(upper[0, 0], upper[-1, 0]), max(upper[0, 0], upper[-1, 0])
    within = np.minimum(np.maximum(1.0 + np.minimum(px - x_in, x_out - px) / ramp, 0.0), 1.0)
    return EyeRaster(
        x0=x0, y0=y0, shape=(h, w),
        within_corners=within.astype(np.float32)[None, :],
        below_upper=_lid_offset(px, py, upper), above_lower=-_lid_offset(px, py, lower),
        caruncle_box=car_box, caruncle_alpha=_coverage(car, x0, y0, car_box),
        eye_box=eye, open_alpha=_coverage(opening, x0, y0, eye),
        normal_x=nx, normal_y=ny, normal_z=nz, cos_gaze=cos_gaze,
        iris_box=iris,
        iris_alpha=_cap_alpha(cos_iris, LIMBUS_DEPTH / big_r, inv_grad),
        pupil_alpha=_cap_alpha(cos_iris, cos_pupil, inv_grad),
        rho=rho, phi=phi, upper_xy=upper, lower_xy=lower,
    )


def skin_lambert(scene: EyeScene, view: View, light: np.ndarray, xs: np.ndarray,
                 ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skin n . light at pixel centres xs (w,), ys (h,), unclamped, as factors (L, M):

    n . light = L @ M, L (h, 2F+1) and M (2F+1, w) float32, so that a caller can fold a
    linear map into M before the one matrix product. The skin is the head's front plane
    plus separable Gaussian relief (SKIN_FEATURES) whose anchors move with the head. Its
    slopes are small, so the normal is taken unnormalised, n ~ front - (dh/dx, dh/dy, 0):
    n . light is a constant plus sums of separable products.
    """
    n = len(SKIN_FEATURES)
    scale = scene.eyeball_radius * view.scale  # pixels per eyeball radius
    anchor = (SKIN_ANCHORS @ scene.head_rot[:2].T) * scale + (view.cx, view.cy)  # (F, 2)
    inv_sigma = (1.0 / scale) / SKIN_SIGMAS  # (F, 2) in 1 / pixels
    # Offsets in sigmas, clipped at 8: far tails would be float32 denormals (very slow).
    dx = np.clip((xs[None, :] - anchor[:, :1]) * inv_sigma[:, :1], -8, 8).astype(np.float32)
    dy = np.clip((ys[None, :] - anchor[:, 1:]) * inv_sigma[:, 1:], -8, 8).astype(np.float32)
    gx, gy = np.exp(-0.5 * dx * dx), np.exp(-0.5 * dy * dy)
    # h = sum_f amp_f gx gy (amp in pixels): -light_x dh/dx = sum_f light_x amp/sigma_x *
    # gy(y) (dx gx)(x), and so on; amp / sigma is dimensionless.
    left = np.empty((ys.size, 2 * n + 1), np.float32)
    left[:, :n], left[:, n:-1], left[:, -1] = gy.T, (dy * gy).T, 1.0
    right = np.empty((2 * n + 1, xs.size), np.float32)
    right[:n] = (light[0] * SKIN_SLOPES[:, :1]) * (dx * gx)
    right[n:-1] = (light[1] * SKIN_SLOPES[:, 1:]) * gx
    right[-1] = -scene.head_rot[:, 2] @ light  # front . light
    return left, right


def _f32(x: float) -> float:
    """Round to what a 7-digit float32 string says, so the JSON and the render agree."""
    return float(format(float(np.float32(x)), ".7g"))


@dataclass(frozen=True, eq=False)
class SyntheticLook:
    """Appearance and lighting of one synthetic image (everything the JSON names)."""

    skin_texture: str
    iris_texture: str
    iris_rotation: int  # the iris pattern turned by this many 1/256 turns
    skybox_texture: str
    skybox_exposure: float
    skybox_rotation: int  # degrees
    ambient_intensity: float
    light_rotation_deg: tuple[float, float, float]  # (elevation, azimuth, 0); 180 = from camera
    light_intensity: float

    @property
    def ambient(self) -> float:
        return 0.3 * self.ambient_intensity * self.skybox_exposure

    def light_dir(self, scene: EyeScene) -> np.ndarray:
        """(3,) unit camera-frame direction TO the light (fixed to the head, like the world);
        azimuth 180 here is a light in front of the face (UnityEyes' camera yaw convention)."""
        el, az = self.light_rotation_deg[:2]
        return light_direction(scene, el, az - 180.0)


@functools.cache
def iris_streaks(name: str) -> np.ndarray:
    """(256,) float32 multiplier over the azimuth round the gaze axis: one fixed pattern
    per iris texture name (like UnityEyes' texture set), from a generator seeded by it."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    k = np.arange(1, 7)
    freq = rng.integers(8, 60, size=k.size)  # integer: the pattern wraps round the iris
    amp = rng.uniform(0.3, 1.0, size=k.size) / k
    phase = rng.uniform(0.0, 2.0 * np.pi, size=k.size)
    phi = np.linspace(-np.pi, np.pi, 256, endpoint=False)
    wave = (amp[:, None] * np.sin(freq[:, None] * phi + phase[:, None])).sum(0)
    return (1.0 + 0.35 * wave / np.abs(wave).max()).astype(np.float32)


def sample_look(rng: np.random.Generator) -> SyntheticLook:
    # One call for the uniforms (each draw is a Python-level call: this runs per image).
    u = rng.random(10).tolist()
    return SyntheticLook(
        skin_texture=SKIN_NAMES[int(u[0] * len(SKIN_NAMES))],
        iris_texture=IRIS_NAMES[int(u[1] * len(IRIS_NAMES))],
        iris_rotation=int(u[2] * 256),
        skybox_texture=SKYBOXES[int(u[3] * len(SKYBOXES))],
        skybox_exposure=_f32(0.8 + 0.5 * u[4]),
        skybox_rotation=int(u[5] * 360),
        ambient_intensity=_f32(0.8 + 0.6 * u[6]),
        light_rotation_deg=(round(-10.0 + 70.0 * u[7], 1), round(110.0 + 140.0 * u[8], 1), 0.0),
        light_intensity=_f32(0.55 + 0.4 * u[9]),
    )


def _skin(scene: EyeScene, look: SyntheticLook, width: int,
          height: int) -> tuple[np.ndarray, np.ndarray]:
    """Shaded skin as (H, W) uint8 codes of n . light and a (256, 3) uint8 colour table.

    The code maps n . light in [LAMBERT_MIN, LAMBERT_MAX] linearly onto 0..255 (folded
    into the matrix product); the table applies ambient + intensity * max(0, n . light)
    and albedo * shade^gamma per channel (reddish shadows). Skin costs 3 full-size ops.
    """
    view = image_view(width, height)
    xs = np.arange(width, dtype=np.float32) + 0.5
    ys = np.arange(height, dtype=np.float32) + 0.5
    left, right = skin_lambert(scene, view, look.light_dir(scene), xs, ys)
    step = (LAMBERT_MAX - LAMBERT_MIN) / 255
    right /= step
    right[-1] += 0.5 - LAMBERT_MIN / step  # + 0.5: round when truncating to uint8
    # einsum, not @: BLAS threads would oversubscribe the cores next to worker processes.
    # Clipped in place: a second full-size temporary makes malloc hand memory back to the
    # OS and fault it in again for every image (slower than the arithmetic).
    code = np.einsum("hk,kw->hw", left, right)  # (H, W) float32
    code = np.clip(code, 0, 255, out=code).astype(np.uint8)
    lam = LAMBERT_MIN + step * np.arange(256, dtype=np.float32)
    shade = (look.ambient + look.light_intensity * np.maximum(lam, 0.0))[:, None]
    albedo = np.asarray(SKIN_TEXTURES[look.skin_texture], dtype=np.float32)
    table = np.clip(albedo * shade**SHADOW_GAMMA * 255 + 0.5, 0, 255).astype(np.uint8)
    return code, table


def _iris_texture(r: EyeRaster, scene: EyeScene, look: SyntheticLook) -> np.ndarray:
    """(hi, wi, 3) iris albedo in r.iris_box: radial streaks, a bright collarette, a dark
    limbal ring and a warmer centre (central heterochromia)."""
    rho = r.rho
    collar = (rho - np.float32(scene.pupil_ratio + 0.15)) * np.float32(1 / 0.09)
    limbal = np.maximum(rho - np.float32(0.8), 0.0) * np.float32(1 / 0.2)
    radial = 0.8 + 0.35 * np.exp(-collar * collar) - 0.55 * limbal * limbal
    idx = (r.phi + np.float32(np.pi)) * np.float32(256 / (2 * np.pi))
    idx = (idx.astype(np.int32) + look.iris_rotation) & 255
    streaks = iris_streaks(look.iris_texture)[idx]
    streak = 1.0 + np.minimum(np.maximum(rho * 1.3, 0.3), 1.0) * (streaks - 1.0)
    centre = (rho - np.float32(scene.pupil_ratio)) * np.float32(1 / 0.25)
    base = np.asarray(IRIS_TEXTURES[look.iris_texture], dtype=np.float32)
    warm = np.exp(-centre * centre)[..., None] * (base * WARM_CENTRE)
    return (base + warm) * (radial * streak)[..., None]


def _eyeball(r: EyeRaster, scene: EyeScene, look: SyntheticLook, px_per_r: float) -> np.ndarray:
    """(eh, ew, 3) float32 shaded eyeball colour over r.eye_box."""
    lam = np.maximum(r.dot_normal(look.light_dir(scene)), 0.0)
    shade = look.ambient + look.light_intensity * lam  # (eh, ew)
    away = np.minimum(1.0 - r.cos_gaze, 1.0)[..., None]  # sclera pinker away from the iris
    eye = SCLERA_RGB - away * (SCLERA_RGB * SCLERA_VEINS)  # (eh, ew, 3)
    iris = region(r.iris_box)
    sub = eye[iris]  # a view: the iris is painted into `eye` in place
    sub += r.iris_alpha[..., None] * (_iris_texture(r, scene, look) - sub)
    sub += r.pupil_alpha[..., None] * (np.float32(0.02) - sub)
    # The iris sits under the cornea: flatter shading than the sclera's.
    flat = np.float32(0.5 * (look.ambient + look.light_intensity))
    shade[iris] += 0.5 * r.iris_alpha * (flat - shade[iris])
    box = region(r.eye_box)
    upper = np.exp(np.maximum(r.below_upper[box], 0.0) * np.float32(-1 / (0.12 * px_per_r)))
    lower = np.exp(np.maximum(r.above_lower[box], 0.0) * np.float32(-1 / (0.05 * px_per_r)))
    shade *= (1.0 - 0.55 * upper) * (1.0 - 0.2 * lower)  # shadows of the lids
    eye *= shade[..., None]
    return eye


def render_image(scene: EyeScene, look: SyntheticLook, width: int, height: int) -> Image.Image:
    """The render as a PIL RGB image (what the writer encodes; no extra copy)."""
    view = image_view(width, height)
    px_per_r = view.scale * scene.eyeball_radius
    code, table = _skin(scene, look, width, height)
    r = rasterise_eye(scene, view, (height, width), pad=int(0.15 * px_per_r) + 2)
    h, w = r.shape
    box = table[code[r.y0:r.y0 + h, r.x0:r.x0 + w]].astype(np.float32) * np.float32(1 / 255)
    # Lid margin and lash line: the skin darkens just outside the opening.
    above = np.exp(np.abs(r.below_upper) * np.float32(-1 / (0.06 * px_per_r)))
    below = np.exp(np.abs(r.above_lower) * np.float32(-1 / (0.04 * px_per_r)))
    box *= (1.0 - (0.45 * above + 0.15 * below) * r.within_corners)[..., None]
    caruncle_rgb = np.array([0.80, 0.42, 0.42], dtype=np.float32) * (
        look.ambient + 0.7 * look.light_intensity)
    sub = box[region(r.caruncle_box)]
    sub += r.caruncle_alpha[..., None] * (caruncle_rgb - sub)
    sub = box[region(r.eye_box)]
    sub += r.open_alpha[..., None] * (_eyeball(r, scene, look, px_per_r) - sub)
    # Skin colours through a palette image (a C-speed table lookup), then paste the box.
    image = Image.frombytes("P", (width, height), code.tobytes())
    image.putpalette(table.tobytes(), "RGB")
    image = image.convert("RGB")
    image.paste(Image.fromarray(np.clip(box * 255.0 + 0.5, 0, 255).astype(np.uint8)),
                (r.x0, r.y0))
    return image


def render_synthetic(scene: EyeScene, look: SyntheticLook, width: int, height: int) -> np.ndarray:
    """(H, W, 3) uint8 RGB render of `scene` seen by image_view(width, height)."""
    return np.array(render_image(scene, look, width, height))
