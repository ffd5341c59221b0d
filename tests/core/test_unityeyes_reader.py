"""UnityEyes reader: every quirk of the real format, and every bad input quarantined."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from simgan_core.gaze.conventions import look_vec_to_gaze
from simgan_core.gaze.records import UnityEyesRecord
from simgan_core.gaze.unityeyes_reader import (
    iter_unityeyes,
    list_unityeyes,
    parse_unityeyes_json,
)
from simgan_core.ingest_records import EmptySourceError, FormatError, Quarantined, Skipped

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURE = SHARED / "fixtures" / "unityeyes" / "1.json"
LOOK = (0.2, 0.3, -np.sqrt(1 - 0.2**2 - 0.3**2))


def _pt(x: float, y: float, z: float = 9.5) -> str:
    return f"({x:.4f}, {y:.4f}, {z:.4f})"


def annotation(w: int = 160, h: int = 120, look: tuple[float, ...] = LOOK) -> dict:
    """A synthetic annotation in UnityEyes' layout: strings everywhere, y from the BOTTOM."""
    cx, cy = w / 2, h / 2
    t16, t32 = np.linspace(0, 2 * np.pi, 16, endpoint=False), np.linspace(0, 2 * np.pi, 32, False)
    ix, iy = cx + 0.1 * w * look[0], cy + 0.1 * w * look[1]  # iris moves with the gaze
    return {
        "interior_margin_2d": [_pt(cx + 40 * np.cos(t), cy + 15 * np.sin(t), 9.0 + i / 100)
                               for i, t in enumerate(t16)],
        "caruncle_2d": [_pt(cx - 45 + i, cy + (i % 3), 8.5) for i in range(7)],
        "iris_2d": [_pt(ix + 10 * np.cos(t), iy + 10 * np.sin(t), 9.25) for t in t32],
        "eye_details": {"look_vec": f"({look[0]:.4f}, {look[1]:.4f}, {look[2]:.4f}, 0.0000)",
                        "pupil_size": "0.1020631", "iris_size": "0.9349335",
                        "iris_texture": "eyeball_brown"},
        "lighting_details": {"skybox_texture": "bergen_2k", "skybox_exposure": "1.191213",
                             "light_rotation": "(30.0, 248.5, 0.0)"},
        "eye_region_details": {"pca_shape_coeffs": ["-0.01061361", "1.924006E-17"],
                               "primary_skin_texture": "f02_color"},
        "head_pose": "(355.0000, 190.0000, 0.0000)",
    }


def unity_text(obj: dict) -> str:
    return json.dumps(obj, indent=2).replace("\n", " \n")  # UnityEyes: a space before "\n"


def jpeg_bytes(w: int, h: int, mark_row: int | None = None) -> bytes:
    image = np.full((h, w, 3), (90, 60, 40), np.uint8)
    if mark_row is not None:
        image[mark_row - 2 : mark_row + 3, 25:36] = 255  # white block around (x 30, row)
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def write_pair(folder: Path, n: int, obj: dict | str | None = None, w: int = 160, h: int = 120,
               jpg: bytes | None = None) -> None:
    imgs = folder / "imgs"
    imgs.mkdir(parents=True, exist_ok=True)
    text = obj if isinstance(obj, str) else unity_text(obj if obj is not None else annotation(w, h))
    (imgs / f"{n}.json").write_text(text)
    (imgs / f"{n}.jpg").write_bytes(jpg if jpg is not None else jpeg_bytes(w, h))


def read_all(folder: Path, **kwargs: float) -> list[UnityEyesRecord | Quarantined | Skipped]:
    return list(iter_unityeyes(folder, **kwargs))


# --- good samples -------------------------------------------------------------------


def test_pairs_in_numeric_order(tmp_path: Path) -> None:
    for n in (10, 2, 1):
        write_pair(tmp_path, n)
    items = read_all(tmp_path)
    assert [r.key for r in items] == ["unityeyes-1", "unityeyes-2", "unityeyes-10"]
    assert all(isinstance(r, UnityEyesRecord) and "." not in r.key for r in items)


