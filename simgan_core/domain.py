"""The domain contract: what every stage after ingest needs to know about a domain.

Gaze (8-bit grayscale eye crops) and hand pose (16-bit depth crops) are two
instances of one idea. Ingest is domain-specific (its readers and crop); everything
downstream (refiner training, refinement, shards, estimators, evaluation, report)
is written once against `Domain`:

- image: shape (H, W), dtype and how stored pixel values map to the network's
  [-1, 1] range (`to_unit` / `from_unit`, inverse of each other up to rounding);
- annotation: the JSON keys a canonical sample must carry (`required_keys`) and the
  label vector an estimator learns (`label_vector`);
- judging: which estimator family and which metric keys evaluate it;
- held out: the unit real_test must not share with any training split (`leak_unit`);
- label shift: the figures a synthetic-trained model gives on x and R(x)
  (`label_shift`), and the one of them that candidate selection reads (`shift_metric`);
- report: what the evaluate stage's error curve is and how the report page words it,
  and which metrics files the page tabulates (`report`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

HEADLINE_KEYS = {"ratio": "refined_over_synthetic", "gap_closed": "refined_gap_closed"}
# What real_test holds out from every training split: whole subjects (MPIIGaze's people),
# or a folder of its own (NYU's test/, whose poses no training split may render).
LEAK_UNITS = ("subject", "folder")

# (domain, synthetic images (N, H, W), their labels (N, L), their annotations, refined
#  images (N, H, W), mean |R(x) - x| in [-1, 1] units, the judge's training steps)
#  -> the domain's label-shift figures, by metrics key
LabelShift = Callable[["Domain", np.ndarray, np.ndarray, Sequence[Mapping[str, Any]],
                       np.ndarray, float, int], dict[str, float]]


@dataclass(frozen=True)
class CurveText:
    """The evaluate stage's cumulative error curve and how the report reads it."""

    x_column: str  # the curve CSV's threshold column, "<name>_<unit>" (error_deg)
    heading: str
    title: str
    y_label: str
    caption: str


@dataclass(frozen=True)
class ReportText:
    """The words of one domain's report page."""

    data_note: str  # where the default run's data came from
    curve: CurveText
    # metrics files (in the report's metrics_dir) shown as key/value tables, in order
    summary_files: tuple[str, ...]
    ablations_file: str | None  # the ablations table, for a domain that has them


@dataclass(frozen=True)
class Domain:
    name: str  # "gaze" | "hand"; also the folder name under data/, models/, metrics/
    image_hw: tuple[int, int]  # canonical (H, W)
    dtype: type[np.unsignedinteger]  # stored pixel type: np.uint8 or np.uint16
    required_keys: tuple[str, ...]  # top-level annotation keys of a canonical sample
    label_vector: Callable[[Mapping[str, Any]], np.ndarray]  # annotation -> (L,) float
    estimator: str  # "gaze_regressor" | "heatmap_hourglass"
    metrics: tuple[str, ...]  # keys written per training set by the evaluate stage
    # The headline: what training on refined images buys on real_test, on headline_metric
    # (one of `metrics`): "ratio" = refined / synthetic, for an error (below 1 is better);
    # "gap_closed" = (refined - synthetic) / (real_oracle - synthetic), for a score (1 =
    # the whole gap to real labels closed, 0 = none of it).
    headline_metric: str
    headline: str
    leak_unit: str  # one of LEAK_UNITS
    label_shift: LabelShift
    shift_metric: str  # the key of label_shift's figures that candidate selection reads
    report: ReportText

    def __post_init__(self) -> None:
        if self.headline not in HEADLINE_KEYS or self.headline_metric not in self.metrics:
            raise ValueError(f"domain {self.name}: headline {self.headline!r} on "
                             f"{self.headline_metric!r} (one of {self.metrics})")
        if self.leak_unit not in LEAK_UNITS:
            raise ValueError(f"domain {self.name}: leak_unit {self.leak_unit!r} "
                             f"(one of {LEAK_UNITS})")

    @property
    def headline_key(self) -> str:
        """The headline's key in evaluate.json."""
        return HEADLINE_KEYS[self.headline]

    @property
    def headline_lower_is_better(self) -> bool:
        return self.headline == "ratio"

    @property
    def max_value(self) -> float:
        return float(np.iinfo(self.dtype).max)

    def to_unit(self, image: np.ndarray) -> np.ndarray:
        """Stored pixels (H, W) -> float32 in [-1, 1] (the refiner's tanh range)."""
        return (np.asarray(image, dtype=np.float32) / self.max_value) * 2.0 - 1.0

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """float in [-1, 1] (H, W) -> stored pixels, rounded and clipped."""
        scaled = (np.clip(np.asarray(unit, dtype=np.float64), -1.0, 1.0) + 1.0) / 2.0
        return np.rint(scaled * self.max_value).astype(self.dtype)

    def check_annotation(self, annotation: Mapping[str, Any], key: str) -> None:
        """Raise ValueError naming the sample when a required annotation key is missing."""
        missing = [k for k in self.required_keys if k not in annotation]
        if missing or annotation.get("domain") != self.name:
            raise ValueError(f"sample {key}: not a {self.name} annotation (missing {missing})")


