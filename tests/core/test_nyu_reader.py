"""The NYU reader on the release's own files (fixtures) and on each broken-file case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
from conftest import SHARED_FIXTURES
from nyu_layout import pack_depth, write_joint_data, write_nyu_split
from PIL import Image

from simgan_core.hand.joints import CONV_JOINT_NAMES, EVAL_JOINTS, NYU_JOINT_NAMES, PALM_CENTRE
from simgan_core.hand.nyu_reader import (
    decode_depth_png,
    frame_name,
    list_frames,
    read_joint_data,
)
from simgan_core.ingest_records import EmptySourceError, FormatError

NYU = SHARED_FIXTURES / "nyu"


@pytest.fixture(scope="module")
def release_frame() -> np.ndarray:
    return decode_depth_png(NYU / "depth_1_0000001.png")


@pytest.fixture(scope="module")
def predictions() -> dict:
    return scipy.io.loadmat(str(NYU / "test_predictions.mat"))


def test_release_png_is_rgb_with_depth_in_green_and_blue(release_frame: np.ndarray) -> None:
    rgb = np.asarray(Image.open(NYU / "depth_1_0000001.png"))
    assert rgb.shape == (480, 640, 3) and not rgb[..., 0].any()  # R is 0 in the release
    assert release_frame.shape == (480, 640) and release_frame.dtype == np.uint16
    np.testing.assert_array_equal(release_frame, rgb[..., 1].astype(int) * 256 + rgb[..., 2])
    # The Kinect range in mm: the hand near 0.7-0.9 m, the filled background near 2 m.
    assert 600 < release_frame.min() < 800 and 1900 < release_frame.max() < 2100
    # Had the channels been read as R * 256 + G (or B high), depth would be < 256 or absurd.
    assert (rgb[..., 1].astype(int) * 256 < 256).mean() < 0.01


def test_release_predictions_use_the_36_joint_order(predictions: dict) -> None:
    pred = predictions["pred_joint_uvconf"]
    assert pred.shape == (1, 8252, 36, 3)
    names = tuple(str(np.asarray(n).reshape(-1)[0])
                  for n in predictions["conv_joint_names"].reshape(-1))
    assert names == CONV_JOINT_NAMES
    assert {NYU_JOINT_NAMES.index(n) for n in names} == set(EVAL_JOINTS)
    frame1 = pred[0, 0]  # frame 1 of the arrays = file number 1 (depth_1_0000001.png)
    predicted = np.flatnonzero(np.abs(frame1).sum(axis=1) > 0)
    assert tuple(predicted) == EVAL_JOINTS  # exactly the 14 evaluated joints, NYU's indices
    uv = frame1[list(EVAL_JOINTS), :2]
    assert uv[:, 0].min() >= 169 and uv[:, 0].max() <= 265
    assert uv[:, 1].min() >= 166 and uv[:, 1].max() <= 336


def test_predicted_joints_of_frame1_lie_on_the_hand(release_frame: np.ndarray,
                                                     predictions: dict) -> None:
    """The reader's frame numbering, joint order and (u, v) axes agree with the release:
    each of frame 1's 14 predicted joints has hand depth (0.6-1 m) within 4 px."""
    uv = predictions["pred_joint_uvconf"][0, 0, list(EVAL_JOINTS), :2]
    for u, v in uv:
        c, r = int(round(u)), int(round(v))
        patch = release_frame[r - 4:r + 5, c - 4:c + 5]
        assert 600 < patch.min() < 1000, (u, v, patch.min())
    palm_u, palm_v = predictions["pred_joint_uvconf"][0, 0, PALM_CENTRE, :2]
    assert 700 < release_frame[int(palm_v), int(palm_u)] < 900


