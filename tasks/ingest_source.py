"""What one domain's ingest gives the shared ingest steps (flows/ingest.py): its splits,
its plan, its shard tasks, its source folders and its Great Expectations suite.

Each domain's tasks/ingest_<domain>.py builds one from its params block
(`ingest_source(cfg)`); the steps around it are the same for every domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from tasks.ingest_chunks import ChunkResult


class IngestPlan(Protocol):
    stray_files: list[tuple[str, str, str]]  # (source, path, reason): quarantined up front
    expected: Mapping[str, int | None]  # source -> samples expected (None: unknown)


@dataclass(frozen=True)
class IngestSource:
    splits: tuple[str, ...]  # the splits it writes, e.g. synthetic, real_train, real_test
    plan: Callable[[], IngestPlan]  # list the inputs, cut them into shard-sized chunks
    # (plan, staging: split -> folder) -> every shard task's result, in plan order
    shard_tasks: Callable[[Any, Mapping[str, str]], list[ChunkResult]]
    roots: Mapping[str, str]  # source name -> its input folder (quarantine paths: relative)
    # (manifests: split -> DataFrame, Data Docs folder): raises when the suite fails
    validate: Callable[[dict[str, pd.DataFrame], Path], object]
    extra_metrics: Mapping[str, Any] = field(default_factory=dict)  # into ingest.json
