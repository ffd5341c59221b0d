"""The hand simulators on disk: NYU's PNG packing and joint_data.mat, determinism, and
what the stand-in Kinect looks like next to the real fixture frame."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from conftest import SHARED_FIXTURES
from PIL import Image

from simgan_core.hand.depth_png import (
    decode_depth_png,
    encode_depth_png,
    pack_depth_rgb,
    unpack_depth_rgb,
)
from simgan_core.hand.depth_render import render_hand_depth
from simgan_core.hand.hand_model import hand_geometry, sample_pose
from simgan_core.hand.joints import NYU_JOINT_NAMES, xyz_to_uvd
from simgan_core.hand.kinect_sensor import FAR_FILL_MM
from simgan_core.hand.nyu_writer import (
    MAT_HEADER_TEXT,
    SUBJECTS,
    real_subject,
    simulate_real_kinect,
    simulate_synthdepth,
    subject_of,
)

NYU = SHARED_FIXTURES / "nyu"
SEED = 4


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    summary = simulate_synthdepth(out, n=5, seed=SEED, workers=1)
    assert summary["count"] == summary["train"] == 5
    return out


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("real")
    summary = simulate_real_kinect(out, n=10, seed=SEED, test_fraction=0.3, workers=1)
    assert (summary["train"], summary["test"]) == (7, 3)
    return out


def test_packing_round_trips_through_png():
    rng = np.random.default_rng(0)
    depth = rng.integers(0, 65536, (480, 640)).astype(np.uint16)
    depth[:5, :5] = [0, 255, 256, 2001, 65535]
    data = encode_depth_png(depth)
    with Image.open(io.BytesIO(data)) as img:
        assert (img.format, img.mode, img.size) == ("PNG", "RGB", (640, 480))
        rgb = np.asarray(img)
    assert (rgb[..., 0] == 0).all()
    np.testing.assert_array_equal(rgb, pack_depth_rgb(depth))
    np.testing.assert_array_equal(decode_depth_png(data), depth)
    assert int(rgb[0, 3, 1]) * 256 + int(rgb[0, 3, 2]) == 2001  # G high byte, B low byte


def test_the_real_fixture_decodes_to_a_hand_at_0_7_to_0_9_m():
    depth = decode_depth_png((NYU / "depth_1_0000001.png").read_bytes())
    assert depth.shape == (480, 640) and depth.dtype == np.uint16
    pred = scipy.io.loadmat(NYU / "test_predictions.mat")["pred_joint_uvconf"][0, 0]
    uv = np.rint(pred[np.any(pred != 0, axis=1), :2]).astype(int)  # the 14 predicted joints
    on_hand = depth[uv[:, 1], uv[:, 0]]
    assert 700 <= np.median(on_hand) <= 900, on_hand
    assert depth.max() == FAR_FILL_MM and (depth == FAR_FILL_MM).mean() > 0.3


def test_synthetic_layout_and_joint_data_read_like_the_release(synthetic):
    train = synthetic / "train"
    names = sorted(p.name for p in train.iterdir())
    assert names == sorted([f"synthdepth_1_{i:07d}.png" for i in range(1, 6)]
                           + ["joint_data.mat"])
    assert (train / "joint_data.mat").read_bytes().startswith(MAT_HEADER_TEXT)  # no timestamp
    mat = scipy.io.loadmat(train / "joint_data.mat")
    assert mat["joint_uvd"].shape == mat["joint_xyz"].shape == (1, 5, 36, 3)
    assert mat["joint_names"].shape == (1, 36)
    assert [str(n[0]) for n in mat["joint_names"][0]] == list(NYU_JOINT_NAMES)
    np.testing.assert_allclose(mat["joint_uvd"], xyz_to_uvd(mat["joint_xyz"]), atol=1e-9)
    # frame i of the arrays is file i + 1: the palm centre of file 3 lies on its hand
    depth = decode_depth_png((train / "synthdepth_1_0000003.png").read_bytes())
    u, v, d = mat["joint_uvd"][0, 2, 32]
    assert abs(float(depth[round(v), round(u)]) - d) < 40.0
    assert (depth == 0).mean() > 0.5  # background: no reading


def test_same_seed_same_bytes_whatever_the_workers(synthetic, real, tmp_path):
    simulate_synthdepth(tmp_path / "s2", n=5, seed=SEED, workers=2)
    assert _tree(tmp_path / "s2") == _tree(synthetic)
    simulate_real_kinect(tmp_path / "r2", n=10, seed=SEED, test_fraction=0.3, workers=2)
    assert _tree(tmp_path / "r2") == _tree(real)
    simulate_synthdepth(tmp_path / "s3", n=5, seed=SEED + 1, workers=1)
    assert _tree(tmp_path / "s3") != _tree(synthetic)


def test_a_smaller_rerun_leaves_no_stale_frames(tmp_path):
    simulate_synthdepth(tmp_path, n=4, seed=SEED, workers=1)
    simulate_synthdepth(tmp_path, n=2, seed=SEED, workers=1)
    assert sorted(p.name for p in (tmp_path / "train").glob("*.png")) == [
        "synthdepth_1_0000001.png", "synthdepth_1_0000002.png"]
    assert scipy.io.loadmat(tmp_path / "train" / "joint_data.mat")["joint_xyz"].shape[1] == 2


def test_real_layout_has_both_splits(real):
    for split, n in (("train", 7), ("test", 3)):
        names = sorted(p.name for p in (real / split).iterdir())
        assert names == sorted([f"depth_1_{i:07d}.png" for i in range(1, n + 1)]
                               + ["joint_data.mat"])
        mat = scipy.io.loadmat(real / split / "joint_data.mat")
        assert mat["joint_xyz"].shape == (1, n, 36, 3)


def test_the_stand_in_looks_like_the_real_frame(real):
    """No zeros, far background filled at 2001 like the fixture, hand at 0.6-0.9 m with a
    body behind it, quantization steps growing with distance, holes at the silhouette."""
    mat = scipy.io.loadmat(real / "train" / "joint_data.mat")
    for i in range(7):
        depth = decode_depth_png((real / "train" / f"depth_1_{i + 1:07d}.png").read_bytes())
        assert depth.min() > 0 and depth.max() == FAR_FILL_MM
        assert (depth == FAR_FILL_MM).mean() > 0.1
        assert ((depth > 950) & (depth < 1990)).mean() > 0.02  # body, arm, objects
        u, v, d = mat["joint_uvd"][0, i, 32]
        assert 600 <= d <= 900
        # the hand is there: the nearest reading round the palm centre is at most a
        # curled finger's reach in front of it (and never well behind it)
        near = depth[max(0, round(v) - 10):round(v) + 11, max(0, round(u) - 10):round(u) + 11]
        assert d - 90.0 < near.min() < d + 20.0
    values = np.unique(np.concatenate([
        decode_depth_png(p.read_bytes()).ravel() for p in sorted((real / "train").glob("*.png"))]))
    near_steps = np.diff(values[(values >= 650) & (values < 900)])
    far_steps = np.diff(values[(values >= 1700) & (values < 2000)])
    assert near_steps.size and far_steps.size
    assert np.median(near_steps) <= 2 and np.median(far_steps) >= 6


def test_the_sensor_drops_depth_at_silhouettes_where_the_hand_is():
    """Against the clean render of the same scene: pixels on the hand's silhouette are
    missing far more often than its interior."""
    from simgan_core.hand.kinect_sensor import kinect_depth
    from simgan_core.hand.real_scene import real_scene_depth

    subject = real_subject(SEED, 0)
    rng = np.random.default_rng(9)
    edge_missing, inner_missing = [], []
    for _ in range(4):
        hand = hand_geometry(subject.hand, sample_pose(rng))
        alone = np.isfinite(render_hand_depth(hand))
        scene = real_scene_depth(hand, subject, rng)
        measured = kinect_depth(scene, rng, subject.noise_disparity, subject.edge_jitter_px,
                                subject.dropout_angle_deg)
        pad = np.pad(alone, 2)
        inner = alone & np.all([np.roll(np.roll(pad, dy, 0), dx, 1)[2:-2, 2:-2]
                                for dy in (-2, 0, 2) for dx in (-2, 0, 2)], axis=0)
        silhouette = alone & ~inner
        edge_missing.append((measured[silhouette] == FAR_FILL_MM).mean())
        inner_missing.append((measured[inner] == FAR_FILL_MM).mean())
    assert np.mean(edge_missing) > 0.2
    assert np.mean(edge_missing) > 3 * np.mean(inner_missing)


def test_train_and_test_subjects_are_disjoint():
    assert not set(SUBJECTS["train"]) & set(SUBJECTS["test"])
    for split, n in (("train", 70), ("test", 30)):
        used = {subject_of(split, i, n) for i in range(n)}
        assert used == set(SUBJECTS[split])  # every subject of the split, no other
    hands = {s: real_subject(SEED, s).hand for s in SUBJECTS["train"] + SUBJECTS["test"]}
    train_hands = {hands[s] for s in SUBJECTS["train"]}
    assert all(hands[s] not in train_hands for s in SUBJECTS["test"])


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="n >= 1"):
        simulate_synthdepth(tmp_path, n=0, seed=1, workers=1)
    with pytest.raises(ValueError, match="empty split"):
        simulate_real_kinect(tmp_path, n=2, seed=1, test_fraction=0.1, workers=1)
    with pytest.raises(ValueError, match="test_fraction"):
        simulate_real_kinect(tmp_path, n=10, seed=1, test_fraction=1.0, workers=1)
    assert unpack_depth_rgb(np.zeros((2, 2, 3), np.uint8)).dtype == np.uint16
