"""simulate_unityeyes writes exactly what UnityEyes writes, deterministically."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simgan_core.gaze.eye_model import iris_centre_scale
from simgan_core.gaze.unityeyes_writer import (
    format_float,
    format_tuple,
    simulate_unityeyes,
    unityeyes_json_text,
)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
FIXTURE = FIXTURES / "unityeyes" / "1.json"
NAMES = ("iris_texture", "skybox_texture", "primary_skin_texture")  # string-valued fields
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:E[-+]\d+)?")


def _skeleton(text: str) -> str:
    """The text with the free-text names replaced by '<name>', numbers in tuples by '#'
    and one 'd' per decimal ("(#dddd, ...)"), every other number by '#'."""
    for name in NAMES:
        text = re.sub(rf'("{name}": )"[^"]*"', r'\1"<name>"', text)
    decimals = lambda m: "#" + "d" * len(m.group().partition(".")[2])  # noqa: E731
    text = re.sub(r"\([^()]*\)", lambda m: NUMBER.sub(decimals, m.group()), text)
    return NUMBER.sub("#", text)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("unityeyes")
    summary = simulate_unityeyes(out, n=6, seed=7, workers=1)
    assert summary["count"] == 6 and summary["images_per_s"] > 0
    return out / "imgs"


def test_serializer_reproduces_the_real_file_byte_for_byte():
    text = FIXTURE.read_text()
    assert unityeyes_json_text(json.loads(text)) == text


def test_number_formats_are_unityeyes():
    assert format_tuple((0.34041, -0.0000001, -0.8566)) == "(0.3404, 0.0000, -0.8566)"
    assert format_tuple((30.0, 248.52, 0.0), decimals=1) == "(30.0, 248.5, 0.0)"
    assert format_float(1.924006e-17) == "1.924006E-17"
    assert format_float(0.0175013) == "0.0175013"
    assert format_float(1.15163) == "1.15163"


def test_layout_matches_the_fixture(written):
    fixture = _skeleton(FIXTURE.read_text())
    for path in sorted(written.glob("*.json")):
        assert _skeleton(path.read_text()) == fixture, path.name


def test_files_are_numbered_pairs_of_rgb_jpeg_and_json(written):
    names = sorted(p.name for p in written.iterdir())
    assert names == sorted([f"{i}.jpg" for i in range(1, 7)] + [f"{i}.json" for i in range(1, 7)])
    with Image.open(written / "3.jpg") as img:
        assert img.format == "JPEG" and img.mode == "RGB" and img.size == (320, 240)


def test_labels_obey_the_camera_geometry(written):
    k = iris_centre_scale(240)
    for path in sorted(written.glob("*.json")):
        ann = json.loads(path.read_text())
        tup = lambda s: np.array([float(v) for v in s.strip("()").split(",")])  # noqa: E731
        iris = np.stack([tup(s) for s in ann["iris_2d"]])
        look = tup(ann["eye_details"]["look_vec"])
        assert look[3] == 0.0 and np.linalg.norm(look[:3]) == pytest.approx(1.0, abs=2e-4)
        np.testing.assert_allclose(iris[:, :2].mean(0) - [160, 120], k * look[:2], atol=0.01)
        for field in ("interior_margin_2d", "caruncle_2d", "iris_2d"):
            pts = np.stack([tup(s) for s in ann[field]])
            assert (pts[:, 0] >= 0).all() and (pts[:, 0] <= 320).all()
            assert (pts[:, 1] >= 0).all() and (pts[:, 1] <= 240).all()
            assert (pts[:, 2] > 8).all() and (pts[:, 2] < 11).all()
        pitch, yaw, roll = tup(ann["head_pose"])
        assert all(0 <= a < 360 for a in (pitch, yaw, roll))
        head_yaw = yaw - 180.0
        head_pitch = pitch - 360.0 if pitch > 180 else pitch
        assert abs(head_yaw) <= 20.0 + 1e-3 and abs(head_pitch) <= 20.0 + 1e-3
        assert len(ann["eye_region_details"]["pca_shape_coeffs"]) == 20


def test_same_seed_same_bytes_whatever_the_workers(written, tmp_path):
    summary = simulate_unityeyes(tmp_path, n=6, seed=7, workers=2)
    assert summary["count"] == 6
    assert _files(tmp_path / "imgs") == _files(written)  # no temp files left behind either


def test_other_seed_other_images(written, tmp_path):
    simulate_unityeyes(tmp_path, n=2, seed=8, workers=1)
    other = _files(tmp_path / "imgs")
    assert other["1.jpg"] != (written / "1.jpg").read_bytes()
    assert other["1.json"] != (written / "1.json").read_bytes()
    # ...and the image size follows the arguments, k with it.
    simulate_unityeyes(tmp_path / "big", n=1, seed=8, width=800, height=600, workers=1)
    with Image.open(tmp_path / "big" / "imgs" / "1.jpg") as img:
        assert img.size == (800, 600)
