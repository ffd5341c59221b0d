"""The stand-in "real camera": the eye geometry of eye_model.py through another appearance.

What a refiner has to learn, on top of the same scene a synthetic render sees: skin,
sclera and iris texture, eyelashes, non-uniform light and vignetting, corneal glints,
defocus and motion blur, Poisson-Gaussian sensor noise, a low-contrast compressive tone
curve and JPEG artifacts, in 8-bit grayscale like MPIIGaze. Each subject has its own
skin, iris, lashes, eye shape and camera; each day its own light.

`render_real_eye(scene, subject, day, rng)` -> (36, 60) uint8: a LEFT eye, framed by the
public crop recipe (crop.py: eye_crop_box of the projected interior margin and caruncle),
so real and synthetic crops are framed alike. Only the crop is rendered, at 2x, then
box-downsampled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from simgan_core.gaze.crop import eye_crop_box
from simgan_core.gaze.eye_model import (
    EyeScene,
    EyeShape,
    View,
    caruncle,
    interior_margin,
    light_direction,
    sample_shape,
)
from simgan_core.gaze.real_textures import (
    draw_lashes,
    iris_tables,
    jpeg_round_trip,
    lens_blur,
    sensor,
    smooth_noise,
    tone_curve,
)
from simgan_core.gaze.render_synthetic import EyeRaster, rasterise_eye, region, skin_lambert

CROP_HW = (36, 60)  # MPIIGaze's normalized eye image (rows, cols)
SUPER = 2  # rendered at 2x, then box-averaged
CORNEA_RADIUS = 0.65  # x eyeball radius; its centre sits CORNEA_OFFSET x R along the gaze
CORNEA_OFFSET = 0.42
SCREEN_LIGHT = np.array([0.0, 0.25, -1.0]) / np.hypot(0.25, 1.0)  # a screen below the camera


@dataclass(frozen=True, eq=False)
class SubjectStyle:
    """What stays fixed for one person and their camera (grayscale albedos in [0, 1])."""

    shape: EyeShape
    skin_albedo: float
    iris_albedo: float
    iris_azimuth: np.ndarray  # (256,) the person's iris pattern round the pupil (fibres, crypts)
    iris_radial: np.ndarray  # (64,) and across it (collarette, limbal ring)
    sclera_albedo: float
    lash_count: int
    lash_length: float  # in eye widths
    lash_darkness: float
    exposure: float  # camera gain
    full_well: float  # electrons at radiance 1.0: fewer = noisier
    read_noise: float  # electrons
    black: float  # tone curve: output level of black and of white (0..255), and its knee
    white: float
    knee: float
    blur_sigma: float  # defocus, pixels of the 36 x 60 crop
    jpeg_quality: int


@dataclass(frozen=True, eq=False)
class DayLight:
    """One recording day's illumination."""

    light_rotation_deg: tuple[float, float]  # (elevation, azimuth) in the head frame, 0 = front
    intensity: float
    ambient: float
    gradient: tuple[float, float]  # linear light falloff across the crop (x, y)
    vignette: float
    exposure: float

    def light_dir(self, scene: EyeScene) -> np.ndarray:
        """(3,) unit camera-frame direction TO the light (fixed to the head)."""
        return light_direction(scene, *self.light_rotation_deg)


def sample_subject(rng: np.random.Generator) -> SubjectStyle:
    shape = sample_shape(rng, open_upper=(14.0, 24.0), open_lower=(12.0, 19.0))
    azimuth, radial = iris_tables(rng)
    return SubjectStyle(
        shape=shape,
        skin_albedo=float(rng.uniform(0.3, 0.75)),
        iris_albedo=float(rng.uniform(0.12, 0.45)),
        iris_azimuth=azimuth,
        iris_radial=radial,
        sclera_albedo=float(rng.uniform(0.6, 0.8)),
        lash_count=int(rng.integers(14, 40)),
        lash_length=float(rng.uniform(0.10, 0.18)),
        lash_darkness=float(rng.uniform(0.5, 0.85)),
        exposure=float(rng.uniform(0.75, 1.15)),
        full_well=float(rng.uniform(200.0, 800.0)),
        read_noise=float(rng.uniform(1.5, 5.0)),
        black=float(rng.uniform(15.0, 45.0)),
        white=float(rng.uniform(185.0, 235.0)),
        knee=float(rng.uniform(0.8, 2.2)),
        blur_sigma=float(rng.uniform(0.45, 0.9)),
        jpeg_quality=int(rng.integers(60, 86)),
    )


