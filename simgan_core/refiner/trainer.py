"""SimGAN's alternating training (the paper's Algorithm 1), one unit at a time.

Schedule: `pretrain_refiner_steps` refiner steps on self-regularization alone, then
`pretrain_disc_steps` discriminator steps, then `steps` adversarial rounds of `kg`
refiner steps followed by `kd` discriminator steps. With `refiner_ema` > 0 a moving
average of the refiner's weights over the rounds is the product (`product`, `refine`).
`train_step` does one unit (a pretraining step or a round) and returns its losses as a
dict of floats; the caller owns data, logging and checkpoints (`state_dict` holds
everything for a bit-exact resume and loads with `torch.load(..., weights_only=True)`).

Batches come from callables returning (B, C, H, W) float tensors in [-1, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
from torch import nn

from simgan_core.refiner.device import pick_device
from simgan_core.refiner.history import ImageHistoryBuffer
from simgan_core.refiner.label_reader import label_consistency_loss
from simgan_core.refiner.losses import (
    PSI,
    REAL,
    REFINED,
    local_adversarial_loss,
    patch_accuracy,
    self_regularization_loss,
)
from simgan_core.refiner.models import (
    DISC_MODES,
    DISCRIMINATOR_PRESETS,
    REFINER_PRESETS,
    Discriminator,
    DiscriminatorConfig,
    Refiner,
    RefinerConfig,
)
from simgan_core.refiner.weight_average import WeightAverage

Batches = Callable[[], torch.Tensor]  # () -> (B, C, H, W) float in [-1, 1]
PHASES = ("pretrain_refiner", "pretrain_disc", "adversarial", "done")
# Every train_step returns all of these; NaN where the phase does not measure one.
LOG_KEYS = ("loss_reg", "loss_adv", "loss_task", "loss_refiner", "loss_disc",
            "loss_disc_refined", "loss_disc_real", "disc_acc_refined", "disc_acc_real",
            "disc_fooled")
_HISTORY_DTYPES = {"float16": torch.float16, "float32": torch.float32}
CPU_PRECISIONS = ("float32", "bfloat16")
_RESUMABLE_CHANGES = {"steps", "amp"}  # may differ on resume: extend a run, change the card


@dataclass(frozen=True)
class SimGANConfig:
    refiner: RefinerConfig = field(default_factory=lambda: REFINER_PRESETS["default_gaze"])
    discriminator: DiscriminatorConfig = field(
        default_factory=lambda: DISCRIMINATOR_PRESETS["default_gaze"])
    image_hw: tuple[int, int] = (35, 55)  # (H, W): sizes the preallocated history
    disc_mode: str = "local"  # "local" (patch map, the paper) | "global" (ablation)
    psi: str = "identity"  # self-regularization feature transform, a key of losses.PSI
    lambda_reg: float = 0.5  # weight of the per-pixel-mean self-regularization L1
    history_size: int = 12_800  # images; the paper does not give it
    use_history: bool = True  # False: the ablation without the history buffer
    history_dtype: str = "float32"  # "float16" halves the buffer's memory
    refiner_lr: float = 1e-3
    disc_lr: float = 1e-3
    optimizer: str = "adam"  # "adam" | "sgd"
    adam_betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 32  # for the caller's data streams; the trainer takes what it is given
    pretrain_refiner_steps: int = 1000
    pretrain_disc_steps: int = 200
    kg: int = 2  # refiner steps per adversarial round
    kd: int = 1  # discriminator steps per adversarial round
    steps: int = 2000  # adversarial rounds
    # Decay of the moving average of the refiner's weights over the adversarial rounds
    # (weight_average.py); the average is then the product (refine, saved model). 0 = off:
    # the last weights are the product.
    refiner_ema: float = 0.0
    # Weight of the task-consistency term (label_reader.py): |reader(R(x)) - reader(x)| in
    # standardized label units, added to the refiner's adversarial steps. 0 = off; > 0
    # needs a frozen `label_reader` given to the trainer.
    lambda_task: float = 0.0
    seed: int = 0
    amp: bool = True  # mixed precision when on CUDA; ignored on the CPU
    # The CPU's training passes: "float32", or "bfloat16" autocast of the refiner's and
    # the critic's convolutions (about 1.5-1.9x faster where the CPU has bf16 dot
    # products, e.g. AVX512-BF16 or AMX; emulated, hence slow, elsewhere). The losses,
    # the label reader, the weights and the optimizers stay float32. Ignored on CUDA.
    cpu_precision: str = "float32"

    def __post_init__(self) -> None:
        checks = {
            "disc_mode": self.disc_mode in DISC_MODES,
            "psi": self.psi in PSI,
            "optimizer": self.optimizer in ("adam", "sgd"),
            "history_dtype": self.history_dtype in _HISTORY_DTYPES,
            "cpu_precision": self.cpu_precision in CPU_PRECISIONS,
            "discriminator.channels": self.discriminator.channels == self.refiner.channels,
            "counts": min(self.history_size, self.batch_size, self.kg, self.kd) >= 1
            and min(self.pretrain_refiner_steps, self.pretrain_disc_steps, self.steps) >= 0,
            "lambda_reg": math.isfinite(self.lambda_reg) and self.lambda_reg >= 0,
            "lambda_task": math.isfinite(self.lambda_task) and self.lambda_task >= 0,
            "learning rates": all(math.isfinite(lr) and lr > 0
                                  for lr in (self.refiner_lr, self.disc_lr)),
            "refiner_ema": 0.0 <= self.refiner_ema < 1.0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid SimGANConfig field(s) {bad} in {self}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists for tuples) for checkpoints loaded with weights_only=True."""
        d = asdict(self)
        d["image_hw"], d["adam_betas"] = list(self.image_hw), list(self.adam_betas)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SimGANConfig:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown SimGANConfig keys: {sorted(unknown)}")
        kw = dict(d)
        kw["refiner"] = RefinerConfig(**d["refiner"])
        kw["discriminator"] = DiscriminatorConfig(**d["discriminator"])
        for key in ("image_hw", "adam_betas"):
            if key in kw:
                kw[key] = tuple(kw[key])
        return cls(**kw)


