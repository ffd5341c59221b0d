"""One ingest chunk of any domain: its canonical samples written as one shard, its bad
and skipped inputs kept with their reasons."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simgan_core.ingest_records import CanonicalSample, Quarantined, Skipped
from simgan_core.shards import ShardInfo, encode_sample, write_shard


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk produced; paths in `quarantined` / `skipped` are relative to `source`."""

    split: str
    source: str  # "unityeyes" | "mpiigaze"
    shard: ShardInfo | None  # None when every input of the chunk was bad or skipped
    manifest: pd.DataFrame = field(default_factory=pd.DataFrame)  # a row per sample
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def relative_to_source(path: str, root: str) -> str:
    """A reader's path as the quarantine list shows it: relative to the source folder."""
    return os.path.relpath(path, root) if os.path.isabs(path) or path.startswith(root) else path


def write_chunk(split: str, source: str, root: str, shard_path: Path,
                samples: Iterable[CanonicalSample | Quarantined | Skipped]) -> ChunkResult:
    """Collect one chunk's canonical samples (any domain's: key, image, annotation, row),
    write them as one shard, keep the bad and skipped inputs with their reasons."""
    encoded, rows, bad, skipped = [], [], [], []
    for item in samples:
        if isinstance(item, Quarantined):
            bad.append((relative_to_source(item.path, root), item.reason))
        elif isinstance(item, Skipped):
            skipped.append((relative_to_source(item.path, root), item.reason))
        else:
            encoded.append(encode_sample(item.key, item.image, item.annotation))
            rows.append(item.row | {"shard": shard_path.name})
    info = write_shard(shard_path, encoded) if encoded else None
    return ChunkResult(split, source, info, pd.DataFrame(rows), bad, skipped)
