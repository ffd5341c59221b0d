"""A refiner training killed with SIGKILL and rerun ends with the weights of a run
that was never killed (CPU, one thread): checkpoints hold every piece of state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from gaze_shards import write_gaze_split

from tasks.params import TrainRefiner

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]
RUN = ("import sys; from tasks.params import TrainRefiner; "
       "from tasks.train_refiner import run_training; "
       "from simgan_core.gaze.spec import GAZE; "
       "run_training(TrainRefiner.model_validate_json(open(sys.argv[1]).read()), GAZE)")


def _config(tmp: Path, name: str) -> Path:
    base = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())["train_refiner"]["gaze"]
    base.update(
        shards_dir=str(tmp / "shards"), model_file=str(tmp / name / "refiner.pt"),
        metrics_file=str(tmp / name / "refiner.json"),
        curves_file=str(tmp / name / "curves.csv"), samples_file=str(tmp / name / "grid.png"),
        checkpoint_dir=str(tmp / name / "ckpt"), checkpoint_every=5, log_every=5,
        history_size=64, batch_size=8, pretrain_refiner_steps=5, pretrain_disc_steps=5,
        steps=150, threads=1, label_reader_steps=20)
    path = tmp / f"{name}.json"
    path.write_text(TrainRefiner.model_validate(base).model_dump_json())
    return path


def _start(cfg: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen([sys.executable, "-c", RUN, str(cfg)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["refiner"]


def test_sigkill_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    write_gaze_split(tmp_path / "shards" / "synthetic", 48, 40, seed=1)
    write_gaze_split(tmp_path / "shards" / "real_train", 48, 120, seed=2)

    straight = _start(_config(tmp_path, "straight"))
    killed_cfg = _config(tmp_path, "killed")
    victim = _start(killed_cfg)
    ckpt_dir = tmp_path / "killed" / "ckpt"
    deadline = time.monotonic() + 120
    while not any(ckpt_dir.glob("*.pt")) and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed" / "refiner.pt").exists(), "finished before the kill"

    resumed = _start(killed_cfg)
    out, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, out
    assert "resumed from" in out and "at step 0 " not in out
    assert straight.wait(timeout=300) == 0

    a = _weights(tmp_path / "straight" / "refiner.pt")
    b = _weights(tmp_path / "killed" / "refiner.pt")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    curves = [(tmp_path / n / "curves.csv").read_text() for n in ("straight", "killed")]
    assert curves[0] == curves[1]
