"""The downstream hand-pose estimator: a stacked hourglass predicting 14 joint heatmaps.

Two presets (`HOURGLASS_PRESETS`):
- "paper": the SimGAN paper's estimator: 2 hourglass blocks and 64 x 64 heatmaps of
  the 14 NYU joints on a 224 x 224 crop (256 channels, 4 halvings, as Newell et al.);
  for a GPU.
- "default": the same design sized for the CPU budget: 16 x 16 heatmaps (stride 4 on
  the 64 x 64 crop), 2 hourglasses of 2 halvings, 24 channels, basic residual modules
  (one 3x3 conv each: on a CPU the per-layer cost dominates at this size, and a third
  of the layers trains about 1.3x faster per step).

Each stack outputs heatmap logits; softmax over the cells makes them distributions.
Training (every stack supervised, Adam, cosine or constant schedule, seeded batches):
the L1 distance in heatmap cells between the soft-argmax position and the joint, plus
the cross-entropy from the Gaussian target heatmap (built from joints_uv, normalised to
sum 1) to the predicted distribution (the DSNT recipe, Nibali et al. 2018: coordinates
learnt directly, heatmaps kept Gaussian). Chosen on synthetic labels only: in the
stage's budget the classic heatmap MSE (preset "default_mse") barely leaves the constant
guess, 2.9% of held-out synthetic joints within 5 px at its best rate against this
loss's 27.8% (experiments.estimator_lr, README). Optional generic depth augmentation
(simgan_core/augment.py, DEPTH_AUGMENT: noise, blur, holes; label-preserving, so no
rotations or crops here). Prediction: the soft-argmax of the last stack, in crop pixels
(sub-pixel by construction); "default_mse" predicts by arg-max + log-parabola
(`heatmaps.decode_heatmaps`).
The API has the shape of simgan_core/gaze/estimator.py:
EstimatorConfig / train_estimator(log=...) / predict_joints_uv / joint_errors_px.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from simgan_core.augment import DEPTH_AUGMENT, AugmentConfig
from simgan_core.fit_loop import StepLog, check_fit_config, fit
from simgan_core.hand.heatmaps import decode_heatmaps, gaussian_heatmaps, soft_argmax
from simgan_core.hand.hourglass import StackedHourglass
from simgan_core.hand.joints import N_EVAL
from simgan_core.hand.metrics import joint_distances_px
from simgan_core.hand.spec import HAND


@dataclass(frozen=True)
class HourglassPreset:
    channels: int
    stacks: int
    depth: int  # halvings inside one hourglass
    heatmap_size: int  # H: heatmaps are H x H
    sigma: float  # target Gaussian's sd, in heatmap cells
    bottleneck: bool  # Newell's bottleneck residual modules, or basic 3x3 ones
    # "dsnt": soft-argmax L1 + cross-entropy to the target distributions, predicting by
    # soft-argmax; "mse": the classic heatmap regression (MSE to peak-1 Gaussians),
    # predicting by arg-max + log-parabola (heatmaps.decode_heatmaps)
    loss: str = "dsnt"


HOURGLASS_PRESETS: dict[str, HourglassPreset] = {
    "default": HourglassPreset(channels=24, stacks=2, depth=2, heatmap_size=16, sigma=1.0,
                               bottleneck=False),
    "paper": HourglassPreset(channels=256, stacks=2, depth=4, heatmap_size=64, sigma=1.0,
                             bottleneck=True),
    # The default network trained the classic way: the loss's comparison (README)
    "default_mse": HourglassPreset(channels=24, stacks=2, depth=2, heatmap_size=16,
                                   sigma=1.0, bottleneck=False, loss="mse"),
}
PRESETS: tuple[str, ...] = tuple(HOURGLASS_PRESETS)


class HandEstimator(nn.Module):
    """A preset's hourglass; `preset` travels with the weights (build_estimator(preset))."""

    def __init__(self, preset: str) -> None:
        super().__init__()
        if preset not in HOURGLASS_PRESETS:
            raise ValueError(f"unknown estimator preset {preset!r}; known: {PRESETS}")
        self.preset = preset
        p = HOURGLASS_PRESETS[preset]
        self.sigma = p.sigma
        self.heatmap_size = p.heatmap_size
        self.loss_kind = p.loss
        self.net = StackedHourglass(N_EVAL, p.channels, p.stacks, p.depth, p.heatmap_size,
                                    p.bottleneck)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:  # (B,1,S,S) -> [(B,14,H,H)]
        """Heatmap logits of every stack."""
        return self.net(x)

    def targets(self, joints_uv: np.ndarray, crop_size: int) -> torch.Tensor:
        """(N, 14, 2) crop pixels -> (N, 14, H, H) Gaussian targets: distributions (each
        map sums to 1; a joint far outside the crop gives a uniform-ish map) for "dsnt",
        peak-1 heatmaps for "mse"."""
        g = gaussian_heatmaps(joints_uv, crop_size, self.heatmap_size, self.sigma)
        if self.loss_kind == "mse":
            return g
        return g / g.sum(dim=(2, 3), keepdim=True).clamp_min(1e-12)

    def loss(self, outputs: list[torch.Tensor], target: torch.Tensor, uv: torch.Tensor,
             crop_size: int) -> torch.Tensor:
        """Summed over the stacks. "dsnt": L1 of soft-argmax - joint (heatmap cells) plus
        the cross-entropy from the target distributions (B, 14, H, H) to the predicted
        ones; "mse": the mean squared error of the (B, 14, H, H) outputs against the
        peak-1 target heatmaps (uv and crop_size unused)."""
        if self.loss_kind == "mse":
            return torch.stack([(out - target).pow(2).mean() for out in outputs]).sum()
        stride = crop_size / self.heatmap_size
        total = torch.zeros(())
        for logits in outputs:
            b, j, h, w = logits.shape
            log_p = torch.log_softmax(logits.reshape(b, j, h * w), dim=-1)
            cross_entropy = -(target.reshape(b, j, h * w) * log_p).sum(dim=-1).mean()
            coords = (soft_argmax(logits, crop_size) - uv).abs().mean() / stride
            total = total + coords + cross_entropy
        return total


