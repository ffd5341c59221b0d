"""bfloat16 autocast of the CPU's training passes: what runs in bf16, what stays float32,
and how `auto` resolves."""

from __future__ import annotations

import pytest
import torch

from simgan_core.label_shift import LabelRegressor
from simgan_core.refiner.device import cpu_has_native_bf16, resolve_cpu_precision
from simgan_core.refiner.label_reader import freeze
from simgan_core.refiner.models import DiscriminatorConfig, RefinerConfig
from simgan_core.refiner.trainer import SimGANConfig, SimGANTrainer

CPU = torch.device("cpu")


def _trainer(precision: str) -> SimGANTrainer:
    cfg = SimGANConfig(refiner=RefinerConfig(1, 4, 1, 3, residual=True),
                       discriminator=DiscriminatorConfig(1, "gaze", 0.125), image_hw=(35, 55),
                       history_size=8, batch_size=4, lambda_task=1.0, seed=0,
                       cpu_precision=precision)
    return SimGANTrainer(cfg, CPU, label_reader=freeze(LabelRegressor(2, 4)))


def _batch(seed: int) -> torch.Tensor:
    return torch.rand(4, 1, 35, 55, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _conv_input_dtypes(model: torch.nn.Module, seen: set[torch.dtype]) -> list:
    """Hooks that record the output dtype of every Conv2d of `model` (under autocast a
    conv outputs the dtype it computed in)."""
    return [m.register_forward_hook(lambda _m, _i, out: seen.add(out.dtype))
            for m in model.modules() if isinstance(m, torch.nn.Conv2d)]


@pytest.mark.parametrize("precision,expected", [("float32", torch.float32),
                                                ("bfloat16", torch.bfloat16)])
def test_the_networks_convolutions_run_in_the_chosen_precision(
        precision: str, expected: torch.dtype) -> None:
    t = _trainer(precision)
    refiner_dtypes: set[torch.dtype] = set()
    critic_dtypes: set[torch.dtype] = set()
    reader_dtypes: set[torch.dtype] = set()
    hooks = (_conv_input_dtypes(t.refiner, refiner_dtypes)
             + _conv_input_dtypes(t.discriminator, critic_dtypes)
             + _conv_input_dtypes(t.label_reader, reader_dtypes))
    try:
        logs = [t.refiner_step(_batch(0)), t.disc_step(_batch(1), _batch(2))]
    finally:
        for hook in hooks:
            hook.remove()
    assert refiner_dtypes == {expected} and critic_dtypes == {expected}
    assert reader_dtypes == {torch.float32}  # the frozen reader's small differences
    assert all(torch.isfinite(torch.tensor(v)) for log in logs for v in log.values())
    # weights, their gradients' optimizer state, the history and the product: float32
    for model in (t.refiner, t.discriminator, t.product):
        assert {p.dtype for p in model.parameters()} == {torch.float32}
    moments = [s["exp_avg"].dtype for s in t.opt_refiner.state.values()]
    assert moments and set(moments) == {torch.float32}
    assert t.refine(_batch(3)).dtype == torch.float32


def test_a_precision_the_trainer_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="cpu_precision"):
        SimGANConfig(cpu_precision="float8")


def test_auto_resolves_to_what_the_cpu_computes_natively() -> None:
    assert resolve_cpu_precision("auto") == ("bfloat16" if cpu_has_native_bf16() else "float32")
    assert resolve_cpu_precision("float32") == "float32"
    assert resolve_cpu_precision("bfloat16") == "bfloat16"
