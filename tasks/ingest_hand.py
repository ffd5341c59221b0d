"""Ingest tasks for the hand domain: NYU-layout folders -> canonical depth-crop shards.

Three splits, each from one NYU split folder and file prefix (kinect 1, the front view):

    synthetic   <synthetic_dir>/train/synthdepth_1_NNNNNNN.png
    real_train  <real_dir>/train/depth_1_NNNNNNN.png
    real_test   <real_dir>/test/depth_1_NNNNNNN.png

The plan reads each folder's joint_data.mat once and hands every chunk (a run of at
most `shard_maxcount` frames, fixed by position in the sorted file list) the 14
evaluated joints of its frames, so a chunk task never loads the (large) .mat file and
shard contents never depend on the number of workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.hand.canonical import SOURCE_OF_PREFIX, frame_key, from_nyu_frame
from simgan_core.hand.crop import CropError
from simgan_core.hand.joints import EVAL_JOINTS
from simgan_core.hand.nyu_reader import (
    JOINT_DATA_NAME,
    JointData,
    decode_depth_png,
    frame_name,
    list_frames,
    read_joint_data,
)
from simgan_core.ingest_records import CanonicalSample, FormatError, Quarantined
from simgan_core.shards import shard_name
from tasks.gather import gather
from tasks.ingest_chunks import ChunkResult, write_chunk
from tasks.ingest_outputs import passed_or_raise
from tasks.ingest_source import IngestSource
from tasks.params_sources import IngestHand

KINECT = 1  # the front view, as in the public hand-pose work


@dataclass(frozen=True)
class HandSplitSource:
    """Where one split's frames come from."""

    split: str  # synthetic | real_train | real_test
    root: str  # the NYU root (holding train/, test/); quarantine paths are relative to it
    folder: str  # "train" | "test"
    prefix: str  # "synthdepth" | "depth"

    @property
    def source(self) -> str:
        return SOURCE_OF_PREFIX[self.prefix]


def hand_sources(synthetic_dir: str, real_dir: str) -> list[HandSplitSource]:
    return [HandSplitSource("synthetic", synthetic_dir, "train", "synthdepth"),
            HandSplitSource("real_train", real_dir, "train", "depth"),
            HandSplitSource("real_test", real_dir, "test", "depth")]


@dataclass(frozen=True, eq=False)
class HandChunk:
    """One output shard's frames and their labels (EVAL_JOINTS order)."""

    source: HandSplitSource
    index: int  # shard number within the split
    numbers: list[int]  # 1-based file numbers
    uvd: np.ndarray  # (n, 14, 3) u px, v px, d mm
    xyz: np.ndarray  # (n, 14, 3) mm, y up


@dataclass(frozen=True)
class HandIngestPlan:
    chunks: list[HandChunk]
    stray_files: list[tuple[str, str, str]]  # (source, path, reason): quarantined up front
    # Samples each source should give (the bad-fraction gate's denominator): one per
    # labelled frame of joint_data.mat, whether or not its depth file is there.
    expected: dict[str, int]


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted numbers -> (first, last) of each run of consecutive ones."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _missing_frames(src: HandSplitSource, numbers: list[int], n_frames: int
                    ) -> list[tuple[str, str, str]]:
    """A quarantine line per run of labelled frames whose depth file is missing."""
    present = set(numbers)
    missing = [n for n in range(1, n_frames + 1) if n not in present]
    lines = []
    for first, last in _runs(missing):
        name = f"{src.folder}/{frame_name(src.prefix, KINECT, first)}"
        if last > first:
            name += f" .. {frame_name(src.prefix, KINECT, last)}"
        lines.append((src.source, name, f"{last - first + 1} labelled frame(s) of "
                      f"{JOINT_DATA_NAME} have no depth file"))
    return lines


def _plan_split(src: HandSplitSource, maxcount: int, labels: dict[Path, JointData]
                ) -> tuple[list[HandChunk], list[tuple[str, str, str]], int]:
    """The split's chunks, its stray and missing files, and its labelled frames."""
    folder = Path(src.root) / src.folder
    numbers = list_frames(folder, src.prefix, KINECT)
    mat = (folder / JOINT_DATA_NAME).resolve()
    if mat not in labels:  # the release's train/ labels serve synthetic and real_train
        labels[mat] = read_joint_data(folder / JOINT_DATA_NAME)
    joints = labels[mat]
    strays, kept = [], []
    for n in numbers:
        if n > joints.n_frames:
            strays.append((src.source, f"{src.folder}/{frame_name(src.prefix, KINECT, n)}",
                           f"frame {n} has no labels: {JOINT_DATA_NAME} holds "
                           f"{joints.n_frames} frames"))
        else:
            kept.append(n)
    strays += _missing_frames(src, numbers, joints.n_frames)
    if joints.uvd.shape[0] < KINECT:
        raise FormatError(f"no kinect {KINECT} in the arrays", joints.path)
    rows = np.asarray(kept, dtype=np.int64) - 1  # frame i of the arrays = file number i + 1
    uvd = joints.uvd[KINECT - 1][rows][:, list(EVAL_JOINTS)]
    xyz = joints.xyz[KINECT - 1][rows][:, list(EVAL_JOINTS)]
    chunks = [HandChunk(src, i // maxcount, kept[i:i + maxcount],
                        np.ascontiguousarray(uvd[i:i + maxcount]),
                        np.ascontiguousarray(xyz[i:i + maxcount]))
              for i in range(0, len(kept), maxcount)]
    return chunks, strays, joints.n_frames


