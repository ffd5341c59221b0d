"""A canonical hand sample from the release's own test frame 1 (fixtures)."""

from __future__ import annotations

import json

import numpy as np
import scipy.io
from conftest import SHARED_FIXTURES

from simgan_core.hand.canonical import PALM_IN_EVAL, frame_key, from_nyu_frame
from simgan_core.hand.joints import EVAL_JOINTS, uvd_to_xyz
from simgan_core.hand.nyu_reader import decode_depth_png
from simgan_core.hand.spec import HAND
from simgan_core.shards import decode_sample, encode_sample

NYU = SHARED_FIXTURES / "nyu"
S = 64


def test_release_frame_becomes_a_canonical_sample() -> None:
    depth = decode_depth_png(NYU / "depth_1_0000001.png")
    pred = scipy.io.loadmat(str(NYU / "test_predictions.mat"))["pred_joint_uvconf"][0, 0]
    uv = pred[list(EVAL_JOINTS), :2]
    palm_u, palm_v = uv[PALM_IN_EVAL]
    # The predictions carry no depth: give every joint the palm's measured depth.
    uvd = np.column_stack([uv, np.full(len(uv), float(depth[int(palm_v), int(palm_u)]))])
    key = frame_key("depth", "test", 1)
    sample = from_nyu_frame(depth, uvd, uvd_to_xyz(uvd), key=key, source="nyu_depth",
                            file="test/depth_1_0000001.png", frame=1, kinect=1,
                            split="real_test", cube_mm=300.0, size=S)
    assert key == "nyureal-test-0000001"
    HAND.check_annotation(sample.annotation, key)
    joints = np.asarray(sample.annotation["joints_uv"])
    assert joints[PALM_IN_EVAL].tolist() == [S / 2, S / 2]
    assert (joints >= 0).all() and (joints <= S).all()  # the hand fits the 300 mm cube
    image = sample.image
    assert image.shape == (S, S) and image.dtype == np.uint16
    hand = image < 65535  # the torso and background (~2 m) lie beyond the cube: back
    assert 0.1 < hand.mean() < 0.7 and image[0, 0] == image[0, -1] == 65535
    # the palm centre's own pixel: its depth minus itself is the middle of the cube
    assert abs(HAND.to_unit(image[S // 2 - 1:S // 2 + 1, S // 2 - 1:S // 2 + 1]).mean()) < 0.1
    encoded = encode_sample(key, image, sample.annotation)
    back = decode_sample(key, {"png": encoded["png"], "json": encoded["json"]}, "test")
    np.testing.assert_array_equal(back.image, image)
    assert list(json.loads(encoded["json"])) == sorted(sample.annotation)
    assert back.annotation["provenance"] == {"file": "test/depth_1_0000001.png", "frame": 1,
                                             "kinect": 1, "source": "nyu_depth"}
    assert sample.row["key"] == key and sample.row["uv_max"] <= S
