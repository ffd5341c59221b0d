"""Refine a domain's synthetic shards: one Prefect task per output shard, resumable.

Work happens under `work_dir/<domain>/<run key>/` (outside DVC's outputs, which DVC
deletes before a stage runs). A finished shard there is three files written in this
order: `<name>.stats.parquet`, `<name>.tar` (atomic), `<name>.done.json` (atomic, the
commit marker holding the tar's sha256). A rerun of the same run key skips a shard
whose marker exists and whose tar still has that checksum, and redoes any other.

The run key is a digest of the refiner's bytes, the settings that change output bytes,
the source shards and this code; not of where the refiner file lies. Two corpora refined
by the same weights (the published refiner is a copy of one candidate) share one work
directory, so the second is the first's shards, not a second pass of inference.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from prefect import task
from prefect.cache_policies import NO_CACHE

import simgan_core
from simgan_core import refine_shard as refine_shard_module
from simgan_core.atomic import atomic_output, atomic_write_text
from simgan_core.domain import Domain, get_domain
from simgan_core.image_source import domain_of_shards
from simgan_core.refine_shard import refine_shard, torch_refine_fn
from simgan_core.shard_index import SUMS_NAME, file_sha256
from simgan_core.shards import ShardInfo, shard_name
from tasks.evaluate_refiner import load_refiner

SOURCE_SPLIT, OUTPUT_SPLIT = "synthetic", "refined"


@dataclass(frozen=True)
class RefinePlan:
    domain: str
    sources: list[str]  # source shard paths, in index order
    outputs: list[str]  # output shard names, same order
    work: str  # this run's work directory
    run_key: str
    provenance: dict[str, Any]  # the `refinement` value every refined annotation gets
    image_hw: tuple[int, int]  # (H, W) of the source shards' images (Domain.at_size)
    output_split: str = OUTPUT_SPLIT  # refined/, or a candidate's refined_seed<k>/

    @property
    def spec(self) -> Domain:
        """The domain at the size of the images being refined."""
        return get_domain(self.domain).at_size(self.image_hw, self.sources[0])


def refinement_provenance(model_file: Path, batch_size: int) -> dict[str, Any]:
    """What every refined annotation records: the checkpoint (by its sha256, not its
    path: the same weights under two names give the same bytes), its training config,
    the refine settings that can change bytes, and the project's version."""
    _, state = load_refiner(model_file)
    return {
        "refiner_sha256": file_sha256(model_file),
        "refiner_run_key": state.get("run_key"),
        "refiner_config": state["config"],
        "params": {"batch_size": batch_size},
        "project_version": simgan_core.__version__,
    }


def refine_run_key(provenance: dict[str, Any], source_dir: Path) -> str:
    """Same refiner, settings, source shards and refinement code <=> same key."""
    digest = hashlib.sha256(json.dumps(provenance, sort_keys=True).encode())
    digest.update((source_dir / SUMS_NAME).read_bytes())
    digest.update(Path(refine_shard_module.__file__).read_bytes())
    return digest.hexdigest()[:16]


@task(name="plan-refine", cache_policy=NO_CACHE)
def plan_refine(domain: str, shards_dir: Path, model_file: Path, batch_size: int,
                work_dir: Path, output_split: str = OUTPUT_SPLIT) -> RefinePlan:
    source_dir = shards_dir / SOURCE_SPLIT
    sources = sorted(source_dir.glob("*.tar"))
    if not sources:
        raise FileNotFoundError(f"{source_dir}: no shards to refine (run ingest first)")
    # the size ingest wrote; a fixed-size domain refuses any other here, before any work
    image_hw = domain_of_shards(get_domain(domain), shards_dir).image_hw
    if not model_file.is_file():
        raise FileNotFoundError(f"{model_file}: no refiner (run train_refiner first)")
    provenance = refinement_provenance(model_file, batch_size)
    key = refine_run_key(provenance, source_dir)
    work = work_dir / domain / key  # shared by every corpus of the same refinement
    work.mkdir(parents=True, exist_ok=True)
    outputs = [shard_name(OUTPUT_SPLIT, i) for i in range(len(sources))]
    return RefinePlan(domain, [str(s) for s in sources], outputs, str(work), key, provenance,
                      image_hw, output_split)


