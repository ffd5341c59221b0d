"""experiments.c2st_power: the realism judge read at several training lengths on the raw
synthetic images, every candidate refiner and (built-in data) a perfect refiner; and the
stage's synthetic figure, computed once, equal to the one a candidate computes itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from gaze_shards import write_gaze_split

from experiments import c2st_power
from simgan_core.refiner.models import Refiner
from simgan_core.refiner.trainer import SimGANConfig
from tasks.evaluate_refiner import evaluate_refiner, synthetic_realism
from tasks.params import TrainRefiner

REPO_ROOT = Path(__file__).resolve().parents[2]


def _workspace(tmp_path: Path) -> tuple[Path, TrainRefiner]:
    """Tiny gaze shards (real_train 80 gray levels brighter), two candidate refiners
    (random weights) in candidates/, and the params pointing there."""
    shards = tmp_path / "shards"
    write_gaze_split(shards / "synthetic", 24, brightness=0, seed=1)
    write_gaze_split(shards / "real_train", 24, brightness=80, seed=2)
    candidates = tmp_path / "candidates"
    candidates.mkdir()
    for seed in (0, 1):
        torch.manual_seed(seed)
        config = SimGANConfig()
        torch.save({"refiner": Refiner(config.refiner).state_dict(), "config": config.to_dict(),
                    "step": 0, "run_key": "test"}, candidates / f"seed{seed}.pt")
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["train_refiner"]["gaze"].update(shards_dir=str(shards), candidates_dir=str(candidates),
                                        eval_samples=16, c2st_steps=3, regressor_steps=2)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    return tmp_path / "params.yaml", TrainRefiner.model_validate(params["train_refiner"]["gaze"])


def test_the_judge_is_read_at_each_length_on_every_set(tmp_path: Path) -> None:
    path, cfg = _workspace(tmp_path)
    out = tmp_path / "power.json"

    result = c2st_power.main(["--domain", "gaze", "--steps", "1,4", "--params", str(path),
                              "--out", str(out)])

    assert json.loads(out.read_text()) == result
    assert set(result["c2st"]) == {"synthetic", "refined_seed0", "refined_seed1"}
    assert all(set(by_steps) == {"1", "4"} for by_steps in result["c2st"].values())
    assert all(0.0 <= acc <= 1.0 for by_steps in result["c2st"].values()
               for acc in by_steps.values())
    assert result["n_per_set"] == 16 and result["stage_c2st_steps"] == 3
    assert result["critics"]["refined_seed0"]["arch"] == SimGANConfig().discriminator.arch
    # at the stage's own length, the synthetic figure is the stage's own
    again = c2st_power.main(["--domain", "gaze", "--steps", "3", "--params", str(path),
                             "--out", str(out)])
    assert again["c2st"]["synthetic"]["3"] == synthetic_realism.fn(cfg, "gaze")


def test_bad_step_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="positive integers"):
        c2st_power._parse_steps("0,10")
    with pytest.raises(ValueError, match="positive integers"):
        c2st_power._parse_steps("")


def test_the_stage_judges_synthetic_once_with_the_figure_a_candidate_computes(
        tmp_path: Path) -> None:
    _, cfg = _workspace(tmp_path)
    model = tmp_path / "candidates" / "seed0.pt"
    files = {"metrics_file": tmp_path / "m.json", "samples_file": tmp_path / "s.png"}

    alone = evaluate_refiner.fn(cfg, {}, "gaze", model, **files)
    given = evaluate_refiner.fn(cfg, {}, "gaze", model, **files, synthetic_c2st=0.123)

    assert alone["c2st_synthetic_vs_real"] == synthetic_realism.fn(cfg, "gaze")
    assert given["c2st_synthetic_vs_real"] == 0.123
    assert {k: v for k, v in given.items() if k != "c2st_synthetic_vs_real"} \
        == {k: v for k, v in alone.items() if k != "c2st_synthetic_vs_real"}
