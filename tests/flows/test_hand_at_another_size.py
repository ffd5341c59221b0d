"""The hand stages after ingest at a crop size other than the spec's 64: the domain is
sizable, so train_refiner, refine, train_estimator and evaluate all take the size the
ingested shards carry (ingest.hand.crop_size), with no change to the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from hand_shards import build_hand_shards

from flows import refine, train_refiner
from flows.evaluate import evaluate_flow
from flows.train_estimator import run as train_estimators
from simgan_core.hand.spec import HAND
from simgan_core.shards import iter_samples
from tasks.params import Evaluate, Refine, TrainEstimator, TrainingSet, TrainRefiner

REPO_ROOT = Path(__file__).resolve().parents[2]
SIZE = 48  # not the spec's 64, and not a multiple of the default heatmaps' 16 * 2
pytestmark = pytest.mark.slow


def _params() -> dict:
    return yaml.safe_load((REPO_ROOT / "params.yaml").read_text())


def test_the_hand_stages_run_at_the_crop_size_ingest_wrote(tmp_path: Path,
                                                           prefect_api: str) -> None:
    shards = build_hand_shards(tmp_path / "shards", size=SIZE)
    assert HAND.image_hw != (SIZE, SIZE)
    out = tmp_path / "out"
    trainer_cfg = TrainRefiner.model_validate(_params()["train_refiner"]["hand"] | {
        "shards_dir": str(shards), "model_file": str(out / "refiner.pt"),
        "metrics_file": str(out / "refiner.json"), "curves_file": str(out / "curves.csv"),
        "samples_file": str(out / "samples.png"), "checkpoint_dir": str(out / "ckpt"),
        "candidates_dir": str(out / "candidates"), "checkpoint_every": 3, "log_every": 3,
        "history_size": 16, "batch_size": 8, "pretrain_disc_steps": 2, "steps": 3,
        "eval_samples": 24, "c2st_steps": 5, "regressor_steps": 5, "label_reader_steps": 5,
        "seeds": [0], "workers": 1})
    judged = train_refiner.run(trainer_cfg, "hand")
    assert 0.0 <= judged["c2st_refined_vs_real"] <= 1.0 and judged["joint_shift_px"] >= 0
    state = torch.load(trainer_cfg.model_file, weights_only=True)
    assert state["config"]["image_hw"] == [SIZE, SIZE]

    refine.run(Refine.model_validate(_params()["refine"]["hand"] | {
        "shards_dir": str(shards), "model_file": trainer_cfg.model_file,
        "candidates_dir": trainer_cfg.candidates_dir, "metrics_file": str(out / "refine.json"),
        "validation_docs_dir": str(out / "refine_validation"), "workers": 1,
        "work_dir": str(tmp_path / "work"), "require_toward_real": False}), "hand")
    refined = list(iter_samples(sorted((shards / "refined").glob("*.tar"))))
    assert len(refined) == 48
    assert {(s.image.shape, s.image.dtype.name) for s in refined} == {((SIZE, SIZE), "uint16")}
    card = (shards / "refined" / "README.md").read_text()
    assert f"PNG, 16-bit grayscale, {SIZE} x {SIZE}" in card

    models = tmp_path / "models"
    sets = {"synthetic": TrainingSet(split="synthetic", augment=False),
            "refined": TrainingSet(split="refined", augment=False),
            "real_oracle": TrainingSet(split="real_train", augment=False)}
    train_estimators(TrainEstimator(
        shards_dir=str(shards), models_dir=str(models), preset="default", steps=3,
        batch_size=4, lr=1e-3, seeds=[0], max_train_samples=100, workers=1, threads=1,
        training_sets=sets), "hand")
    metrics_dir = tmp_path / "metrics"
    evaluate_flow(Evaluate(shards_dir=str(shards), models_dir=str(models),
                           metrics_file=str(metrics_dir / "evaluate.json"),
                           curve_file=str(metrics_dir / "pck_curve.csv"), curve_max=20.0,
                           curve_step=0.5), "hand")
    metrics = json.loads((metrics_dir / "evaluate.json").read_text())
    assert metrics["real_test_n"] == 24
    assert {"synthetic", "refined", "real_oracle"} <= set(metrics)
    for name in ("synthetic", "refined", "real_oracle"):
        assert 0.0 <= metrics[name]["pck_5px"] <= 100.0 and metrics[name]["mean_px"] > 0
