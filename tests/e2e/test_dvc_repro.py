"""End to end: `dvc repro` of the gaze stages on a tiny profile, in a fresh git repo.

Checks the contracts a user relies on: the stages run from a clean clone, a second
`dvc repro` is a no-op, and changing the number of simulated images reruns only what
depends on it. The stages reuse the session's Prefect server (PREFECT_API_URL).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from process_group import run_group

from simgan_core.shard_index import verify_sha256sums
from simgan_core.shards import iter_samples

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]

TINY = {
    "simulate": {"gaze": {"workers": 2, "synthetic": {"n": 48},
                          "real": {"subjects": 3, "per_subject": 24}},
                 "hand": {"workers": 2, "synthetic": {"n": 24}, "real": {"n": 30}}},
    "ingest": {"hand": {"shard_maxcount": 10, "workers": 2,
                        "min_samples": {"synthetic": 5, "real_train": 5, "real_test": 5}},
               "gaze": {"test_subjects": ["p02"], "shard_maxcount": 20, "workers": 2,
                        "min_samples": {"synthetic": 10, "real_train": 10, "real_test": 10}}},
}
# The stages run per domain: the same tiny settings for each domain's block.
TINY_PER_DOMAIN = {
    "train_refiner": {"pretrain_refiner_steps": 2, "pretrain_disc_steps": 2, "steps": 4,
                      "batch_size": 8, "history_size": 32, "eval_samples": 16,
                      "c2st_steps": 5, "regressor_steps": 5, "checkpoint_every": 2,
                      "log_every": 2, "threads": 1, "workers": 2, "label_reader_steps": 5},
    "refine": {"workers": 2, "batch_size": 16, "require_toward_real": False},
    "train_estimator": {"steps": 3, "batch_size": 8, "seeds": [0, 1], "workers": 2},
}
# In evaluate's order: the table's sets, then the seed study's (sorted).
TRAINING_SETS = ("synthetic", "synthetic_aug", "refined", "real_oracle", "refined_seed0",
                 "refined_seed1", "refined_seed2")
PER_DOMAIN = ("train_refiner", "refine", "train_estimator", "evaluate", "report")
STAGES = ("simulate@gaze", "ingest@gaze", *(f"{stage}@gaze" for stage in PER_DOMAIN))
HAND_STAGES = ("simulate@hand", "ingest@hand", *(f"{stage}@hand" for stage in PER_DOMAIN))


def _merge(into: dict, values: dict) -> None:
    """Nested update: values' leaves replace into's, the other keys stay."""
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = run_group(cmd, timeout=1500, cwd=cwd, env=env)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, prefect_api: str
              ) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("workspace")
    for name in ("simgan_core", "reporting", "tasks", "flows", "dvc.yaml", ".dvcignore"):
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, root / name)
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    _merge(params, TINY)
    for section, values in TINY_PER_DOMAIN.items():
        for block in params[section].values():
            block.update(values)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    env = dict(os.environ, PREFECT_API_URL=prefect_api, PYTHONPATH=str(root),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for cmd in (["git", "init", "-q"], ["git", "config", "user.email", "ci@example.com"],
                ["git", "config", "user.name", "ci"], ["dvc", "init", "-q"],
                ["git", "add", "-A"], ["git", "commit", "-qm", "tiny profile"]):
        _run(cmd, root, env)
    return root, env


def test_repro_from_clean_then_noop_then_partial(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    first = _run(["dvc", "repro"], root, env)
    for stage in (*STAGES, *HAND_STAGES):
        assert f"Running stage '{stage}'" in first

    metrics = json.loads((root / "metrics/gaze/ingest.json").read_text())
    assert metrics["quarantined"] == 0
    assert metrics["counts"]["real_test"] == 24  # one test subject, 24 listed eye images
    assert metrics["counts"]["real_train"] == 48
    # The head-pose filter may skip a few of the 48 renders; none may vanish unexplained.
    assert metrics["counts"]["synthetic"] + metrics["skipped"] == 48
    for split in ("synthetic", "real_train", "real_test"):
        split_dir = root / "data/gaze/shards" / split
        assert verify_sha256sums(split_dir) == []
        samples = list(iter_samples(sorted(split_dir.glob("*.tar"))))
        assert len(samples) == metrics["counts"][split]
        assert samples[0].image.shape == (35, 55)
        assert samples[0].annotation["provenance"]["split"] == split
    assert (root / "reports/gaze/validation/index.html").is_file()
    refiner = json.loads((root / "metrics/gaze/refiner.json").read_text())
    assert refiner["steps"] == 8 and 0.0 <= refiner["c2st_refined_vs_real"] <= 1.0
    assert (root / "models/gaze/refiner.pt").is_file()
    assert (root / "reports/gaze/refiner_samples.png").is_file()
    refined = root / "data/gaze/shards/refined"
    assert verify_sha256sums(refined) == [] and (refined / "README.md").is_file()
    synthetic = list(iter_samples(sorted((root / "data/gaze/shards/synthetic").glob("*.tar"))))
    refined_samples = list(iter_samples(sorted(refined.glob("*.tar"))))
    assert [s.key for s in refined_samples] == [s.key for s in synthetic]
    for src, out in zip(synthetic, refined_samples, strict=True):
        assert {k: v for k, v in out.annotation.items() if k != "refinement"} == src.annotation
    evaluation = json.loads((root / "metrics/gaze/evaluate.json").read_text())
    for name in TRAINING_SETS:
        assert evaluation[name]["seeds"] == 2 and set(evaluation[name]["per_seed"]) == {"0", "1"}
        assert 0.0 <= evaluation[name]["within_7deg"] <= 100.0
    assert evaluation["real_test_n"] == 24
    cdf = (root / "metrics/gaze/error_cdf.csv").read_text().splitlines()
    assert cdf[0] == "error_deg," + ",".join(TRAINING_SETS) and len(cdf) == 52
    assert "<svg" in (root / "reports/gaze/index.html").read_text()
    _check_hand_outputs(root)

    second = _run(["dvc", "repro"], root, env)
    assert "Running stage" not in second

    params = yaml.safe_load((root / "params.yaml").read_text())
    params["simulate"]["gaze"]["synthetic"]["n"] = 40
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    third = _run(["dvc", "repro"], root, env)
    assert "Running stage 'simulate@gaze'" in third
    assert "Running stage 'ingest@gaze'" in third
    assert "Running stage 'train_refiner@gaze'" in third  # new shards: retrained
    assert not [s for s in HAND_STAGES if f"Running stage '{s}'" in third]  # hand untouched

    params["train_refiner"]["gaze"]["lambda_reg"] = 0.25
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    fourth = _run(["dvc", "repro"], root, env)
    # new gaze refiners: refinement and everything after it, of gaze only
    assert [s for s in (*STAGES, *HAND_STAGES) if f"Running stage '{s}'" in fourth] == [
        f"{stage}@gaze" for stage in PER_DOMAIN]


def _check_hand_outputs(root: Path) -> None:
    """The hand chain, same contracts as gaze: 16-bit crops, refined keys and annotations
    kept, every training set evaluated on real_test with both seeds."""
    ingest = json.loads((root / "metrics/hand/ingest.json").read_text())
    assert ingest["quarantined"] == 0
    assert ingest["counts"] == {"synthetic": 24, "real_train": 21, "real_test": 9}
    shards = root / "data/hand/shards"
    synthetic = list(iter_samples(sorted((shards / "synthetic").glob("*.tar"))))
    refined = list(iter_samples(sorted((shards / "refined").glob("*.tar"))))
    assert verify_sha256sums(shards / "refined") == []
    assert synthetic[0].image.shape == (64, 64) and synthetic[0].image.dtype.name == "uint16"
    assert [s.key for s in refined] == [s.key for s in synthetic]
    for src, out in zip(synthetic, refined, strict=True):
        assert {k: v for k, v in out.annotation.items() if k != "refinement"} == src.annotation
    evaluation = json.loads((root / "metrics/hand/evaluate.json").read_text())
    for name in TRAINING_SETS:
        assert evaluation[name]["seeds"] == 2
        assert 0.0 <= evaluation[name]["pck_5px"] <= 100.0 and evaluation[name]["mean_px"] > 0
    assert "<svg" in (root / "reports/hand/index.html").read_text()
