"""The refine stage for the hand domain: 16-bit depth shards in, refined 16-bit shards
out, every key and annotation byte kept, `refinement` added; the dataset card names the
hand's fields."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from flows.refine import run
from simgan_core.hand.spec import HAND
from simgan_core.refine_shard import REFINEMENT_KEY
from simgan_core.refiner.models import DISCRIMINATOR_PRESETS, REFINER_PRESETS, Refiner
from simgan_core.refiner.trainer import SimGANConfig
from simgan_core.shard_index import verify_sha256sums
from simgan_core.shards import decode_json, decode_png, encode_json, iter_samples, iter_tar_members
from tasks.evaluate_refiner import refine_images
from tasks.params import Refine


def _hand_refiner(root: Path, synthetic: Path) -> Path:
    """A default_hand refiner (random weights, fixed seed); real_train's manifest
    statistics set to its refined images', so "moved toward real" holds for it."""
    config = SimGANConfig(refiner=REFINER_PRESETS["default_hand"],
                          discriminator=DISCRIMINATOR_PRESETS["default_hand"],
                          image_hw=HAND.image_hw, psi="depth_local_mean")
    torch.manual_seed(0)
    refiner = Refiner(config.refiner).eval()
    path = root / "models" / "refiner.pt"
    path.parent.mkdir(parents=True)
    torch.save({"refiner": refiner.state_dict(), "config": config.to_dict(), "step": 0,
                "run_key": "test"}, path)
    images = np.stack([s.image for s in iter_samples(sorted(synthetic.glob("*.tar")))])
    refined = refine_images(refiner, images, domain=HAND).astype(np.float64)
    pd.DataFrame({"image_mean": refined.mean(axis=(1, 2)), "image_std": refined.std(axis=(1, 2))}
                 ).to_parquet(synthetic.parent / "real_train" / "manifest.parquet", index=False)
    return path


def _members(shard_dir: Path) -> list[tuple[str, dict[str, bytes]]]:
    return [m for tar in sorted(shard_dir.glob("*.tar")) for m in iter_tar_members(tar)]


def test_refine_hand_keeps_keys_and_annotations_of_16_bit_depth(
        hand_shards: Path, tmp_path: Path, prefect_api: str) -> None:
    model = _hand_refiner(tmp_path, hand_shards / "synthetic")
    cfg = Refine(shards_dir=str(hand_shards), model_file=str(model),
                 candidates_dir=str(tmp_path / "candidates"),
                 metrics_file=str(tmp_path / "metrics" / "refine.json"),
                 validation_docs_dir=str(tmp_path / "docs"), batch_size=8, workers=1,
                 threads_per_worker=1, dask_address=None, work_dir=str(tmp_path / "work"),
                 require_toward_real=True)
    metrics = run(cfg, "hand")

    refined_dir = hand_shards / "refined"
    assert metrics["count"] == 48 and metrics["shards"] == 3
    assert metrics["shards_moved_toward_real"] == 3  # the 16-bit statistics check ran
    assert json.loads(Path(cfg.metrics_file).read_text()) == metrics
    assert verify_sha256sums(refined_dir) == []
    source, refined = _members(hand_shards / "synthetic"), _members(refined_dir)
    assert [k for k, _ in refined] == [k for k, _ in source]
    changed = 0
    for (key, src), (_, out) in zip(source, refined, strict=True):
        annotation = decode_json(out["json"], key)
        provenance = annotation.pop(REFINEMENT_KEY)
        assert encode_json(annotation, key) == src["json"]  # byte for byte
        assert provenance["refiner_config"]["image_hw"] == [64, 64]
        image = decode_png(out["png"], key)
        assert image.dtype == np.uint16 and image.shape == HAND.image_hw
        changed += not np.array_equal(image, decode_png(src["png"], key))
    assert changed == len(source)  # refined, not copied
    assert pd.read_parquet(refined_dir / "manifest.parquet")["annotation_equal"].all()
    card = (refined_dir / "README.md").read_text()
    assert "16-bit grayscale, 64 x 64" in card and "`joints_uv`" in card
    assert "`cube_mm`" in card and "data/hand/shards/refined" in card