def test_stringified_fields_and_gaze_convention(tmp_path: Path) -> None:
    write_pair(tmp_path, 7)
    (rec,) = read_all(tmp_path)
    assert isinstance(rec, UnityEyesRecord)
    assert rec.json_path.endswith("7.json") and rec.image_path.endswith("7.jpg")
    assert rec.image.shape == (120, 160, 3) and rec.image.dtype == np.uint8
    assert rec.interior_margin.shape == (16, 2) and rec.caruncle.shape == (7, 2)
    assert rec.iris.shape == (32, 2) and rec.landmark_depth.shape == (55,)
    assert rec.pupil_size == pytest.approx(0.1020631)
    assert rec.iris_size == pytest.approx(0.9349335)
    assert rec.iris_texture == "eyeball_brown"
    np.testing.assert_allclose(rec.look_vec, LOOK, atol=1e-4)  # as written, y up
    np.testing.assert_allclose(rec.gaze, look_vec_to_gaze(np.array(LOOK)), atol=1e-4)
    assert rec.gaze[1] < 0  # looking up: -y in the project convention
    np.testing.assert_allclose(rec.head_pose_deg, [-5.0, 10.0, 0.0])  # 355 -> -5, 190 - 180
    # depth: margin, caruncle, iris in file order
    assert rec.landmark_depth[0] == pytest.approx(9.0) and rec.landmark_depth[15] == 9.15
    assert np.all(rec.landmark_depth[16:23] == 8.5) and np.all(rec.landmark_depth[23:] == 9.25)
    assert not rec.image.flags.writeable  # a record is a snapshot


@pytest.mark.parametrize(("w", "h"), [(160, 120), (200, 90)])
def test_bottom_left_y_with_height_from_the_image(tmp_path: Path, w: int, h: int) -> None:
    obj = annotation(w, h)
    obj["interior_margin_2d"][0] = _pt(30.0, h - 10.0)  # screen y = H - 10: near the TOP
    obj["caruncle_2d"][3] = _pt(12.5, 0.0)  # bottom edge of the screen
    write_pair(tmp_path, 1, obj, w, h, jpg=jpeg_bytes(w, h, mark_row=10))
    (rec,) = read_all(tmp_path)
    np.testing.assert_allclose(rec.interior_margin[0], [30.0, 10.0])  # row 10
    np.testing.assert_allclose(rec.caruncle[3], [12.5, h])
    assert rec.image[10, 30].min() > 200  # the decoded pixels agree: the block is at row 10
    assert rec.image[h - 10, 30].max() < 200
    ann = parse_unityeyes_json(unity_text(obj), image_height=h)
    np.testing.assert_allclose(ann.interior_margin, rec.interior_margin)


def test_scientific_notation_and_json_numbers(tmp_path: Path) -> None:
    obj = annotation()
    obj["eye_details"]["pupil_size"] = "1.5E-01"
    obj["eye_details"]["iris_size"] = 0.5  # a JSON number is accepted as well
    obj["iris_2d"][0] = "(8.0E+01, 6.0e1, 9.25E0)"
    ann = parse_unityeyes_json(unity_text(obj), image_height=120)
    assert ann.pupil_size == pytest.approx(0.15) and ann.iris_size == 0.5
    np.testing.assert_allclose(ann.iris[0], [80.0, 60.0])
    assert ann.landmark_depth[23] == 9.25


def test_head_pose_filter(tmp_path: Path) -> None:
    for n, pose in enumerate(["(335.0000, 180.0000, 0.0)", "(0.0, 159.0, 0.0)",
                              "(20.0000, 200.0000, 90.0)", "(350.0, 175.0, 0.0)"], start=1):
        obj = annotation()
        obj["head_pose"] = pose
        write_pair(tmp_path, n, obj)
    items = read_all(tmp_path)
    assert [type(r) for r in items] == [Skipped, Skipped, UnityEyesRecord, UnityEyesRecord]
    assert "pitch -25.0" in items[0].reason and "yaw -21.0" in items[1].reason
    np.testing.assert_allclose(items[2].head_pose_deg, [20.0, 20.0, 90.0])  # boundary kept
    kept = read_all(tmp_path, max_head_angle_deg=30.0)
    assert all(isinstance(r, UnityEyesRecord) for r in kept)


def test_is_lazy_and_raises_empty_source_eagerly(tmp_path: Path) -> None:
    with pytest.raises(EmptySourceError, match=str(tmp_path)):
        iter_unityeyes(tmp_path)  # no imgs/: raised at the call, not at next()
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "1.json").write_text(unity_text(annotation()))
    with pytest.raises(EmptySourceError, match="no N.jpg"):
        iter_unityeyes(tmp_path)  # files, but no pair at all
    write_pair(tmp_path, 1)
    write_pair(tmp_path, 2)
    it = iter_unityeyes(tmp_path)
    assert isinstance(it, Iterator)
    assert isinstance(next(it), UnityEyesRecord)
    (tmp_path / "imgs" / "2.jpg").write_bytes(b"not a jpeg")  # read only when reached
    assert isinstance(next(it), Quarantined)


# --- bad inputs ---------------------------------------------------------------------


def _set(path: str, value: object) -> dict:
    obj = annotation()
    node = obj
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return obj


