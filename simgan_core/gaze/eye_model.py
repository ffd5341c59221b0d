"""The eye scene: sampled parameters and the 3-D geometry both eye renderers share.

Frames (right-handed, y DOWN like the project's gaze convention, conventions.py):
- camera: x right, y down, z forward. The camera looks at the eyeball centre from
  CAMERA_DISTANCE units away; every 3-D point here is relative to that centre.
- head: the same axes when the face looks into the camera; `head_rot` maps head -> camera.
  The head's front is pitchyaw_to_gaze(head pitch, yaw), so head and gaze angles share
  one sign convention (positive pitch = up).
Projection is orthographic (weak perspective): image x = cx + s X, image row y = cy + s Y
in continuous top-left pixel coordinates. The limbus (iris edge) is a circle on the
eyeball at LIMBUS_DEPTH along the gaze, so the projected iris centre is exactly
(cx, cy) + s * LIMBUS_DEPTH * gaze.xy: with s = k / LIMBUS_DEPTH it is k * gaze.xy.
The eyelid margins are curves on a sphere LID_SPHERE_SCALE x the eyeball, fixed to the
head; the visible eyeball is the inside of their projected polygon (rasterise_eye).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from simgan_core.gaze.conventions import mirror_gaze, pitchyaw_to_gaze

CAMERA_DISTANCE = 9.5  # world units from the camera to the eyeball centre (UnityEyes ~9-10)
LIMBUS_DEPTH = 1.05  # units from the eyeball centre to the limbus plane; eyeball R ~1.2
LID_SPHERE_SCALE = 1.08  # lid margins lie on a sphere this much larger than the eyeball
N_SHAPE_COEFFS = 20
N_DENSE = 48  # points per lid in the dense outlines renderers fill (landmarks use 9 and 7)
N_CARUNCLE_OUTLINE = 24
T_DENSE = np.linspace(0.0, 1.0, N_DENSE)
T_MARGIN_UPPER = np.linspace(0.0, 1.0, 9)  # interior margin points 0..8
T_MARGIN_LOWER = np.linspace(7 / 8, 1 / 8, 7)  # points 9..15, back toward the inner corner
# eye_points' batch: upper landmarks, upper outline, lower landmarks, lower outline.
T_ALL_LIDS = np.concatenate([T_MARGIN_UPPER, T_DENSE, T_MARGIN_LOWER, T_DENSE])
UPPER_ALL_LIDS = np.arange(T_ALL_LIDS.size) < 9 + N_DENSE
SPLITS = np.cumsum([9, N_DENSE, 7, N_DENSE, 7])
CARUNCLE_BOTH = np.concatenate([2.0 * np.pi * np.arange(7) / 7,
                                2.0 * np.pi * np.arange(N_CARUNCLE_OUTLINE) / N_CARUNCLE_OUTLINE])
# Standard deviations of the 20 "PCA" eye-shape coefficients (UnityEyes-like magnitudes;
# the last is degenerate, as in real UnityEyes files: "1.924006E-17").
SHAPE_SD = np.concatenate([0.015 * 0.85 ** np.arange(19), [1e-17]])


@dataclass(frozen=True)
class Angle:
    """A sampled angle in degrees: normal(mean, sd) clipped to [lo, hi]; sd None: uniform."""

    mean: float
    sd: float | None
    lo: float
    hi: float

    def sample(self, rng: np.random.Generator, lo: float = -np.inf, hi: float = np.inf) -> float:
        a, b = max(self.lo, lo), min(self.hi, hi)  # optional extra bounds, e.g. eye-in-head
        if a > b:  # empty intersection: the nearest admissible value
            return float(np.clip((lo + hi) / 2.0, self.lo, self.hi))
        if self.sd is None:
            return float(rng.uniform(a, b))
        return float(np.clip(rng.normal(self.mean, self.sd), a, b))


@dataclass(frozen=True)
class PoseDistribution:
    """Gaze (camera frame) and head pose angles; the eye in the head stays within limits."""

    gaze_pitch: Angle
    gaze_yaw: Angle
    head_pitch: Angle
    head_yaw: Angle
    head_roll: Angle
    eye_in_head_deg: tuple[float, float] = (35.0, 45.0)  # max |pitch|, |yaw| of eye vs head


# Synthetic (UnityEyes-like): wide; the head turns toward extreme gazes, so the pupil is
# rarely hidden by a lid or a corner. Stand-in real camera: people looking at a screen.
SYNTHETIC_POSES = PoseDistribution(
    Angle(0, None, -30, 30), Angle(0, None, -40, 40),
    Angle(0, None, -20, 20), Angle(0, None, -20, 20), Angle(0, None, -5, 5),
    eye_in_head_deg=(25.0, 35.0),
)
REAL_POSES = PoseDistribution(
    Angle(-5, 8, -20, 20), Angle(0, 10, -25, 25),
    Angle(0, 6, -15, 15), Angle(0, 7, -15, 15), Angle(0, 2, -5, 5),
)


@dataclass(frozen=True, eq=False)
class EyeShape:
    """What stays fixed for one person's eye (per image for synthetic, per subject for real)."""

    shape_coeffs: np.ndarray  # (20,) "PCA" coefficients; the first 6 drive the lid shape
    iris_radius: float  # limbus radius, world units (~0.58)
    open_upper_deg: float  # upper-lid apex above the corner line, gaze straight ahead
    open_lower_deg: float  # lower-lid apex below the corner line


