"""The downstream gaze estimator: trained on one training set, judged on real_test.

Three presets:
- "default": the project's compact CPU-budget CNN (`GazeRegressor` at width 8, about
  2.3 MFLOP per image), predicting (pitch, yaw) directly with an L1 loss.
- "wide": the same CNN at width 16 (GazeRegressor's own default), about 1.2x the
  training time; the params' choice, made on held-out synthetic labels (WIDTHS).
- "paper": the estimator of the SimGAN paper (like Zhang et al., CVPR 2015), predicting
  a 3-D gaze vector with a Euclidean loss; about 0.2 GFLOP per image, for a GPU.

All take (B, 1, 35, 55) images in [-1, 1] (`images_to_tensor`) and are evaluated the
same way: predictions converted to (pitch, yaw) radians in the project's convention,
then the angle between predicted and true gaze vectors (`conventions.angular_error_deg`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from simgan_core.augment import AugmentConfig
from simgan_core.fit_loop import StepLog, check_fit_config, fit
from simgan_core.gaze.conventions import angular_error_deg, gaze_to_pitchyaw, pitchyaw_to_gaze
from simgan_core.gaze.regressor import GazeRegressor, images_to_tensor

# GazeRegressor's base width per preset. Chosen on synthetic labels only (README, "The
# estimators' learning rate, chosen again without real labels"): trained on 10000
# synthetic images and scored on 2000 held out (seeds 0-2, the stage's budget), width 16
# erred 6.38 +- 0.02 deg against width 8's 7.10 +- 0.32, at about 1.2x the training time
# (14.5 against 12 s an estimator there); the params use "wide".
WIDTHS = {"default": 8, "wide": 16}
PRESETS: tuple[str, ...] = (*WIDTHS, "paper")  # "paper": PaperGazeNet, the paper's CNN
WITHIN_DEG = 7.0  # the paper's headline threshold: "percentage of images within 7 degrees"


class PaperGazeNet(nn.Module):
    """The SimGAN paper's gaze CNN: conv3x3(32) conv3x3(32) conv3x3(64) maxpool3x3/2
    conv3x3(80) conv3x3(192) maxpool2x2/2 FC9600 FC1000 FC3.

    (B, 1, 35, 55) -> (B, 3), an unnormalised gaze vector (x right, y down, z forward).

    How "FC9600" is read: with unpadded ("valid", Caffe's default) 3x3 convolutions a
    35 x 55 input leaves exactly 192 x 5 x 10 = 9,600 features after the last pool, so
    FC9600 is the flattened feature vector that feeds FC1000, not a layer with 9,600
    outputs (that would be a 9600 x 9600 = 92M-weight layer, and the numbers match
    too well to be a coincidence). ReLU after every conv and after FC1000; no
    normalisation layers, as in the 2015 design.
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(),  # (B, 32, 33, 53)
            nn.Conv2d(32, 32, 3), nn.ReLU(),  # (B, 32, 31, 51)
            nn.Conv2d(32, 64, 3), nn.ReLU(),  # (B, 64, 29, 49)
            nn.MaxPool2d(3, stride=2),  # (B, 64, 14, 24)
            nn.Conv2d(64, 80, 3), nn.ReLU(),  # (B, 80, 12, 22)
            nn.Conv2d(80, 192, 3), nn.ReLU(),  # (B, 192, 10, 20)
            nn.MaxPool2d(2, stride=2),  # (B, 192, 5, 10) = 9,600 features
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(9600, 1000), nn.ReLU(),
                                  nn.Linear(1000, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, 35, 55) -> (B, 3)
        return self.head(self.features(x))


class GazeEstimator(nn.Module):
    """A preset's network plus what its outputs mean.

    `predicts` is "pitchyaw" ((B, 2) radians) or "vector" ((B, 3) gaze vector); the
    preset name travels with the weights so a checkpoint can be rebuilt with
    `build_estimator(preset)` and `load_state_dict`.
    """

    def __init__(self, preset: str) -> None:
        super().__init__()
        if preset not in PRESETS:
            raise ValueError(f"unknown estimator preset {preset!r}; known: {PRESETS}")
        self.preset = preset
        self.net: nn.Module = (GazeRegressor(width=WIDTHS[preset]) if preset in WIDTHS
                               else PaperGazeNet())
        self.predicts = "pitchyaw" if preset in WIDTHS else "vector"

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, H, W) -> (B, 2) or (B, 3)
        return self.net(x)

    def targets(self, pitchyaw: np.ndarray) -> torch.Tensor:
        """(N, 2) radians -> (N, 2) or (N, 3) float32 regression targets."""
        if self.predicts == "pitchyaw":
            return torch.from_numpy(np.asarray(pitchyaw, dtype=np.float32))
        return torch.from_numpy(pitchyaw_to_gaze(pitchyaw).astype(np.float32))

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Scalar loss of a batch: L1 on (pitch, yaw) radians, or the paper's Euclidean
        loss (squared L2 distance between gaze vectors, averaged over the batch)."""
        if self.predicts == "pitchyaw":
            return (output - target).abs().mean()
        return (output - target).pow(2).sum(dim=1).mean()

    def to_pitchyaw(self, output: np.ndarray) -> np.ndarray:
        """(N, 2) or (N, 3) raw outputs -> (N, 2) float64 (pitch, yaw) radians."""
        out = np.array(output, dtype=np.float64)  # a copy: zero rows are overwritten below
        if self.predicts == "pitchyaw":
            return out
        # A zero vector has no direction: call it "looking into the camera" rather than
        # letting a NaN through to the metrics.
        zero = np.linalg.norm(out, axis=1) == 0
        out[zero] = (0.0, 0.0, -1.0)
        return gaze_to_pitchyaw(out)


def build_estimator(preset: str) -> GazeEstimator:
    """A freshly initialised estimator (initialised from torch's global generator)."""
    return GazeEstimator(preset)


@dataclass(frozen=True)
class EstimatorConfig:
    """How to train one estimator. `lr` is Adam's; the paper used a constant 1e-3."""

    preset: str = "default"
    steps: int = 500
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0  # Adam's L2 penalty
    schedule: str = "cosine"  # "cosine" (to 0 at `steps`) or "constant"
    seed: int = 0
    augment: bool = False  # generic photometric augmentation per batch (`augment_batch`)
    augment_config: AugmentConfig = AugmentConfig()

    def __post_init__(self) -> None:
        check_fit_config(self, self.preset, PRESETS)


def train_estimator(images: np.ndarray, pitchyaw: np.ndarray, cfg: EstimatorConfig,
                    log: StepLog | None = None, device: torch.device | str = "cpu",
                    sample_weights: np.ndarray | None = None) -> GazeEstimator:
    """Fit (N, H, W) uint8 images to (N, 2) (pitch, yaw) radians; returns the model in
    eval mode.

    The shared loop (simgan_core/fit_loop.py) draws the batches and augmentation from
    cfg.seed; the weights are initialised from cfg.seed without touching torch's global
    generator. On the CPU the same inputs and config give the same weights. `log(step,
    values)` is called after every step with the batch loss and the learning rate used.
    `sample_weights` ((N,)): batches drawn in proportion to them (label matching).
    """
    _check_labelled(images, pitchyaw)
    with torch.random.fork_rng(devices=[]):  # seeded init, global generator left as it was
        torch.manual_seed(cfg.seed)
        model = build_estimator(cfg.preset)
    model.to(device).train()
    y = model.targets(pitchyaw)  # (N, 2) or (N, 3)
    return fit(model, images, cfg, images_to_tensor,
               lambda out, idx: model.loss(out, y[idx].to(device)), log, device,
               sample_weights=sample_weights)


@torch.no_grad()
def predict_pitchyaw(model: GazeEstimator, images: np.ndarray, batch_size: int = 512
                     ) -> np.ndarray:
    """(N, H, W) uint8 -> (N, 2) float64 predicted (pitch, yaw) radians (in eval mode;
    the model's train/eval mode is restored afterwards)."""
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"expected (N, H, W) uint8 images, got {images.dtype} {images.shape}")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        x = images_to_tensor(images)
        outputs = [model(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x),
                                                                              batch_size)]
    finally:
        model.train(was_training)
    width = 2 if model.predicts == "pitchyaw" else 3
    out = torch.cat(outputs).numpy() if outputs else np.zeros((0, width), np.float32)
    return model.to_pitchyaw(out)