_DELETE = object()


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        (_set("eye_details.pupil_size", "0,10"),
         "comma decimal separator in eye_details.pupil_size: '0,10'"),
        (_set("eye_details.look_vec", "(0,2000, 0,3000, -0,9327, 0,0000)"),
         "comma decimal separator in eye_details.look_vec"),
        (_set("head_pose", "(0,0, 180,0, 0,0)"), "comma decimal separator in head_pose"),
        (_set("eye_details.look_vec", "(0.3404, 0.3879, -1.2700, 0.0000)"),
         "look_vec is not a unit vector (norm 1.37"),
        (_set("eye_details.look_vec", "(0.0, 0.0, -1.0)"), "has 3 components, expected 4"),
        (_set("eye_details.look_vec", "(NaN, 0.0, -1.0, 0.0)"), "non-finite value in eye_details"),
        (_set("eye_details.iris_size", "Infinity"), "non-finite value in eye_details.iris_size"),
        (_set("eye_details.iris_size", "1e999"), "non-finite value in eye_details.iris_size"),
        (_set("eye_details.pupil_size", "big"), "not a number in eye_details.pupil_size"),
        (_set("head_pose", "(0.0, inf, 0.0)"), "non-finite value in head_pose"),
        (_set("eye_details.look_vec", _DELETE), "missing field eye_details.look_vec"),
        (_set("eye_details", _DELETE), "missing field eye_details.look_vec"),
        (_set("eye_details", "x"), "eye_details is not a JSON object"),
        (_set("head_pose", _DELETE), "missing field head_pose"),
        (_set("iris_2d", _DELETE), "missing field iris_2d"),
        (_set("eye_details.iris_texture", ""), "eye_details.iris_texture is not a name"),
        (_set("head_pose", [0.0, 180.0, 0.0]), "head_pose is a list, expected"),
        (_set("interior_margin_2d", annotation()["interior_margin_2d"][:15]),
         "interior_margin_2d has 15 points, expected 16"),
        (_set("caruncle_2d", annotation()["caruncle_2d"] * 2), "caruncle_2d has 14 points"),
        (_set("iris_2d", ["(1.0, 2.0)"] * 32), "iris_2d[0] has 2 components, expected 3"),
        (_set("iris_2d", ["1.0, 2.0, 3.0"] * 32), "iris_2d[0] is not a parenthesised tuple"),
        ('{ \n  "iris_2d": [ \n', "malformed JSON"),
        ("[1, 2]", "top level is a JSON list"),
    ],
)
def test_bad_json_is_quarantined_with_reason(tmp_path: Path, obj: dict | str, reason: str) -> None:
    write_pair(tmp_path, 1)
    write_pair(tmp_path, 2, obj)
    write_pair(tmp_path, 3)
    items = read_all(tmp_path)
    assert [type(r) for r in items] == [UnityEyesRecord, Quarantined, UnityEyesRecord]
    assert items[1].path.endswith("2.json")
    assert reason in items[1].reason
    assert "\n" not in items[1].reason  # one line
    with pytest.raises(FormatError, match="2.json") as exc:  # the parser, directly
        parse_unityeyes_json(obj if isinstance(obj, str) else unity_text(obj), 120, "2.json")
    assert isinstance(exc.value, ValueError) and reason in exc.value.reason


def test_non_utf8_json_is_quarantined(tmp_path: Path) -> None:
    write_pair(tmp_path, 1)
    (tmp_path / "imgs" / "1.json").write_bytes(b'{"head_pose": "\xff\xfe"}')
    (item,) = read_all(tmp_path)
    assert isinstance(item, Quarantined) and "not UTF-8" in item.reason


