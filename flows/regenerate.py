"""The scheduled regeneration: `dvc pull`, `dvc repro`, `dvc push` in one workspace.

`dvc.yaml` owns the DAG; this flow only runs it, then publishes what changed:
a table artifact of the metrics against the workspace's metrics before the repro
(the previous run), and a markdown artifact linking the report and shard indexes.

- No default DVC remote: pull and push are skipped with a warning. An empty remote,
  or a local remote folder not made yet, is not an error either: `dvc pull
  --allow-missing` brings what the remote has and `dvc repro` rebuilds the rest.
- pull and push retry with exponential backoff; repro never retries. A failing
  stage fails the flow with dvc's stderr tail (the stage's own error) in the log.
- One run at a time per workspace: the flow holds `.simgan/regenerate.lock` for its
  whole run. A second run fails at once (WorkspaceBusyError, naming the holder)
  unless `lock_wait_s` lets it wait. The deployments also run one at a time
  (`serve(limit=1)`, `prefect worker start --limit 1`).

Deployments: `prefect.yaml` (process work pool `simgan-process`, cron schedule) or
`simgan serve` (this process runs the scheduled runs: `serve` below).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from tasks.dvc_ops import (
    default_remote,
    dvc_metrics,
    dvc_pull,
    dvc_push,
    dvc_repro,
    publish_regeneration,
    workspace_lock,
)

if TYPE_CHECKING:
    from prefect.schedules import Schedule

DEFAULT_CRON = "0 3 * * *"
DEFAULT_TIMEZONE = "UTC"
SERVED_NAME = "served"  # prefect.yaml's deployment is regenerate/scheduled
REPORT_FILE = "reports/gaze/index.html"
SHARD_INDEX_GLOB = "data/gaze/shards/*/index.json"


@flow(name="regenerate")
def regenerate_flow(
    repo_dir: str = ".",
    report_file: str = REPORT_FILE,
    shard_index_glob: str = SHARD_INDEX_GLOB,
    pull_timeout_s: float = 3600.0,
    repro_timeout_s: float = 6 * 3600.0,
    push_timeout_s: float = 3600.0,
    lock_wait_s: float = 0.0,
) -> dict:
    """Pull, reproduce and push the DVC pipeline in repo_dir; publish its metrics' changes."""
    repo = str(Path(repo_dir).resolve())
    with workspace_lock(Path(repo), wait_s=lock_wait_s, holder=f"flow run {flow_run.name}"):
        remote = default_remote(repo)
        if remote is None:
            get_run_logger().warning("%s has no default DVC remote: no pull, no push", repo)
        else:
            dvc_pull(repo, pull_timeout_s)
        before = dvc_metrics(repo)
        dvc_repro(repo, repro_timeout_s)
        after = dvc_metrics(repo)
        if remote is not None:
            dvc_push(repo, push_timeout_s)
        return publish_regeneration(repo, before, after, report_file, shard_index_glob, remote)


def cron_schedule(cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE) -> Schedule:
    """A Prefect cron schedule; a bad cron string or timezone raises ValueError."""
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.schedules import Cron

    CronSchedule(cron=cron, timezone=timezone)  # validates both, as the server will
    return Cron(cron, timezone=timezone)


def serve(repo_dir: Path, schedule: Schedule, name: str = SERVED_NAME) -> None:
    """Register the deployment `regenerate/<name>` with this schedule and run its runs
    from this process, one at a time, until interrupted (its schedule is then paused).
    Needs PREFECT_API_URL: a server whose scheduler service creates the runs."""
    from prefect.deployments.runner import EntrypointType

    regenerate_flow.serve(
        name=name,
        schedule=schedule,
        parameters={"repo_dir": str(repo_dir.resolve())},
        limit=1,
        # the flow is imported by module name: the runner may start in any directory
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
