"""experiments.refiner_trial: one candidate with changed settings, trained and judged by
the stage's own code, its figures set next to the committed candidate of its seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from gaze_shards import write_gaze_split

from experiments import refiner_trial
from tasks.params import TrainRefiner

REPO_ROOT = Path(__file__).resolve().parents[2]


def _stage() -> TrainRefiner:
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())["train_refiner"]["gaze"]
    return TrainRefiner.model_validate(raw)


def test_overrides_are_yaml_scalars_and_fixed_paths_are_refused() -> None:
    assert refiner_trial.parse_overrides(["psi=blur", "lambda_reg=2", "use_history=false"]) \
        == {"psi": "blur", "lambda_reg": 2, "use_history": False}
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        refiner_trial.parse_overrides(["psi"])
    with pytest.raises(ValueError, match="--set seeds: a trial cannot change it"):
        refiner_trial.parse_overrides(["seeds=[1]"])


def test_the_trial_config_is_checked_by_the_stage_schema(tmp_path: Path) -> None:
    cfg = refiner_trial.trial_config(_stage(), {"lambda_reg": 2.0}, 4, tmp_path)
    assert cfg.lambda_reg == 2.0 and cfg.seeds == [4]
    assert cfg.checkpoint_dir == str(tmp_path / "checkpoints")
    with pytest.raises(ValueError, match="lamda_reg"):
        refiner_trial.trial_config(_stage(), {"lamda_reg": 2.0}, 0, tmp_path)
    with pytest.raises(ValueError, match="psi"):
        refiner_trial.trial_config(_stage(), {"psi": "sharpen"}, 0, tmp_path)


def _tiny_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tiny gaze shards, a committed refiner.json and a tiny params.yaml; cwd tmp_path."""
    shards = tmp_path / "shards"
    write_gaze_split(shards / "synthetic", 40, brightness=0, seed=1)
    write_gaze_split(shards / "real_train", 40, brightness=80, seed=2)
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    committed = tmp_path / "refiner.json"
    committed.write_text(json.dumps({"refiner_seeds": {"0": {
        "c2st_refined_vs_real": 0.57, "gaze_shift_deg": 6.5}}}))
    params["train_refiner"]["gaze"].update(
        shards_dir=str(shards), metrics_file=str(committed), steps=4, pretrain_disc_steps=2,
        batch_size=4, history_size=8, checkpoint_every=2, log_every=2, label_reader_steps=2,
        eval_samples=12, c2st_steps=2, regressor_steps=2)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    return path


def test_a_tiny_trial_trains_judges_and_writes_its_figures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _tiny_workspace(tmp_path, monkeypatch)

    result = refiner_trial.main(["blur", "--set", "psi=blur", "--params", str(path)])

    out = tmp_path / "experiments/results/trials/gaze_blur.json"
    assert json.loads(out.read_text()) == result
    assert result["overrides"] == {"psi": "blur"}
    assert result["metrics"]["steps"] == 2 + 4  # discriminator pretraining + rounds
    assert result["c2st_refined_vs_real"] == result["metrics"]["c2st_refined_vs_real"]
    assert result["default_same_seed"] == {"c2st_refined_vs_real": 0.57, "gaze_shift_deg": 6.5}
    work = tmp_path / ".simgan/trials/blur"
    assert (work / "refiner.pt").exists() and (work / "samples.png").exists()
    assert list((work / "checkpoints").glob("*.pt"))  # resumable


def test_a_trial_of_the_stage_settings_is_the_stage_candidate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A trial trains the stage's label reader (seed from the stage's seeds, fixed threads),
    whatever its own seed: its run key is the one the stage gives the candidate of that
    seed, so a trial's figures are the stage's."""
    import torch

    from simgan_core.gaze.spec import GAZE
    from tasks.label_reader import train_reader
    from tasks.params import load_params
    from tasks.train_refiner import run_key, simgan_config

    path = _tiny_workspace(tmp_path, monkeypatch)
    refiner_trial.main(["same", "--seed", "1", "--params", str(path)])

    stage = load_params(path).stage_config("train_refiner", "gaze")
    torch.set_num_threads(2)  # the stage's flow process: another thread count than a trial's
    reader = train_reader(stage, GAZE)
    sums = [Path(stage.shards_dir) / split / "SHA256SUMS" for split in ("synthetic", "real_train")]
    expected = run_key(simgan_config(stage, GAZE, seed=1), sums, reader=reader)
    checkpoints = tmp_path / ".simgan/trials/same/checkpoints"
    assert [p.stem for p in checkpoints.glob("*.pt")] == [expected]


def test_a_trial_of_a_domain_without_labels_gives_realism_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The images domain reads no label: a trial reports realism, no label shift."""
    from simgan_core.images.example import write_example
    from simgan_core.images.folder_reader import canonical_samples, plan_folder
    from simgan_core.shards import shard_name
    from tasks.ingest_chunks import write_chunk
    from tasks.ingest_outputs import stage_split

    raw, shards = tmp_path / "raw", tmp_path / "shards"
    write_example(raw, n_synthetic=24, n_real=24, seed=3)
    for split, folder, annotated in (("synthetic", raw / "synthetic", True),
                                     ("real_train", raw / "real", False)):
        items, _ = plan_folder(folder, annotated)
        (shards / split).mkdir(parents=True)
        result = write_chunk(split, "user", str(folder), shards / split / shard_name("shard", 0),
                             canonical_samples(folder, items, split, "crop"))
        stage_split.fn(split, [result], shards / split, domain="images")
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["train_refiner"]["images"].update(
        shards_dir=str(shards), metrics_file=str(tmp_path / "none.json"), steps=4,
        pretrain_disc_steps=2, batch_size=4, history_size=8, checkpoint_every=2, log_every=2,
        eval_samples=12, c2st_steps=2)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)

    result = refiner_trial.main(["plain", "--domain", "images", "--params", str(path)])

    assert 0.0 <= result["c2st_refined_vs_real"] <= 1.0
    assert not any("shift" in key for key in result) and result["default_same_seed"] is None
    assert json.loads((tmp_path / "experiments/results/trials/images_plain.json").read_text()) \
        == result
