"""The images domain's folder reader: annotations in either layout kept as their exact
text, every bad input quarantined with its reason, crops that record what they show."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simgan_core.images.folder_reader import (
    canonical_samples,
    fit_box,
    fit_image,
    plan_folder,
    sample_key,
)
from simgan_core.images.spec import IMAGES
from simgan_core.ingest_records import CanonicalSample, EmptySourceError, Quarantined
from simgan_core.shards import KEY_PATTERN


def _png(path: Path, hw: tuple[int, int] = (20, 30), mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(str(path)))
    shape = (*hw, 3) if mode == "RGB" else hw
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path)


def test_jsonl_annotations_are_kept_as_their_exact_text(tmp_path: Path) -> None:
    _png(tmp_path / "a.png")
    _png(tmp_path / "sub" / "b.png", mode="L")  # grayscale becomes RGB
    line_a = '{"image": "a.png",   "label": [1, 2.50]}'  # spacing and 2.50 kept as written
    (tmp_path / "annotations.jsonl").write_text(
        line_a + "\n\n" + json.dumps({"image": "sub/b.png", "label": "x"}) + "\n")
    items, bad = plan_folder(tmp_path, annotated=True)
    assert bad == [] and [i.rel for i in items] == ["a.png", "sub/b.png"]
    samples = list(canonical_samples(tmp_path, items, "synthetic", "crop"))
    assert all(isinstance(s, CanonicalSample) for s in samples)
    assert samples[0].annotation["user_annotation"].encode() == line_a.encode()
    assert samples[1].image.shape == (*IMAGES.image_hw, 3)
    gray = samples[1].image
    assert np.array_equal(gray[..., 0], gray[..., 1])
    assert all(KEY_PATTERN.match(s.key) for s in samples)


def test_sidecar_json_files_are_read_whole(tmp_path: Path) -> None:
    _png(tmp_path / "a.png")
    text = '{\n  "boxes": [[1, 2, 3, 4]]\n}\n'
    (tmp_path / "a.json").write_text(text)
    items, bad = plan_folder(tmp_path, annotated=True)
    assert bad == [] and items[0].annotation == text


def test_bad_inputs_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    for name in ("ok", "no_label", "broken", "array", "nan", "truncated"):
        _png(tmp_path / f"{name}.png")
    (tmp_path / "truncated.png").write_bytes((tmp_path / "truncated.png").read_bytes()[:40])
    (tmp_path / "annotations.jsonl").write_text("\n".join([
        '{"image": "ok.png"}', '{"image": "broken.png"', '[1, 2]',
        '{"image": "nan.png", "v": NaN}', '{"image": "missing.png"}', '{"image": "ok.png"}',
        '{"image": "truncated.png"}']) + "\n")
    items, bad = plan_folder(tmp_path, annotated=True)
    reasons = {q.path: q.reason for q in bad}
    assert "not JSON" in reasons["annotations.jsonl:2"]
    assert "must be a JSON object" in reasons["annotations.jsonl:3"]
    assert "NaN is not JSON" in reasons["annotations.jsonl:4"]
    assert "names no image" in reasons["annotations.jsonl:5"]
    assert "a second annotation of ok.png" in reasons["annotations.jsonl:6"]
    assert "no annotation" in reasons["no_label.png"]
    assert [i.rel for i in items] == ["ok.png", "truncated.png"]
    out = list(canonical_samples(tmp_path, items, "synthetic", "resize"))
    assert isinstance(out[1], Quarantined) and "cannot decode" in out[1].reason


def test_real_images_are_read_without_opening_any_annotation(tmp_path: Path) -> None:
    _png(tmp_path / "r.png")
    (tmp_path / "r.json").write_text("not json at all")  # never opened
    items, bad = plan_folder(tmp_path, annotated=False)
    assert bad == [] and items[0].annotation is None
    sample = next(canonical_samples(tmp_path, items, "real_train", "crop"))
    assert sample.annotation["user_annotation"] is None and sample.key.startswith("real-")


def test_an_empty_folder_stops_the_stage(tmp_path: Path) -> None:
    with pytest.raises(EmptySourceError, match="no .png"):
        plan_folder(tmp_path, annotated=True)


def test_crop_keeps_the_centred_region_of_the_aspect() -> None:
    assert fit_box((60, 80), (32, 32), "crop") == (0, 10, 60, 60)
    assert fit_box((90, 30), (32, 64), "crop") == (37, 0, 15, 30)
    assert fit_box((60, 80), (32, 32), "resize") == (0, 0, 60, 80)
    image = np.zeros((60, 80, 3), dtype=np.uint8)
    image[:, 10:70] = 200  # only the crop region is bright
    out, box = fit_image(image, (32, 32), "crop")
    assert out.shape == (32, 32, 3) and int(out.min()) == 200 and box == (0, 10, 60, 60)


def test_keys_are_stable_and_distinct_for_names_that_sanitize_alike() -> None:
    assert sample_key("synthetic", "a b.png") == sample_key("synthetic", "a b.png")
    assert sample_key("synthetic", "a b.png") != sample_key("synthetic", "a_b.png")
    assert KEY_PATTERN.match(sample_key("real", "dir/ü.weird.name.jpg"))
