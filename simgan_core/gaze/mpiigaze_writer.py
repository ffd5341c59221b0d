"""The stand-in real data, written in MPIIGaze's layout (formats.md, MPIIGaze section).

    out_dir/Data/Normalized/pNN/dayNN.mat
    out_dir/Evaluation Subset/sample list for eye image/pNN.txt

Each day file is a MATLAB v5 file that loadmat(struct_as_record=False, squeeze_me=True)
reads as data.left / data.right (gaze N x 3 unit vectors in the normalized camera,
y down; image N x 36 x 60 uint8; pose N x 3 Rodrigues vector of the head rotation in
the same frame) and filenames (N: "0001.jpg", ... numbered within the day). Right eyes
are stored as MPIIGaze stores them: the real right-eye image with the right eye's own
gaze; a reader flips the image and negates gaze x to get a left eye. So a right eye is
rendered as the mirrored scene (a left eye) and flipped back.
Files go through simgan_core.atomic (temp name, fsync, rename): a few large files.
Determinism: subject, day and frame each draw from their own generator seeded from
(seed, stream, subject, ...), and scipy's header timestamp is replaced by a fixed text,
so the bytes never depend on time or on the worker count.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import scipy.io

from simgan_core.atomic import atomic_write_bytes
from simgan_core.gaze.conventions import gaze_to_pitchyaw, pitchyaw_to_gaze
from simgan_core.gaze.eye_model import REAL_POSES, EyeScene, mirrored, sample_scene
from simgan_core.gaze.real_camera import (
    CROP_HW,
    DayLight,
    SubjectStyle,
    mirrored_day,
    render_real_eye,
    sample_day,
    sample_subject,
)
from simgan_core.parallel import default_workers, parallel_map

EVAL_LIST_DIR = Path("Evaluation Subset") / "sample list for eye image"
EYES = ("left", "right")
MAT_HEADER_TEXT = b"MATLAB 5.0 MAT-file, Platform: posix, Created by: simgan_core mpiigaze_writer"
MAX_DAY = 40  # day numbers are drawn from 1..MAX_DAY, like MPIIGaze's day01..day39
# Generator streams: a different second seed word per kind of draw.
_PLAN, _LIST, _SUBJECT, _DAY, _FRAME, _PIXELS = range(101, 107)


@dataclass(frozen=True)
class DayPlan:
    """One day file: its subject, day number and the subject's frame indices it holds."""

    subject: int
    day: int
    frames: tuple[int, ...]

    @property
    def path(self) -> Path:
        return Path("Data") / "Normalized" / f"p{self.subject:02d}" / f"day{self.day:02d}.mat"


def plan_subject(seed: int, subject: int, per_subject: int) -> list[DayPlan]:
    """Spread a subject's frames over 3-7 days (uneven; a day may hold a single frame)."""
    rng = np.random.default_rng([seed, _PLAN, subject])
    n_days = min(per_subject, int(rng.integers(3, 8)))
    days = np.sort(rng.choice(np.arange(1, MAX_DAY + 1), n_days, replace=False))
    counts = 1 + rng.multinomial(per_subject - n_days, rng.dirichlet(np.full(n_days, 0.6)))
    ends = np.cumsum(counts)
    return [DayPlan(subject, int(d), tuple(range(e - c, e)))
            for d, c, e in zip(days.tolist(), counts.tolist(), ends.tolist(), strict=True)]


