"""Ingest tasks for the images domain: the user's folders -> canonical RGB shards.

Two splits: synthetic (the annotated images) and real_train (the unlabeled real ones);
the domain has no estimator, so no real_test. The plan lists both folders and reads the
synthetic annotations once; each chunk (at most `shard_maxcount` images, fixed by
position in the sorted file list) decodes, fits and writes one shard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.images.folder_reader import FolderItem, canonical_samples, plan_folder
from simgan_core.images.spec import IMAGES
from simgan_core.shards import shard_name
from tasks.gather import gather
from tasks.ingest_chunks import ChunkResult, write_chunk
from tasks.ingest_outputs import passed_or_raise
from tasks.ingest_source import IngestSource
from tasks.params_sources import IngestImages

SOURCES = {"synthetic": "user_synthetic", "real_train": "user_real"}  # split -> source


@dataclass(frozen=True)
class ImagesChunk:
    split: str
    root: str  # the input folder; quarantine paths are relative to it
    index: int  # shard number within the split
    items: list[FolderItem]


@dataclass(frozen=True)
class ImagesIngestPlan:
    chunks: list[ImagesChunk]
    stray_files: list[tuple[str, str, str]]  # (source, path, reason): quarantined up front
    expected: dict[str, int]  # source -> images found (the bad-fraction denominator)


@task(name="plan-images-ingest", cache_policy=NO_CACHE)
def plan_images_ingest(synthetic_dir: str, real_dir: str, maxcount: int) -> ImagesIngestPlan:
    """List both folders, read the synthetic annotations, cut each split into shards. A
    missing or empty folder (EmptySourceError) stops the stage."""
    chunks, strays, expected = [], [], {}
    for split, root, annotated in (("synthetic", synthetic_dir, True),
                                   ("real_train", real_dir, False)):
        items, bad = plan_folder(Path(root), annotated)
        source = SOURCES[split]
        strays += [(source, q.path, q.reason) for q in bad]
        expected[source] = len(items) + sum(1 for q in bad if not q.path.endswith(".jsonl")
                                            and ".jsonl:" not in q.path)
        chunks += [ImagesChunk(split, root, i // maxcount, items[i:i + maxcount])
                   for i in range(0, len(items), maxcount)]
    return ImagesIngestPlan(chunks, strays, expected)


@task(name="ingest-images-chunk", cache_policy=NO_CACHE)
def ingest_images_chunk(chunk: ImagesChunk, out_dir: str, fit: str,
                        out_hw: tuple[int, int]) -> ChunkResult:
    """One chunk of images at out_hw = (H, W) -> out_dir/shard-{index:06d}.tar (+ its
    manifest rows)."""
    shard_path = Path(out_dir) / shard_name("shard", chunk.index)
    return write_chunk(chunk.split, SOURCES[chunk.split], chunk.root, shard_path,
                       canonical_samples(Path(chunk.root), chunk.items, chunk.split, fit,
                                         out_hw))


def _images_expectations(gx: Any, df: pd.DataFrame, *, min_count: int, split: str
                         ) -> list[Any]:
    E = gx.expectations
    out: list[Any] = [E.ExpectTableRowCountToBeBetween(min_value=min_count)]
    out += [E.ExpectColumnValuesToNotBeNull(column=c) for c in df.columns]
    if "key" in df.columns:
        out.append(E.ExpectColumnValuesToBeUnique(column="key"))
    if "split" in df.columns:
        out.append(E.ExpectColumnValuesToBeInSet(column="split", value_set=[split]))
    if "annotated" in df.columns:  # every synthetic image has its annotation, no real one
        out.append(E.ExpectColumnValuesToBeInSet(column="annotated",
                                                 value_set=[split == "synthetic"]))
    for column in ("original_h", "original_w"):
        if column in df.columns:
            out.append(E.ExpectColumnValuesToBeBetween(column=column, min_value=1))
    if "image_std" in df.columns:  # a constant image is blank or broken
        out.append(E.ExpectColumnValuesToBeBetween(column="image_std", min_value=0.0,
                                                   strict_min=True, mostly=0.99))
    return out


@task(name="validate-images-manifests", cache_policy=NO_CACHE)
def validate_images_manifests(manifests: dict[str, pd.DataFrame], min_samples: dict[str, int],
                              docs_dir: Path) -> str:
    """Great Expectations on both splits' manifests; Data Docs into docs_dir; raises with
    a readable summary of each failed expectation."""
    from tasks.validate_manifest import validate_split_manifests  # imports GX (slow)

    def split_suite(gx: Any, split: str, df: pd.DataFrame) -> list[Any]:
        return _images_expectations(gx, df, min_count=min_samples[split], split=split)

    report = validate_split_manifests(manifests, min_samples, split_suite, docs_dir)
    return passed_or_raise(report, IMAGES.name, docs_dir, len(manifests))


def ingest_source(cfg: IngestImages) -> IngestSource:
    """The images domain's ingest: two splits (synthetic, real_train: no estimator, so no
    real_test), each image fitted to cfg's size."""
    out_hw = (cfg.image_height, cfg.image_width)

    def shard_tasks(plan: ImagesIngestPlan, staging: Mapping[str, str]) -> list[ChunkResult]:
        return gather([ingest_images_chunk.submit(chunk, staging[chunk.split], cfg.fit, out_hw)
                       for chunk in plan.chunks], "ingest-images", "shard tasks")

    return IngestSource(
        splits=("synthetic", "real_train"),
        plan=lambda: plan_images_ingest(cfg.synthetic_dir, cfg.real_dir, cfg.shard_maxcount),
        shard_tasks=shard_tasks,
        roots={SOURCES["synthetic"]: cfg.synthetic_dir, SOURCES["real_train"]: cfg.real_dir},
        validate=lambda manifests, docs_dir: validate_images_manifests(
            manifests, cfg.min_samples, docs_dir),
        extra_metrics={"fit": cfg.fit, "image_hw": [cfg.image_height, cfg.image_width]})
