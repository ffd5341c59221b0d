"""The two hand simulators, written in the NYU hand pose release's layout.

    synthetic:  out_dir/train/synthdepth_1_NNNNNNN.png + out_dir/train/joint_data.mat
    stand-in:   out_dir/{train,test}/depth_1_NNNNNNN.png + .../joint_data.mat

PNGs: 640 x 480 RGB, R = 0, depth mm = G * 256 + B (depth_png.py); synthetic background
is 0 (no reading), the stand-in's holes and far background are 2001 as in the real
release (kinect_sensor.py). `joint_data.mat` (MATLAB v5, scipy.io.savemat): `joint_uvd`
and `joint_xyz` of shape (1 kinect, N, 36, 3) float64, frame i of the arrays = file
number i + 1, and `joint_names` (a 1 x 36 cell), as the release has them (we write
kinect 1 only).

Determinism: synthetic frame i draws from np.random.default_rng([seed, _SYNTH, i]); a
stand-in frame from ([seed, _REAL, split, i]) and its subject from ([seed, _SUBJECT, s]),
so the bytes depend on (seed, n, test_fraction) only, never on the worker count or the
chunking. The .mat header's timestamp is replaced by a fixed text.
Subjects: the stand-in's train frames come from subjects 0..2, its test frames from
subjects 3..4 (other hand shapes and builds), in contiguous runs like recordings.
PNGs are written to a temp name and renamed (no fsync per file: one os.sync at the
end, as the UnityEyes writer does); the .mat goes through simgan_core.atomic.
"""

from __future__ import annotations

import io
import os
import re
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import scipy.io

from simgan_core.atomic import atomic_write_bytes
from simgan_core.hand.depth_png import encode_depth_png
from simgan_core.hand.depth_render import draw_capsule, render_hand_depth, to_uint16_mm
from simgan_core.hand.hand_model import (
    FOREARM_RADIUS,
    HandGeometry,
    HandShape,
    hand_geometry,
    sample_pose,
    sample_shape,
)
from simgan_core.hand.joints import NYU_JOINT_NAMES, xyz_to_uvd
from simgan_core.hand.kinect_sensor import kinect_depth
from simgan_core.hand.real_scene import (
    SceneSubject,
    forearm_direction,
    real_scene_depth,
    sample_subject,
)
from simgan_core.parallel import default_workers, index_chunks, parallel_map

SYNTH_PREFIX, REAL_PREFIX = "synthdepth", "depth"
KINECT = 1  # the front camera; the only one we write
JOINT_DATA_NAME = "joint_data.mat"
SPLITS = ("train", "test")
SUBJECTS = {"train": (0, 1, 2), "test": (3, 4)}  # disjoint: the test hands are new
SYNTH_FOREARM_MM = 180.0  # at hand scale 1: leaves a 300 mm crop cube round the palm
MAT_HEADER_TEXT = b"MATLAB 5.0 MAT-file, Platform: posix, Created by: simgan_core nyu_writer"
_SYNTH, _SUBJECT, _REAL = 201, 202, 203  # generator streams (second seed word)


@dataclass(frozen=True)
class FrameRange:
    """Frames start..stop-1 of one split (files start+1 .. stop)."""

    split: str
    start: int
    stop: int


def frame_name(prefix: str, number: int) -> str:
    """frame_name("depth", 1) == "depth_1_0000001.png" (number is 1-based)."""
    return f"{prefix}_{KINECT}_{number:07d}.png"


# --- frames ----------------------------------------------------------------------------


