"""The train_refiner stage for the hand domain: the gaze code, run on 16-bit depth shards
(the hand_shards fixture) with the hand presets and the depth psi."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from flows.train_refiner import run
from simgan_core.hand.spec import HAND
from tasks.params import TrainRefiner
from tasks.train_refiner import run_training

REPO_ROOT = Path(__file__).resolve().parents[2]
HAND_KEYS = {"c2st_synthetic_vs_real", "c2st_refined_vs_real", "mean_abs_change",
             "mean_abs_change_mm", "joint_shift_px", "joint_shift_median_px",
             "joint_shift_px_224", "steps", "eval_samples", "train_seconds", "steps_per_s",
             "run_key", "seed", "selected_seed", "selection", "refiner_seeds",
             "joint_shift_plain_px", "joint_shift_plain_median_px", "joint_shift_plain_px_224"}


def _cfg(shards: Path, out: Path) -> TrainRefiner:
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())["train_refiner"]["hand"]
    raw.update(shards_dir=str(shards), model_file=str(out / "refiner.pt"),
               metrics_file=str(out / "refiner.json"), curves_file=str(out / "curves.csv"),
               samples_file=str(out / "samples.png"), checkpoint_dir=str(out / "ckpt"),
               checkpoint_every=3, log_every=2, history_size=32, batch_size=8,
               pretrain_refiner_steps=3, pretrain_disc_steps=2, steps=3, threads=1,
               eval_samples=24, c2st_steps=5, regressor_steps=5, label_reader_steps=5,
               seeds=[0, 1], workers=1, candidates_dir=str(out / "candidates"))
    return TrainRefiner.model_validate(raw)


def test_hand_refiner_flow_writes_checkpoint_metrics_and_grid(
        hand_shards: Path, tmp_path: Path, prefect_api: str) -> None:
    cfg = _cfg(hand_shards, tmp_path / "out")
    metrics = run(cfg, "hand")
    assert set(metrics) == HAND_KEYS
    assert "gaze_shift_deg" not in metrics and "mean_abs_change_gray" not in metrics
    assert json.loads(Path(cfg.metrics_file).read_text()) == metrics
    assert set(metrics["refiner_seeds"]) == {"0", "1"} and metrics["selected_seed"] in (0, 1)
    chosen = Path(cfg.candidates_dir) / f"seed{metrics['selected_seed']}.pt"
    assert chosen.read_bytes() == Path(cfg.model_file).read_bytes()  # the choice, published
    assert metrics["steps"] == 3 + 2 + 3 and metrics["eval_samples"] == 24
    assert 0.0 <= metrics["c2st_refined_vs_real"] <= 1.0 and metrics["joint_shift_px"] >= 0

    state = torch.load(cfg.model_file, weights_only=True)
    assert state["config"]["image_hw"] == list(HAND.image_hw)
    assert state["config"]["psi"] == "depth_local_mean"
    assert state["config"]["discriminator"]["arch"] == "hand_64"
    with open(cfg.curves_file, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [2, 4, 6, 8]
    grid = np.asarray(Image.open(cfg.samples_file))
    assert grid.dtype == np.uint8 and grid.shape == (3 * (64 * 2 + 2) + 2, 10 * (64 * 2 + 2) + 2)
    assert grid.min() < 100  # the hand (near: dark) is visible, not a white page


def test_hand_training_resumes_to_the_same_weights(hand_shards: Path, tmp_path: Path) -> None:
    """Stopped after 5 units and rerun with the full schedule == one uninterrupted run."""
    whole = _cfg(hand_shards, tmp_path / "whole")
    run_training(whole, log=lambda *a: None, domain=HAND)
    part = _cfg(hand_shards, tmp_path / "part")
    first = run_training(part.model_copy(update={"steps": 0}), log=lambda *a: None, domain=HAND)
    assert first["steps"] == 5
    second = run_training(part, log=lambda *a: None, domain=HAND)
    assert second["steps"] == 8 and second["steps_this_run"] == 3
    # The checkpoint carries the training time of every run so far, so a finished run
    # that is only reloaded reports the training's time, not the reload's (0 s).
    (ckpt,) = Path(part.checkpoint_dir).glob("*.pt")
    trained = torch.load(ckpt, weights_only=True)["train_seconds"]
    again = run_training(part, log=lambda *a: None, domain=HAND)
    assert again["steps_this_run"] == 0 and trained > 0
    assert again["seconds"] == pytest.approx(trained, abs=0.11)
    a = torch.load(whole.model_file, weights_only=True)["refiner"]
    b = torch.load(part.model_file, weights_only=True)["refiner"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_truncated_checkpoint_is_set_aside_with_a_warning(hand_shards: Path,
                                                            tmp_path: Path) -> None:
    """A checkpoint cut short (a full disk, a kill during a copy) never blocks a rerun."""
    whole = _cfg(hand_shards, tmp_path / "whole")
    run_training(whole, log=lambda *a: None, domain=HAND)
    part = _cfg(hand_shards, tmp_path / "part")
    run_training(part.model_copy(update={"steps": 0}), log=lambda *a: None, domain=HAND)
    (ckpt,) = Path(part.checkpoint_dir).glob("*.pt")
    ckpt.write_bytes(ckpt.read_bytes()[:1000])  # truncated
    said: list[str] = []
    summary = run_training(part, log=lambda fmt, *a: said.append(fmt % a), domain=HAND)
    assert any("WARNING" in s and str(ckpt) in s and "starting fresh" in s for s in said)
    assert (ckpt.parent / (ckpt.name + ".corrupt")).is_file()
    assert summary["steps_this_run"] == 8  # the whole schedule again, from the start
    a = torch.load(whole.model_file, weights_only=True)["refiner"]
    b = torch.load(part.model_file, weights_only=True)["refiner"]
    assert all(torch.equal(a[k], b[k]) for k in a)  # and the same weights as never cut