@dataclass(frozen=True, eq=False)
class EyeScene:
    """Everything the geometry needs for one eye image (a LEFT eye: inner corner on the left).

    Derived geometry (head rotation, lid shape) is computed once and cached.
    """

    gaze: np.ndarray  # (3,) unit, camera frame, y down (project convention)
    head_pyr_deg: np.ndarray  # (3,) head pitch, yaw, roll in degrees
    shape: EyeShape
    pupil_ratio: float  # pupil radius / limbus radius

    @property
    def eyeball_radius(self) -> float:
        return float(np.hypot(LIMBUS_DEPTH, self.shape.iris_radius))

    @cached_property
    def head_rot(self) -> np.ndarray:
        """(3, 3) head -> camera rotation."""
        return head_rotation(*self.head_pyr_deg)

    @cached_property
    def lids(self) -> LidShape:
        return lid_shape(self)

    @cached_property
    def points(self) -> EyePoints:
        return eye_points(self)

    @cached_property
    def iris_axes(self) -> tuple[np.ndarray, np.ndarray]:
        return iris_frame(self)


def sample_shape(rng: np.random.Generator, open_upper: tuple[float, float] = (15.0, 25.0),
                 open_lower: tuple[float, float] = (13.0, 20.0)) -> EyeShape:
    return EyeShape(
        shape_coeffs=rng.normal(0.0, SHAPE_SD),
        iris_radius=float(rng.uniform(0.52, 0.64)),
        open_upper_deg=float(rng.uniform(*open_upper)),
        open_lower_deg=float(rng.uniform(*open_lower)),
    )


def sample_scene(rng: np.random.Generator, poses: PoseDistribution,
                 shape: EyeShape | None = None,
                 pupil_ratio: tuple[float, float] = (0.2, 0.4)) -> EyeScene:
    """Gaze first (it is the label), then a head pose that keeps the eye in the head's range."""
    gp, gy = poses.gaze_pitch.sample(rng), poses.gaze_yaw.sample(rng)
    lim_p, lim_y = poses.eye_in_head_deg
    hp = poses.head_pitch.sample(rng, gp - lim_p, gp + lim_p)
    hy = poses.head_yaw.sample(rng, gy - lim_y, gy + lim_y)
    hr = poses.head_roll.sample(rng)
    return EyeScene(
        gaze=pitchyaw_to_gaze(np.radians([gp, gy])),
        head_pyr_deg=np.array([hp, hy, hr]),
        shape=shape if shape is not None else sample_shape(rng),
        pupil_ratio=float(rng.uniform(*pupil_ratio)),
    )


def mirrored(scene: EyeScene) -> EyeScene:
    """The scene seen in a mirror (x -> -x): gaze x negated, head yaw and roll negated.

    A right eye mirrored this way is a left eye (MPIIGaze's storage convention).
    """
    p, y, r = scene.head_pyr_deg
    return replace(scene, gaze=mirror_gaze(scene.gaze), head_pyr_deg=np.array([p, -y, -r]))


# --- rotations -----------------------------------------------------------------------


