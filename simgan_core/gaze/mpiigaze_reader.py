"""Reader of MPIIGaze's normalized data: `Data/Normalized/pNN/dayNN.mat` (formats.md).

Each day file, read with `loadmat(struct_as_record=False, squeeze_me=True)`, holds
`data.left` / `data.right` (gaze N x 3 unit in the normalized camera, y down; image
N x 36 x 60 uint8; pose N x 3 Rodrigues) and `filenames` (N). A one-sample day file
squeezes to 1-D arrays and a bare string: the leading axis is re-added. Right eyes
are mirrored to left eyes (image flipped left-right, gaze x negated, pose
(rx, -ry, -rz)). With the evaluation subset, only the samples of
`Evaluation Subset/sample list for eye image/pNN.txt` are yielded, in its order.
Streaming: one day file in memory at a time (a list that goes back to an earlier
day reloads it). Bad files, lines and samples become `Quarantined`, never exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io
from scipy.io.matlab import mat_struct

from simgan_core.gaze.conventions import mirror_gaze
from simgan_core.gaze.records import MPIIGAZE_IMAGE_HW, MPIIGazeRecord
from simgan_core.ingest_records import EmptySourceError, FormatError, Quarantined
from simgan_core.matfile_size import inflated_size

__all__ = ["iter_mpiigaze", "list_mpiigaze_subjects"]

EYES = ("left", "right")
GAZE_NORM_TOLERANCE = 1e-2  # |norm - 1| above this: not a direction, quarantined
EVAL_LIST_DIR = Path("Evaluation Subset") / "sample list for eye image"
_POSE_MIRROR = np.array([1.0, -1.0, -1.0])  # Rodrigues vector under x -> -x: -M r
# A real day file holds hundreds to a few thousand samples: 2 eyes x N x 36 x 60 uint8
# (2160 B each) plus gaze/pose doubles, ~1-15 MB inflated. 256 MiB is >15x the largest
# and bounds what loadmat may allocate for a hostile file (a few kB inflating to GBs).
MAX_DAY_INFLATED_BYTES = 256 * 2**20

_SUBJECT_RE = re.compile(r"p[0-9]+", re.ASCII)
_DAY_FILE_RE = re.compile(r"(day[0-9]+)\.mat", re.ASCII)
_IMAGE_NAME_RE = re.compile(r"[A-Za-z0-9_-]+\.jpg", re.ASCII)  # stem has no dot: key-safe
_LIST_LINE_RE = re.compile(r"(day[0-9]+)[/\\]([A-Za-z0-9_-]+\.jpg)\s+(left|right)", re.ASCII)


@dataclass(frozen=True, eq=False)
class _Eye:
    gaze: np.ndarray  # (N, 3) float64, as stored (not yet checked per sample)
    image: np.ndarray  # (N, 36, 60) uint8
    pose: np.ndarray  # (N, 3) float64


@dataclass(frozen=True, eq=False)
class _Day:
    path: Path
    subject: str
    day: str
    filenames: list[str]  # (N,) base names, "0001.jpg"
    index: dict[str, int]  # base name -> row
    eyes: dict[str, _Eye]


def _numbered(name: str) -> tuple[int, str]:
    """Sort key: the number in "p7" / "day10", then the name (day2 before day10)."""
    return int(re.sub(r"[^0-9]", "", name) or 0), name


# --- one day file --------------------------------------------------------------------


def _filenames(value: object) -> list[str]:
    """`filenames` (N strings, or a bare string when N == 1) -> base names."""
    arr = np.atleast_1d(np.asarray(value, dtype=object))
    if arr.ndim != 1:
        raise FormatError(f"filenames has shape {arr.shape}, expected (N,)")
    names: list[str] = []
    for i, item in enumerate(arr):
        if isinstance(item, np.ndarray) and item.size == 1:
            item = item.item()  # a cell holding a char array
        if not isinstance(item, str):
            raise FormatError(f"filenames[{i}] is a {type(item).__name__}, expected a string")
        base = item.strip().replace("\\", "/").rsplit("/", 1)[-1]  # "day01/0001.jpg" too
        if not _IMAGE_NAME_RE.fullmatch(base):
            raise FormatError(f"filenames[{i}] is not an image name like 0001.jpg: {item!r}")
        names.append(base)
    if len(set(names)) != len(names):
        raise FormatError("filenames has duplicate names")
    return names


def _rows(node: mat_struct, eye: str, name: str, tail: tuple[int, ...], n: int) -> np.ndarray:
    """Field `data.<eye>.<name>` as (n, *tail), re-adding the axis squeezed when n == 1."""
    field = f"data.{eye}.{name}"
    if name not in getattr(node, "_fieldnames", ()):
        raise FormatError(f"missing field {field}")
    arr = np.asarray(getattr(node, name))
    if arr.shape == tail:
        arr = arr[np.newaxis]  # a one-sample day file
    if arr.shape[1:] != tail:
        expected = ", ".join(map(str, ("N", *tail)))
        raise FormatError(f"{field} has shape {arr.shape}, expected ({expected})")
    if arr.shape[0] != n:
        raise FormatError(f"{field} has {arr.shape[0]} rows but filenames has {n}")
    if name == "image":
        if arr.dtype != np.uint8:
            raise FormatError(f"{field} has dtype {arr.dtype}, expected uint8")
        return arr
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise FormatError(f"{field} has dtype {arr.dtype}, expected numbers")
    return arr.astype(np.float64)


def _load_day(path: Path, subject: str, day: str) -> _Day:
    """Read and structurally check one day file; raise FormatError with the reason."""
    try:
        inflated = inflated_size(path, MAX_DAY_INFLATED_BYTES)  # bounded memory
    except OSError as exc:
        raise FormatError(f"unreadable .mat: {type(exc).__name__}: {exc}") from None
    if inflated > MAX_DAY_INFLATED_BYTES:
        raise FormatError(f"inflates to more than MAX_DAY_INFLATED_BYTES "
                          f"({MAX_DAY_INFLATED_BYTES} bytes); a day file holds a few MB")
    try:
        mat = scipy.io.loadmat(path, struct_as_record=False, squeeze_me=True)
    except MemoryError:
        raise
    except NotImplementedError as exc:  # scipy's answer to MATLAB v7.3 (HDF5) files
        raise FormatError(f"unreadable .mat (v7.3 / HDF5?): {exc}") from None
    except Exception as exc:  # scipy raises ValueError, OSError, TypeError, ... on bad bytes
        raise FormatError(f"unreadable .mat: {type(exc).__name__}: {exc}") from None
    for var in ("data", "filenames"):
        if var not in mat:
            raise FormatError(f"missing variable {var}")
    data = mat["data"]
    if not isinstance(data, mat_struct):
        raise FormatError(f"data is a {type(data).__name__}, expected a struct")
    names = _filenames(mat["filenames"])
    if not names:
        raise FormatError("no samples (filenames is empty)")
    eyes: dict[str, _Eye] = {}
    for eye in EYES:
        node = getattr(data, eye, None) if eye in data._fieldnames else None
        if not isinstance(node, mat_struct):
            raise FormatError(f"missing struct data.{eye}")
        n = len(names)
        eyes[eye] = _Eye(
            gaze=_rows(node, eye, "gaze", (3,), n),
            image=_rows(node, eye, "image", MPIIGAZE_IMAGE_HW, n),
            pose=_rows(node, eye, "pose", (3,), n),
        )
    index = {name: i for i, name in enumerate(names)}
    return _Day(path=path, subject=subject, day=day, filenames=names, index=index, eyes=eyes)


def _sample(day: _Day, i: int, eye: str) -> MPIIGazeRecord | Quarantined:
    """Row i of one eye -> a record in the project convention (right eyes mirrored)."""
    data = day.eyes[eye]
    name = day.filenames[i]
    where = f"{day.path}:{name}:{eye}"
    gaze, pose = data.gaze[i], data.pose[i]
    if not np.all(np.isfinite(gaze)):
        return Quarantined(where, f"non-finite gaze {gaze.tolist()}")
    norm = float(np.linalg.norm(gaze))
    if abs(norm - 1.0) > GAZE_NORM_TOLERANCE:
        return Quarantined(where, f"gaze is not a unit vector (norm {norm:.4g})")
    if not np.all(np.isfinite(pose)):
        return Quarantined(where, f"non-finite head pose {pose.tolist()}")
    gaze = gaze / norm  # already the project convention (normalized camera, y down)
    image = data.image[i]
    if eye == "right":  # mirror to a left eye
        image, gaze, pose = image[:, ::-1], mirror_gaze(gaze), pose * _POSE_MIRROR
    stem = name.rsplit(".", 1)[0]
    return MPIIGazeRecord(
        key=f"mpiigaze-{day.subject}-{day.day}-{stem}-{eye}",
        mat_path=str(day.path),
        subject=day.subject,
        day=day.day,
        filename=name,
        eye=eye,
        image=np.array(image, dtype=np.uint8, order="C"),  # a copy: frees the day's arrays
        gaze=np.array(gaze, dtype=np.float64),
        pose=np.array(pose, dtype=np.float64),
    )


# --- whole subjects ------------------------------------------------------------------


def _all_days(subject_dir: Path, subject: str) -> Iterator[MPIIGazeRecord | Quarantined]:
    """Stray .mat files (quarantined) first, then every sample of every day file in day
    order, left then right per sample."""
    days: list[tuple[Path, str]] = []
    for path in sorted(p for p in subject_dir.iterdir() if p.suffix == ".mat"):
        match = _DAY_FILE_RE.fullmatch(path.name)
        if match is None:
            yield Quarantined(str(path), f"unexpected file {path.name} (expected dayNN.mat)")
        else:
            days.append((path, match.group(1)))
    for path, day_name in sorted(days, key=lambda d: _numbered(d[1])):
        try:
            day = _load_day(path, subject, day_name)
        except FormatError as exc:
            yield Quarantined(str(path), exc.reason)
            continue
        for i in range(len(day.filenames)):
            for eye in EYES:
                yield _sample(day, i, eye)
        del day  # one day file in memory at a time


def _listed(
    subject_dir: Path, subject: str, list_path: Path
) -> Iterator[MPIIGazeRecord | Quarantined]:
    """The samples of one evaluation list, in its order."""
    try:
        lines = list_path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        yield Quarantined(str(list_path), f"unreadable sample list: {exc}")
        return
    current: _Day | None = None
    unusable: dict[str, str] = {}  # day -> why its samples cannot be read
    seen: dict[tuple[str, str, str], int] = {}  # (day, file, eye) -> first line number
    for lineno, line in enumerate(lines, start=1):
        where = f"{list_path}:{lineno}"
        if not line.strip():
            continue
        match = _LIST_LINE_RE.fullmatch(line.strip())
        if match is None:
            yield Quarantined(where, f"malformed line {line!r} (expected 'dayNN/NNNN.jpg left')")
            continue
        day_name, name, eye = match.groups()
        if (day_name, name, eye) in seen:
            yield Quarantined(where, f"duplicate of line {seen[day_name, name, eye]}")
            continue
        seen[day_name, name, eye] = lineno
        if day_name in unusable:
            yield Quarantined(where, unusable[day_name])
            continue
        if current is None or current.day != day_name:
            current = None  # drop the previous day before loading the next
            mat_path = subject_dir / f"{day_name}.mat"
            if not mat_path.is_file():
                unusable[day_name] = f"listed sample in missing day file {mat_path.name}"
                yield Quarantined(where, unusable[day_name])
                continue
            try:
                current = _load_day(mat_path, subject, day_name)
            except FormatError as exc:
                unusable[day_name] = f"listed sample in unusable day file {mat_path.name}"
                yield Quarantined(str(mat_path), exc.reason)
                yield Quarantined(where, unusable[day_name])
                continue
        row = current.index.get(name)
        if row is None:
            yield Quarantined(where, f"listed sample {day_name}/{name} is not in {day_name}.mat")
            continue
        yield _sample(current, row, eye)


def list_mpiigaze_subjects(root: Path) -> list[str]:
    """The pNN folders of `root/Data/Normalized`, sorted; EmptySourceError when none."""
    normalized = Path(root) / "Data" / "Normalized"
    if not normalized.is_dir():
        raise EmptySourceError(f"MPIIGaze source {root} has no Data/Normalized folder")
    names = [p.name for p in normalized.iterdir() if p.is_dir() and _SUBJECT_RE.fullmatch(p.name)]
    if not names:
        raise EmptySourceError(f"MPIIGaze source {normalized} has no pNN subject folder")
    return sorted(names, key=_numbered)


def iter_mpiigaze(
    root: Path, subjects: Sequence[str] | None = None, use_evaluation_subset: bool = True
) -> Iterator[MPIIGazeRecord | Quarantined]:
    """Stream MPIIGaze samples of `subjects` (default: all pNN found), in sorted order.

    Raises EmptySourceError now (not at the first `next`) when `root/Data/Normalized`
    is missing or empty, a requested subject folder is missing, or (with
    `use_evaluation_subset`) a subject's sample list is missing.
    """
    root = Path(root)
    normalized = root / "Data" / "Normalized"
    if subjects is None:
        names = list_mpiigaze_subjects(root)
    else:
        if not normalized.is_dir():
            raise EmptySourceError(f"MPIIGaze source {root} has no Data/Normalized folder")
        names = list(dict.fromkeys(subjects))
        for name in names:
            if not _SUBJECT_RE.fullmatch(name):
                raise ValueError(f"MPIIGaze subject must look like 'p00', got {name!r}")
            if not (normalized / name).is_dir():
                raise EmptySourceError(f"MPIIGaze source {normalized} has no subject {name}")
    names.sort(key=_numbered)
    if use_evaluation_subset:
        for name in names:
            if not (root / EVAL_LIST_DIR / f"{name}.txt").is_file():
                raise EmptySourceError(f"MPIIGaze source {root} has no {EVAL_LIST_DIR / name}.txt")
    return _iterate(root, normalized, names, use_evaluation_subset)


def _iterate(
    root: Path, normalized: Path, names: list[str], use_evaluation_subset: bool
) -> Iterator[MPIIGazeRecord | Quarantined]:
    for name in names:
        if use_evaluation_subset:
            yield from _listed(normalized / name, name, root / EVAL_LIST_DIR / f"{name}.txt")
        else:
            yield from _all_days(normalized / name, name)
