"""The domain contract: what every stage after ingest needs to know about a domain.

A domain is one package, simgan_core/<name>/, whose `spec` module exposes `DOMAIN`, a
`Domain`; DOMAIN_PACKAGES below finds them. Gaze (8-bit grayscale eye crops), hand
pose (16-bit depth crops) and images (the user's own 8-bit RGB or gray images) are
instances of one idea. Ingest is domain-specific (its readers and crop); everything
downstream (refiner training, refinement, shards, estimators, evaluation, report)
is written once against `Domain`:

- image: shape (H, W) (fixed, or for a `sizable` domain chosen by ingest's params and
  read back from the shards by the later stages: `at_size`), channels, dtype and how
  stored pixel values map to the network's [-1, 1] range (`to_unit` / `from_unit`,
  inverse of each other up to rounding; `to_tensor` / `from_tensor` for a batch);
- annotation: the JSON keys a canonical sample must carry (`required_keys`) and the
  label vector an estimator learns (`label_vector`; None: the domain has no label the
  pipeline reads, its annotations are only carried through);
- judging: which estimator family and which metric keys evaluate it (None and (): no
  downstream estimator, so no train_estimator / evaluate / report stage);
- held out: the unit real_test must not share with any training split (`leak_unit`);
- label shift: the figures a synthetic-trained model gives on x and R(x)
  (`label_shift`), and the one of them that candidate selection reads (`shift_metric`);
  None for a domain without labels (candidates are then chosen on realism alone);
- report: what the evaluate stage's error curve is and how the report page words it,
  and which metrics files the page tabulates (`report`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

    from simgan_core.estimator_family import EstimatorFamily

# The registry: every package under simgan_core/ that holds a spec.py is a domain. Adding
# a domain changes no file outside its package, so no other domain's stage code changes.
DOMAIN_PACKAGES = tuple(sorted(spec.parent.name
                               for spec in Path(__file__).parent.glob("*/spec.py")))

HEADLINE_KEYS = {"ratio": "refined_over_synthetic", "gap_closed": "refined_gap_closed"}
# What real_test holds out from every training split: whole subjects (MPIIGaze's people),
# or a folder of its own (NYU's test/, whose poses no training split may render).
LEAK_UNITS = ("subject", "folder")

# (domain, synthetic images (N, H, W[, C]), their labels (N, L), their annotations,
#  refined images (N, H, W[, C]), mean |R(x) - x| in [-1, 1] units, the judge's training steps)
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
    name: str  # also the package (simgan_core/<name>/) and the folder under data/, models/
    image_hw: tuple[int, int]  # canonical (H, W); a sizable domain's default (see `at_size`)
    dtype: type[np.unsignedinteger]  # stored pixel type: np.uint8 or np.uint16
    required_keys: tuple[str, ...]  # top-level annotation keys of a canonical sample
    label_vector: Callable[[Mapping[str, Any]], np.ndarray] | None  # annotation -> (L,)
    # one of LEAK_UNITS; None only for a domain without an estimator (no real_test to guard)
    leak_unit: str | None
    channels: int = 1  # 1: stored (H, W) gray; 3: stored (H, W, 3) RGB (8-bit only)
    # () -> the estimator family that judges the domain downstream (imported when asked:
    # torch models), or None for a domain without a downstream estimator
    estimator: Callable[[], EstimatorFamily] | None = None
    metrics: tuple[str, ...] = ()  # keys written per training set by the evaluate stage
    # The headline: what training on refined images buys on real_test, on headline_metric
    # (one of `metrics`): "ratio" = refined / synthetic, for an error (below 1 is better);
    # "gap_closed" = (refined - synthetic) / (real_oracle - synthetic), for a score (1 =
    # the whole gap to real labels closed, 0 = none of it).
    headline_metric: str | None = None
    headline: str | None = None
    label_shift: LabelShift | None = None
    shift_metric: str | None = None  # the key of label_shift's figures selection reads
    # (field, type, meaning with units) of the annotation JSON, for the dataset card
    annotation_fields: tuple[tuple[str, str, str], ...] = ()
    report: ReportText | None = None
    # False: the networks are built for image_hw (e.g. a fixed-size estimator head), so
    # shards of any other size are refused. True: ingest crops to the size its params
    # ask, and the later stages take the size the shards carry (`at_size`).
    sizable: bool = False

    def __post_init__(self) -> None:
        if self.estimator is not None and (
                self.headline not in HEADLINE_KEYS or self.headline_metric not in self.metrics):
            raise ValueError(f"domain {self.name}: headline {self.headline!r} on "
                             f"{self.headline_metric!r} (one of {self.metrics})")
        unguarded = self.leak_unit is None and self.estimator is None  # nothing to guard
        if self.leak_unit not in LEAK_UNITS and not unguarded:
            raise ValueError(f"domain {self.name}: leak_unit {self.leak_unit!r} "
                             f"(one of {LEAK_UNITS})")
        if self.channels not in (1, 3) or (self.channels == 3 and self.dtype != np.uint8):
            raise ValueError(f"domain {self.name}: {self.channels} channels of "
                             f"{np.dtype(self.dtype)} (1 channel, or 3 of uint8)")
        if (self.label_shift is None) != (self.shift_metric is None):
            raise ValueError(f"domain {self.name}: label_shift and shift_metric go together")

    def at_size(self, hw: tuple[int, int], where: str) -> Domain:
        """This domain at (H, W) = hw, the size of the images found at `where` (named in
        the error): itself at image_hw, a copy at hw when sizable, else ValueError."""
        hw = (int(hw[0]), int(hw[1]))
        if hw == self.image_hw:
            return self
        if not self.sizable:
            raise ValueError(
                f"{where}: images are {hw[0]} x {hw[1]} px, but the {self.name} domain's "
                f"networks are built for {self.image_hw[0]} x {self.image_hw[1]} "
                f"(simgan_core/{self.name}/spec.py image_hw); ingest at that size")
        return replace(self, image_hw=hw)

    @property
    def headline_key(self) -> str:
        """The headline's key in evaluate.json."""
        return HEADLINE_KEYS[self.headline or ""]

    @property
    def headline_lower_is_better(self) -> bool:
        return self.headline == "ratio"

    @property
    def max_value(self) -> float:
        return float(np.iinfo(self.dtype).max)

    @property
    def stored_shape(self) -> tuple[int, ...]:
        """One stored image's array shape: (H, W), or (H, W, C) for colour."""
        return self.image_hw if self.channels == 1 else (*self.image_hw, self.channels)

    def to_unit(self, image: np.ndarray) -> np.ndarray:
        """Stored pixels (any shape) -> float32 in [-1, 1] (the refiner's tanh range)."""
        return (np.asarray(image, dtype=np.float32) / self.max_value) * 2.0 - 1.0

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """float in [-1, 1] (any shape) -> stored pixels, rounded and clipped."""
        scaled = (np.clip(np.asarray(unit, dtype=np.float64), -1.0, 1.0) + 1.0) / 2.0
        return np.rint(scaled * self.max_value).astype(self.dtype)

    def to_tensor(self, images: np.ndarray) -> torch.Tensor:
        """(N, *stored_shape) stored pixels -> (N, C, H, W) float32 in [-1, 1]."""
        import torch  # here: ingest and the simulators use the spec without torch

        unit = torch.from_numpy(self.to_unit(images))
        return unit.unsqueeze(1) if self.channels == 1 else unit.permute(0, 3, 1, 2)

    def from_tensor(self, x: torch.Tensor) -> np.ndarray:
        """(N, C, H, W) float in [-1, 1] -> (N, *stored_shape) stored pixels."""
        x = x.detach().cpu()
        unit = x.squeeze(1) if self.channels == 1 else x.permute(0, 2, 3, 1)
        return self.from_unit(unit.numpy())

    def check_annotation(self, annotation: Mapping[str, Any], key: str) -> None:
        """Raise ValueError naming the sample when a required annotation key is missing."""
        missing = [k for k in self.required_keys if k not in annotation]
        if missing or annotation.get("domain") != self.name:
            raise ValueError(f"sample {key}: not a {self.name} annotation (missing {missing})")


def domain_names() -> tuple[str, ...]:
    return DOMAIN_PACKAGES


def get_domain(name: str) -> Domain:
    """The `DOMAIN` of simgan_core/<name>/spec.py, for a registered name."""
    if name not in DOMAIN_PACKAGES:
        raise ValueError(f"unknown domain {name!r}; known: {sorted(DOMAIN_PACKAGES)}")
    domain = importlib.import_module(f"simgan_core.{name}.spec").DOMAIN
    if not isinstance(domain, Domain) or domain.name != name:
        raise ValueError(f"simgan_core/{name}/spec.py: DOMAIN is not the {name!r} Domain")
    return domain
