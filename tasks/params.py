"""The one params schema, mirroring params.yaml section by section.

Strict: an unknown key, a missing key or a value of the wrong type is an error at
start-up whose message names the key (e.g. `ingest.gaze.max_bad_fraction`).
Paths are relative to the repository root (where `dvc repro` runs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from tasks.params_base import LearningRate, PositiveInt, Section, WorkerCount
from tasks.params_file import read_sections, schema_error
from tasks.params_sources import Ingest, IngestUnlabeled, Simulate


class TrainRefiner(Section):
    """SimGAN refiner training on synthetic vs real_train images (labels never read).

    One schema for every domain's block (train_refiner.gaze, train_refiner.hand)."""

    shards_dir: str
    model_file: str
    metrics_file: str
    curves_file: str
    samples_file: str
    checkpoint_dir: str  # outside DVC's outputs, so a killed run can resume
    checkpoint_every: PositiveInt
    log_every: PositiveInt
    refiner: str  # a preset of simgan_core.refiner.models.REFINER_PRESETS
    discriminator: str  # a preset of DISCRIMINATOR_PRESETS
    disc_mode: Literal["local", "global"]  # the paper's patch loss | the ablation
    psi: Literal["identity", "blur", "gradients", "channel_mean", "depth_local_mean"]
    lambda_reg: Annotated[float, Field(ge=0.0)]
    history_size: PositiveInt
    use_history: bool
    history_dtype: Literal["float16", "float32"]
    optimizer: Literal["adam", "sgd"]
    refiner_lr: LearningRate
    disc_lr: LearningRate
    batch_size: PositiveInt
    pretrain_refiner_steps: Annotated[int, Field(ge=0)]
    pretrain_disc_steps: Annotated[int, Field(ge=0)]
    kg: PositiveInt
    kd: PositiveInt
    steps: Annotated[int, Field(ge=0)]
    refiner_ema: Annotated[float, Field(ge=0.0, lt=1.0)]  # weight-average decay; 0 = off
    # tanh: the paper's output layer; residual: R(x) = clip(x + change), starting at x
    refiner_output: Literal["tanh", "residual"]
    # maps of N(0, 1) noise beside the image at the refiner's input (0: deterministic)
    refiner_noise_maps: Annotated[int, Field(ge=0)]
    lambda_task: Annotated[float, Field(ge=0.0, allow_inf_nan=False)]  # 0 = no label reader
    label_reader_steps: PositiveInt  # training steps of the task-consistency label reader
    # One refiner per seed (the candidates, models_dir/seed<k>.pt); the stage publishes
    # one of them as model_file, chosen without real labels (tasks/select_refiner.py).
    seeds: Annotated[list[int], Field(min_length=1)]
    candidates_dir: str  # the candidates' models, metrics and curves
    workers: WorkerCount  # candidates trained at once (processes); 0 = all cores
    threads: WorkerCount  # torch CPU threads per candidate; 0 = all cores
    eval_samples: PositiveInt  # images per set for the C2ST and preservation metrics
    c2st_steps: PositiveInt
    regressor_steps: PositiveInt  # the label-shift regressor (gaze_shift_deg, joint_shift_px)
    # The CPU's training passes (simgan_core/refiner/trainer.py): auto = bfloat16 for
    # 8-bit images where the CPU computes it natively (AVX512-BF16, AMX), else float32.
    cpu_precision: Literal["auto", "float32", "bfloat16"]

    @field_validator("refiner", "discriminator")
    @classmethod
    def _a_known_preset(cls, name: str, info: ValidationInfo) -> str:
        from simgan_core.refiner.models import DISCRIMINATOR_PRESETS, REFINER_PRESETS

        presets = REFINER_PRESETS if info.field_name == "refiner" else DISCRIMINATOR_PRESETS
        if name not in presets:
            raise ValueError(f"unknown preset {name!r}; known: {sorted(presets)}")
        return name


