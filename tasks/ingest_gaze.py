"""Ingest tasks for the gaze domain: raw UnityEyes / MPIIGaze -> canonical shards.

The unit of work is one output shard: a chunk of UnityEyes files (fixed by position
in the numerically sorted file list) or a chunk of one MPIIGaze subject's samples.
So shard contents never depend on the number of workers. A chunk holds at most
`shard_maxcount` samples in memory (a few MB), whatever the corpus size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.gaze.canonical import from_mpiigaze, from_unityeyes
from simgan_core.gaze.mpiigaze_reader import (
    EVAL_LIST_DIR,
    iter_mpiigaze,
    list_mpiigaze_subjects,
)
from simgan_core.gaze.records import MPIIGazeRecord, UnityEyesRecord
from simgan_core.gaze.unityeyes_reader import iter_unityeyes, list_unityeyes
from simgan_core.ingest_records import CanonicalSample, Quarantined, Skipped
from simgan_core.shards import shard_name
from tasks.gather import gather
from tasks.ingest_chunks import ChunkResult, relative_to_source, write_chunk
from tasks.ingest_outputs import passed_or_raise
from tasks.ingest_source import IngestSource
from tasks.params_sources import IngestGaze


def _canonical_unityeyes(items: Iterable, out_hw: tuple[int, int], root: str
                         ) -> Iterator[CanonicalSample | Quarantined | Skipped]:
    for item in items:
        if isinstance(item, UnityEyesRecord):
            try:
                yield from_unityeyes(item, out_hw, root)
            except ValueError as err:  # degenerate landmarks: the crop is undefined
                yield Quarantined(item.json_path, f"cannot crop: {err}")
        else:
            yield item


@task(name="ingest-unityeyes-chunk", cache_policy=NO_CACHE)
def ingest_unityeyes_chunk(source_dir: str, stems: list[str], out_dir: str, index: int,
                           out_hw: tuple[int, int], max_head_angle_deg: float) -> ChunkResult:
    """UnityEyes files `stems` (e.g. ["1", "2"]) -> out_dir/shard-{index:06d}.tar."""
    items = iter_unityeyes(Path(source_dir), max_head_angle_deg, stems=stems, gray=True)
    shard_path = Path(out_dir) / shard_name("shard", index)
    return write_chunk("synthetic", "unityeyes", source_dir, shard_path,
                       _canonical_unityeyes(items, out_hw, source_dir))


@task(name="ingest-mpiigaze-subject", cache_policy=NO_CACHE)
def ingest_mpiigaze_subject(source_dir: str, subject: str, split: str, out_dir: str,
                            out_hw: tuple[int, int], maxcount: int,
                            use_evaluation_subset: bool) -> list[ChunkResult]:
    """One MPIIGaze subject -> out_dir/{subject}-000000.tar, ... (maxcount samples each)."""
    results: list[ChunkResult] = []
    pending: list[CanonicalSample | Quarantined] = []

    def flush() -> None:
        shard_path = Path(out_dir) / shard_name(subject, len(results))
        results.append(write_chunk(split, "mpiigaze", source_dir, shard_path, pending))
        pending.clear()

    n_good = 0
    for item in iter_mpiigaze(Path(source_dir), subjects=[subject],
                              use_evaluation_subset=use_evaluation_subset):
        if isinstance(item, MPIIGazeRecord):
            pending.append(from_mpiigaze(item, out_hw, source_dir, split))
            n_good += 1
            if n_good % maxcount == 0:
                flush()
        else:
            pending.append(item)
    if pending or not results:
        flush()
    return results


@dataclass(frozen=True)
class IngestPlan:
    """The units of work of one ingest run, fixed before any of them starts."""

    unityeyes_chunks: list[list[str]]  # file numbers per synthetic shard, in order
    subjects: list[tuple[str, str]]  # (subject, split) for the real data
    stray_files: list[tuple[str, str, str]]  # (source, path, reason): quarantined up front
    # Samples each source should give (the bad-fraction gate's denominator): one per
    # UnityEyes N.jpg/N.json stem; one per line of the MPIIGaze evaluation lists. None
    # when not known before reading (MPIIGaze without the evaluation subset).
    expected: dict[str, int | None] = field(default_factory=dict)


def _listed_samples(mpiigaze_dir: str, subjects: list[str]) -> int:
    """Non-empty lines of the subjects' evaluation lists (an unreadable list: 0 here,
    and quarantined by the reader)."""
    total = 0
    for subject in subjects:
        path = Path(mpiigaze_dir) / EVAL_LIST_DIR / f"{subject}.txt"
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        total += sum(1 for line in text.splitlines() if line.strip())
    return total


@task(name="plan-gaze-ingest", cache_policy=NO_CACHE)
def plan_gaze_ingest(unityeyes_dir: str, mpiigaze_dir: str, maxcount: int,
                     test_subjects: list[str], use_evaluation_subset: bool = True
                     ) -> IngestPlan:
    """List the sources (raising EmptySourceError for an empty one) and cut them into shards."""
    listing = list_unityeyes(Path(unityeyes_dir))
    chunks = [listing.stems[i:i + maxcount] for i in range(0, len(listing.stems), maxcount)]
    subjects = list_mpiigaze_subjects(Path(mpiigaze_dir))
    missing = sorted(set(test_subjects) - set(subjects))
    if missing:
        raise ValueError(f"test_subjects {missing} are not in {mpiigaze_dir} "
                         f"(subjects found: {', '.join(subjects)})")
    plan = [(s, "real_test" if s in test_subjects else "real_train") for s in subjects]
    strays = [("unityeyes", relative_to_source(str(p), unityeyes_dir),
               f"unexpected file {p.name} (expected N.jpg or N.json)") for p in listing.strays]
    expected = {"unityeyes": len(listing.stems),
                "mpiigaze": _listed_samples(mpiigaze_dir, subjects)
                if use_evaluation_subset else None}
    return IngestPlan(chunks, plan, strays, expected)


@task(name="validate-manifests", cache_policy=NO_CACHE)
def validate_gaze_manifests(manifests: dict[str, pd.DataFrame], min_samples: dict[str, int],
                            image_hw: tuple[int, int], max_abs_pitch_deg: float,
                            max_abs_yaw_deg: float, docs_dir: Path) -> str:
    """Great Expectations on every split's manifest; Data Docs into docs_dir.

    Raises with a readable summary of each failed expectation; returns a one-line
    summary when everything passed.
    """
    from tasks.validate_manifest import validate_manifests  # imports GX (slow): only here

    report = validate_manifests(manifests, min_counts=min_samples, image_hw=image_hw,
                                max_abs_pitch_deg=max_abs_pitch_deg,
                                max_abs_yaw_deg=max_abs_yaw_deg, docs_dir=docs_dir)
    return passed_or_raise(report, "gaze", docs_dir, len(manifests))


def ingest_source(cfg: IngestGaze) -> IngestSource:
    """Gaze's ingest: UnityEyes chunks (synthetic) and MPIIGaze subjects (real_train,
    real_test), at cfg's crop size."""
    out_hw = (cfg.image_height, cfg.image_width)

    def shard_tasks(plan: IngestPlan, staging: Mapping[str, str]) -> list[ChunkResult]:
        synthetic = [
            ingest_unityeyes_chunk.submit(cfg.synthetic_dir, stems, staging["synthetic"], i,
                                          out_hw, cfg.max_head_angle_deg)
            for i, stems in enumerate(plan.unityeyes_chunks)
        ]
        real = [
            ingest_mpiigaze_subject.submit(cfg.real_dir, subject, split, staging[split],
                                           out_hw, cfg.shard_maxcount,
                                           cfg.use_evaluation_subset)
            for subject, split in plan.subjects
        ]
        done = gather([*synthetic, *real], "ingest-gaze", "shard tasks")
        return done[:len(synthetic)] + [r for subject in done[len(synthetic):] for r in subject]

    return IngestSource(
        splits=("synthetic", "real_train", "real_test"),
        plan=lambda: plan_gaze_ingest(cfg.synthetic_dir, cfg.real_dir, cfg.shard_maxcount,
                                      cfg.test_subjects, cfg.use_evaluation_subset),
        shard_tasks=shard_tasks,
        roots={"unityeyes": cfg.synthetic_dir, "mpiigaze": cfg.real_dir},
        validate=lambda manifests, docs_dir: validate_gaze_manifests(
            manifests, cfg.min_samples, out_hw, cfg.max_abs_pitch_deg, cfg.max_abs_yaw_deg,
            docs_dir))
