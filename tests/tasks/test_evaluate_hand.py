"""The hand stages on the tiny hand corpus: train (every training set, 2 seeds), evaluate
(keys, PCK curve, leak checks), report (one self-contained page), README rows."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch

from flows.evaluate import evaluate_flow
from flows.report import report_flow
from flows.train_estimator import run as train_estimators
from tasks.evaluate import check_leak_free, refined_gap_closed
from tasks.params import Evaluate, Report, TrainEstimator, TrainingSet
from tasks.results_table import results_markdown
from tasks.train_estimator import load_estimator

TRAINING_SETS = {"synthetic": ("synthetic", False), "synthetic_aug": ("synthetic", True),
                 "refined": ("refined", False), "real_oracle": ("real_train", False)}


def _train_cfg(shards: Path, models: Path) -> TrainEstimator:
    return TrainEstimator(
        shards_dir=str(shards), models_dir=str(models), preset="default", steps=3,
        batch_size=4, lr=1e-3, seeds=[0, 1], max_train_samples=100, workers=1, threads=1,
        training_sets={k: TrainingSet(split=s, augment=a) for k, (s, a) in TRAINING_SETS.items()})


def _eval_cfg(shards: Path, models: Path, metrics: Path) -> Evaluate:
    return Evaluate(shards_dir=str(shards), models_dir=str(models),
                    metrics_file=str(metrics / "evaluate.json"),
                    curve_file=str(metrics / "pck_curve.csv"), curve_max=20.0, curve_step=0.5)


@pytest.fixture
def trained(hand_shards: Path, tmp_path: Path, prefect_api: str) -> tuple[Path, Path]:
    """The fixture corpus plus a refined split (synthetic's keys and annotations, as
    refine writes them) and 2 seeds of every training set, 3 steps each."""
    shutil.copytree(hand_shards / "synthetic", hand_shards / "refined")
    models = tmp_path / "models"
    cfg = _train_cfg(hand_shards, models)
    summary = train_estimators(cfg, "hand")
    assert list(summary) == list(TRAINING_SETS)
    assert summary["refined"]["same_estimators_as"] == "synthetic"
    assert "same_estimators_as" not in summary["synthetic_aug"]
    for name, (split, _) in TRAINING_SETS.items():
        assert summary[name]["seeds"] == 2 and summary[name]["split"] == split
    return hand_shards, models


def test_a_set_with_an_earlier_sets_data_reuses_its_estimators(trained: tuple[Path, Path]
                                                               ) -> None:
    """refined holds synthetic's samples here (as the published corpus holds one
    candidate's): its estimators are synthetic's weights, recorded under its own name.
    Retraining would give the same weights: tests/core/test_hand_estimator.py
    (same seed, same weights)."""
    _, models = trained
    for seed in (0, 1):
        _, copied = load_estimator(models / "refined" / f"seed{seed}.pt")
        _, source = load_estimator(models / "synthetic" / f"seed{seed}.pt")
        assert copied["training_set"] == "refined" and copied["split"] == "refined"
        assert copied["config"] == source["config"]
        assert copied["train_keys_sha256"] == source["train_keys_sha256"]
        assert all(torch.equal(copied["state_dict"][k], v)
                   for k, v in source["state_dict"].items())
    # synthetic_aug has the same data but other augmentation: trained, not copied
    _, aug = load_estimator(models / "synthetic_aug" / "seed0.pt")
    _, plain = load_estimator(models / "synthetic" / "seed0.pt")
    assert not all(torch.equal(aug["state_dict"][k], v) for k, v in plain["state_dict"].items())


def test_train_evaluate_report_on_the_fixture(trained: tuple[Path, Path], tmp_path: Path
                                              ) -> None:
    shards, models = trained
    model, state = load_estimator(models / "synthetic_aug" / "seed1.pt")
    assert state["domain"] == "hand" and state["config"]["augment"] is True
    assert state["config"]["seed"] == 1 and state["n_train"] == 48

    metrics_dir = tmp_path / "metrics" / "hand"
    metrics = evaluate_flow(_eval_cfg(shards, models, metrics_dir), "hand")
    assert json.loads((metrics_dir / "evaluate.json").read_text()) == metrics
    assert metrics["real_test_n"] == 24
    assert set(TRAINING_SETS) <= set(metrics)
    for name in TRAINING_SETS:
        entry = metrics[name]
        for key in ("pck_5px", "pck_5px_std", "mean_px", "mean_px_std", "seeds", "per_seed"):
            assert key in entry, (name, key)
        assert entry["seeds"] == 2 and set(entry["per_seed"]) == {"0", "1"}
        assert 0.0 <= entry["pck_5px"] <= 100.0 and entry["mean_px"] > 0
    assert "refined_gap_closed" in metrics  # a number, or null when there is no gap
    with open(metrics_dir / "pck_curve.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["error_px", *TRAINING_SETS]
    assert len(rows) == 42 and rows[1][0] == "0" and rows[-1][0] == "20"
    pck_at_5 = next(r for r in rows if r[0] == "5")
    assert float(pck_at_5[1]) == pytest.approx(metrics["synthetic"]["pck_5px"], abs=0.01)

    (metrics_dir / "refiner_curves.csv").write_text(
        "step,phase,loss_reg,disc_acc_real,disc_acc_refined\n10,adversarial,0.1,0.6,0.4\n"
        "20,adversarial,0.09,0.55,0.45\n")
    out = tmp_path / "reports" / "hand" / "index.html"
    report_flow(Report(out_file=str(out), metrics_dir=str(metrics_dir), shards_dir=str(shards),
                       samples_per_row=4, samples_file=str(tmp_path / "absent.png"),
                       curve_file=str(metrics_dir / "pck_curve.csv")), "hand")
    assert sorted(p.name for p in out.parent.iterdir()) == ["index.html"]
    page = out.read_text(encoding="utf-8")
    assert "SimGAN sim-to-real report: hand" in page and "stand-in real Kinect" in page
    assert page.count("data:image/png;base64,") == 1  # the shard grid; the refiner's absent
    assert "absent.png not found" in page
    assert "within 5 px (%)" in page and "Joints within a distance (PCK curve)" in page
    assert "Refiner training" in page and page.count("<svg") == 3  # PCK, losses, accuracy
    assert "<script" not in page and not re.search(r"(src|href)=\"(?!data:|#)", page)


def test_a_real_test_key_in_a_training_split_is_refused(trained: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    shards, models = trained
    manifest = pd.read_parquet(shards / "real_train" / "manifest.parquet")
    manifest.loc[0, "key"] = "realtest-0000003"
    manifest.to_parquet(shards / "real_train" / "manifest.parquet", index=False)
    with pytest.raises(ValueError, match="1 real_test samples are in the training split "
                                         "'real_train'"):
        evaluate_flow(_eval_cfg(shards, models, tmp_path / "m"), "hand")
    assert not (tmp_path / "m" / "evaluate.json").exists()


def _hand_manifests(root: Path, files: dict[str, list[str]]) -> Path:
    for split, names in files.items():
        (root / split).mkdir(parents=True)
        pd.DataFrame({"key": [f"{split}-{i}" for i in range(len(names))],
                      "source_file": names}).to_parquet(root / split / "manifest.parquet")
    return root


def test_hand_provenance_must_come_from_another_folder(tmp_path: Path) -> None:
    clean = {"real_test": ["test/depth_1_0000001.png"],
             "real_train": ["train/depth_1_0000001.png"],
             "synthetic": ["train/synthdepth_1_0000001.png"]}
    check_leak_free(_hand_manifests(tmp_path / "a", clean), {"synthetic"}, "hand")
    renders_of_test = {**clean, "synthetic": ["test/synthdepth_1_0000002.png"]}
    with pytest.raises(ValueError, match=r"'synthetic' comes from real_test's folder \['test'\]"):
        check_leak_free(_hand_manifests(tmp_path / "b", renders_of_test), {"synthetic"}, "hand")
    same_file = {**clean, "real_train": ["test/depth_1_0000001.png"]}
    with pytest.raises(ValueError, match="1 real_test source files also feed"):
        check_leak_free(_hand_manifests(tmp_path / "c", same_file), set(), "hand")


def test_refined_gap_closed_on_known_numbers() -> None:
    metrics = {"synthetic": {"pck_5px": 60.0}, "refined": {"pck_5px": 66.0},
               "real_oracle": {"pck_5px": 70.0}}
    assert refined_gap_closed(metrics) == 0.6
    assert refined_gap_closed({**metrics, "refined": {"pck_5px": 55.0}}) == -0.5
    assert refined_gap_closed({**metrics, "real_oracle": {"pck_5px": 60.0}}) is None
    assert refined_gap_closed({"synthetic": {"pck_5px": 1.0}}) is None
    # The paper's Table 4: (72.4 - 69.7) / (74.5 - 69.7) = 0.5625.
    paper = {"synthetic": {"pck_5px": 69.7}, "refined": {"pck_5px": 72.4},
             "real_oracle": {"pck_5px": 74.5}}
    assert refined_gap_closed(paper) == pytest.approx(0.5625, abs=1e-3)


def test_readme_gets_hand_rows_next_to_table_4_only_with_hand_metrics(tmp_path: Path) -> None:
    gaze, hand = tmp_path / "gaze", tmp_path / "hand"
    gaze.mkdir()
    (gaze / "evaluate.json").write_text(json.dumps(
        {"synthetic": {"mean_deg": 9.0, "median_deg": 8.0, "within_7deg": 40.0, "seeds": 3}}))
    assert "Hand pose" not in results_markdown(gaze, "gaze", hand_metrics_dir=hand)
    hand.mkdir()
    (hand / "evaluate.json").write_text(json.dumps({
        "synthetic": {"pck_5px": 61.34, "pck_5px_std": 1.5, "mean_px": 5.5, "seeds": 3,
                      "n_train": 6000},
        "refined": {"pck_5px": 66.0, "mean_px": 4.9, "seeds": 3, "n_train": 6000},
        "real_oracle": {"pck_5px": 70.0, "mean_px": 4.1, "seeds": 3, "n_train": 2100},
        "real_test_n": 900, "refined_gap_closed": 0.543}))
    md = results_markdown(gaze, "gaze", hand_metrics_dir=hand)
    hand_part = md[md.index("### Hand pose"):]
    assert "| synthetic | 61.3 ± 1.5 | 5.50 | 3 | 6000 |" in hand_part
    assert "| training set | within 5 px (%) | mean error (px) |" in hand_part
    assert "900 held-out real test crops" in hand_part and "0.543" in hand_part
    assert "Table 4" in hand_part
    for row in ("| synthetic | 69.7 |", "| refined | 72.4 |", "| real | 74.5 |"):
        assert row in hand_part


def test_readme_hand_ceiling_follows_the_hand_rows(tmp_path: Path) -> None:
    gaze, hand, ceilings = tmp_path / "gaze", tmp_path / "hand", tmp_path / "ceilings"
    for folder in (gaze, hand, ceilings):
        folder.mkdir()
    (gaze / "evaluate.json").write_text(json.dumps(
        {"synthetic": {"mean_deg": 9.0, "median_deg": 8.0, "within_7deg": 40.0, "seeds": 3}}))
    (hand / "evaluate.json").write_text(json.dumps({
        "synthetic": {"pck_5px": 26.0, "mean_px": 5.5, "seeds": 3, "n_train": 6000},
        "real_oracle": {"pck_5px": 31.0, "mean_px": 4.1, "seeds": 3, "n_train": 2100}}))
    (ceilings / "hand_ceiling.json").write_text(json.dumps({
        "domain": "hand", "n_train": 5990, "perfect_refined": 33.04,
        "perfect_refined_per_seed": [32.5, 33.1, 33.52], "perfect_refined_gap_closed": 1.408,
        "pipeline": {"synthetic": 26.0, "synthetic_aug": 24.0, "refined": 28.0,
                     "real_oracle": 31.0}}))
    md = results_markdown(gaze, "gaze", hand_metrics_dir=hand, ceiling_dir=ceilings)
    hand_part = md[md.index("### Hand pose"):]
    assert "**33.0%** of joints within 5 px (seeds: 32.50, 33.10, 33.52)" in hand_part
    assert "closing **1.408** of the gap from synthetic (26.0) to real_oracle (31.0)" in hand_part
    assert "python -m experiments.ceiling --domain hand" in hand_part
    assert "perfect refiner" not in md[:md.index("### Hand pose")]  # no gaze ceiling file