class Refine(Section):
    """One domain's refine stage: the whole synthetic corpus through the refiner."""

    shards_dir: str  # reads synthetic/ (and real_train/ for statistics), writes refined/
    model_file: str  # the refiner from train_refiner's stage for this domain
    candidates_dir: str  # every candidate refiner (seed<k>.pt): candidates/refined_seed<k>/
    metrics_file: str
    validation_docs_dir: str
    batch_size: PositiveInt  # images per refiner call
    workers: WorkerCount  # parallel shard tasks on this machine; 0 = all cores
    threads_per_worker: PositiveInt  # torch threads inside each shard task
    dask_address: str | None  # e.g. tcp://scheduler:8786: run the shard tasks there
    work_dir: str  # resumable per-run work, outside DVC's outputs
    require_toward_real: bool  # fail unless every shard's image statistics moved toward real


TRAINING_SPLITS = ("synthetic", "refined", "real_train")  # never real_test: it is held out
# The corpus of each candidate refiner: refine writes candidates/refined_seed<k>/.
CANDIDATES_DIR = "candidates"
CANDIDATE_SPLIT = re.compile(rf"^{CANDIDATES_DIR}/refined_seed\d+$")


class TrainingSet(Section):
    """One downstream training set: which split's images and labels, augmented or not."""

    split: str  # synthetic | refined | candidates/refined_seed<k> | real_train
    augment: bool  # generic photometric augmentation (simgan_core/augment.py)
    # Label matching (simgan_core/label_match.py): the training set, on the same split,
    # whose same-seed estimator pseudo-labels the unlabeled real_train images and this
    # set's images; batches are then drawn with weights that match the two. None: uniform.
    pseudo_labeler: str | None = None

    @model_validator(mode="after")
    def _not_the_test_split(self) -> TrainingSet:
        if self.split not in TRAINING_SPLITS and not CANDIDATE_SPLIT.match(self.split):
            raise ValueError(f"split {self.split!r} cannot train an estimator; "
                             f"one of {list(TRAINING_SPLITS)} (real_test is held out)")
        return self


class EstimatorBudget(Section):
    """One domain's estimators: the same architecture and budget for every training set."""

    shards_dir: str
    models_dir: str  # -> <models_dir>/<training set>/seed<k>.pt
    preset: Literal["default", "wide", "paper"]  # CPU budgets (wide: gaze) | the paper's
    steps: PositiveInt
    batch_size: PositiveInt
    lr: LearningRate
    seeds: list[int]
    max_train_samples: PositiveInt
    workers: WorkerCount  # seeds trained at once, one process each; 0 = all cores
    threads: PositiveInt  # torch threads per training

    @model_validator(mode="after")
    def _seeds(self) -> EstimatorBudget:
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError("seeds must be a non-empty list of distinct integers")
        return self


def check_pseudo_labelers(training_sets: dict[str, TrainingSet]) -> None:
    """ValueError naming the set whose pseudo_labeler is not another, unmatched training
    set on the same split (its estimators must exist before the matched set trains)."""
    for name, training_set in training_sets.items():
        labeler = training_set.pseudo_labeler
        if labeler is None:
            continue
        other = training_sets.get(labeler)
        if other is None or labeler == name or other.pseudo_labeler is not None:
            raise ValueError(f"training_sets.{name}.pseudo_labeler: {labeler!r} is not "
                             "another training set without a pseudo_labeler of its own")
        if other.split != training_set.split:
            raise ValueError(f"training_sets.{name}.pseudo_labeler: {labeler!r} trains on "
                             f"{other.split!r}, not on this set's {training_set.split!r}")
        if training_set.split == "real_train":
            raise ValueError(f"training_sets.{name}: real_train has real labels; "
                             "matching them to pseudo-labels has no meaning")


class TrainEstimator(EstimatorBudget):
    """What the train_estimator stage runs: a domain's budget and every training set."""

    training_sets: dict[str, TrainingSet]

    @model_validator(mode="after")
    def _labelers(self) -> TrainEstimator:
        check_pseudo_labelers(self.training_sets)
        return self


