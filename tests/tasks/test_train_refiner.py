"""The refiner stage's glue: presets by name, and which checkpoint may be resumed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tasks.params import TrainRefinerGaze
from tasks.train_refiner import run_key, simgan_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def _cfg(**changes: object) -> TrainRefinerGaze:
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())["train_refiner_gaze"]
    return TrainRefinerGaze.model_validate(raw | changes)


def test_presets_are_looked_up_by_name() -> None:
    assert simgan_config(_cfg(refiner="paper_gaze")).refiner.maps == 64
    with pytest.raises(ValueError, match=r"refiner\n.*unknown preset 'huge'"):
        _cfg(refiner="huge")  # refused when the params load, before any training


def test_run_key_follows_config_and_data_but_not_length(tmp_path: Path) -> None:
    index = tmp_path / "index.json"
    index.write_text('{"shardlist": []}')
    base = run_key(simgan_config(_cfg()), [index])
    assert run_key(simgan_config(_cfg(steps=5000)), [index]) == base  # extend a run: resume
    assert run_key(simgan_config(_cfg(lambda_reg=0.1)), [index]) != base
    assert run_key(simgan_config(_cfg(refiner_ema=0.99)), [index]) != base
    index.write_text('{"shardlist": [1]}')
    assert run_key(simgan_config(_cfg()), [index]) != base  # new data: start over