def evaluation_lines(seed: int, plans: list[DayPlan]) -> list[str]:
    """One line per frame, "dayNN/NNNN.jpg left|right": half the frames per eye, in order."""
    n = sum(len(p.frames) for p in plans)
    rng = np.random.default_rng([seed, _LIST, plans[0].subject])
    eyes = rng.permutation(np.array([0] * (n // 2) + [1] * (n - n // 2)))
    lines: list[str] = []
    for plan in plans:
        for k, frame in enumerate(plan.frames):
            lines.append(f"day{plan.day:02d}/{k + 1:04d}.jpg {EYES[eyes[frame]]}")
    return lines


def subject_style(seed: int, subject: int) -> SubjectStyle:
    return sample_subject(np.random.default_rng([seed, _SUBJECT, subject]))


def day_light(seed: int, subject: int, day: int) -> DayLight:
    return sample_day(np.random.default_rng([seed, _DAY, subject, day]))


def frame_scenes(seed: int, subject: int, frame: int,
                 style: SubjectStyle) -> tuple[EyeScene, EyeScene]:
    """(left, right) eye scenes of one frame, each in its own eye's normalized camera.

    The right scene is NOT mirrored: its gaze is the right eye's own. Both eyes look at
    the same point, so their gaze and head pose differ by a degree or two.
    """
    rng = np.random.default_rng([seed, _FRAME, subject, frame])
    shape = replace(style.shape, open_upper_deg=style.shape.open_upper_deg + rng.normal(0, 2))
    left = sample_scene(rng, REAL_POSES, shape=shape)
    pitchyaw = gaze_to_pitchyaw(left.gaze) + np.radians(rng.normal(0.0, [0.7, 1.5]))
    right = replace(left, gaze=pitchyaw_to_gaze(pitchyaw),
                    head_pyr_deg=left.head_pyr_deg + rng.normal(0.0, [0.5, 1.0, 0.3]))
    return left, right


def eye_pixels_rng(seed: int, subject: int, frame: int, eye: str) -> np.random.Generator:
    """The generator of one eye image's textures and noise."""
    return np.random.default_rng([seed, _PIXELS, subject, frame, EYES.index(eye)])


def render_eye(seed: int, subject: int, frame: int, eye: str, scene: EyeScene,
               style: SubjectStyle, day: DayLight) -> np.ndarray:
    """(36, 60) uint8 image as stored: a right eye is the mirrored scene (a left eye, in
    the mirrored light) rendered, then flipped back."""
    rng = eye_pixels_rng(seed, subject, frame, eye)
    if eye == "left":
        return render_real_eye(scene, style, day, rng)
    as_left = render_real_eye(mirrored(scene), style, mirrored_day(day), rng)
    return np.ascontiguousarray(as_left[:, ::-1])


def head_pose_rodrigues(scene: EyeScene) -> np.ndarray:
    """(3,) Rodrigues vector (axis * angle) of the head rotation, y-down camera frame.

    Closed form (the head turns far less than 180 degrees, where it is ill-conditioned).
    """
    r = scene.head_rot
    skew = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])  # 2 sin(a) axis
    angle = math.acos(min(max((np.trace(r) - 1.0) / 2.0, -1.0), 1.0))
    return skew * (0.5 if angle < 1e-8 else angle / (2.0 * math.sin(angle)))


def mat_bytes(variables: dict) -> bytes:
    """scipy.io.savemat output with the timestamped header text replaced (stable bytes)."""
    buf = io.BytesIO()
    scipy.io.savemat(buf, variables, do_compression=False)
    data = buf.getvalue()
    return MAT_HEADER_TEXT.ljust(116, b" ") + data[116:]  # 116 bytes of text, then version


def write_day(out_dir: Path, seed: int, plan: DayPlan) -> int:
    """Render and write one day file; returns its number of frames. It depends on (seed,
    plan) only: any worker (a local process, a Dask worker) writes the same bytes."""
    style = subject_style(seed, plan.subject)
    day = day_light(seed, plan.subject, plan.day)
    n = len(plan.frames)
    fields = {eye: {"gaze": np.zeros((n, 3)), "image": np.zeros((n, *CROP_HW), np.uint8),
                    "pose": np.zeros((n, 3))} for eye in EYES}
    for k, frame in enumerate(plan.frames):
        for eye, scene in zip(EYES, frame_scenes(seed, plan.subject, frame, style), strict=True):
            fields[eye]["gaze"][k] = scene.gaze
            fields[eye]["pose"][k] = head_pose_rodrigues(scene)
            fields[eye]["image"][k] = render_eye(seed, plan.subject, frame, eye, scene, style, day)
    names = np.array([f"{k + 1:04d}.jpg" for k in range(n)], dtype=object)  # a cell array
    atomic_write_bytes(out_dir / plan.path, mat_bytes({"data": fields, "filenames": names}))
    return n


def _check(subjects: int, per_subject: int, seed: int) -> None:
    if subjects < 1 or per_subject < 1 or seed < 0:
        raise ValueError(f"need subjects >= 1, per_subject >= 1, seed >= 0 "
                         f"(got {subjects}, {per_subject}, {seed})")


def plan_days(out_dir: Path, subjects: int, per_subject: int, seed: int) -> list[DayPlan]:
    """Check the arguments, create the subject folders; every day file to write, largest
    first (better load balance; the results do not depend on the order)."""
    _check(subjects, per_subject, seed)
    out_dir = Path(out_dir)
    for s in range(subjects):
        (out_dir / "Data" / "Normalized" / f"p{s:02d}").mkdir(parents=True, exist_ok=True)
    plans = [p for s in range(subjects) for p in plan_subject(seed, s, per_subject)]
    return sorted(plans, key=lambda p: -len(p.frames))


def write_evaluation_lists(out_dir: Path, subjects: int, per_subject: int, seed: int) -> None:
    """The 'Evaluation Subset' lists, one per subject (cheap: no rendering)."""
    _check(subjects, per_subject, seed)
    (Path(out_dir) / EVAL_LIST_DIR).mkdir(parents=True, exist_ok=True)
    for s in range(subjects):
        text = "".join(line + "\n" for line in evaluation_lines(seed, plan_subject(
            seed, s, per_subject)))
        atomic_write_bytes(Path(out_dir) / EVAL_LIST_DIR / f"p{s:02d}.txt", text.encode())


def simulate_mpiigaze(out_dir: Path, subjects: int = 15, *, per_subject: int, seed: int,
                      workers: int | None = None) -> dict:
    """Write the MPIIGaze layout for subjects p00..p{subjects-1}, per_subject frames each
    (two eye crops per frame) and per_subject listed eye images per subject.

    Returns {"subjects", "frames", "count" (eye crops), "seconds", "crops_per_s", "workers"}.
    """
    start = time.perf_counter()
    work = plan_days(out_dir, subjects, per_subject, seed)
    n_workers = default_workers() if workers is None else workers
    frames = sum(parallel_map(partial(write_day, Path(out_dir), seed), work, workers=n_workers))
    write_evaluation_lists(out_dir, subjects, per_subject, seed)
    seconds = time.perf_counter() - start
    return {"subjects": subjects, "frames": frames, "count": 2 * frames, "seconds": seconds,
            "crops_per_s": 2 * frames / max(seconds, 1e-9),
            "workers": min(n_workers, len(work))}
