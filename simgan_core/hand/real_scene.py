"""The stand-in real scene around the hand: a person's arm and body, sometimes a table or
a door frame, the room's walls beyond the Kinect's 2 m range.

What the real NYU frames show (../shared/fixtures/nyu/depth_1_0000001.png): the hand at
0.7-0.9 m, the forearm leaving the frame, torso and head 1.0-1.5 m behind, a few
objects 1.5-2 m away, everything farther filled in. Geometry only; what the sensor makes
of it is kinect_sensor.py. `SceneSubject` is one person: their hand, body and arm sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgan_core.hand.depth_render import (
    RAY_X,
    RAY_Y,
    draw_capsule,
    draw_hand,
    draw_sphere,
    empty_depth,
)
from simgan_core.hand.hand_model import HandGeometry, HandShape, sample_shape
from simgan_core.hand.joints import CX, FX


@dataclass(frozen=True)
class SceneSubject:
    """One recorded person (hand shape, build) and their sensor's character."""

    hand: HandShape
    torso_half_width: float  # mm
    arm_scale: float  # x nominal arm radii and forearm length
    noise_disparity: float  # per-pixel disparity noise, in disparity units (kinect_sensor)
    edge_jitter_px: float  # ragged silhouettes: random displacement, px
    dropout_angle_deg: float  # surfaces steeper than this (normal vs view ray) lose depth


def sample_subject(rng: np.random.Generator) -> SceneSubject:
    return SceneSubject(
        hand=sample_shape(rng),
        torso_half_width=float(rng.uniform(160.0, 215.0)),
        arm_scale=float(rng.uniform(0.9, 1.12)),
        noise_disparity=float(rng.uniform(0.25, 0.5)),
        edge_jitter_px=float(rng.uniform(0.7, 1.4)),
        dropout_angle_deg=float(rng.uniform(77.0, 83.0)),
    )


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def forearm_direction(hand: HandGeometry, rng: np.random.Generator) -> np.ndarray:
    """(3,) unit vector wrist -> elbow: half the hand's long axis, half down and back
    toward the body. The synthetic render's forearm stub uses it too, so the two
    domains share the arm's geometry and differ only in how the sensor sees it."""
    lean = np.array([0.0, -1.0, 0.35]) + rng.normal(0.0, 0.2, 3)
    return _unit(_unit(hand.forearm_dir) + _unit(lean))


def draw_arm_and_body(depth: np.ndarray, hand: HandGeometry, subject: SceneSubject,
                      rng: np.random.Generator) -> None:
    """Forearm (wrist -> elbow, tapering, mostly downward: it usually leaves the frame),
    upper arm to the shoulder, torso with shoulders, neck and head."""
    s = subject.arm_scale
    palm = hand.joints[32]
    forearm = forearm_direction(hand, rng)
    elbow = hand.wrist + forearm * (270.0 * s)
    middle = hand.wrist + forearm * (130.0 * s)
    draw_capsule(depth, hand.wrist, middle, 25.0 * s)
    draw_capsule(depth, middle, elbow, 33.0 * s)
    # The body stands 1.0-1.5 m away (at least 25 cm behind the hand); a right hand held
    # up beside it: the right shoulder is left of the torso's centre in the image.
    front = max(float(rng.uniform(1000.0, 1500.0)), palm[2] + 250.0)
    half = subject.torso_half_width
    shoulder = np.array([elbow[0] + rng.uniform(-60.0, 160.0),
                         palm[1] - rng.uniform(40.0, 280.0), front + 80.0])
    draw_capsule(depth, elbow, shoulder, 42.0 * s)
    mid_x = shoulder[0] + half
    # Torso: upright elliptic cylinder below the shoulders, rounded on top by a capsule.
    draw_upright_cylinder(depth, mid_x, front + 110.0, half + 30.0, 110.0,
                          top_mm=shoulder[1] - 60.0)
    other = np.array([mid_x + half, shoulder[1], front + 80.0])
    draw_capsule(depth, shoulder + (20.0, -60.0, 0.0), other + (-20.0, -60.0, 0.0), 75.0)
    draw_capsule(depth, np.array([mid_x, shoulder[1] + 70.0, front + 70.0]),
                 np.array([mid_x, shoulder[1] - 20.0, front + 70.0]), 55.0)  # the neck
    draw_sphere(depth, np.array([mid_x, shoulder[1] + 170.0, front + 60.0]),
                float(rng.uniform(88.0, 102.0)))


