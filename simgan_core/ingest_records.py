"""What every domain's readers and ingest share: the outcome types and the sample.

A reader streams one item per input: a domain record (a good sample), `Quarantined`
(a bad file, line or sample, with a one-line reason) or `Skipped` (a valid sample
dropped by protocol). A good record becomes a `CanonicalSample`: the image as stored
in the shards, its annotation JSON and its manifest row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


class EmptySourceError(FileNotFoundError):
    """A source folder that is missing or holds no samples at all (names the folder)."""


class FormatError(ValueError):
    """An input that breaks its format. `reason` names the field and the problem."""

    def __init__(self, reason: str, source: str = "") -> None:
        super().__init__(f"{source}: {reason}" if source else reason)
        self.reason = reason
        self.source = source


@dataclass(frozen=True)
class Quarantined:
    """A bad input (file, list line or sample) and a one-line human reason."""

    path: str
    reason: str


@dataclass(frozen=True)
class Skipped:
    """A valid sample dropped by protocol (counted, but not bad)."""

    path: str
    reason: str


@dataclass(frozen=True)
class CanonicalSample:
    key: str
    image: np.ndarray  # (H, W) as stored: uint8 (gaze) or uint16 (hand depth)
    annotation: dict[str, Any]
    row: dict[str, Any]  # the manifest row, without "shard"