@task(name="plan-hand-ingest", cache_policy=NO_CACHE)
def plan_hand_ingest(synthetic_dir: str, real_dir: str, maxcount: int) -> HandIngestPlan:
    """List every split's frames, read its labels once, cut it into shards.

    An empty or missing folder (EmptySourceError) or an unreadable joint_data.mat
    (FormatError, naming the file) stops the stage: no frame of that split has labels.
    """
    chunks, strays, expected = [], [], {}
    labels: dict[Path, JointData] = {}  # each joint_data.mat read once (the release's: ~400 MB)
    for src in hand_sources(synthetic_dir, real_dir):
        c, s, labelled = _plan_split(src, maxcount, labels)
        chunks += c
        strays += s
        expected[src.source] = expected.get(src.source, 0) + labelled
    return HandIngestPlan(chunks, strays, expected)


def _canonical_frames(chunk: HandChunk, cube_mm: float, size: int
                      ) -> Iterator[CanonicalSample | Quarantined]:
    src = chunk.source
    for number, uvd, xyz in zip(chunk.numbers, chunk.uvd, chunk.xyz, strict=True):
        rel = f"{src.folder}/{frame_name(src.prefix, KINECT, number)}"
        path = os.path.join(src.root, rel)  # write_chunk makes it relative to src.root again
        try:
            depth = decode_depth_png(Path(path))
            yield from_nyu_frame(depth, uvd, xyz, key=frame_key(src.prefix, src.folder, number),
                                 source=src.source, file=rel, frame=number, kinect=KINECT,
                                 split=src.split, cube_mm=cube_mm, size=size)
        except FormatError as err:
            yield Quarantined(path, err.reason)
        except CropError as err:
            yield Quarantined(path, f"cannot crop: {err}")
        except ValueError as err:  # non-finite joints
            yield Quarantined(path, f"bad labels: {err}")


@task(name="ingest-hand-chunk", cache_policy=NO_CACHE)
def ingest_hand_chunk(chunk: HandChunk, out_dir: str, cube_mm: float, size: int) -> ChunkResult:
    """One chunk of frames -> out_dir/shard-{index:06d}.tar (+ its manifest rows)."""
    shard_path = Path(out_dir) / shard_name("shard", chunk.index)
    src = chunk.source
    return write_chunk(src.split, src.source, src.root, shard_path,
                       _canonical_frames(chunk, cube_mm, size))


@task(name="validate-hand-manifests", cache_policy=NO_CACHE)
def validate_hand_manifests(manifests: dict, min_samples: dict[str, int], crop_size: int,
                            docs_dir: Path) -> str:
    """Great Expectations on every split's manifest; Data Docs into docs_dir; raises with
    a readable summary of each failed expectation."""
    from tasks.validate_hand_manifest import validate_hand_manifests as validate  # GX: slow

    report = validate(manifests, min_counts=min_samples, crop_size=crop_size, docs_dir=docs_dir)
    return passed_or_raise(report, "hand", docs_dir, len(manifests))


def ingest_source(cfg: IngestHand) -> IngestSource:
    """The hand's ingest: NYU-layout frames of three split folders, cropped around the
    palm at cfg's cube and size."""

    def shard_tasks(plan: HandIngestPlan, staging: Mapping[str, str]) -> list[ChunkResult]:
        return gather([ingest_hand_chunk.submit(chunk, staging[chunk.source.split],
                                                cfg.cube_mm, cfg.crop_size)
                       for chunk in plan.chunks], "ingest-hand", "shard tasks")

    return IngestSource(
        splits=("synthetic", "real_train", "real_test"),
        plan=lambda: plan_hand_ingest(cfg.synthetic_dir, cfg.real_dir, cfg.shard_maxcount),
        shard_tasks=shard_tasks,
        roots={"nyu_synthdepth": cfg.synthetic_dir, "nyu_depth": cfg.real_dir},
        validate=lambda manifests, docs_dir: validate_hand_manifests(
            manifests, cfg.min_samples, cfg.crop_size, docs_dir),
        extra_metrics={"crop_size": cfg.crop_size, "cube_mm": cfg.cube_mm})
