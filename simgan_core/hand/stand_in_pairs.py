"""What a perfect hand refiner would output: synthetic hands seen by the stand-in Kinect.

The refiner's ideal output is the depth frame the real sensor would have recorded of
the synthetic hand: the same shape, pose and joints (the label), with the stand-in's
arm, body and background and its sensor (real_scene.py, kinect_sensor.py). With the
built-in stand-in this frame can be rendered directly; an estimator trained on its
crops measures the ceiling any refiner of the synthetic corpus can reach (only for the
stand-in: a real Kinect cannot record a synthetic hand). Each frame has its own person
(build, sensor character), drawn like the stand-in's subjects.

`perfect_refined_hand(n, seed, size, cube_mm)` -> ((N, size, size) uint16 crops as
ingest@hand stores them, (N, 28) joints' (u, v) in crop pixels); frames whose crop is
undefined (CropError: palm out of frame) are left out, so N <= n.

`paired_hand_views(n, seed, size, cube_mm)` draws each hand twice: as the synthetic
simulator renders it (the hand and its forearm stub, nothing else: nyu_writer.synth_frame)
and as the stand-in Kinect records it. How far a label judge's reading moves between
the two is the label shift of a perfect refiner: the floor of that metric.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from simgan_core.hand.canonical import from_nyu_frame
from simgan_core.hand.crop import CropError
from simgan_core.hand.hand_model import HandGeometry, hand_geometry, sample_pose, sample_shape
from simgan_core.hand.joints import EVAL_JOINTS, xyz_to_uvd
from simgan_core.hand.kinect_sensor import kinect_depth
from simgan_core.hand.nyu_writer import synthetic_depth
from simgan_core.hand.real_scene import real_scene_depth, sample_subject

T = TypeVar("T")


def _stand_in_depth(hand: HandGeometry, rng: np.random.Generator) -> np.ndarray:
    """(480, 640) uint16 mm: the hand with a stand-in person's arm, body and sensor."""
    person = sample_subject(rng)
    return kinect_depth(real_scene_depth(hand, person, rng), rng, person.noise_disparity,
                        person.edge_jitter_px, person.dropout_angle_deg)


def _crop(depth: np.ndarray, hand: HandGeometry, index: int, size: int, cube_mm: float
          ) -> tuple[np.ndarray, np.ndarray]:
    """A frame as ingest@hand stores it: (size, size) uint16 crop, (28,) label."""
    xyz = np.asarray(hand.joints)[list(EVAL_JOINTS)]  # (14, 3) mm
    sample = from_nyu_frame(depth, xyz_to_uvd(xyz), xyz, key=f"perfect-{index}",
                            source="stand-in pairs", file="", frame=index + 1, kinect=1,
                            split="synthetic", cube_mm=cube_mm, size=size)
    return sample.image, np.asarray(sample.annotation["joints_uv"]).reshape(-1)


def perfect_refined_frame(seed: int, index: int, size: int, cube_mm: float
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Frame `index`: (size, size) uint16 crop and (28,) label; raises CropError."""
    rng = np.random.default_rng([seed, index])
    hand = hand_geometry(sample_shape(rng), sample_pose(rng))  # drawn as the synthetic are
    return _crop(_stand_in_depth(hand, rng), hand, index, size, cube_mm)


def paired_hand_view(seed: int, index: int, size: int, cube_mm: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hand `index` twice: (size, size) uint16 synthetic crop, the stand-in's crop of the
    same hand (shape, pose, joints), (28,) label; raises CropError."""
    rng = np.random.default_rng([seed, index])
    shape = sample_shape(rng)
    hand = hand_geometry(shape, sample_pose(rng))
    # The stand-in first: its draws are perfect_refined_frame's, so its crop is the same.
    real_crop, label = _crop(_stand_in_depth(hand, rng), hand, index, size, cube_mm)
    synthetic_crop, _ = _crop(synthetic_depth(hand, shape, rng), hand, index, size, cube_mm)
    return synthetic_crop, real_crop, label


def _croppable(render: Callable[[int], T], start: int, n: int) -> list[T]:
    """render(index) for indices start .. start + n - 1, leaving out those whose crop is
    undefined (CropError); an error when none is left."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    out = []
    for index in range(start, start + n):
        try:
            out.append(render(index))
        except CropError:
            continue
    if not out:
        raise ValueError(f"none of frames {start}..{start + n - 1} could be cropped")
    return out


def perfect_refined_hand(n: int, seed: int, size: int, cube_mm: float, start: int = 0
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Frames start .. start + n - 1 that crop: (N, S, S) uint16 and (N, 28) float64."""
    frames = _croppable(lambda i: perfect_refined_frame(seed, i, size, cube_mm), start, n)
    return np.stack([f[0] for f in frames]), np.stack([f[1] for f in frames]).astype(np.float64)


def paired_hand_views(n: int, seed: int, size: int, cube_mm: float, start: int = 0
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hands start .. start + n - 1 whose crops are defined in both views: (N, S, S)
    uint16 synthetic, (N, S, S) uint16 stand-in, (N, 28) float64 labels."""
    views = _croppable(lambda i: paired_hand_view(seed, i, size, cube_mm), start, n)
    synthetic, real, labels = (np.stack([v[k] for v in views]) for k in range(3))
    return synthetic, real, labels.astype(np.float64)
