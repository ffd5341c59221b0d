"""What every stand-in experiment shares: its command line and where its result goes."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simgan_core.atomic import atomic_write_text
from simgan_core.domain import get_domain
from simgan_core.estimator_family import estimator_family
from simgan_core.parallel import index_chunks, parallel_map

RESULTS = Path("experiments/results")


def domain_parser(description: str, domains: Iterable[str], n_help: str, name: str
                  ) -> argparse.ArgumentParser:
    """--domain, --n (how many scenes), --out (default RESULTS/<domain>_<name>.json) and
    --params."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--domain", choices=sorted(domains), default="gaze")
    parser.add_argument("--n", type=int, default=None, help=n_help)
    parser.add_argument("--out", type=Path, default=None,
                        help=f"default: {RESULTS.as_posix()}/<domain>_{name}.json")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    return parser


def render_parts(render: Callable[..., tuple], domain: str, params: Any, n: int,
                 workers: int) -> tuple[np.ndarray, ...]:
    """render(domain, params, (start, stop)) over n scenes in `workers` processes, each
    part of its tuple concatenated in order (the result does not depend on workers)."""
    parts = parallel_map(partial(render, domain, params), index_chunks(n, workers), workers)
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(len(parts[0])))


def write_result(result: dict[str, Any], out: Path | None, domain: str, name: str) -> dict:
    """Write the result (atomically) to `out` or RESULTS/<domain>_<name>.json; print it."""
    path = out or RESULTS / f"{domain}_{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


def train_and_score(job: tuple[str, Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
                    ) -> dict[str, float]:
    """One estimator of the domain's family, trained on (x, y) with `config` on one torch
    thread and scored on (test_x, test_y): its summary metrics. Job: (domain, config, x,
    y, test_x, test_y), picklable for parallel_map."""
    domain, config, x, y, test_x, test_y = job
    torch.set_num_threads(1)
    family = estimator_family(get_domain(domain))
    return family.summary(family.errors(family.train(x, y, config), test_x, test_y))