def build_estimator(preset: str) -> HandEstimator:
    """A freshly initialised estimator (initialised from torch's global generator)."""
    return HandEstimator(preset)


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, S, S) uint16 depth -> (N, 1, S, S) float32 in [-1, 1] (HAND.to_unit), in
    channels_last memory order (what the model uses: about 1.2x faster convs on a CPU)."""
    x = torch.from_numpy(HAND.to_unit(images)).unsqueeze(1)
    return x.contiguous(memory_format=torch.channels_last)


@dataclass(frozen=True)
class EstimatorConfig:
    """How to train one estimator (same fields as the gaze estimator's)."""

    preset: str = "default"
    steps: int = 400
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"
    seed: int = 0
    augment: bool = False  # generic depth augmentation per batch
    augment_config: AugmentConfig = DEPTH_AUGMENT

    def __post_init__(self) -> None:
        check_fit_config(self, self.preset, PRESETS)


def _joints(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Check (N, S, S) uint16 images and (N, 28) or (N, 14, 2) labels; -> (N, 14, 2)."""
    if images.dtype != np.uint16 or images.ndim != 3 or images.shape[1] != images.shape[2]:
        raise ValueError(f"expected (N, S, S) uint16 depth crops, got {images.dtype} "
                         f"{images.shape}")
    if len(images) == 0:
        raise ValueError("no images")
    uv = np.asarray(labels, dtype=np.float64)
    if uv.size != len(images) * N_EVAL * 2 or len(uv) != len(images):
        raise ValueError(f"expected ({len(images)}, {N_EVAL}, 2) joint labels, got {uv.shape}")
    if not np.isfinite(uv).all():
        raise ValueError("joint labels contain NaN or inf")
    return uv.reshape(len(images), N_EVAL, 2)


def train_estimator(images: np.ndarray, joints_uv: np.ndarray, cfg: EstimatorConfig,
                    log: StepLog | None = None, device: torch.device | str = "cpu",
                    sample_weights: np.ndarray | None = None) -> HandEstimator:
    """Fit (N, S, S) uint16 depth crops to their joints ((N, 28) or (N, 14, 2) crop
    pixels); returns the model in eval mode.

    Seeded like the gaze estimator: batches from a torch Generator, augmentation from a
    numpy Generator, weights from cfg.seed, torch's global generator left untouched;
    on the CPU the same inputs and config give the same weights. `log(step, values)`
    gets the batch loss and the learning rate after every step; `sample_weights` ((N,))
    draw the batches in proportion to them (label matching).
    """
    uv = _joints(images, joints_uv)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = build_estimator(cfg.preset)
    model.to(device, memory_format=torch.channels_last).train()
    crop = images.shape[-1]
    y = model.targets(uv, crop)  # (N, 14, H, H), built once
    uv_t = torch.from_numpy(uv).float()  # (N, 14, 2) crop pixels
    return fit(model, images, cfg, images_to_tensor,
               lambda out, idx: model.loss(out, y[idx].to(device), uv_t[idx].to(device), crop),
               log, device, foreach=True,  # one fused update over the many small tensors
               sample_weights=sample_weights)


def _decode(model: HandEstimator, last: torch.Tensor, crop_size: int) -> torch.Tensor:
    """The last stack's (B, 14, H, H) output -> (B, 14, 2) crop pixels, as its loss reads it."""
    if model.loss_kind == "mse":
        return torch.from_numpy(decode_heatmaps(last.float().cpu().numpy(), crop_size,
                                                model.sigma))
    return soft_argmax(last, crop_size).cpu()


@torch.no_grad()
def predict_joints_uv(model: HandEstimator, images: np.ndarray, batch_size: int = 256
                      ) -> np.ndarray:
    """(N, S, S) uint16 -> (N, 14, 2) float64 predicted (u, v) in crop pixels (eval mode;
    the model's train/eval mode is restored afterwards)."""
    if images.dtype != np.uint16 or images.ndim != 3:
        raise ValueError(f"expected (N, S, S) uint16 depth crops, got {images.dtype} "
                         f"{images.shape}")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        uv = [_decode(model, model(images_to_tensor(images[i:i + batch_size]).to(device))[-1],
                      images.shape[-1])
              for i in range(0, len(images), batch_size)]
    finally:
        model.train(was_training)
    if not uv:
        return np.zeros((0, N_EVAL, 2))
    return torch.cat(uv).numpy().astype(np.float64)


def joint_errors_px(model: HandEstimator, images: np.ndarray, joints_uv: np.ndarray
                    ) -> np.ndarray:
    """(N, 14) distances between predicted and true joints, in pixels at the paper's
    224-pixel scale, for (N, S, S) uint16 crops and (N, 28) or (N, 14, 2) labels."""
    uv = _joints(images, joints_uv)
    return joint_distances_px(predict_joints_uv(model, images), uv, images.shape[-1])
