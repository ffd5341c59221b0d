"""Stage `simulate@<domain>`: a domain's two built-in simulators, `synthetic` and `real`.

    for each: its plan -> its tasks (a local process pool, or a Dask cluster at the
    block's dask_address) -> a summary (count, seconds, rate) as a Prefect artifact

The simulators are the domain's (`SIMULATORS` in tasks/simulate_<domain>.py); the
default run's data comes from them, and a user's own data replaces them (ingest's
synthetic_dir and real_dir).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.params import resolve_workers
from tasks.params_base import Section
from tasks.params_sources import SimulateBlock

DOMAIN_MODULE = "tasks.simulate_{domain}"  # its SIMULATORS: role -> (cfg, workers, stage)
ROLES = ("synthetic", "real")


@flow(name="simulate")
def simulate_flow(domain: str, simulators: Mapping[str, Section], workers: int,
                  dask_address: str | None) -> dict:
    """Run `simulators` (role -> its params) one after the other; a summary per role."""
    domain_simulators = importlib.import_module(DOMAIN_MODULE.format(domain=domain)).SIMULATORS
    summaries = {}
    for role, cfg in simulators.items():
        stage, started = f"simulate-{domain}-{role}", time.perf_counter()
        summary = domain_simulators[role](cfg, workers, stage)
        seconds = time.perf_counter() - started
        summary |= {"seconds": seconds, "per_s": summary["count"] / max(seconds, 1e-9),
                    "dask_address": dask_address}
        publish_summary(stage, summary)
        summaries[role] = summary
    return summaries


def run_simulators(domain: str, simulators: Mapping[str, Section], workers: int,
                   dask_address: str | None) -> dict:
    """On a process pool of `workers`, or on the Dask cluster at dask_address."""
    workers = resolve_workers(workers)
    runner = fan_out_runner(workers, dask_address)
    return simulate_flow.with_options(task_runner=runner)(domain, simulators, workers,
                                                          dask_address)


def run(cfg: SimulateBlock, domain: str) -> dict:
    """Both of the domain's simulators, with its simulate block."""
    return run_simulators(domain, {role: getattr(cfg, role) for role in ROLES},
                          cfg.workers, cfg.dask_address)