def head_rotation(pitch_deg: float, yaw_deg: float, roll_deg: float) -> np.ndarray:
    """(3, 3) head -> camera rotation R_y(yaw) R_x(-pitch) R_z(roll) (right-handed, y down).

    Its z column is minus the head's front, pitchyaw_to_gaze(pitch, yaw): a positive
    pitch turns the face up, like the gaze's.
    """
    p, y, r = (math.radians(float(a)) for a in (pitch_deg, yaw_deg, roll_deg))
    cp, sp, cy, sy, cr, sr = math.cos(p), math.sin(p), math.cos(y), math.sin(y), \
        math.cos(r), math.sin(r)
    r_y = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    r_x = np.array([[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]])  # R_x(-pitch)
    r_z = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
    return r_y @ r_x @ r_z


# --- eyelids, caruncle, iris ---------------------------------------------------------


@dataclass(frozen=True)
class LidShape:
    """Lid margin in head-frame spherical angles (radians); t runs inner (0) -> outer (1)."""

    corner_in: tuple[float, float]  # (azimuth, elevation): azimuth > 0 is image right
    corner_out: tuple[float, float]
    upper_height: float  # apex elevation above the corner line
    lower_height: float
    upper_peak: float  # t of the apex
    lower_peak: float


def lid_shape(scene: EyeScene) -> LidShape:
    """Shape coefficients + eye-in-head pitch -> lid curves (the upper lid follows the gaze)."""
    z = np.clip(scene.shape.shape_coeffs[:6] / SHAPE_SD[:6], -2.5, 2.5).tolist()  # std scores
    gaze_head = scene.head_rot.T @ scene.gaze
    pitch_rel = math.degrees(math.asin(min(max(-float(gaze_head[1]), -1.0), 1.0)))
    up = min(max(scene.shape.open_upper_deg + 3.0 * z[4] + 0.6 * pitch_rel, 6.0), 48.0)
    low = min(max(scene.shape.open_lower_deg + 2.0 * z[5] - 0.4 * pitch_rel, 8.0), 40.0)
    return LidShape(
        corner_in=(math.radians(-46.0 - 3.0 * z[0]), math.radians(-1.5 - 1.5 * z[1])),
        corner_out=(math.radians(50.0 + 3.0 * z[0]), math.radians(2.5 + 2.5 * z[1])),
        upper_height=math.radians(up),
        lower_height=math.radians(low),
        upper_peak=0.45 + 0.05 * z[2],
        lower_peak=0.55 + 0.05 * z[3],
    )


def _sphere_points(scene: EyeScene, az: np.ndarray, el: np.ndarray) -> np.ndarray:
    """Head-frame angles on the lid sphere -> (N, 3) camera-frame points."""
    cos_el = np.cos(el)
    d = np.stack([np.sin(az) * cos_el, -np.sin(el), -np.cos(az) * cos_el], axis=-1)
    return (LID_SPHERE_SCALE * scene.eyeball_radius) * d @ scene.head_rot.T


def _lid_angles(s: LidShape, t: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) t in [0, 1] and (N,) bool upper -> head-frame (azimuth, elevation) on the margin.

    A lid rises (upper) or falls (lower) from the corner line by its height times
    sin(pi t^g)^0.85, g putting the apex at t = peak.
    """
    height = np.where(upper, s.upper_height, -s.lower_height)
    power = np.where(upper, math.log(0.5) / math.log(s.upper_peak),
                     math.log(0.5) / math.log(s.lower_peak))
    az = s.corner_in[0] + (s.corner_out[0] - s.corner_in[0]) * t
    el = s.corner_in[1] + (s.corner_out[1] - s.corner_in[1]) * t
    return az, el + height * np.sin(np.pi * np.clip(t, 0.0, 1.0) ** power) ** 0.85


def _caruncle_angles(s: LidShape, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A loop of n points round the inner canthus, starting where it touches the corner.

    n = 7 + N_CARUNCLE_OUTLINE gives the 7 landmarks followed by the outline.
    """
    half_w, half_h = math.radians(6.0), math.radians(3.5)
    a = CARUNCLE_BOTH if n == 7 + N_CARUNCLE_OUTLINE else 2.0 * np.pi * np.arange(n) / n
    az = s.corner_in[0] - half_w + half_w * np.cos(a)
    el = s.corner_in[1] - math.radians(1.0) + half_h * np.sin(a)
    return az, el


def lid_curve(scene: EyeScene, t: np.ndarray, upper: bool) -> np.ndarray:
    """(N,) t in [0, 1] (inner -> outer corner) -> (N, 3) margin points, camera frame."""
    t = np.asarray(t, dtype=float)
    return _sphere_points(scene, *_lid_angles(scene.lids, t, np.full(t.shape, upper)))