def test_list_frames_is_numeric_and_ignores_other_files(tmp_path: Path) -> None:
    for name in ("depth_1_0000010.png", "depth_1_0000002.png", "depth_2_0000001.png",
                 "synthdepth_1_0000001.png", "rgb_1_0000001.png", "joint_data.mat",
                 "depth_1_0000000.png"):
        (tmp_path / name).write_bytes(b"")
    assert list_frames(tmp_path, "depth") == [2, 10]
    assert list_frames(tmp_path, "synthdepth") == [1]
    assert list_frames(tmp_path, "depth", kinect=2) == [1]
    with pytest.raises(EmptySourceError, match="depth_3_NNNNNNN"):
        list_frames(tmp_path, "depth", kinect=3)
    assert frame_name("synthdepth", 1, 42) == "synthdepth_1_0000042.png"


def test_joint_data_round_trip_and_indexing(tmp_path: Path) -> None:
    uvd, xyz = write_nyu_split(tmp_path, "depth", n=3, seed=0)
    data = read_joint_data(tmp_path / "joint_data.mat")
    assert data.names == NYU_JOINT_NAMES and data.n_frames == 3
    got_uvd, got_xyz = data.frame(1, 2)  # file number 2 = frame index 1
    np.testing.assert_allclose(got_uvd, uvd[0, 1])
    np.testing.assert_allclose(got_xyz, xyz[0, 1])
    with pytest.raises(FormatError, match=r"joint_data\.mat.*frame 4 is beyond the arrays' 3"):
        data.frame(1, 4)
    with pytest.raises(FormatError, match="no kinect 2"):
        data.frame(2, 1)


def test_joint_data_problems_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "joint_data.mat"
    scipy.io.savemat(str(path), {"joint_xyz": np.zeros((1, 2, 36, 3))})
    with pytest.raises(FormatError, match=r"joint_data\.mat: no 'joint_uvd' array"):
        read_joint_data(path)
    write_joint_data(path, np.zeros((1, 3, 36, 3)), np.zeros((1, 2, 36, 3)))
    with pytest.raises(FormatError, match=r"joint_data\.mat: joint_uvd \(1, 3, 36, 3\) and "
                                          r"joint_xyz \(1, 2, 36, 3\) differ"):
        read_joint_data(path)
    scipy.io.savemat(str(path), {"joint_uvd": np.zeros((2, 14, 3)),
                                 "joint_xyz": np.zeros((2, 14, 3))})
    with pytest.raises(FormatError, match=r"joint_uvd has shape \(1, 2, 14, 3\)"):
        read_joint_data(path)
    path.write_bytes(b"not a mat file at all")
    with pytest.raises(FormatError, match=r"joint_data\.mat: cannot read"):
        read_joint_data(path)
    with pytest.raises(FormatError, match="missing.mat: file not found"):
        read_joint_data(tmp_path / "missing.mat")


def test_three_kinect_arrays_are_read_as_released(tmp_path: Path) -> None:
    uvd = np.arange(3 * 2 * 36 * 3, dtype=np.float64).reshape(3, 2, 36, 3)
    write_joint_data(tmp_path / "joint_data.mat", uvd, uvd + 1)
    data = read_joint_data(tmp_path / "joint_data.mat")
    np.testing.assert_array_equal(data.frame(3, 2)[0], uvd[2, 1])


def test_png_problems_name_the_file(tmp_path: Path, release_frame: np.ndarray) -> None:
    good = tmp_path / "depth_1_0000001.png"
    pack_depth(release_frame).save(good)
    np.testing.assert_array_equal(decode_depth_png(good), release_frame)  # pack/unpack agree
    data = good.read_bytes()
    truncated = tmp_path / "depth_1_0000002.png"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"depth_1_0000002\.png: cannot decode PNG"):
        decode_depth_png(truncated)
    small = tmp_path / "depth_1_0000003.png"
    pack_depth(release_frame[:240, :320]).save(small)
    with pytest.raises(FormatError, match=r"0000003\.png: image is 320 x 240, expected 640 x 480"):
        decode_depth_png(small)
    gray = tmp_path / "depth_1_0000004.png"
    Image.fromarray(release_frame).save(gray)  # 16-bit gray: not the release's packing
    with pytest.raises(FormatError, match=r"0000004\.png: PNG mode .* expected RGB"):
        decode_depth_png(gray)
    with pytest.raises(FormatError, match=r"0000005\.png: file not found"):
        decode_depth_png(tmp_path / "depth_1_0000005.png")
