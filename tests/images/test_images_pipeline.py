"""The images domain end to end, on a small example: simulate -> ingest -> train the
refiner -> refine, at a size of the params' choosing (not the spec's default). The refined
shards keep every user annotation byte for byte, carry a dataset card, and the refiner's
metrics give realism (C2ST) and a label-free choice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from flows import ingest, refine, train_refiner
from simgan_core.images.example import write_example
from simgan_core.images.spec import IMAGES
from simgan_core.refine_shard import REFINEMENT_KEY
from simgan_core.shards import iter_samples
from simgan_core.streaming import stream_batches
from tasks.params import Refine, TrainRefiner
from tasks.params_sources import IngestImages

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _params() -> dict:
    return yaml.safe_load((REPO_ROOT / "params.yaml").read_text())


def test_images_domain_runs_end_to_end(tmp_path: Path, prefect_api: str) -> None:
    raw, shards = tmp_path / "raw", tmp_path / "shards"
    write_example(raw, n_synthetic=120, n_real=110, seed=5)
    (raw / "synthetic" / "broken.png").write_bytes(b"\x89PNG not really")  # no annotation

    ingest_raw = _params()["ingest_unlabeled"]["images"] | {
        "synthetic_dir": str(raw / "synthetic"), "real_dir": str(raw / "real"),
        "shards_dir": str(shards), "quarantine_file": str(tmp_path / "quarantine.tsv"),
        "metrics_file": str(tmp_path / "ingest.json"),
        "validation_docs_dir": str(tmp_path / "validation"), "shard_maxcount": 50,
        "max_bad_fraction": 0.05, "min_samples": {"synthetic": 100, "real_train": 100},
        "workers": 1, "image_height": 24, "image_width": 40}  # not the default 32 x 32
    metrics = ingest.run(IngestImages.model_validate(ingest_raw), "images")
    assert metrics["counts"] == {"synthetic": 120, "real_train": 110}
    assert "broken.png" in (tmp_path / "quarantine.tsv").read_text()
    hw = (24, 40)
    assert IMAGES.image_hw != hw and metrics["image_hw"] == list(hw)

    out = tmp_path / "out"
    trainer_raw = _params()["train_refiner"]["images"] | {
        "shards_dir": str(shards), "model_file": str(out / "refiner.pt"),
        "metrics_file": str(out / "refiner.json"), "curves_file": str(out / "curves.csv"),
        "samples_file": str(out / "samples.png"), "checkpoint_dir": str(out / "ckpt"),
        "candidates_dir": str(out / "candidates"), "checkpoint_every": 5, "log_every": 5,
        "history_size": 32, "batch_size": 8, "pretrain_disc_steps": 2, "steps": 5,
        "eval_samples": 40, "c2st_steps": 5, "workers": 1}
    trainer_cfg = TrainRefiner.model_validate(trainer_raw)
    judged = train_refiner.run(trainer_cfg, "images")
    assert {"c2st_synthetic_vs_real", "c2st_refined_vs_real", "mean_abs_change"} <= set(judged)
    assert not any("shift" in key for key in judged)  # no labels: no label shift
    assert judged["selection"]["criterion"].startswith("the lowest c2st_refined_vs_real")

    refine_raw = _params()["refine"]["images"] | {
        "shards_dir": str(shards), "model_file": trainer_cfg.model_file,
        "candidates_dir": trainer_cfg.candidates_dir, "metrics_file": str(out / "refine.json"),
        "validation_docs_dir": str(out / "refine_validation"), "workers": 1,
        "work_dir": str(tmp_path / "work"), "require_toward_real": False}
    refine.run(Refine.model_validate(refine_raw), "images")

    lines = {json.loads(line)["image"]: line for line in
             (raw / "synthetic" / "annotations.jsonl").read_text().splitlines()}
    source = {s.key: s for s in iter_samples(sorted((shards / "synthetic").glob("*.tar")))}
    refined = list(iter_samples(sorted((shards / "refined").glob("*.tar"))))
    assert [s.key for s in refined] == list(source)
    for sample in refined:
        assert sample.image.shape == (*hw, 3) and sample.image.dtype == np.uint8
        annotation = dict(sample.annotation)
        assert annotation.pop(REFINEMENT_KEY)["refiner_sha256"]
        assert annotation == source[sample.key].annotation
        file = annotation["source"]["file"]
        assert annotation["user_annotation"].encode() == lines[file].encode()
    card = (shards / "refined" / "README.md").read_text()
    assert "8-bit RGB, 24 x 40" in card and "`user_annotation`" in card
    images, annotations = next(iter(stream_batches(shards / "refined", batch_size=4)))
    assert tuple(images.shape) == (4, 3, *hw) and len(annotations) == 4