def sample_day(rng: np.random.Generator) -> DayLight:
    return DayLight(
        light_rotation_deg=(float(rng.uniform(0.0, 50.0)), float(rng.uniform(-60.0, 60.0))),
        intensity=float(rng.uniform(0.5, 0.95)),
        ambient=float(rng.uniform(0.2, 0.45)),
        gradient=(float(rng.normal(0.0, 0.15)), float(rng.normal(0.0, 0.1))),
        vignette=float(rng.uniform(0.05, 0.3)),
        exposure=float(rng.uniform(0.85, 1.15)),
    )


def mirrored_day(day: DayLight) -> DayLight:
    """The day's light seen in a mirror: what lights a right eye rendered as a left one."""
    (el, az), (gx, gy) = day.light_rotation_deg, day.gradient
    return replace(day, light_rotation_deg=(el, -az), gradient=(-gx, gy))


def crop_view(scene: EyeScene, hw: tuple[int, int]) -> View:
    """The orthographic view whose (hw) grid is exactly the public crop box of the eye."""
    unit = View(1.0, 0.0, 0.0)  # world units as "pixels": the box is scale-free
    box = eye_crop_box(unit.project(interior_margin(scene)), unit.project(caruncle(scene)))
    s = hw[1] / box.width  # the box is 60:36, so rows scale alike
    return View(s, -box.x0 * s, -box.y0 * s)


def _glints(img: np.ndarray, r: EyeRaster, scene: EyeScene, view: View,
            lights: list[tuple[np.ndarray, float]], sigma: float) -> None:
    """Add corneal reflections (Gaussian spots) of (direction, strength) lights, in place.

    The cornea is a sphere bulging along the gaze; a glint sits where its normal halves
    the angle between the light and the camera (orthographic: the camera is at -z).
    """
    g = scene.gaze
    big_r = scene.eyeball_radius
    centre = g * (CORNEA_OFFSET * big_r)
    for light, strength in lights:
        half = light + np.array([0.0, 0.0, -1.0])
        half /= np.linalg.norm(half)
        if half @ g < math.cos(math.radians(40.0)):
            continue  # off the cornea
        gx, gy = view.project((centre + CORNEA_RADIUS * big_r * half)[None])[0]
        ey, ex = int(gy) - r.y0 - r.eye_box[0], int(gx) - r.x0 - r.eye_box[2]
        alpha = r.open_alpha
        if not (0 <= ey < alpha.shape[0] and 0 <= ex < alpha.shape[1]) or alpha[ey, ex] < 0.5:
            continue  # behind a lid
        y0, x0 = max(int(gy) - 4, 0), max(int(gx) - 4, 0)
        ys = np.arange(y0, min(int(gy) + 5, img.shape[0]), dtype=np.float32)[:, None] + 0.5
        xs = np.arange(x0, min(int(gx) + 5, img.shape[1]), dtype=np.float32)[None, :] + 0.5
        spot = np.exp(((ys - gy) ** 2 + (xs - gx) ** 2) * np.float32(-0.5 / sigma**2))
        img[y0:y0 + ys.shape[0], x0:x0 + xs.shape[1]] += strength * spot