def interior_margin(scene: EyeScene) -> np.ndarray:
    """(16, 3): points 0..8 along the upper lid inner -> outer, 9..15 back along the lower."""
    return scene.points.margin


def caruncle(scene: EyeScene, n: int = 7) -> np.ndarray:
    """(n, 3): a loop around the inner canthus, just left of margin point 0."""
    if n == 7:
        return scene.points.caruncle
    return _sphere_points(scene, *_caruncle_angles(scene.lids, n))


@dataclass(frozen=True, eq=False)
class EyePoints:
    """A scene's landmark and outline points (camera frame), computed in one batch."""

    margin: np.ndarray  # (16, 3) interior margin landmarks
    caruncle: np.ndarray  # (7, 3) caruncle landmarks
    upper: np.ndarray  # (N_DENSE, 3) dense upper lid, inner -> outer: what renderers fill
    lower: np.ndarray  # (N_DENSE, 3) dense lower lid, inner -> outer
    caruncle_outline: np.ndarray  # (N_CARUNCLE_OUTLINE, 3)


def eye_points(scene: EyeScene) -> EyePoints:
    """All of a scene's lid and caruncle points in one batch (this runs per image)."""
    az, el = _lid_angles(scene.lids, T_ALL_LIDS, UPPER_ALL_LIDS)
    car_az, car_el = _caruncle_angles(scene.lids, 7 + N_CARUNCLE_OUTLINE)  # landmarks, outline
    pts = _sphere_points(scene, np.concatenate([az, car_az]), np.concatenate([el, car_el]))
    m_up, d_up, m_low, d_low, car, outline = np.split(pts, SPLITS)
    return EyePoints(np.concatenate([m_up, m_low]), car, d_up, d_low, outline)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of two (3,) vectors (np.cross is slow for one pair)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def iris_frame(scene: EyeScene) -> tuple[np.ndarray, np.ndarray]:
    """Unit (e_right, e_up) perpendicular to the gaze; up is the head's up (rolls with it)."""
    g = scene.gaze
    head_up = -scene.head_rot[:, 1]  # the head's -y axis in the camera frame
    e_right = _cross(head_up, g)
    e_right /= np.linalg.norm(e_right)
    return e_right, _cross(g, e_right)


def iris_contour(scene: EyeScene, n: int = 32) -> np.ndarray:
    """(n, 3) limbus circle from its left point over the top (UnityEyes' iris_2d order)."""
    e_right, e_up = scene.iris_axes
    a = 2.0 * np.pi * np.arange(n) / n
    ring = -np.cos(a)[:, None] * e_right + np.sin(a)[:, None] * e_up
    return LIMBUS_DEPTH * scene.gaze + scene.shape.iris_radius * ring


def light_direction(scene: EyeScene, elevation_deg: float, azimuth_deg: float) -> np.ndarray:
    """(3,) unit camera-frame direction TO a light fixed to the head: azimuth 0 in front of
    the face, positive toward image right; elevation positive above."""
    el, az = math.radians(elevation_deg), math.radians(azimuth_deg)
    d = np.array([math.sin(az) * math.cos(el), -math.sin(el), -math.cos(az) * math.cos(el)])
    return scene.head_rot @ d


# --- projection -----------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """Orthographic camera: pixel (x, y) = (cx, cy) + scale * (X, Y); top-left origin."""

    scale: float  # pixels per world unit
    cx: float
    cy: float

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) camera-frame points -> (N, 2) continuous top-left pixel coordinates."""
        p = np.asarray(points, dtype=np.float64)
        return np.stack([self.cx + self.scale * p[:, 0], self.cy + self.scale * p[:, 1]], 1)


def camera_distance(points: np.ndarray) -> np.ndarray:
    """(N, 3) points relative to the eyeball centre -> (N,) distance from the camera."""
    return np.linalg.norm(np.asarray(points) + np.array([0.0, 0.0, CAMERA_DISTANCE]), axis=1)


def iris_centre_scale(height: int) -> float:
    """k: pixels between the image centre and the iris centre per unit of look_vec.xy.

    ~80 px on an 800 x 600 render, like UnityEyes; proportional to the image height.
    """
    return 80.0 * height / 600.0


def image_view(width: int, height: int) -> View:
    """The full-image camera: eyeball centre at the image centre, k from the height."""
    return View(iris_centre_scale(height) / LIMBUS_DEPTH, width / 2.0, height / 2.0)
