"""The params sections of the stages that bring data in, keyed by domain: the simulators
(`simulate.<domain>`, the default run's stand-ins) and each domain's ingest
(`ingest.<domain>`). Part of the one schema (tasks/params.py).

Every domain's simulate block names two simulators, `synthetic` and `real`, each with its
own out_dir, and every ingest block reads `synthetic_dir` and `real_dir`: the one
dvc.yaml template of each stage reads those names for every domain. A domain whose real
images have no labels ingests under `ingest_unlabeled.<domain>` (no real_test split)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from tasks.params_base import Count, Fraction, PositiveInt, Section, WorkerCount


class IngestOutputs(Section):
    """What every ingest stage writes and how it gates; a domain's section adds where its
    inputs are and how they are cut. `splits`: the splits min_samples must name exactly
    (None: the section checks them itself)."""

    splits: ClassVar[frozenset[str] | None] = frozenset({"synthetic", "real_train",
                                                         "real_test"})
    shards_dir: str
    quarantine_file: str
    metrics_file: str
    validation_docs_dir: str
    shard_maxcount: PositiveInt
    max_bad_fraction: Fraction
    min_samples: dict[str, Count]
    workers: WorkerCount
    dask_address: str | None  # run the per-shard tasks there

    @model_validator(mode="after")
    def _splits_named(self) -> IngestOutputs:
        if self.splits is not None and set(self.min_samples) != self.splits:
            raise ValueError(f"min_samples must name exactly {sorted(self.splits)}, "
                             f"got {sorted(self.min_samples)}")
        return self


class SimulateEyes(Section):
    """`simgan simulate eyes`: the UnityEyes-format procedural renderer."""

    out_dir: str
    n: PositiveInt
    seed: int
    width: PositiveInt
    height: PositiveInt
    jpeg_quality: Annotated[int, Field(ge=1, le=100)]


class SimulateRealEyes(Section):
    """`simgan simulate real-eyes`: the stand-in real camera, MPIIGaze layout."""

    out_dir: str
    subjects: PositiveInt
    per_subject: PositiveInt
    seed: int


class SimulateHands(Section):
    """`simgan simulate hands`: synthetic hand depth renders, NYU layout (synthdepth)."""

    out_dir: str  # gets train/synthdepth_1_NNNNNNN.png + train/joint_data.mat
    n: PositiveInt
    seed: int


class SimulateRealHands(Section):
    """`simgan simulate real-hands`: the stand-in real Kinect, NYU layout (depth)."""

    out_dir: str  # gets train/ and test/, each depth_1_NNNNNNN.png + joint_data.mat
    n: PositiveInt  # frames in both splits together
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]  # test hands: other subjects
    seed: int


class IngestGaze(IngestOutputs):
    """Raw UnityEyes + MPIIGaze trees -> validated canonical shards."""

    splits: ClassVar[frozenset[str] | None] = None  # any of the three: _splits_known
    synthetic_dir: str  # a UnityEyes folder (holding imgs/)
    real_dir: str  # an MPIIGaze root (holding Data/Normalized)
    image_height: PositiveInt
    image_width: PositiveInt
    max_head_angle_deg: float
    use_evaluation_subset: bool
    test_subjects: list[str]
    max_abs_pitch_deg: float
    max_abs_yaw_deg: float

    @model_validator(mode="after")
    def _splits_known(self) -> IngestGaze:
        unknown = set(self.min_samples) - {"synthetic", "real_train", "real_test"}
        if unknown:
            raise ValueError(f"min_samples has unknown split(s) {sorted(unknown)}")
        if not self.test_subjects:
            raise ValueError("test_subjects must name at least one subject (e.g. p14)")
        return self


class IngestHand(IngestOutputs):
    """NYU-layout folders (synthdepth renders, real Kinect depth) -> validated hand shards."""

    synthetic_dir: str  # an NYU root whose train/ holds synthdepth_1_*.png + joint_data.mat
    real_dir: str  # an NYU root whose train/ and test/ hold depth_1_*.png + joint_data.mat
    crop_size: PositiveInt  # S: crops are S x S (64 for the CPU; 224 the paper)
    cube_mm: Annotated[float, Field(gt=0.0)]  # edge of the crop cube around the palm centre


class SimulateImagesSynthetic(Section):
    """The images example's synthetic half: coloured shapes, PNG + annotations.jsonl."""

    out_dir: str
    n: PositiveInt
    seed: int


class SimulateImagesReal(Section):
    """The images example's stand-in camera: unlabeled JPEG photos of other shapes."""

    out_dir: str
    n: PositiveInt
    seed: int


class IngestImages(IngestOutputs):
    """The user's folders of images -> validated images-domain shards (synthetic, real_train)."""

    splits: ClassVar[frozenset[str] | None] = frozenset({"synthetic", "real_train"})
    synthetic_dir: str  # images with annotations.jsonl or a .json beside each image
    real_dir: str  # unlabeled images (no annotation is ever opened)
    fit: Literal["crop", "resize"]  # centre crop to the output's aspect, or stretch
    image_height: PositiveInt  # the output's (H, W), pixels; the later stages read it
    image_width: PositiveInt  # back from the shards (Domain.at_size)


class SimulateBlock(Section):
    """One domain's simulate stage: its two simulators on one task runner."""

    workers: WorkerCount  # 0 = all cores
    dask_address: str | None  # e.g. tcp://scheduler:8786: run the simulators' tasks there


class SimulateGaze(SimulateBlock):
    synthetic: SimulateEyes
    real: SimulateRealEyes


class SimulateHand(SimulateBlock):
    synthetic: SimulateHands
    real: SimulateRealHands


class SimulateImages(SimulateBlock):
    synthetic: SimulateImagesSynthetic
    real: SimulateImagesReal


# The registry of the sources' sections: a domain with its own simulators and ingest adds
# one line to each (its classes above, its tasks in tasks/simulate_<domain>.py and
# tasks/ingest_<domain>.py).
class Simulate(Section):
    """`simulate.<domain>`: the built-in simulators, one block per domain."""

    gaze: SimulateGaze
    hand: SimulateHand
    images: SimulateImages


class Ingest(Section):
    """`ingest.<domain>`: the ingest of each domain with labelled real images, split into
    real_train and a held-out real_test (the stage's outputs: three splits)."""

    gaze: IngestGaze
    hand: IngestHand


class IngestUnlabeled(Section):
    """`ingest_unlabeled.<domain>`: the ingest of each domain whose real images carry no
    label the pipeline reads, so nothing is held out (two splits: synthetic, real_train).
    A section of its own because a dvc.yaml `foreach` declares the same outputs for
    every domain it runs."""

    images: IngestImages