def render_real_eye(scene: EyeScene, subject: SubjectStyle, day: DayLight,
                    rng: np.random.Generator) -> np.ndarray:
    """(36, 60) uint8 grayscale crop of a LEFT eye as the stand-in real camera sees it."""
    hw = (CROP_HW[0] * SUPER, CROP_HW[1] * SUPER)
    view = crop_view(scene, hw)
    px_per_r = view.scale * scene.eyeball_radius
    light = day.light_dir(scene)
    xs = np.arange(hw[1], dtype=np.float32) + 0.5
    ys = np.arange(hw[0], dtype=np.float32) + 0.5

    # Skin: Lambert on the head's surface, blotches and pores.
    left, right = skin_lambert(scene, view, light, xs, ys)
    lam = np.einsum("hk,kw->hw", left, right)  # not @: no BLAS threads next to workers
    shade = day.ambient + day.intensity * np.maximum(lam, 0.0)
    texture = 1.0 + 0.10 * smooth_noise(rng, hw, (3, 5))
    texture += rng.standard_normal(hw, dtype=np.float32) * np.float32(0.05)
    img = (subject.skin_albedo * shade) * texture  # (72, 120) radiance

    r = rasterise_eye(scene, view, hw, pad=int(0.2 * px_per_r) + 2)
    box = img[r.y0:r.y0 + r.shape[0], r.x0:r.x0 + r.shape[1]]  # a view: edited in place
    lid_line = (0.55 * np.exp(np.abs(r.below_upper) * np.float32(-1 / (0.07 * px_per_r)))
                + 0.25 * np.exp(np.abs(r.above_lower) * np.float32(-1 / (0.05 * px_per_r))))
    box *= 1.0 - lid_line * r.within_corners
    sub = box[region(r.caruncle_box)]
    sub += r.caruncle_alpha * (np.float32(0.75 * subject.skin_albedo) * shade.mean() - sub)

    # Eyeball: textured sclera, iris from polar tables, dark pupil; lid shadows.
    eh, ew = r.open_alpha.shape
    away = np.minimum(1.0 - r.cos_gaze, 1.0)
    eye = subject.sclera_albedo * (1.0 - 0.3 * away) * (
        1.0 + 0.06 * smooth_noise(rng, (eh, ew), (2, 4)))
    iris = region(r.iris_box)
    ridx = np.minimum(r.rho * 63.0, 63.0).astype(np.int32)
    pidx = ((r.phi + np.float32(np.pi)) * np.float32(256 / (2 * np.pi))).astype(np.int32)
    pidx = (pidx + int(rng.integers(-3, 4))) & 255  # a little torsion
    iris_value = subject.iris_albedo * subject.iris_radial[ridx] * subject.iris_azimuth[pidx]
    eye[iris] += r.iris_alpha * (iris_value - eye[iris])
    eye[iris] += r.pupil_alpha * (np.float32(0.03) - eye[iris])
    lam_eye = np.maximum(r.dot_normal(light), 0.0)
    eye_shade = day.ambient + day.intensity * lam_eye
    eye_shade[iris] += 0.5 * r.iris_alpha * (
        np.float32(0.5 * (day.ambient + day.intensity)) - eye_shade[iris])
    ebox = region(r.eye_box)
    upper = np.exp(np.maximum(r.below_upper[ebox], 0.0) * np.float32(-1 / (0.15 * px_per_r)))
    eye *= eye_shade * (1.0 - 0.65 * upper)
    sub = box[ebox]
    sub += r.open_alpha * (eye - sub)

    # Corneal glints (the day's light and the screen), then lashes over everything.
    strength = float(rng.uniform(0.8, 1.6))
    _glints(img, r, scene, view, [(light, strength * day.intensity),
                                  (SCREEN_LIGHT, 0.5 * strength)], sigma=0.9)
    eye_width = 2.0 * hw[1] / 3.0  # the crop is 1.5 eye widths wide
    lashes = draw_lashes(rng, hw, r.upper_xy, r.lower_xy, subject.lash_count,
                         subject.lash_length * eye_width)
    img *= 1.0 - subject.lash_darkness * lashes

    # Optics: light falloff and vignetting (the crop sits anywhere in the camera frame).
    u = (xs / hw[1] * 2.0 - 1.0)[None, :]
    v = (ys / hw[0] * 2.0 - 1.0)[:, None]
    cu, cv = rng.uniform(-0.6, 0.6, 2).astype(np.float32)
    img *= (1.0 + day.gradient[0] * u + day.gradient[1] * v) * (
        1.0 - day.vignette * ((u - cu) ** 2 + (v - cv) ** 2) * np.float32(0.5))
    small = img.reshape(CROP_HW[0], SUPER, CROP_HW[1], SUPER).mean(axis=(1, 3))
    small = lens_blur(small, subject.blur_sigma, float(rng.uniform(0.0, 2.0)),
                      float(rng.uniform(0.0, np.pi)))

    # Sensor, camera response, compression.
    signal = sensor(rng, small * (subject.exposure * day.exposure), subject.full_well,
                    subject.read_noise)
    out = tone_curve(signal, subject.black, subject.white, subject.knee)
    return jpeg_round_trip(np.clip(out + 0.5, 0, 255).astype(np.uint8), subject.jpeg_quality)