def _gaze_label(annotation: Mapping[str, Any]) -> np.ndarray:
    """(pitch, yaw) in radians, project convention (see gaze/conventions.py)."""
    gaze = annotation["gaze"]
    return np.array([gaze["pitch"], gaze["yaw"]], dtype=np.float64)


def _hand_label(annotation: Mapping[str, Any]) -> np.ndarray:
    """The 14 evaluated joints' (u, v) in crop pixels, flattened to (28,)."""
    return np.asarray(annotation["joints_uv"], dtype=np.float64).reshape(-1)


def _gaze_label_shift(*args: Any) -> dict[str, float]:
    from simgan_core.gaze.label_judge import gaze_label_shift  # torch: imported when judged

    return gaze_label_shift(*args)


def _hand_label_shift(*args: Any) -> dict[str, float]:
    from simgan_core.hand.label_judge import hand_label_shift

    return hand_label_shift(*args)


GAZE = Domain(
    name="gaze",
    image_hw=(35, 55),
    dtype=np.uint8,
    required_keys=("domain", "eye", "gaze", "head_pose", "landmarks", "provenance"),
    label_vector=_gaze_label,
    estimator="gaze_regressor",
    metrics=("mean_deg", "median_deg", "within_7deg"),
    headline_metric="mean_deg",
    headline="ratio",
    leak_unit="subject",
    label_shift=_gaze_label_shift,
    shift_metric="gaze_shift_deg",
    report=ReportText(
        data_note=(
            "This run uses the project's built-in simulator (written in UnityEyes' format) "
            "and its stand-in real camera (the same eye geometry through a different "
            "appearance model, written in MPIIGaze's format), not the public datasets. The "
            "stand-in's labels are used only for evaluation and for the real-data oracle."),
        curve=CurveText(
            x_column="error_deg",
            heading="Error distribution",
            title="Error on the real test set (cumulative)",
            y_label="images within error (%)",
            caption=("Share of real test images whose error is at most the threshold, mean "
                     "over seeds (as in the paper's Fig. 7).")),
        summary_files=("refiner.json", "domain_gap.json", "ingest.json"),
        ablations_file="ablations.json",
    ),
)

# The hand-pose domain: 16-bit depth crops (NYU's layout), in [-1, 1] within a metric
# cube around the palm centre.
HAND = Domain(
    name="hand",
    image_hw=(64, 64),
    dtype=np.uint16,
    required_keys=("domain", "joints_uv", "joints_xyz_mm", "cube_mm", "provenance"),
    label_vector=_hand_label,
    estimator="heatmap_hourglass",
    metrics=("pck_5px", "mean_px"),
    headline_metric="pck_5px",
    headline="gap_closed",
    leak_unit="folder",
    label_shift=_hand_label_shift,
    shift_metric="joint_shift_px_224",
    report=ReportText(
        data_note=(
            "This run uses the project's built-in hand simulator (synthetic depth renders "
            "written in the NYU hand pose release's format) and its stand-in real Kinect "
            "(the same kind of poses through a structured-light sensor model: holes, flying "
            "pixels, quantization, noise, background), not the public NYU dataset. The "
            "stand-in's labels are used only for evaluation and for the real-data oracle. "
            "Depth crops are shown near = dark, back of the crop cube (and holes) = white."),
        curve=CurveText(
            x_column="error_px",
            heading="Joints within a distance (PCK curve)",
            title="Joint error on the real test set (cumulative)",
            y_label="joints within distance (%)",
            caption=("Share of the 14 joints of the real test crops whose predicted position "
                     "is within d pixels of the label, at the paper's 224-pixel crop scale, "
                     "mean over seeds; the value at 5 px is the paper's hand metric.")),
        summary_files=("refiner.json", "ingest.json"),  # no domain-gap stage, no ablations
        ablations_file=None,
    ),
)

DOMAINS: dict[str, Domain] = {d.name: d for d in (GAZE, HAND)}


def get_domain(name: str) -> Domain:
    try:
        return DOMAINS[name]
    except KeyError:
        raise ValueError(f"unknown domain {name!r}; known: {sorted(DOMAINS)}") from None
