"""simulate_mpiigaze writes MPIIGaze's layout, as its readers expect it, deterministically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from simgan_core.gaze.conventions import mirror_gaze
from simgan_core.gaze.eye_model import mirrored
from simgan_core.gaze.mpiigaze_writer import (
    EVAL_LIST_DIR,
    MAT_HEADER_TEXT,
    day_light,
    eye_pixels_rng,
    frame_scenes,
    plan_subject,
    simulate_mpiigaze,
    subject_style,
)
from simgan_core.gaze.real_camera import mirrored_day, render_real_eye

SEED, SUBJECTS, PER_SUBJECT = 3, 2, 7


def _load(path: Path):
    return scipy.io.loadmat(path, struct_as_record=False, squeeze_me=True)


def _rows(value: np.ndarray, tail: tuple[int, ...]) -> np.ndarray:
    """Re-add the leading axis that squeeze_me drops from a one-frame day file."""
    value = np.asarray(value)
    return value[None] if value.shape == tail else value


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mpiigaze")
    summary = simulate_mpiigaze(out, SUBJECTS, per_subject=PER_SUBJECT, seed=SEED, workers=1)
    assert summary["frames"] == SUBJECTS * PER_SUBJECT and summary["count"] == 2 * 14
    return out


def test_day_files_load_as_stated(written):
    total = 0
    for s in range(SUBJECTS):
        days = sorted((written / "Data" / "Normalized" / f"p{s:02d}").glob("day*.mat"))
        assert len(days) >= 3
        for path in days:
            assert path.read_bytes().startswith(MAT_HEADER_TEXT)  # no timestamp
            m = _load(path)
            names = np.atleast_1d(m["filenames"]).tolist()
            n = len(names)
            assert names == [f"{k:04d}.jpg" for k in range(1, n + 1)]
            for eye in ("left", "right"):
                node = getattr(m["data"], eye)
                gaze, pose = _rows(node.gaze, (3,)), _rows(node.pose, (3,))
                image = _rows(node.image, (36, 60))
                assert gaze.shape == (n, 3) and gaze.dtype == np.float64
                assert pose.shape == (n, 3) and pose.dtype == np.float64
                assert image.shape == (n, 36, 60) and image.dtype == np.uint8
                np.testing.assert_allclose(np.linalg.norm(gaze, axis=1), 1.0, atol=1e-12)
                assert (gaze[:, 2] < 0).all()  # looking roughly at the camera (y down, z fwd)
                assert np.degrees(np.linalg.norm(pose, axis=1)).max() < 25
                assert image.std() > 5
            total += n
    assert total == SUBJECTS * PER_SUBJECT


def test_frames_are_spread_over_days_some_with_one_frame():
    sizes = [len(p.frames) for s in range(40) for p in plan_subject(SEED, s, 12)]
    assert 1 in sizes and max(sizes) > 3
    for s in range(5):
        plans = plan_subject(SEED, s, 12)
        assert [f for p in plans for f in p.frames] == list(range(12))
        assert len({p.day for p in plans}) == len(plans)


def test_right_eyes_are_stored_as_mpiigaze_stores_them(written):
    """Flipped, the stored right image is a left-eye render of the mirrored gaze."""
    s, style = 1, subject_style(SEED, 1)
    checked = 0
    for plan in plan_subject(SEED, s, PER_SUBJECT):
        m = _load(written / plan.path)
        gazes = _rows(m["data"].right.gaze, (3,))
        images = _rows(m["data"].right.image, (36, 60))
        day = day_light(SEED, s, plan.day)
        for k, frame in enumerate(plan.frames):
            right = frame_scenes(SEED, s, frame, style)[1]
            np.testing.assert_allclose(gazes[k], right.gaze)  # the right eye's own gaze
            as_left = mirrored(right)
            np.testing.assert_allclose(as_left.gaze, mirror_gaze(gazes[k]))
            rng = eye_pixels_rng(SEED, s, frame, "right")
            rendered = render_real_eye(as_left, style, mirrored_day(day), rng)
            np.testing.assert_array_equal(images[k][:, ::-1], rendered)
            assert not np.array_equal(images[k], rendered)
            checked += 1
    assert checked == PER_SUBJECT


def test_evaluation_subset_lists_existing_frames(written):
    for s in range(SUBJECTS):
        lines = (written / EVAL_LIST_DIR / f"p{s:02d}.txt").read_text().splitlines()
        assert len(lines) == PER_SUBJECT
        eyes = [line.split(" ")[1] for line in lines]
        assert abs(eyes.count("left") - eyes.count("right")) <= 1
        assert len(set(lines)) == len(lines)
        for line in lines:
            name, eye = line.split(" ")
            day, image = name.split("/")
            m = _load(written / "Data" / "Normalized" / f"p{s:02d}" / f"{day}.mat")
            assert image in np.atleast_1d(m["filenames"]).tolist() and eye in ("left", "right")


def test_same_seed_same_bytes_whatever_the_workers(written, tmp_path):
    simulate_mpiigaze(tmp_path, SUBJECTS, per_subject=PER_SUBJECT, seed=SEED, workers=2)
    assert _tree(tmp_path) == _tree(written)


def test_other_seed_other_data(written, tmp_path):
    simulate_mpiigaze(tmp_path, 1, per_subject=PER_SUBJECT, seed=SEED + 1, workers=1)
    ours = next((tmp_path / "Data" / "Normalized" / "p00").glob("*.mat"))
    theirs = sorted((written / "Data" / "Normalized" / "p00").glob("*.mat"))
    assert all(ours.read_bytes() != p.read_bytes() for p in theirs)