def draw_upright_cylinder(depth: np.ndarray, x_mm: float, z_mm: float, half_width_mm: float,
                          half_depth_mm: float, top_mm: float) -> None:
    """A vertical elliptic cylinder (axis x = x_mm, z = z_mm) from y = top_mm down: its
    depth depends on the column only (one quadratic per column), its top on the row."""
    ax2, az2 = half_width_mm**2, half_depth_mm**2
    a = RAY_X * RAY_X / ax2 + 1.0 / az2  # (W,)
    b = -2.0 * (RAY_X * x_mm / ax2 + z_mm / az2)
    c = x_mm * x_mm / ax2 + z_mm * z_mm / az2 - 1.0
    h = b * b - 4.0 * a * c
    cols = np.flatnonzero(h >= 0.0)
    if cols.size == 0:
        return
    c0, c1 = int(cols[0]), int(cols[-1]) + 1
    t = (-b[c0:c1] - np.sqrt(np.maximum(h[c0:c1], 0.0))) / (2.0 * a[c0:c1])  # (w,)
    below = RAY_Y[:, None] * t[None, :] < top_mm  # (H, w): under the top edge
    view = depth[:, c0:c1]
    np.minimum(view, np.where(below & (h[c0:c1] >= 0.0), t, np.inf), out=view)


def draw_table(depth: np.ndarray, height_mm: float, near_mm: float, far_mm: float,
               half_width_mm: float) -> None:
    """A horizontal plane y = height_mm (< 0: below the camera) between near and far."""
    rows = RAY_Y < -1e-6  # only rays going down meet a plane below the camera
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(rows, height_mm / RAY_Y, np.inf)[:, None]  # (H, 1) depth per row
        x = RAY_X[None, :] * t  # nan at the centre column of rows that miss: no hit
    hit = (t >= near_mm) & (t <= far_mm) & (np.abs(x) <= half_width_mm)
    np.minimum(depth, np.where(hit, t, np.inf), out=depth)


def draw_door_frame(depth: np.ndarray, x_mm: float, width_mm: float, z_mm: float) -> None:
    """A vertical strip facing the camera, floor to ceiling, at depth z_mm."""
    c0 = int(np.clip(np.floor(CX + FX * x_mm / z_mm), 0, depth.shape[1]))
    c1 = int(np.clip(np.ceil(CX + FX * (x_mm + width_mm) / z_mm), 0, depth.shape[1]))
    view = depth[:, c0:c1]
    np.minimum(view, z_mm, out=view)


def real_scene_depth(hand: HandGeometry, subject: SceneSubject,
                     rng: np.random.Generator) -> np.ndarray:
    """(480, 640) float32 true depth of the whole scene, mm (+inf: beyond the walls'
    range, i.e. nothing the sensor reports)."""
    depth = empty_depth()
    draw_hand(depth, hand)
    draw_arm_and_body(depth, hand, subject, rng)
    palm = hand.joints[32]
    if rng.random() < 0.25:
        draw_table(depth, height_mm=palm[1] - rng.uniform(180.0, 420.0),
                   near_mm=palm[2] - 150.0, far_mm=palm[2] + rng.uniform(400.0, 900.0),
                   half_width_mm=rng.uniform(400.0, 800.0))
    if rng.random() < 0.5:
        z = float(rng.uniform(1550.0, 1980.0))
        draw_door_frame(depth, x_mm=float(rng.uniform(-0.6, 0.5)) * z,
                        width_mm=float(rng.uniform(40.0, 160.0)), z_mm=z)
    return depth
