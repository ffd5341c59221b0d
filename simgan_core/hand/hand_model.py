"""An articulated right hand: shape, pose, limits, sampling and forward kinematics.

Hand frame (mm): origin at the wrist centre, +y along the middle finger, +x toward the
thumb (radial side), +z out of the back of the hand (dorsal); x cross y = z. Fingers
(NYU order F1 = little, F2 = ring, F3 = middle, F4 = index, TH = thumb) are chains of
three segments: proximal, middle, distal for F1..F4 (MCP -> PIP -> DIP -> tip) and
metacarpal, proximal, distal for the thumb (CMC -> MCP -> IP -> tip). Flexion turns a
segment toward the palm (-z of its joint frame), abduction about the joint's dorsal axis.

NYU's six points per finger are the two ends of each segment, tip first: KNU3_A = distal
tip, KNU3_B = distal base, KNU2_A = middle end, KNU2_B = middle base (PIP; the thumb's
MCP), KNU1_A = proximal end, KNU1_B = proximal base (MCP; the thumb's CMC); adjacent
segments share their joint, so KNU3_B == KNU2_A and KNU2_B == KNU1_A here. PALM_1 and
PALM_2 are the wrist's ulnar and radial sides, PALM_3 the palm centre (the crop
centre), PALM_4 the ulnar palm edge, PALM_5 the thenar eminence, PALM_6 the wrist centre.

`hand_geometry(shape, pose)` -> the 36 joints (NYU order) and the solid primitives
(capsules along the segments, an ellipsoid palm) in camera coordinates: x right, y up,
z forward, mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simgan_core.hand.joints import uvd_to_xyz

FINGERS = ("F1", "F2", "F3", "F4", "TH")
N_FINGERS = len(FINGERS)
THUMB = 4

# Nominal hand (scale 1), hand frame, mm. Finger bases: MCP joints; the thumb's: CMC.
BASES = np.array([(-30.0, 78.0, 0.0), (-11.0, 88.0, 0.0), (8.0, 92.0, 0.0),
                  (27.0, 86.0, 0.0), (22.0, 22.0, -8.0)])
LENGTHS = np.array([(32.0, 19.0, 18.0), (42.0, 27.0, 21.0), (45.0, 29.0, 22.0),
                    (41.0, 24.0, 20.0), (44.0, 32.0, 27.0)])  # (finger, segment) mm
RADII = np.array([(7.5, 7.0, 6.5), (8.5, 8.0, 7.3), (9.0, 8.3, 7.5),
                  (8.7, 8.0, 7.3), (12.0, 10.0, 9.0)])  # capsule radii, mm
REST_SPLAY_DEG = np.array([-12.0, -4.0, 2.0, 8.0, 0.0])  # + toward the thumb
# The thumb's rest frame: metacarpal direction and the direction it flexes toward.
THUMB_DIR = np.array([0.55, 0.75, -0.35])
THUMB_PALMAR = np.array([-1.0, 0.0, -0.6])
PALM_CENTRE = np.array([2.0, 46.0, 0.0])
PALM_AXES = np.array([40.0, 48.0, 14.0])  # ellipsoid semi-axes (x, y, z), mm
PALM_POINTS = np.array([(-24.0, 0.0, 0.0), (22.0, 0.0, 0.0), tuple(PALM_CENTRE),
                        (-36.0, 55.0, 0.0), (22.0, 38.0, -10.0), (0.0, 0.0, 0.0)])
FOREARM_RADIUS = 23.0  # mm at scale 1

# Joint-angle limits, degrees: (low, high).
ABDUCTION_LIMITS = np.array([(-15.0, 15.0)] * 4 + [(-20.0, 30.0)])  # around REST_SPLAY
FLEXION_LIMITS = np.array([
    [(-20.0, 90.0), (0.0, 110.0), (0.0, 80.0)],  # F1: MCP, PIP, DIP
    [(-20.0, 90.0), (0.0, 110.0), (0.0, 80.0)],
    [(-20.0, 90.0), (0.0, 110.0), (0.0, 80.0)],
    [(-20.0, 90.0), (0.0, 110.0), (0.0, 80.0)],
    [(-10.0, 45.0), (-5.0, 60.0), (-15.0, 80.0)],  # thumb: CMC, MCP, IP
])
# Curl correlation between fingers (logit space): neighbours move together.
_CURL_COV = 1.4 * 0.55 ** np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
_CURL_CHOL = np.linalg.cholesky(_CURL_COV)


@dataclass(frozen=True)
class HandShape:
    """One person's hand: overall scale and per-part factors (all about 1)."""

    scale: float
    finger_length: tuple[float, float, float, float, float]  # per finger, x LENGTHS
    palm_width: float  # x the palm's x extent and finger base spacing
    thickness: float  # x every radius and the palm's z axis

    def lengths(self) -> np.ndarray:
        """(5, 3) segment lengths, mm."""
        return LENGTHS * self.scale * np.asarray(self.finger_length)[:, None]

    def radii(self) -> np.ndarray:
        """(5, 3) segment capsule radii, mm."""
        return RADII * self.scale * self.thickness

    def _stretch(self, points: np.ndarray) -> np.ndarray:
        return points * (self.scale * np.array([self.palm_width, 1.0, self.thickness]))


