"""The refiner stage's training under torchrun: 2 CPU ranks (gloo) on tiny shards, the
documented command `torchrun --nproc_per_node 2 -m flows.train_refiner_ddp`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch
import yaml
from gaze_shards import write_gaze_split
from process_group import run_group

from simgan_core.gaze.spec import GAZE
from tasks.label_reader import train_reader
from tasks.params import TrainRefiner
from tasks.train_refiner import run_key, simgan_config

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]


def _params(tmp: Path) -> Path:
    """The repository's params.yaml with a tiny train_refiner.gaze under tmp."""
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["train_refiner"]["gaze"].update(
        shards_dir=str(tmp / "shards"), model_file=str(tmp / "out" / "refiner.pt"),
        metrics_file=str(tmp / "out" / "refiner.json"), curves_file=str(tmp / "out" / "c.csv"),
        samples_file=str(tmp / "out" / "grid.png"), checkpoint_dir=str(tmp / "ckpt"),
        checkpoint_every=2, log_every=1, history_size=16, batch_size=4,
        pretrain_refiner_steps=2, pretrain_disc_steps=1, steps=3, threads=1, label_reader_steps=2)
    path = tmp / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def test_torchrun_two_ranks_train_and_only_rank_0_writes(tmp_path: Path) -> None:
    write_gaze_split(tmp_path / "shards" / "synthetic", 32, 40, seed=1)
    write_gaze_split(tmp_path / "shards" / "real_train", 32, 120, seed=2)
    params = _params(tmp_path)
    proc = run_group(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "flows.train_refiner_ddp", "--params", str(params), "--no-evaluate"],
        cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1"),
        timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[rank 0/2] seed 0 step 6/6" in proc.stdout  # only rank 0 logs
    state = torch.load(tmp_path / "out" / "refiner.pt", weights_only=True)
    assert state["step"] == 6
    (checkpoint,) = (tmp_path / "ckpt").glob("*.pt")  # one writer
    assert checkpoint.stem == state["run_key"]
    cfg = TrainRefiner.model_validate(
        yaml.safe_load(params.read_text())["train_refiner"]["gaze"])
    sums = [tmp_path / "shards" / s / "SHA256SUMS" for s in ("synthetic", "real_train")]
    reader = train_reader(cfg, GAZE)  # each rank trains the same one: the key holds its digest
    single = run_key(simgan_config(cfg, GAZE), sums, reader=reader)
    assert state["run_key"] == run_key(simgan_config(cfg, GAZE), sums, world_size=2,
                                       reader=reader) != single
    assert run_key(simgan_config(cfg, GAZE), sums, world_size=1, reader=reader) == single
    curves = (tmp_path / "out" / "c.csv").read_text().splitlines()
    assert len(curves) == 1 + 6  # header + a row per step, written once
