"""The params sections of the stages that bring data in: the simulators (the default
run's stand-ins) and each domain's ingest. Part of the one schema (tasks/params.py)."""

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
    workers: WorkerCount
    dask_address: str | None  # e.g. tcp://scheduler:8786: run the image-range tasks there


class SimulateRealEyes(Section):
    """`simgan simulate real-eyes`: the stand-in real camera, MPIIGaze layout."""

    out_dir: str
    subjects: PositiveInt
    per_subject: PositiveInt
    seed: int
    workers: WorkerCount
    dask_address: str | None  # run the day-file tasks there


class SimulateHands(Section):
    """`simgan simulate hands`: synthetic hand depth renders, NYU layout (synthdepth)."""

    out_dir: str  # gets train/synthdepth_1_NNNNNNN.png + train/joint_data.mat
    n: PositiveInt
    seed: int
    workers: WorkerCount
    dask_address: str | None  # run the frame-range tasks there


class SimulateRealHands(Section):
    """`simgan simulate real-hands`: the stand-in real Kinect, NYU layout (depth)."""

    out_dir: str  # gets train/ and test/, each depth_1_NNNNNNN.png + joint_data.mat
    n: PositiveInt  # frames in both splits together
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]  # test hands: other subjects
    seed: int
    workers: WorkerCount
    dask_address: str | None  # run the frame-range tasks there


class IngestGaze(IngestOutputs):
    """Raw UnityEyes + MPIIGaze trees -> validated canonical shards."""

    splits: ClassVar[frozenset[str] | None] = None  # any of the three: _splits_known
    unityeyes_dir: str
    mpiigaze_dir: str
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


class SimulateImages(Section):
    """`simgan run simulate-images`: the images domain's tiny example (shapes, a camera)."""

    out_dir: str  # -> synthetic/ (PNG + annotations.jsonl), real/ (JPEG)
    n_synthetic: PositiveInt
    n_real: PositiveInt
    seed: int


class IngestImages(IngestOutputs):
    """The user's folders of images -> validated images-domain shards (synthetic, real_train)."""

    splits: ClassVar[frozenset[str] | None] = frozenset({"synthetic", "real_train"})
    synthetic_dir: str  # images with annotations.jsonl or a .json beside each image
    real_dir: str  # unlabeled images (no annotation is ever opened)
    fit: Literal["crop", "resize"]  # centre crop to the output's aspect, or stretch
    image_height: PositiveInt  # the output's (H, W), pixels; the later stages read it
    image_width: PositiveInt  # back from the shards (Domain.at_size)