@dataclass(frozen=True)
class HandPose:
    """Joint angles (degrees) and the hand's placement in the camera frame."""

    abduction: np.ndarray  # (5,) relative to REST_SPLAY_DEG
    flexion: np.ndarray  # (5, 3) per finger: MCP, PIP, DIP (thumb: CMC, MCP, IP)
    rotation: np.ndarray  # (3, 3) hand frame -> camera frame
    palm_centre: np.ndarray  # (3,) camera frame, mm


@dataclass(frozen=True, eq=False)
class HandGeometry:
    """A posed hand in the camera frame (mm)."""

    joints: np.ndarray  # (36, 3) NYU order
    capsule_a: np.ndarray  # (M, 3) capsule end points
    capsule_b: np.ndarray  # (M, 3)
    capsule_r: np.ndarray  # (M,) radii
    capsule_start_cap: np.ndarray  # (M,) bool: draw the sphere at a (False: the previous
    # segment's larger end sphere covers it, radii shrink along a finger)
    ellipsoid_centre: np.ndarray  # (3,) the palm
    ellipsoid_rotation: np.ndarray  # (3, 3) ellipsoid frame -> camera
    ellipsoid_axes: np.ndarray  # (3,) semi-axes
    wrist: np.ndarray  # (3,) wrist centre (PALM_6)
    forearm_dir: np.ndarray  # (3,) unit vector from the wrist toward the elbow


def sample_shape(rng: np.random.Generator) -> HandShape:
    """A plausible adult hand (scale 0.85-1.12 of the nominal)."""
    return HandShape(
        scale=float(rng.uniform(0.85, 1.12)),
        finger_length=tuple(float(v) for v in rng.uniform(0.94, 1.06, N_FINGERS)),
        palm_width=float(rng.uniform(0.92, 1.08)),
        thickness=float(rng.uniform(0.9, 1.1)),
    )


def _axis_rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """(3, 3) rotation by `angle` radians about unit `axis` (Rodrigues)."""
    x, y, z = axis
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + math.sin(angle) * k + (1.0 - math.cos(angle)) * (k @ k)


def sample_rotation(rng: np.random.Generator) -> np.ndarray:
    """(3, 3) hand -> camera: mostly palm toward the camera, fingers up-ish; a quarter of
    the frames show the back of the hand. In-plane roll +-70, pitch +-40, yaw +-75 deg."""
    yaw = rng.uniform(-75.0, 75.0) + (180.0 if rng.random() < 0.25 else 0.0)
    pitch, roll = rng.uniform(-40.0, 40.0), rng.uniform(-70.0, 70.0)
    ex, ey, ez = np.eye(3)
    return (_axis_rotation(ez, math.radians(roll)) @ _axis_rotation(ex, math.radians(pitch))
            @ _axis_rotation(ey, math.radians(yaw)))


def sample_placement(rng: np.random.Generator) -> np.ndarray:
    """(3,) palm centre: 0.6-0.9 m in front of the camera, well inside the 640 x 480 frame."""
    uvd = np.array([rng.uniform(150.0, 490.0), rng.uniform(140.0, 330.0),
                    rng.uniform(600.0, 900.0)])
    return uvd_to_xyz(uvd)


def sample_pose(rng: np.random.Generator) -> HandPose:
    """Plausible joint angles: finger curls correlated (neighbours alike, DIP ~ 2/3 PIP),
    spread only when the fingers are straight, everything within the limits."""
    grasp = rng.normal(0.0, 1.6)  # the whole hand's closure, logit
    curl = 1.0 / (1.0 + np.exp(-(grasp + _CURL_CHOL @ rng.standard_normal(4))))  # (4,) 0..1
    flex = np.zeros((N_FINGERS, 3))
    flex[:4, 0] = -10.0 + 95.0 * curl + rng.normal(0.0, 8.0, 4)
    flex[:4, 1] = 105.0 * curl + rng.normal(0.0, 10.0, 4)
    flex[:4, 2] = 0.67 * flex[:4, 1] + rng.normal(0.0, 6.0, 4)
    thumb = 1.0 / (1.0 + np.exp(-(0.7 * grasp + rng.normal(0.0, 1.2))))
    flex[THUMB] = (-5.0 + 45.0 * thumb, 55.0 * thumb, 70.0 * thumb) + rng.normal(0.0, 6.0, 3)
    spread = rng.uniform(0.0, 1.0)
    abd = np.zeros(N_FINGERS)
    abd[:4] = spread * (1.0 - curl) * np.array([-14.0, -6.0, 1.0, 12.0]) + rng.normal(0, 3, 4)
    abd[THUMB] = rng.uniform(-15.0, 25.0)
    return HandPose(
        abduction=np.clip(abd, ABDUCTION_LIMITS[:, 0], ABDUCTION_LIMITS[:, 1]),
        flexion=np.clip(flex, FLEXION_LIMITS[..., 0], FLEXION_LIMITS[..., 1]),
        rotation=sample_rotation(rng),
        palm_centre=sample_placement(rng),
    )


