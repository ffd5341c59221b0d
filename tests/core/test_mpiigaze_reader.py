"""MPIIGaze reader: day files, one-sample squeeze, right-eye mirroring, evaluation lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from simgan_core.gaze import mpiigaze_reader
from simgan_core.gaze.conventions import gaze_to_pitchyaw
from simgan_core.gaze.mpiigaze_reader import (
    iter_mpiigaze,
    list_mpiigaze_subjects,
)
from simgan_core.gaze.records import MPIIGazeRecord
from simgan_core.ingest_records import EmptySourceError, Quarantined

LIST_DIR = Path("Evaluation Subset") / "sample list for eye image"


def eye(n: int, seed: int) -> dict[str, np.ndarray]:
    """n samples of one eye: unit gaze (y down, looking roughly at the camera), images, poses."""
    rng = np.random.default_rng(seed)
    gaze = np.column_stack([rng.uniform(-0.4, 0.4, n), rng.uniform(-0.3, 0.3, n), -np.ones(n)])
    return {
        "gaze": gaze / np.linalg.norm(gaze, axis=1, keepdims=True),
        "image": rng.integers(0, 256, (n, 36, 60), dtype=np.uint8),
        "pose": rng.uniform(-0.3, 0.3, (n, 3)),
    }


def day_content(n: int = 3, seed: int = 0, prefix: str = "") -> dict:
    names = np.empty(n, dtype=object)  # a MATLAB cell array of strings
    names[:] = [f"{prefix}{i + 1:04d}.jpg" for i in range(n)]
    return {"data": {"left": eye(n, seed), "right": eye(n, seed + 1)}, "filenames": names}


def write_day(root: Path, subject: str, day: str, content: dict | None = None) -> Path:
    path = root / "Data" / "Normalized" / subject / f"{day}.mat"
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, content if content is not None else day_content())
    return path


def write_list(root: Path, subject: str, lines: list[str]) -> Path:
    path = root / LIST_DIR / f"{subject}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_all(root: Path, **kwargs: object) -> list[MPIIGazeRecord | Quarantined]:
    return list(iter_mpiigaze(root, **kwargs))


# --- all samples ------------------------------------------------------------------


def test_subjects_days_samples_in_order(tmp_path: Path) -> None:
    for subject in ("p01", "p00"):
        for day in ("day10", "day02"):
            write_day(tmp_path, subject, day, day_content(2))
    items = read_all(tmp_path, use_evaluation_subset=False)
    assert all(isinstance(r, MPIIGazeRecord) for r in items)
    keys = [r.key for r in items]
    assert keys[:5] == ["mpiigaze-p00-day02-0001-left", "mpiigaze-p00-day02-0001-right",
                        "mpiigaze-p00-day02-0002-left", "mpiigaze-p00-day02-0002-right",
                        "mpiigaze-p00-day10-0001-left"]
    assert keys[-1] == "mpiigaze-p01-day10-0002-right" and len(keys) == 16
    assert not any("." in k for k in keys)
    only = read_all(tmp_path, subjects=["p01"], use_evaluation_subset=False)
    assert {r.subject for r in only} == {"p01"} and len(only) == 8


def test_left_as_stored_right_mirrored(tmp_path: Path) -> None:
    content = day_content(3, seed=5)
    write_day(tmp_path, "p00", "day01", content)
    items = read_all(tmp_path, use_evaluation_subset=False)
    left, right = items[2], items[3]  # sample 0002
    assert (left.eye, right.eye, left.filename, left.day) == ("left", "right", "0002.jpg", "day01")
    stored_l, stored_r = content["data"]["left"], content["data"]["right"]
    np.testing.assert_array_equal(left.image, stored_l["image"][1])
    np.testing.assert_array_equal(right.image, stored_r["image"][1][:, ::-1])  # flipped
    assert right.image.shape == (36, 60) and right.image.dtype == np.uint8
    np.testing.assert_allclose(left.gaze, stored_l["gaze"][1])
    np.testing.assert_allclose(right.gaze, stored_r["gaze"][1] * [-1, 1, 1])
    np.testing.assert_allclose(left.pose, stored_l["pose"][1])
    np.testing.assert_allclose(right.pose, stored_r["pose"][1] * [1, -1, -1])
    # The labels in the project convention: pitch = asin(-y), yaw = atan2(-x, -z).
    g = stored_r["gaze"][1]
    pitch, yaw = np.arcsin(-g[1]), np.arctan2(-g[0], -g[2])
    np.testing.assert_allclose(gaze_to_pitchyaw(right.gaze), [pitch, -yaw])  # yaw negated
    assert not right.image.flags.writeable and right.image.flags.c_contiguous


def test_single_sample_day_file_is_unsqueezed(tmp_path: Path) -> None:
    content = day_content(1, seed=3)
    write_day(tmp_path, "p00", "day01", content)
    raw = scipy.io.loadmat(tmp_path / "Data/Normalized/p00/day01.mat",
                           struct_as_record=False, squeeze_me=True)
    assert raw["data"].left.gaze.shape == (3,) and isinstance(raw["filenames"], str)  # squeezed
    items = read_all(tmp_path, use_evaluation_subset=False)
    keys = [r.key for r in items]
    assert keys == ["mpiigaze-p00-day01-0001-left", "mpiigaze-p00-day01-0001-right"]
    np.testing.assert_array_equal(items[0].image, content["data"]["left"]["image"][0])
    np.testing.assert_allclose(items[1].gaze, content["data"]["right"]["gaze"][0] * [-1, 1, 1])


def test_filenames_with_day_prefix_as_char_array(tmp_path: Path) -> None:
    content = day_content(2)
    content["filenames"] = np.array(["day01/0001.jpg", "day01/0002.jpg"])  # MATLAB char matrix
    write_day(tmp_path, "p00", "day01", content)
    items = read_all(tmp_path, use_evaluation_subset=False)
    assert [r.filename for r in items] == ["0001.jpg", "0001.jpg", "0002.jpg", "0002.jpg"]


# --- evaluation subset --------------------------------------------------------------


def test_evaluation_subset_in_list_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_day(tmp_path, "p00", "day01", day_content(3, seed=0))
    write_day(tmp_path, "p00", "day02", day_content(3, seed=9))
    lst = write_list(tmp_path, "p00", [
        "day02/0003.jpg right", "day01/0001.jpg left", "", "day01/0002.jpg right",
        "day02/0001.jpg left", "day01/0009.jpg left", "day01/0002.jpg right", "day3/1.jpg up",
        "day07/0001.jpg left",
    ])
    loads: list[str] = []
    real_loadmat = scipy.io.loadmat

    def counting_loadmat(path: Path, **kwargs: object) -> dict:
        loads.append(Path(path).stem)
        return real_loadmat(path, **kwargs)

    monkeypatch.setattr(mpiigaze_reader.scipy.io, "loadmat", counting_loadmat)
    it = iter_mpiigaze(tmp_path, subjects=["p00"])
    assert isinstance(it, Iterator) and loads == []  # lazy: nothing read yet
    items = list(it)
    assert [getattr(r, "key", None) for r in items[:4]] == [
        "mpiigaze-p00-day02-0003-right", "mpiigaze-p00-day01-0001-left",
        "mpiigaze-p00-day01-0002-right", "mpiigaze-p00-day02-0001-left"]
    assert loads == ["day02", "day01", "day02", "day01"]  # one day file at a time
    bad = items[4:]
    assert all(isinstance(q, Quarantined) for q in bad) and len(bad) == 4
    assert [q.path for q in bad] == [f"{lst}:{n}" for n in (6, 7, 8, 9)]  # 1-based lines
    assert "day01/0009.jpg is not in day01.mat" in bad[0].reason
    assert bad[1].reason == "duplicate of line 4"
    assert "malformed line 'day3/1.jpg up'" in bad[2].reason
    assert "missing day file day07.mat" in bad[3].reason
    stored = day_content(3, seed=9)["data"]["right"]["image"][2]  # day02/0003.jpg right
    np.testing.assert_array_equal(items[0].image, stored[:, ::-1])


def test_unusable_day_file_in_a_list(tmp_path: Path) -> None:
    path = write_day(tmp_path, "p00", "day01")
    path.write_bytes(b"MATLAB 5.0 MAT-file, garbage" + bytes(200))
    lst = write_list(tmp_path, "p00", ["day01/0001.jpg left", "day01/0002.jpg left"])
    items = read_all(tmp_path)
    assert [(type(q), q.path) for q in items] == [
        (Quarantined, str(path)), (Quarantined, f"{lst}:1"), (Quarantined, f"{lst}:2")]
    assert "unreadable .mat" in items[0].reason
    assert "unusable day file day01.mat" in items[2].reason


# --- bad day files and samples -----------------------------------------------------------


def _broken(kind: str) -> dict:
    c = day_content(3)
    if kind == "no left":
        del c["data"]["left"]
    elif kind == "image shape":
        c["data"]["right"]["image"] = c["data"]["right"]["image"][:, :, :59]
    elif kind == "n mismatch":
        c["data"]["left"]["pose"] = c["data"]["left"]["pose"][:2]
    elif kind == "image dtype":
        c["data"]["left"]["image"] = c["data"]["left"]["image"].astype(np.float64)
    elif kind == "no filenames":
        del c["filenames"]
    elif kind == "no gaze":
        del c["data"]["right"]["gaze"]
    elif kind == "bad filename":
        c["filenames"][1] = "0002.png"
    elif kind == "data not struct":
        c["data"] = np.zeros(3)
    return c


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("no left", "missing struct data.left"),
        ("image shape", "data.right.image has shape (3, 36, 59), expected (N, 36, 60)"),
        ("n mismatch", "data.left.pose has 2 rows but filenames has 3"),
        ("image dtype", "data.left.image has dtype float64, expected uint8"),
        ("no filenames", "missing variable filenames"),
        ("no gaze", "missing field data.right.gaze"),
        ("bad filename", "filenames[1] is not an image name like 0001.jpg"),
        ("data not struct", "data is a ndarray, expected a struct"),
    ],
)
def test_bad_day_file_is_quarantined_whole(tmp_path: Path, kind: str, reason: str) -> None:
    write_day(tmp_path, "p00", "day01")
    bad = write_day(tmp_path, "p00", "day02", _broken(kind))
    write_day(tmp_path, "p00", "day03")
    items = read_all(tmp_path, use_evaluation_subset=False)
    assert len(items) == 13
    assert isinstance(items[6], Quarantined) and items[6].path == str(bad)
    assert reason in items[6].reason
    assert all(isinstance(r, MPIIGazeRecord) for r in items[:6] + items[7:])


def test_unreadable_and_stray_files_are_quarantined(tmp_path: Path) -> None:
    write_day(tmp_path, "p00", "day01").write_bytes(b"\x00" * 10)
    write_day(tmp_path, "p00", "notes").write_bytes(b"")
    items = read_all(tmp_path, use_evaluation_subset=False)
    assert [type(q) for q in items] == [Quarantined, Quarantined]
    assert items[0].path.endswith("notes.mat") and "unexpected file" in items[0].reason
    assert items[1].path.endswith("day01.mat") and "unreadable .mat" in items[1].reason


def test_bad_samples_are_quarantined_alone(tmp_path: Path) -> None:
    c = day_content(3)
    c["data"]["left"]["gaze"][0] = [np.nan, 0.0, -1.0]
    c["data"]["right"]["gaze"][1] *= 2.0
    c["data"]["left"]["pose"][2, 1] = np.inf
    path = write_day(tmp_path, "p00", "day01", c)
    items = read_all(tmp_path, use_evaluation_subset=False)
    bad = {i: q for i, q in enumerate(items) if isinstance(q, Quarantined)}
    assert sorted(bad) == [0, 3, 4]
    assert bad[0].path == f"{path}:0001.jpg:left" and "non-finite gaze" in bad[0].reason
    assert "gaze is not a unit vector (norm 2" in bad[3].reason
    assert "non-finite head pose" in bad[4].reason
    assert sum(isinstance(r, MPIIGazeRecord) for r in items) == 3


# --- missing sources ------------------------------------------------------------------


def test_missing_sources_raise_at_the_call(tmp_path: Path) -> None:
    with pytest.raises(EmptySourceError, match="Data/Normalized"):
        iter_mpiigaze(tmp_path / "nowhere")
    (tmp_path / "Data" / "Normalized").mkdir(parents=True)
    with pytest.raises(EmptySourceError, match="no pNN subject"):
        iter_mpiigaze(tmp_path)
    write_day(tmp_path, "p00", "day01")
    with pytest.raises(EmptySourceError, match="p00.txt"):
        iter_mpiigaze(tmp_path)  # the evaluation list is missing
    with pytest.raises(EmptySourceError, match="no subject p03"):
        iter_mpiigaze(tmp_path, subjects=["p03"], use_evaluation_subset=False)
    with pytest.raises(ValueError, match="'../p00'"):
        iter_mpiigaze(tmp_path, subjects=["../p00"], use_evaluation_subset=False)
    assert len(read_all(tmp_path, use_evaluation_subset=False)) == 6
    write_day(tmp_path, "p10", "day01")
    write_day(tmp_path, "p2", "day01")
    (tmp_path / "Data" / "Normalized" / "readme").mkdir()
    assert list_mpiigaze_subjects(tmp_path) == ["p00", "p2", "p10"]