def synth_frame(seed: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic frame index (file index + 1): (480, 640) uint16 mm (0 = background) and
    its (36, 3) joints in mm, camera frame, NYU order."""
    rng = np.random.default_rng([seed, _SYNTH, index])
    shape = sample_shape(rng)
    hand = hand_geometry(shape, sample_pose(rng))
    return synthetic_depth(hand, shape, rng), hand.joints


def synthetic_depth(hand: HandGeometry, shape: HandShape, rng: np.random.Generator
                    ) -> np.ndarray:
    """(480, 640) uint16 mm (0 = background): the hand and its forearm stub, nothing else."""
    depth = render_hand_depth(hand)
    # The forearm stub points where the stand-in real arm does (real_scene.py), not along
    # the hand's axis: otherwise it often comes at the camera, a content gap between the
    # domains that no refiner should have to paint over.
    forearm = forearm_direction(hand, rng) * (SYNTH_FOREARM_MM * shape.scale)
    draw_capsule(depth, hand.wrist, hand.wrist + forearm,
                 FOREARM_RADIUS * shape.scale * shape.thickness)
    return to_uint16_mm(depth, background=0)


def real_subject(seed: int, subject: int) -> SceneSubject:
    """One stand-in person (hand shape, build, sensor character)."""
    return sample_subject(np.random.default_rng([seed, _SUBJECT, subject]))


def subject_of(split: str, index: int, n_split: int) -> int:
    """The subject of frame `index` of a split of n_split frames: contiguous runs."""
    ids = SUBJECTS[split]
    return ids[index * len(ids) // max(n_split, 1)]


def real_frame(seed: int, split: str, index: int, n_split: int) -> tuple[np.ndarray, np.ndarray]:
    """Stand-in frame index of a split: (480, 640) uint16 as NYU stores a Kinect frame
    (2001 = no reading) and the (36, 3) joints."""
    subject = real_subject(seed, subject_of(split, index, n_split))
    rng = np.random.default_rng([seed, _REAL, SPLITS.index(split), index])
    hand = hand_geometry(subject.hand, sample_pose(rng))
    true_depth = real_scene_depth(hand, subject, rng)
    depth = kinect_depth(true_depth, rng, subject.noise_disparity, subject.edge_jitter_px,
                         subject.dropout_angle_deg)
    return depth, hand.joints


# --- files -----------------------------------------------------------------------------


def write_replace(path: Path, data: bytes) -> None:
    """Temp name in the same folder, then os.replace: a reader never sees half a file.
    No fsync (about 1 ms a file, more than a frame's encoding): the caller flushes once."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def mat_bytes(variables: dict) -> bytes:
    """scipy.io.savemat (MATLAB v5) output with the timestamped header text replaced."""
    buf = io.BytesIO()
    scipy.io.savemat(buf, variables, do_compression=False)
    return MAT_HEADER_TEXT.ljust(116, b" ") + buf.getvalue()[116:]


def write_joint_data(split_dir: Path, joints_xyz: np.ndarray) -> Path:
    """split_dir/joint_data.mat from (N, 36, 3) joints in mm (kinect 1 only), atomically."""
    xyz = np.asarray(joints_xyz, dtype=np.float64).reshape(-1, len(NYU_JOINT_NAMES), 3)
    names = np.empty((1, len(NYU_JOINT_NAMES)), dtype=object)  # a 1 x 36 cell of strings
    names[0, :] = NYU_JOINT_NAMES
    path = Path(split_dir) / JOINT_DATA_NAME
    atomic_write_bytes(path, mat_bytes(
        {"joint_uvd": xyz_to_uvd(xyz)[None], "joint_xyz": xyz[None], "joint_names": names}))
    return path


def _prepare_split(split_dir: Path, prefix: str, n: int) -> None:
    """Create split_dir; remove frames numbered above n left by an earlier, larger run."""
    split_dir.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(rf"^{prefix}_{KINECT}_(\d{{7}})\.png$")
    for path in split_dir.iterdir():
        match = pattern.match(path.name)
        if match and int(match.group(1)) > n:
            path.unlink()


def _check(n: int, seed: int) -> None:
    if n < 1 or seed < 0:
        raise ValueError(f"need n >= 1 and seed >= 0 (got n={n}, seed={seed})")


def split_sizes(n: int, test_fraction: float) -> dict[str, int]:
    """{"train": n - round(n * f), "test": round(n * f)}; both must be at least 1."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n_test = int(round(n * test_fraction))
    sizes = {"train": n - n_test, "test": n_test}
    if min(sizes.values()) < 1:
        raise ValueError(f"n={n} with test_fraction={test_fraction} leaves an empty split "
                         f"({sizes})")
    return sizes


def plan_synthdepth(out_dir: Path, n: int, seed: int, workers: int) -> list[FrameRange]:
    """Check the arguments, prepare out_dir/train; the frame ranges to render."""
    _check(n, seed)
    _prepare_split(Path(out_dir) / "train", SYNTH_PREFIX, n)
    return [FrameRange("train", a, b) for a, b in index_chunks(n, workers)]


def plan_real_kinect(out_dir: Path, n: int, seed: int, test_fraction: float,
                     workers: int) -> list[FrameRange]:
    """Check the arguments, prepare out_dir/train and test; the frame ranges to render."""
    _check(n, seed)
    sizes = split_sizes(n, test_fraction)
    ranges = []
    for split in SPLITS:
        _prepare_split(Path(out_dir) / split, REAL_PREFIX, sizes[split])
        ranges += [FrameRange(split, a, b) for a, b in index_chunks(sizes[split], workers)]
    return ranges


def write_synthdepth_range(out_dir: Path, seed: int, frames: FrameRange) -> np.ndarray:
    """Render and write synthdepth files frames.start+1 .. frames.stop; returns their
    (m, 36, 3) joints (xyz mm)."""
    joints = []
    for index in range(frames.start, frames.stop):
        depth, xyz = synth_frame(seed, index)
        write_replace(Path(out_dir) / frames.split / frame_name(SYNTH_PREFIX, index + 1),
                      encode_depth_png(depth))
        joints.append(xyz)
    return np.array(joints).reshape(-1, len(NYU_JOINT_NAMES), 3)


def write_real_range(out_dir: Path, seed: int, sizes: dict[str, int],
                     frames: FrameRange) -> np.ndarray:
    """Render and write the stand-in's depth files of a range; returns their joints."""
    joints = []
    for index in range(frames.start, frames.stop):
        depth, xyz = real_frame(seed, frames.split, index, sizes[frames.split])
        write_replace(Path(out_dir) / frames.split / frame_name(REAL_PREFIX, index + 1),
                      encode_depth_png(depth))
        joints.append(xyz)
    return np.array(joints).reshape(-1, len(NYU_JOINT_NAMES), 3)


def finish_splits(out_dir: Path, ranges: list[FrameRange],
                  joints: list[np.ndarray]) -> dict[str, int]:
    """Write each split's joint_data.mat from the ranges' joints (any order of ranges);
    returns the frame count per split."""
    counts = {}
    for split in SPLITS:
        parts = sorted((r.start, j) for r, j in zip(ranges, joints, strict=True)
                       if r.split == split)
        if parts:
            xyz = np.concatenate([j for _, j in parts])
            write_joint_data(Path(out_dir) / split, xyz)
            counts[split] = len(xyz)
    return counts


def _summary(counts: dict[str, int], started: float, workers: int) -> dict:
    count = sum(counts.values())
    seconds = time.perf_counter() - started
    return {**counts, "count": count, "seconds": seconds,
            "frames_per_s": count / max(seconds, 1e-9), "workers": workers}


def simulate_synthdepth(out_dir: Path, n: int, seed: int, workers: int | None = None) -> dict:
    """Write the synthetic hand renders; same seed, same bytes, whatever `workers`.
    Returns {"train", "count", "seconds", "frames_per_s", "workers"}."""
    started = time.perf_counter()
    n_workers = default_workers() if workers is None else workers
    ranges = plan_synthdepth(out_dir, n, seed, n_workers)
    joints = parallel_map(partial(write_synthdepth_range, Path(out_dir), seed), ranges,
                          workers=n_workers)
    counts = finish_splits(out_dir, ranges, joints)
    os.sync()  # one flush for all the PNGs
    return _summary(counts, started, min(n_workers, len(ranges)))


def simulate_real_kinect(out_dir: Path, n: int, seed: int, test_fraction: float = 0.3,
                         workers: int | None = None) -> dict:
    """Write the stand-in real Kinect frames (train and test splits, disjoint subjects).
    Returns {"train", "test", "count", "seconds", "frames_per_s", "workers"}."""
    started = time.perf_counter()
    n_workers = default_workers() if workers is None else workers
    ranges = plan_real_kinect(out_dir, n, seed, test_fraction, n_workers)
    sizes = split_sizes(n, test_fraction)
    joints = parallel_map(partial(write_real_range, Path(out_dir), seed, sizes), ranges,
                          workers=n_workers)
    counts = finish_splits(out_dir, ranges, joints)
    os.sync()
    return _summary(counts, started, min(n_workers, len(ranges)))