def _truncated() -> bytes:
    # Noise makes the entropy-coded scan most of the file: the cut lands inside it.
    noise = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "JPEG", quality=95)
    data = buf.getvalue()
    return data[: len(data) * 2 // 3]


@pytest.mark.parametrize(
    ("jpg", "reason"),
    [
        (_truncated(), "truncated JPEG 1.jpg"),
        (jpeg_bytes(160, 120)[:-2], "truncated JPEG 1.jpg"),
        (jpeg_bytes(160, 120)[:300], "truncated JPEG 1.jpg"),  # cut in the header
        (b"\xff\xd8\xff\xe0 garbage" * 10, "JPEG 1.jpg"),
        (b"", "corrupt JPEG 1.jpg"),
    ],
)
def test_bad_jpeg_is_quarantined(tmp_path: Path, jpg: bytes, reason: str) -> None:
    write_pair(tmp_path, 1, jpg=jpg)
    (item,) = read_all(tmp_path)
    assert isinstance(item, Quarantined)
    assert item.path.endswith("1.jpg") and reason in item.reason


def test_truncated_jpeg_caught_even_if_pil_is_told_to_accept_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # some other code did this
    write_pair(tmp_path, 1, jpg=_truncated())
    (item,) = read_all(tmp_path)
    assert isinstance(item, Quarantined) and "no end-of-image marker" in item.reason


def test_png_named_jpg_is_quarantined(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (160, 120)).save(buf, "PNG")
    write_pair(tmp_path, 1, jpg=buf.getvalue())
    (item,) = read_all(tmp_path)
    assert isinstance(item, Quarantined) and "not a JPEG (it is PNG)" in item.reason


def test_unpaired_and_stray_files_are_quarantined(tmp_path: Path) -> None:
    write_pair(tmp_path, 1)
    imgs = tmp_path / "imgs"
    (imgs / "12.json").write_text(unity_text(annotation()))
    (imgs / "3.jpg").write_bytes(jpeg_bytes(160, 120))
    (imgs / "notes.txt").write_text("hello")
    (imgs / ".DS_Store").write_bytes(b"\0")  # hidden: not a sample, ignored
    items = read_all(tmp_path)
    assert [type(r) for r in items] == [UnityEyesRecord, Quarantined, Quarantined, Quarantined]
    assert (items[1].path.endswith("3.jpg") and items[1].reason == "no annotation 3.json for 3.jpg")
    assert items[2].path.endswith("12.json") and items[2].reason == "no image 12.jpg for 12.json"
    assert items[3].path.endswith("notes.txt") and "unexpected file" in items[3].reason


def test_listing_and_chunks_of_stems(tmp_path: Path) -> None:
    for n in (10, 2, 1, 3):
        write_pair(tmp_path, n)
    (tmp_path / "imgs" / "4.json").write_text(unity_text(annotation()))  # unpaired
    (tmp_path / "imgs" / "x.png").write_bytes(b"")
    listing = list_unityeyes(tmp_path)
    assert listing.stems == ["1", "2", "3", "4", "10"]
    assert [p.name for p in listing.strays] == ["x.png"]
    chunk = list(iter_unityeyes(tmp_path, 20.0, stems=["3", "4", "10"]))  # no strays here
    assert [getattr(r, "key", None) for r in chunk] == ["unityeyes-3", None, "unityeyes-10"]
    assert chunk[1].reason == "no image 4.jpg for 4.json"
    (missing,) = iter_unityeyes(tmp_path, stems=["7"])
    assert isinstance(missing, Quarantined) and missing.path.endswith("7.json")
    with pytest.raises(ValueError, match="digits"):
        iter_unityeyes(tmp_path, stems=["../1"])
    with pytest.raises(EmptySourceError):
        iter_unityeyes(tmp_path / "nowhere", stems=["1"])


# --- the real UnityEyes file ------------------------------------------------------


@pytest.fixture
def real_json() -> str:
    if not FIXTURE.is_file():
        pytest.skip(f"shared fixture {FIXTURE} not available")
    return FIXTURE.read_text()


def test_real_file_geometry(real_json: str) -> None:
    ann = parse_unityeyes_json(real_json, image_height=600, source="1.json")
    look = ann.look_vec
    np.testing.assert_allclose(look, [0.3404, 0.3879, -0.8566])
    centre = ann.iris.mean(axis=0)  # top-left (x, row)
    # The camera looks at the eyeball centre: iris offset ~ 80 px * look_vec (x, y up).
    assert centre[0] == pytest.approx(400 + 80 * look[0], abs=3.0)
    assert centre[1] == pytest.approx(300 - 80 * look[1], abs=3.0)
    np.testing.assert_allclose(ann.head_pose_deg, [355.0770 - 360, 203.8451 - 180, 0.0])
    assert ann.gaze[1] < 0 and ann.iris_texture == "eyeball_brown"
    assert ann.landmark_depth.min() > 8.0 and ann.landmark_depth.max() < 10.5


def test_real_file_head_pose_filter(tmp_path: Path, real_json: str) -> None:
    write_pair(tmp_path, 1, real_json, 800, 600)  # head yaw 23.8 deg
    (skipped,) = read_all(tmp_path)
    assert isinstance(skipped, Skipped) and "yaw 23.8" in skipped.reason
    (rec,) = read_all(tmp_path, max_head_angle_deg=30.0)
    assert isinstance(rec, UnityEyesRecord) and rec.image.shape == (600, 800, 3)
    assert rec.iris.mean(axis=0)[1] == pytest.approx(300 - 80 * 0.3879, abs=3.0)
