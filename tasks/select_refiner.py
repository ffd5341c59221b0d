"""Publish the chosen candidate refiner as the stage's model, curves, samples and metrics."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_output, atomic_write_text
from simgan_core.domain import get_domain
from simgan_core.refiner.selection import select_candidate
from tasks.evaluate_refiner import REALISM_METRIC
from tasks.params import TrainRefiner


@dataclass(frozen=True)
class CandidatePaths:
    """Where one candidate refiner's files go (under cfg.candidates_dir)."""

    model: Path
    curves: Path
    metrics: Path
    samples: Path


def candidate_paths(cfg: TrainRefiner, seed: int) -> CandidatePaths:
    root = Path(cfg.candidates_dir)
    return CandidatePaths(root / f"seed{seed}.pt", root / f"seed{seed}_curves.csv",
                          root / f"seed{seed}.json", root / f"seed{seed}_samples.png")


def _copy(src: Path, dst: Path) -> None:
    with atomic_output(dst) as tmp:
        shutil.copyfile(src, tmp)


@task(name="select-refiner", cache_policy=NO_CACHE)
def publish_selected(cfg: TrainRefiner, domain: str, candidates: dict[int, dict[str, Any]]
                     ) -> dict[str, Any]:
    """Choose among the candidates (simgan_core/refiner/selection.py), copy the chosen
    one's model, curves and samples to the stage's own files, and write the stage's
    metrics: the chosen one's figures at the top level, every candidate's under
    `refiner_seeds`, and the choice under `selection`."""
    seed, record = select_candidate(candidates, REALISM_METRIC, get_domain(domain).shift_metric)
    chosen = candidate_paths(cfg, seed)
    _copy(chosen.model, Path(cfg.model_file))
    _copy(chosen.curves, Path(cfg.curves_file))
    _copy(chosen.samples, Path(cfg.samples_file))
    metrics = {**candidates[seed], "selected_seed": seed, "selection": record,
               "refiner_seeds": {str(s): candidates[s] for s in sorted(candidates)}}
    atomic_write_text(Path(cfg.metrics_file), json.dumps(metrics, indent=2, sort_keys=True)
                      + "\n")
    return metrics
