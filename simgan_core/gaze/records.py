"""What the gaze readers yield, and the errors they raise.

A reader streams one item per input: a record (a good sample), `Quarantined` (a bad
file, line or sample, with a one-line reason) or `Skipped` (a valid sample dropped by
protocol, e.g. the head-pose filter). Ingest counts all three; nothing is dropped
silently.

Records hold numpy arrays, so they compare by identity (`eq=False`) and their arrays
are made read-only: a record is a snapshot of one input, not a buffer to edit. Copy an
array (`arr.copy()`) before changing it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

# Landmark counts of a UnityEyes annotation, in the order of `landmark_depth`.
N_INTERIOR_MARGIN = 16
N_CARUNCLE = 7
N_IRIS = 32
N_LANDMARKS = N_INTERIOR_MARGIN + N_CARUNCLE + N_IRIS  # 55

# MPIIGaze's normalized eye image, (rows, cols).
MPIIGAZE_IMAGE_HW = (36, 60)


def _freeze_arrays(record: object) -> None:
    """Make every ndarray field of a dataclass read-only (no copy)."""
    for f in fields(record):  # type: ignore[arg-type]
        value = getattr(record, f.name)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False


@dataclass(frozen=True, eq=False)
class UnityEyesAnnotation:
    """The parsed fields of one UnityEyes JSON; landmark (x, y) top-left, as in UnityEyesRecord."""

    interior_margin: np.ndarray  # (16, 2) float64
    caruncle: np.ndarray  # (7, 2) float64
    iris: np.ndarray  # (32, 2) float64
    landmark_depth: np.ndarray  # (55,) float64: margin, caruncle, iris z in file order
    look_vec: np.ndarray  # (3,) as written (y up)
    gaze: np.ndarray  # (3,) unit, project convention (y down)
    head_pose_deg: np.ndarray  # (3,) (pitch, yaw - 180, roll) wrapped to (-180, 180]
    pupil_size: float
    iris_size: float
    iris_texture: str

    def __post_init__(self) -> None:
        _freeze_arrays(self)


@dataclass(frozen=True, eq=False)
class UnityEyesRecord:
    """One UnityEyes render and its annotation, converted to the project's conventions.

    Landmark (x, y) are float64 in TOP-left continuous image coordinates: x = screen
    x, y = H - screen y, H the decoded image's height. `landmark_depth` (55,) float64
    holds the screen z (distance from the camera, world units) of all landmarks in
    file order: interior margin [0:16], caruncle [16:23], iris [23:55].
    """

    key: str  # "unityeyes-<N>", N the file number
    json_path: str
    image_path: str
    image: np.ndarray  # (H, W, 3) uint8 RGB as decoded, or (H, W) luma (gray=True)
    interior_margin: np.ndarray  # (16, 2) float64, top-left x, y
    caruncle: np.ndarray  # (7, 2) float64, top-left x, y
    iris: np.ndarray  # (32, 2) float64, top-left x, y
    landmark_depth: np.ndarray  # (55,) float64
    look_vec: np.ndarray  # (3,) float64 as written: x right, y UP, z forward
    gaze: np.ndarray  # (3,) float64 unit, project convention (y down)
    head_pose_deg: np.ndarray  # (3,) (pitch, yaw, roll) in (-180, 180]; the head's own yaw
    pupil_size: float
    iris_size: float
    iris_texture: str

    def __post_init__(self) -> None:
        _freeze_arrays(self)


@dataclass(frozen=True, eq=False)
class MPIIGazeRecord:
    """One MPIIGaze normalized eye sample, right eyes already mirrored to left eyes."""

    key: str  # "mpiigaze-p00-day01-0001-left"
    mat_path: str
    subject: str  # "p00"
    day: str  # "day01"
    filename: str  # "0001.jpg"
    eye: str  # "left" | "right", as stored in the dataset
    image: np.ndarray  # (36, 60) uint8, horizontally flipped when eye == "right"
    gaze: np.ndarray  # (3,) float64 unit, project convention; x negated for right eyes
    pose: np.ndarray  # (3,) float64 Rodrigues vector; (rx, -ry, -rz) for right eyes

    def __post_init__(self) -> None:
        _freeze_arrays(self)
