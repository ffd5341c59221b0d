"""The task runner a fan-out flow uses: local processes, or a Dask cluster."""

from __future__ import annotations

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner


def fan_out_runner(workers: int, dask_address: str | None = None) -> TaskRunner:
    """CPU-bound per-shard tasks: a process pool of `workers` (threads for 1 worker:
    no start-up cost), or the Dask cluster at `dask_address` when one is given."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    if workers <= 1:
        return ThreadPoolTaskRunner(max_workers=1)
    return ProcessPoolTaskRunner(max_workers=workers)