def drop_work(work_dir: Path, domain: str, keep: Collection[str] = ()) -> None:
    """Delete the domain's work directories except those of the run keys in `keep`:
    before a run, the leftovers of other refinements (never resumable); after it,
    everything (the corpora are published)."""
    root = work_dir / domain
    if not root.is_dir():
        return
    for run in root.iterdir():
        if run.name not in keep:
            shutil.rmtree(run, ignore_errors=True)
    with contextlib.suppress(OSError):  # the domain's folder, when nothing else is left
        root.rmdir()


def _done_path(work: Path, name: str) -> Path:
    return work / f"{name}.done.json"


def _stats_path(work: Path, name: str) -> Path:
    return work / f"{name}.stats.parquet"


def finished_shard(work: Path, name: str) -> ShardInfo | None:
    """The ShardInfo of a shard a previous attempt completed, if it is intact."""
    done, tar = _done_path(work, name), work / name
    if not (done.is_file() and tar.is_file() and _stats_path(work, name).is_file()):
        return None
    info = ShardInfo(**json.loads(done.read_text()))
    return info if file_sha256(tar) == info.sha256 else None


def _stats_frame(name: str, source: str, stats: Any) -> pd.DataFrame:
    return pd.DataFrame({
        "key": stats.keys, "shard": name, "source_shard": Path(source).name,
        "image_mean": stats.refined_mean, "image_std": stats.refined_std,
        "source_image_mean": stats.source_mean, "source_image_std": stats.source_std,
        "mean_abs_change": stats.mean_abs_change, "annotation_equal": stats.annotation_equal,
    })


@task(name="refine-shard", cache_policy=NO_CACHE)
def refine_one_shard(plan: RefinePlan, index: int, model_file: str, batch_size: int,
                     threads: int) -> tuple[ShardInfo, bool]:
    """Refine source shard `index` unless an intact result exists; (info, was_resumed)."""
    work, name = Path(plan.work), plan.outputs[index]
    if (info := finished_shard(work, name)) is not None:
        return info, True
    _done_path(work, name).unlink(missing_ok=True)  # a stale marker must never survive
    torch.set_num_threads(threads)
    refiner, _ = load_refiner(Path(model_file))
    info, stats = refine_shard(Path(plan.sources[index]), work / name, torch_refine_fn(refiner),
                               plan.spec, plan.provenance, batch_size)
    with atomic_output(_stats_path(work, name)) as tmp:
        _stats_frame(name, plan.sources[index], stats).to_parquet(tmp, index=False)
    # Last: the marker (with the hash of the bytes as written) commits the shard.
    atomic_write_text(_done_path(work, name), json.dumps(info.__dict__, sort_keys=True))
    return info, False


def shard_stats(manifest: pd.DataFrame, real_mean: float, real_std: float) -> pd.DataFrame:
    """Per output shard: mean image mean/std (stored-pixel units) of source and refined,
    and their distance to real_train's, d = hypot(mean - real mean, std - real std)."""
    g = manifest.groupby("shard", sort=True)
    out = pd.DataFrame({
        "n": g.size(),
        "source_mean": g["source_image_mean"].mean(), "source_std": g["source_image_std"].mean(),
        "refined_mean": g["image_mean"].mean(), "refined_std": g["image_std"].mean(),
        "mean_abs_change": g["mean_abs_change"].mean(),
    }).reset_index()
    out["dist_source_to_real"] = ((out.source_mean - real_mean) ** 2
                                  + (out.source_std - real_std) ** 2) ** 0.5
    out["dist_refined_to_real"] = ((out.refined_mean - real_mean) ** 2
                                   + (out.refined_std - real_std) ** 2) ** 0.5
    return out


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link a finished file into the staging directory (same filesystem), else copy."""
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