def angular_errors_deg(model: GazeEstimator, images: np.ndarray, pitchyaw: np.ndarray
                       ) -> np.ndarray:
    """(N,) degrees between predicted and true gaze, for (N, H, W) uint8 images and
    (N, 2) true (pitch, yaw) radians."""
    _check_labelled(images, pitchyaw)
    return angular_error_deg(predict_pitchyaw(model, images), pitchyaw)


def error_summary(errors: np.ndarray) -> dict[str, float]:
    """(N,) angular errors in degrees -> mean_deg, median_deg and within_7deg (percent
    of images with error <= 7 degrees), the paper's gaze metrics."""
    e = _check_errors(errors)
    return {"mean_deg": float(e.mean()), "median_deg": float(np.median(e)),
            "within_7deg": float(100.0 * np.mean(e <= WITHIN_DEG))}


def error_cdf(errors: np.ndarray, grid_deg: np.ndarray) -> np.ndarray:
    """Percent of (N,) errors <= each value of grid_deg (G,) degrees -> (G,) float64,
    the curve behind the paper's "percentage of images within d degrees" plots."""
    e = np.sort(_check_errors(errors))
    grid = np.asarray(grid_deg, dtype=np.float64)
    return 100.0 * np.searchsorted(e, grid, side="right") / len(e)


def _check_labelled(images: np.ndarray, pitchyaw: np.ndarray) -> None:
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"expected (N, H, W) uint8 images, got {images.dtype} {images.shape}")
    if pitchyaw.shape != (len(images), 2):
        raise ValueError(f"expected ({len(images)}, 2) pitch/yaw labels, got {pitchyaw.shape}")
    if len(images) == 0:
        raise ValueError("no images")
    if not np.isfinite(pitchyaw).all():
        raise ValueError("pitch/yaw labels contain NaN or inf")


def _check_errors(errors: np.ndarray) -> np.ndarray:
    e = np.asarray(errors, dtype=np.float64).reshape(-1)
    if e.size == 0:
        raise ValueError("no errors to summarise")
    if not np.isfinite(e).all():
        # A diverged model must fail loudly, not average into a plausible-looking number.
        raise ValueError(f"{int((~np.isfinite(e)).sum())} of {e.size} errors are NaN or inf")
    return e