def _base_frames() -> list[np.ndarray]:
    """(3, 3) rest frame of each finger's base joint (columns: lateral, along, dorsal)."""
    frames = []
    for f in range(4):
        frames.append(_axis_rotation(np.array([0.0, 0.0, 1.0]),
                                     -math.radians(REST_SPLAY_DEG[f])))
    along = THUMB_DIR / np.linalg.norm(THUMB_DIR)
    palmar = THUMB_PALMAR - (THUMB_PALMAR @ along) * along
    dorsal = -palmar / np.linalg.norm(palmar)
    frames.append(np.stack([np.cross(along, dorsal), along, dorsal], axis=1))
    return frames


def finger_chains(shape: HandShape, pose: HandPose) -> np.ndarray:
    """(5, 4, 3) joint positions per finger in the HAND frame: base, j1, j2, tip."""
    lengths = shape.lengths()
    bases = shape._stretch(BASES)
    chains = np.zeros((N_FINGERS, 4, 3))
    for f, frame in enumerate(_base_frames()):
        r = frame @ _axis_rotation(np.array([0.0, 0.0, 1.0]), -math.radians(pose.abduction[f]))
        point = bases[f]
        chains[f, 0] = point
        for s in range(3):
            r = r @ _axis_rotation(np.array([1.0, 0.0, 0.0]), -math.radians(pose.flexion[f, s]))
            point = point + r[:, 1] * lengths[f, s]  # the segment runs along the frame's y
            chains[f, s + 1] = point
    return chains


def hand_geometry(shape: HandShape, pose: HandPose, forearm_mm: float = 0.0) -> HandGeometry:
    """The posed hand in the camera frame; `forearm_mm` > 0 adds a forearm capsule of that
    length from the wrist (the synthetic render's stub)."""
    chains = finger_chains(shape, pose)  # (5, 4, 3) hand frame
    palm_points = shape._stretch(PALM_POINTS)
    # NYU order per finger: tip first, then each segment's (end, base) pair going down.
    order = [(3, 2), (2, 1), (1, 0)]
    finger_points = [chains[f, i] for f in range(N_FINGERS) for pair in order for i in pair]
    local = np.concatenate([np.array(finger_points), palm_points])  # (36, 3)
    centre = palm_points[2]

    def to_camera(p: np.ndarray) -> np.ndarray:
        return (np.asarray(p) - centre) @ pose.rotation.T + pose.palm_centre

    radii = shape.radii()
    a = [chains[f, s] for f in range(N_FINGERS) for s in range(3)]
    b = [chains[f, s + 1] for f in range(N_FINGERS) for s in range(3)]
    r = [radii[f, s] for f in range(N_FINGERS) for s in range(3)]
    start_cap = [s == 0 for f in range(N_FINGERS) for s in range(3)]
    # The knuckle bar (index MCP -> little MCP) fills the palm's upper corners.
    a.append(chains[3, 0])
    b.append(chains[0, 0])
    r.append(0.95 * radii[2, 0])
    start_cap += [True, True]  # the knuckle bar, the forearm or wrist
    forearm_r = FOREARM_RADIUS * shape.scale * shape.thickness
    wrist = palm_points[5]
    if forearm_mm > 0:
        a.append(wrist + np.array([0.0, 10.0 * shape.scale, 0.0]))
        b.append(wrist - np.array([0.0, forearm_mm, 0.0]))
        r.append(forearm_r)
    else:  # the wrist's own rounded end
        a.append(wrist + np.array([0.0, 10.0 * shape.scale, 0.0]))
        b.append(wrist)
        r.append(forearm_r)
    return HandGeometry(
        joints=to_camera(local),
        capsule_a=to_camera(np.array(a)),
        capsule_b=to_camera(np.array(b)),
        capsule_r=np.array(r),
        capsule_start_cap=np.array(start_cap),
        ellipsoid_centre=to_camera(shape._stretch(PALM_CENTRE)),
        ellipsoid_rotation=pose.rotation,
        ellipsoid_axes=shape._stretch(PALM_AXES),
        wrist=to_camera(wrist),
        forearm_dir=pose.rotation @ np.array([0.0, -1.0, 0.0]),
    )
