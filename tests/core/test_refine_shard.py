"""Refining one shard: same keys and order, annotation + `refinement`, refined pixels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from simgan_core.gaze.spec import GAZE
from simgan_core.refine_shard import REFINEMENT_KEY, refine_shard, refined_annotation
from simgan_core.shards import encode_json, encode_sample, iter_samples, write_shard

PROVENANCE = {"refiner_sha256": "ab" * 32, "params": {"batch_size": 3}}


def _source(path: Path, n: int = 7) -> list[dict]:
    rng = np.random.default_rng(0)
    annotations = [{"domain": "gaze", "gaze": {"pitch": 0.1 * i, "yaw": -0.2}, "eye": "left"}
                   for i in range(n)]
    write_shard(path, (encode_sample(f"unityeyes-{i}", rng.integers(0, 255, (35, 55),
                                                                    dtype=np.uint8), a)
                       for i, a in enumerate(annotations)))
    return annotations


def _darken(x: torch.Tensor) -> torch.Tensor:  # a stand-in refiner: [-1, 1] -> [-1, 1]
    return x * 0.5 - 0.5


def test_refined_shard_keeps_keys_and_annotations(tmp_path: Path) -> None:
    annotations = _source(tmp_path / "src.tar")
    info, stats = refine_shard(tmp_path / "src.tar", tmp_path / "out.tar", _darken, GAZE,
                               PROVENANCE, batch_size=3)  # 7 = 3 + 3 + 1: a ragged batch
    source = list(iter_samples([tmp_path / "src.tar"]))
    refined = list(iter_samples([tmp_path / "out.tar"]))
    assert info.nsamples == 7 and [s.key for s in refined] == [s.key for s in source]
    for src, out, annotation in zip(source, refined, annotations, strict=True):
        assert out.annotation[REFINEMENT_KEY] == PROVENANCE
        assert set(out.annotation) == set(annotation) | {REFINEMENT_KEY}
        rest = {k: v for k, v in out.annotation.items() if k != REFINEMENT_KEY}
        assert encode_json(rest) == encode_json(annotation)  # byte for byte
        expected = GAZE.from_unit(_darken(torch.from_numpy(GAZE.to_unit(src.image))).numpy())
        np.testing.assert_array_equal(out.image, expected)
        assert out.image.dtype == np.uint8 and out.image.shape == (35, 55)
    assert stats.keys == [s.key for s in source] and all(stats.annotation_equal)
    assert np.mean(stats.refined_mean) < np.mean(stats.source_mean)
    assert min(stats.mean_abs_change) > 0


def test_refining_a_refined_sample_is_refused(tmp_path: Path) -> None:
    data = json.dumps({"domain": "gaze", REFINEMENT_KEY: {}}).encode()
    with pytest.raises(ValueError, match="refined twice"):
        refined_annotation(data, PROVENANCE, "x.json")


def test_non_canonical_source_json_is_flagged() -> None:
    # the same annotation in other bytes (spaces): the refined JSON cannot match it
    _, same = refined_annotation(b'{"domain": "gaze"}', PROVENANCE, "x.json")
    assert not same
    _, same = refined_annotation(encode_json({"domain": "gaze"}), PROVENANCE, "x.json")
    assert same


def test_wrong_image_size_names_the_shard(tmp_path: Path) -> None:
    write_shard(tmp_path / "src.tar", [encode_sample("k", np.zeros((8, 8), np.uint8),
                                                     {"domain": "gaze"})])
    # Refused from the PNG header, before decoding: names the shard, member and shapes.
    with pytest.raises(ValueError, match=r"src\.tar: k\.png: PNG is 8 x 8 \(H x W\), "
                                         r"expected 35 x 55"):
        refine_shard(tmp_path / "src.tar", tmp_path / "out.tar", _darken, GAZE, PROVENANCE)
    assert not (tmp_path / "out.tar").exists()  # nothing half-written
