"""A stage's summary, shown in the flow's log and as a Prefect table artifact."""

from __future__ import annotations

import json

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE


@task(name="publish-summary", cache_policy=NO_CACHE)
def publish_summary(stage: str, summary: dict) -> None:
    """Log `summary` and attach it to the flow run as a two-column table artifact."""
    rows = [{"figure": k, "value": json.dumps(v) if isinstance(v, dict | list) else v}
            for k, v in summary.items()]
    get_run_logger().info("%s: %s", stage, json.dumps(summary, sort_keys=True))
    create_table_artifact(key=stage.replace("_", "-"), table=rows,
                          description=f"Summary of stage {stage}")