CHANNELS_LAST = torch.channels_last


class SimGANTrainer:
    def __init__(self, cfg: SimGANConfig, device: torch.device | None = None,
                 label_reader: nn.Module | None = None) -> None:
        self.cfg = cfg
        self.device = device if device is not None else pick_device()
        if cfg.lambda_task > 0 and label_reader is None:
            raise ValueError(f"lambda_task={cfg.lambda_task} needs a label_reader")
        # Frozen (label_reader.freeze): it scores R(x), it never learns.
        self.label_reader = label_reader.to(self.device) if cfg.lambda_task > 0 else None
        self.use_amp = cfg.amp and self.device.type == "cuda"
        self.cpu_bf16 = self.device.type == "cpu" and cfg.cpu_precision == "bfloat16"
        with torch.random.fork_rng(devices=[]):  # same seed, same weights; global RNG untouched
            torch.manual_seed(cfg.seed)
            # channels_last (NHWC): oneDNN's and cuDNN's native layout; on this project's
            # 2-core CPU it makes a training round 1.3-1.6x faster than NCHW.
            self.refiner = Refiner(cfg.refiner).to(self.device, memory_format=CHANNELS_LAST)
            self.discriminator = Discriminator(cfg.discriminator, cfg.disc_mode).to(
                self.device, memory_format=CHANNELS_LAST)
        self.average = WeightAverage(self.refiner, cfg.refiner_ema) if cfg.refiner_ema else None
        # What the gradient-taking forward passes call: the models themselves, or their
        # DistributedDataParallel wrappers (distributed.py: gradients averaged over ranks).
        # Checkpoints and inference always use the models' own state.
        self.refiner_for_training: nn.Module = self.refiner
        self.discriminator_for_training: nn.Module = self.discriminator
        self.opt_refiner = self._optimizer(self.refiner, cfg.refiner_lr)
        self.opt_disc = self._optimizer(self.discriminator, cfg.disc_lr)
        # Disabled scalers are pass-throughs, so one code path serves CPU and CUDA.
        self.scaler_refiner = torch.amp.GradScaler(self.device.type, enabled=self.use_amp)
        self.scaler_disc = torch.amp.GradScaler(self.device.type, enabled=self.use_amp)
        self.generator = torch.Generator().manual_seed(cfg.seed)  # the history's draws
        self.history = ImageHistoryBuffer(
            cfg.history_size, (cfg.refiner.channels, *cfg.image_hw), self.generator,
            dtype=_HISTORY_DTYPES[cfg.history_dtype], enabled=cfg.use_history)
        self.step = 0  # schedule units done: pretraining steps, then adversarial rounds

    def _optimizer(self, model: nn.Module, lr: float) -> torch.optim.Optimizer:
        if self.cfg.optimizer == "adam":
            return torch.optim.Adam(model.parameters(), lr=lr, betas=self.cfg.adam_betas)
        return torch.optim.SGD(model.parameters(), lr=lr)

    def _autocast(self) -> AbstractContextManager:
        """Inference (`refine`): fp16 on CUDA only; float32 on every CPU."""
        return torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp)

    def _train_autocast(self) -> AbstractContextManager:
        """The gradient-taking passes of the refiner and the critic: fp16 on CUDA, bf16 on
        a CPU with cpu_precision "bfloat16", else float32."""
        if self.cpu_bf16:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return self._autocast()

    def _batch(self, images: torch.Tensor) -> torch.Tensor:
        expected = (self.cfg.refiner.channels, *self.cfg.image_hw)
        if images.dim() != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"expected a (B, {expected}) batch, got {tuple(images.shape)}")
        return images.to(self.device, torch.float32, non_blocking=True,
                         memory_format=CHANNELS_LAST)

    def _noise(self, x: torch.Tensor) -> torch.Tensor | None:
        """(B, noise_maps, H, W) fresh N(0, 1) draws from the checkpointed generator for a
        training pass; None (no draw) without noise_maps."""
        if not (maps := self.cfg.refiner.noise_maps):
            return None
        noise = torch.randn((x.shape[0], maps, *x.shape[2:]), generator=self.generator)
        return noise.to(self.device, memory_format=CHANNELS_LAST)

    @staticmethod
    def _update(loss: torch.Tensor, optimizer: torch.optim.Optimizer,
                scaler: torch.amp.GradScaler) -> None:
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    # --- the three kinds of step ---------------------------------------------------------

    def refiner_pretrain_step(self, synthetic: torch.Tensor) -> dict[str, float]:
        """Self-regularization only: the refiner starts close to the identity (psi-wise)."""
        x = self._batch(synthetic)  # (B, C, H, W)
        with self._train_autocast():
            refined = self.refiner_for_training(x, self._noise(x))
        loss = self_regularization_loss(refined, x, self.cfg.psi)  # float32
        self._update(loss, self.opt_refiner, self.scaler_refiner)
        return {"loss_reg": loss.item()}

    def disc_step(self, synthetic: torch.Tensor, real: torch.Tensor) -> dict[str, float]:
        """D on refined (half from the history) vs real; the refiner gets no gradient."""
        x, y = self._batch(synthetic), self._batch(real)
        with torch.no_grad(), self._train_autocast():
            refined = self.refiner(x, self._noise(x)).float()  # (B, C, H, W), no graph
        refined = self.history.mix(refined)  # (B, C, H, W): B - B//2 current, B//2 earlier
        with self._train_autocast():
            # one pass; no batch norm
            logits = self.discriminator_for_training(torch.cat([refined, y]))
        logits_refined, logits_real = logits[:refined.shape[0]], logits[refined.shape[0]:]
        loss_refined = local_adversarial_loss(logits_refined, REFINED)  # float32
        loss_real = local_adversarial_loss(logits_real, REAL)
        loss = loss_refined + loss_real
        self._update(loss, self.opt_disc, self.scaler_disc)
        return {"loss_disc": loss.item(), "loss_disc_refined": loss_refined.item(),
                "loss_disc_real": loss_real.item(),
                "disc_acc_refined": patch_accuracy(logits_refined, REFINED).item(),
                "disc_acc_real": patch_accuracy(logits_real, REAL).item()}

    def refiner_step(self, synthetic: torch.Tensor) -> dict[str, float]:
        """-log(1 - D_refined(R(x))) + lambda * self-reg; only the refiner gets gradients."""
        x = self._batch(synthetic)
        self.discriminator.requires_grad_(False)  # D is a fixed critic for this step
        try:
            with self._train_autocast():
                refined = self.refiner_for_training(x, self._noise(x))  # (B, C, H, W)
                # the frozen critic: its own module, no gradient of its own to average
                logits = self.discriminator(refined)  # (B, 2, h, w)
            # The losses and the frozen reader in float32: the differences they take
            # (R(x) - x, reader(R(x)) - reader(x)) are small against bf16's 3 digits.
            refined = refined.float()
            loss_adv = local_adversarial_loss(logits, REAL)
            loss_reg = self_regularization_loss(refined, x, self.cfg.psi)
            loss = loss_adv + self.cfg.lambda_reg * loss_reg
            if self.label_reader is not None:
                loss_task = label_consistency_loss(self.label_reader, refined, x)
                loss = loss + self.cfg.lambda_task * loss_task
            self._update(loss, self.opt_refiner, self.scaler_refiner)
        finally:
            self.discriminator.requires_grad_(True)
        if self.average is not None:
            self.average.update(self.refiner)
        logs = {"loss_refiner": loss.item(), "loss_adv": loss_adv.item(),
                "loss_reg": loss_reg.item(), "disc_fooled": patch_accuracy(logits, REAL).item()}
        if self.label_reader is not None:
            logs["loss_task"] = loss_task.item()
        return logs

    # --- the schedule --------------------------------------------------------------------

    @property
    def total_steps(self) -> int:
        c = self.cfg
        return c.pretrain_refiner_steps + c.pretrain_disc_steps + c.steps

    @property
    def phase(self) -> str:
        """The phase of the next unit of work."""
        c = self.cfg
        if self.step < c.pretrain_refiner_steps:
            return "pretrain_refiner"
        if self.step < c.pretrain_refiner_steps + c.pretrain_disc_steps:
            return "pretrain_disc"
        return "adversarial" if self.step < self.total_steps else "done"

    @property
    def product(self) -> Refiner:
        """The refiner to refine with and to save: the weight average when on, else the
        weights as they are."""
        return self.average.model if self.average is not None else self.refiner

    def train_round(self, next_synthetic: Batches, next_real: Batches) -> dict[str, float]:
        """kg refiner steps, then kd discriminator steps; losses averaged over each."""
        c = self.cfg
        first_round = self.step == c.pretrain_refiner_steps + c.pretrain_disc_steps
        if self.average is not None and first_round:
            self.average.reset(self.refiner)  # the average covers the adversarial rounds only
        logs = [self.refiner_step(next_synthetic()) for _ in range(self.cfg.kg)]
        logs += [self.disc_step(next_synthetic(), next_real()) for _ in range(self.cfg.kd)]
        keys = {k for log in logs for k in log}
        return {k: sum(log[k] for log in logs if k in log) / sum(k in log for log in logs)
                for k in sorted(keys)}

    def train_step(self, next_synthetic: Batches, next_real: Batches) -> dict[str, Any]:
        """One unit of the schedule -> {"phase", "step" (units done), *LOG_KEYS} (floats)."""
        phase = self.phase
        if phase == "pretrain_refiner":
            losses = self.refiner_pretrain_step(next_synthetic())
        elif phase == "pretrain_disc":
            losses = self.disc_step(next_synthetic(), next_real())
        elif phase == "adversarial":
            losses = self.train_round(next_synthetic, next_real)
        else:
            raise RuntimeError(f"schedule finished after {self.step} steps")
        self.step += 1
        return {"phase": phase, "step": self.step, **dict.fromkeys(LOG_KEYS, math.nan), **losses}

    def fit(self, next_synthetic: Batches, next_real: Batches,
            callback: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Run the rest of the schedule; `callback(log)` after each unit (curves, checkpoints)."""
        while self.phase != "done":
            log = self.train_step(next_synthetic, next_real)
            if callback is not None:
                callback(log)

    def refine(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) in [-1, 1] -> refined by the product, float32 on the trainer's
        device; eval, no grad."""
        refiner = self.product
        was_training = refiner.training
        refiner.eval()
        try:
            with torch.no_grad(), self._autocast():
                return refiner(self._batch(images)).float()
        finally:
            refiner.train(was_training)

    # --- checkpoints ---------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything for an exact resume: tensors, dicts, lists, str, int, float, bool only."""
        state = {
            "config": self.cfg.to_dict(),
            "step": self.step,
            "refiner": self.refiner.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_refiner": self.opt_refiner.state_dict(),
            "opt_disc": self.opt_disc.state_dict(),
            "scaler_refiner": self.scaler_refiner.state_dict(),
            "scaler_disc": self.scaler_disc.state_dict(),
            "history": self.history.state_dict(),
            "history_generator": self.generator.get_state(),
            # The caller's data callables may draw from torch's global RNG (noise, crops).
            "torch_rng": torch.get_rng_state(),
        }
        if self.average is not None:
            state["refiner_average"] = self.average.model.state_dict()
        if self.label_reader is not None:
            state["label_reader"] = self.label_reader.state_dict()
        if self.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        mine, theirs = self.cfg.to_dict(), state["config"]
        differ = sorted(k for k in mine.keys() | theirs.keys()
                        if k not in _RESUMABLE_CHANGES and mine.get(k) != theirs.get(k))
        if differ:
            raise ValueError(f"checkpoint config differs from this trainer's in {differ}")
        self.refiner.load_state_dict(state["refiner"])
        self.discriminator.load_state_dict(state["discriminator"])
        if self.average is not None:
            self.average.model.load_state_dict(state["refiner_average"])
        if self.label_reader is not None:
            self.label_reader.load_state_dict(state["label_reader"])
        self.opt_refiner.load_state_dict(state["opt_refiner"])
        self.opt_disc.load_state_dict(state["opt_disc"])
        if self.use_amp:  # a CPU checkpoint's disabled scalers have nothing to load
            if state["scaler_refiner"]:
                self.scaler_refiner.load_state_dict(state["scaler_refiner"])
            if state["scaler_disc"]:
                self.scaler_disc.load_state_dict(state["scaler_disc"])
        self.history.load_state_dict(state["history"])
        self.generator.set_state(state["history_generator"])
        torch.set_rng_state(state["torch_rng"])
        if self.device.type == "cuda" and "cuda_rng" in state:
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        self.step = int(state["step"])

    @classmethod
    def from_state_dict(cls, state: dict[str, Any], device: torch.device | None = None,
                        label_reader: nn.Module | None = None) -> SimGANTrainer:
        """A trainer resumed from `state`; with lambda_task > 0, `label_reader` is a reader
        of the same shape, whose weights the state's replace."""
        trainer = cls(SimGANConfig.from_dict(state["config"]), device, label_reader)
        trainer.load_state_dict(state)
        return trainer
