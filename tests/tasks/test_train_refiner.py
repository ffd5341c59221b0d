"""The refiner stage's glue: presets by name, and which checkpoint may be resumed."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from simgan_core.gaze.spec import GAZE
from simgan_core.hand.spec import HAND
from simgan_core.refiner.device import cpu_has_native_bf16
from simgan_core.refiner.trainer import SimGANConfig
from tasks.params import TrainRefiner
from tasks.train_refiner import CORE_DEFAULTS, DERIVED_FIELDS, run_key, simgan_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def _cfg(**changes: object) -> TrainRefiner:
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())["train_refiner"]["gaze"]
    return TrainRefiner.model_validate(raw | changes)


def test_presets_are_looked_up_by_name() -> None:
    assert simgan_config(_cfg(refiner="paper_gaze"), GAZE).refiner.maps == 64
    with pytest.raises(ValueError, match=r"refiner\n.*unknown preset 'huge'"):
        _cfg(refiner="huge")  # refused when the params load, before any training


def test_every_core_setting_is_a_schema_field_or_derived() -> None:
    """A SimGANConfig field the schema does not declare (and the stage does not derive)
    would silently keep the core's default: each setting is declared once, by name."""
    schema = set(TrainRefiner.model_fields)
    unset = {f.name for f in fields(SimGANConfig)} - schema - set(DERIVED_FIELDS)
    assert unset == set(CORE_DEFAULTS)


def test_settings_pass_through_by_name() -> None:
    cfg = simgan_config(_cfg(lambda_reg=0.25, kg=3, history_dtype="float32"), HAND, seed=7)
    assert (cfg.lambda_reg, cfg.kg, cfg.history_dtype, cfg.seed) == (0.25, 3, "float32", 7)
    assert cfg.image_hw == HAND.image_hw


def test_run_key_follows_config_and_data_but_not_length(tmp_path: Path) -> None:
    index = tmp_path / "index.json"
    index.write_text('{"shardlist": []}')
    base = run_key(simgan_config(_cfg(), GAZE), [index])
    assert run_key(simgan_config(_cfg(steps=5000), GAZE), [index]) == base  # extend a run: resume
    assert run_key(simgan_config(_cfg(lambda_reg=0.1), GAZE), [index]) != base
    assert run_key(simgan_config(_cfg(refiner_ema=0.99), GAZE), [index]) != base
    index.write_text('{"shardlist": [1]}')
    assert run_key(simgan_config(_cfg(), GAZE), [index]) != base  # new data: start over


def test_auto_precision_is_bfloat16_where_the_cpu_has_it() -> None:
    """auto trains in bfloat16 where the CPU has it natively, for 8-bit eye crops and
    16-bit depth alike; an explicit setting is kept; the choice is part of the checkpoint
    key."""
    native = "bfloat16" if cpu_has_native_bf16() else "float32"
    assert simgan_config(_cfg(cpu_precision="auto"), GAZE).cpu_precision == native
    assert simgan_config(_cfg(cpu_precision="auto"), HAND).cpu_precision == native
    assert simgan_config(_cfg(cpu_precision="bfloat16"), HAND).cpu_precision == "bfloat16"
    assert simgan_config(_cfg(cpu_precision="float32"), GAZE).cpu_precision == "float32"
    index = REPO_ROOT / "params.yaml"  # any file stands in for the data's checksums
    keys = {run_key(simgan_config(_cfg(cpu_precision=p), GAZE), [index])
            for p in ("float32", "bfloat16")}
    assert len(keys) == 2


def test_run_key_covers_the_label_reader(tmp_path: Path) -> None:
    """A checkpoint trained against one frozen label reader is never resumed with another:
    the task-consistency term (and so the weights) depends on it."""
    import torch

    from simgan_core.label_shift import LabelRegressor

    index = tmp_path / "index.json"
    index.write_text('{"shardlist": []}')
    simcfg = simgan_config(_cfg(), GAZE)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        reader = LabelRegressor(2, 8)
        other = LabelRegressor(2, 8)
    same = LabelRegressor(2, 8)
    same.load_state_dict(reader.state_dict())
    key = run_key(simcfg, [index], reader=reader)
    assert run_key(simcfg, [index], reader=same) == key  # the same weights: resume
    assert run_key(simcfg, [index], reader=other) != key
    assert run_key(simcfg, [index]) != key  # no reader (lambda_task 0): another run
