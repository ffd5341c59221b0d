"""Refine one canonical shard into one refined shard, streaming.

A refined sample keeps its source's key; its JSON is the source annotation with one
added top-level key, `refinement` (provenance), and its png is the refined image at the
canonical size and dtype. Memory holds one batch of images, never the shard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simgan_core.domain import Domain
from simgan_core.shards import (
    ShardInfo,
    decode_json,
    decode_png,
    encode_json,
    encode_png,
    iter_tar_members,
    write_shard,
)

REFINEMENT_KEY = "refinement"  # the one top-level key a refined annotation adds

# (B, C, H, W) float32 in [-1, 1] -> (B, C, H, W) float32 in [-1, 1]
RefineFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class ShardStats:
    """What a refined shard's manifest needs, per sample (lists in shard order)."""

    keys: list[str] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)  # domain label vectors
    source_mean: list[float] = field(default_factory=list)  # stored-pixel units
    source_std: list[float] = field(default_factory=list)
    refined_mean: list[float] = field(default_factory=list)
    refined_std: list[float] = field(default_factory=list)
    mean_abs_change: list[float] = field(default_factory=list)  # stored-pixel units
    annotation_equal: list[bool] = field(default_factory=list)


def refined_annotation(source_json: bytes, provenance: Mapping[str, Any], where: str
                       ) -> tuple[bytes, bool]:
    """(refined JSON bytes, whether the source annotation survives byte for byte).

    The source's canonical bytes must be what encode_json gives for it; the check
    re-encodes the refined annotation without `refinement` and compares bytes.
    """
    annotation = decode_json(source_json, where)
    if REFINEMENT_KEY in annotation:
        raise ValueError(f"{where}: already has a {REFINEMENT_KEY!r} key (refined twice?)")
    refined = encode_json({**annotation, REFINEMENT_KEY: dict(provenance)}, where)
    back = decode_json(refined, where)
    del back[REFINEMENT_KEY]
    return refined, encode_json(back, where) == source_json


def _batches(source: Path, batch_size: int) -> Iterator[list[tuple[str, dict[str, bytes]]]]:
    batch: list[tuple[str, dict[str, bytes]]] = []
    for key, files in iter_tar_members(source):
        batch.append((key, files))
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def refine_shard(source: Path, dest: Path, refine: RefineFn, domain: Domain,
                 provenance: Mapping[str, Any], batch_size: int = 256
                 ) -> tuple[ShardInfo, ShardStats]:
    """Refine every sample of `source` into `dest` (written atomically, same order)."""
    stats = ShardStats()

    def samples() -> Iterator[dict[str, Any]]:
        for batch in _batches(source, batch_size):
            where = [f"{source}: {key}" for key, _ in batch]
            # Header-checked against the domain's (H, W) / dtype before decoding.
            images = np.stack([decode_png(files["png"], f"{w}.png", domain.image_hw,
                                          domain.dtype, domain.channels)
                               for (_, files), w in zip(batch, where, strict=True)])
            if images.shape[1:] != domain.stored_shape or images.dtype != domain.dtype:
                raise ValueError(f"{source}: images are {images.shape[1:]} {images.dtype}, "
                                 f"the {domain.name} domain wants {domain.stored_shape} "
                                 f"{np.dtype(domain.dtype)}")
            x = domain.to_tensor(images)  # (B, C, H, W) in [-1, 1]
            refined = domain.from_tensor(refine(x))  # (B, H, W[, C]) stored
            for i, (key, files) in enumerate(batch):
                data, same = refined_annotation(files["json"], provenance, where[i] + ".json")
                src, out = images[i].astype(np.float64), refined[i].astype(np.float64)
                stats.keys.append(key)
                if domain.label_vector is not None:  # a sample without its label stops here
                    stats.labels.append(domain.label_vector(decode_json(files["json"], where[i])))
                stats.source_mean.append(float(src.mean()))
                stats.source_std.append(float(src.std()))
                stats.refined_mean.append(float(out.mean()))
                stats.refined_std.append(float(out.std()))
                stats.mean_abs_change.append(float(np.abs(out - src).mean()))
                stats.annotation_equal.append(same)
                yield {"__key__": key, "png": encode_png(refined[i], key), "json": data}

    info = write_shard(dest, samples())
    return info, stats


def torch_refine_fn(model: torch.nn.Module, micro_batch: int = 16) -> RefineFn:
    """A refiner module as a RefineFn: eval mode, no autograd, channels_last, micro-batches.

    Puts `model` itself in eval mode and channels_last. On a 2-core CPU this refines about
    three times as many images per second as one NCHW forward per batch of 256 (see
    benchmarks/bench_refine.py): channels_last is oneDNN's own layout (no reorder around
    every conv), and a micro-batch's activations (16 x 16 x 37 x 57 floats) stay in cache.
    Every micro-batch has the same shape (the last one is filled with copies of its last
    image, then cut), so an image's output depends on that image alone, never on the batch
    it came in.
    """
    model.eval().to(memory_format=torch.channels_last)
    # glibc gives freed blocks above its mmap threshold back to the OS, so every forward
    # page-faults its activations in again (~150 faults per image here). Freeing one mmapped
    # block just under the threshold's 32 MiB cap raises it for the process, and later
    # activations are reused from the heap. The block is never touched: it costs no memory.
    torch.empty(31 << 20, dtype=torch.uint8)

    def refine(x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, C, H, W)
        outs = []
        with torch.inference_mode():
            if len(x) == 0:
                return model(x)
            for start in range(0, len(x), micro_batch):
                chunk = x[start:start + micro_batch]
                n = len(chunk)
                if n < micro_batch:
                    chunk = torch.cat([chunk, chunk[-1:].expand(micro_batch - n, -1, -1, -1)])
                out = model(chunk.contiguous(memory_format=torch.channels_last))
                outs.append(out[:n])
            return torch.cat(outs).contiguous()

    return refine