class Evaluate(Section):
    """Every estimator of one domain on real_test: its metrics, its error curve."""

    shards_dir: str
    models_dir: str
    metrics_file: str
    # The cumulative error curve for dvc plots: the share of images (gaze, in deg) or of
    # joints (hand, in px at 224 scale) within each threshold from 0 to curve_max.
    curve_file: str
    curve_max: Annotated[float, Field(gt=0.0)]
    curve_step: Annotated[float, Field(gt=0.0)]


class Report(Section):
    """One domain's HTML page: sample grids from the shards, results, curves."""

    out_file: str
    metrics_dir: str
    shards_dir: str  # synthetic/, refined/ (when present) and real_train/ for the grids
    samples_per_row: PositiveInt
    samples_file: str  # train_refiner's sample grid (shown when present)
    curve_file: str  # the evaluate stage's error curve


class AblationsGaze(Section):
    """`simgan ablate`: named param overrides, each run as a DVC experiment."""

    metrics_dir: str  # where each experiment's evaluate.json / refiner.json live
    out_file: str  # the collected table
    experiments: dict[str, dict[str, bool | int | float | str]]


class Regenerate(Section):
    """The scheduled regeneration's schedule (`simgan serve`; prefect.yaml mirrors it)."""

    cron: str
    timezone: str

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"expected 5 fields (minute hour day month weekday), got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone (e.g. UTC)") from None
        return value


# The stages written once and run per domain: their sections map a domain name
# (simgan_core.domain.DOMAIN_PACKAGES) to that domain's settings.
PER_DOMAIN = ("simulate", "ingest", "ingest_unlabeled", "train_refiner", "refine",
              "train_estimator", "evaluate", "report")


def _blocks(section: Section | dict[str, Section]) -> dict[str, Section]:
    """domain -> block, for a section keyed by domain (a dict, or the sources' sections
    whose fields are the domains: tasks/params_sources.py)."""
    return dict(section) if isinstance(section, Section) else section


class Params(Section):
    simulate: Simulate
    ingest: Ingest
    ingest_unlabeled: IngestUnlabeled
    train_refiner: dict[str, TrainRefiner]
    refine: dict[str, Refine]
    training_sets: dict[str, TrainingSet]
    train_estimator: dict[str, EstimatorBudget]
    evaluate: dict[str, Evaluate]
    report: dict[str, Report]
    ablations_gaze: AblationsGaze
    regenerate: Regenerate

    @field_validator("training_sets")
    @classmethod
    def _labelers(cls, training_sets: dict[str, TrainingSet]) -> dict[str, TrainingSet]:
        check_pseudo_labelers(training_sets)
        return training_sets

    def unknown_domains(self, known: Iterable[str]) -> list[str]:
        """'section.domain' of every per-domain block whose domain is not in `known` (the
        registry, simgan_core.domain.DOMAIN_PACKAGES: checked by the command line, so that this
        module, which every stage imports, does not import the domains' code)."""
        return [f"{section}.{name}" for section in PER_DOMAIN
                for name in _blocks(getattr(self, section)) if name not in set(known)]

    def stage_config(self, section: str, domain: str) -> Section:
        """One per-domain stage's settings (the estimators' with every training set); an
        error naming the section when it has no block for the domain."""
        block = _blocks(getattr(self, section))
        if domain not in block:
            raise ValueError(f"params: {section} has no block for domain {domain!r} "
                             f"(it has {sorted(block)})")
        if section == "train_estimator":
            return TrainEstimator(**dict(block[domain]), training_sets=self.training_sets)
        return block[domain]


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate params.yaml; errors name the file and every offending key."""
    path = Path(path)
    raw = read_sections(path)
    try:
        return Params.model_validate(raw)
    except ValidationError as err:
        raise schema_error(path, err) from None


def resolve_workers(workers: int) -> int:
    """0 means every CPU core this process may use."""
    return workers or len(os.sched_getaffinity(0))
