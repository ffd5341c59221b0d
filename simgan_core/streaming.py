"""Consume a shard directory (refined, synthetic, real_*): streamed batches, access by key.

    from simgan_core.streaming import stream_batches
    for images, annotations in stream_batches("data/gaze/shards/refined", batch_size=64):
        ...  # images (B, C, H, W) float32 in [-1, 1]; annotations: B dicts (the JSON)

`stream_batches` is the training path (sequential reads through webdataset stages,
shuffled, split over DataLoader workers and distributed ranks); `open_by_key` is the
inspection path (random access through the wids index in `index.json`).

Only the png and json members of a sample are ever decoded. A sample holding any other
member (.pyd, .pickle, .pth, ...) is refused with a ValueError naming the shard and
member, never unpickled: this module reads shards with `simgan_core.shards`, whose
readers refuse them, instead of webdataset's or wids' default decoders.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import torch
import webdataset as wds
from torch.utils.data import DataLoader, IterableDataset

from simgan_core.shard_index import (
    INDEX_NAME,
    decode_wids_sample,
    open_indexed,
    read_index,
    tar_sample_keys,
)
from simgan_core.shards import decode_sample, iter_tar_members

# A raw sample between reading and decoding: (key, {extension: bytes}, shard path).
# The shuffle buffer holds these (a PNG is a few times smaller than its float tensor).
RawSample = tuple[str, dict[str, bytes], str]
Batch = tuple[torch.Tensor, list[dict[str, Any]]]
KeyedBatch = tuple[torch.Tensor, list[dict[str, Any]], list[str]]


def shard_paths(shard_dir: Path | str) -> list[Path]:
    """The shards of a directory, in index order: `index.json`'s validated shardlist
    when present (`read_index`: plain `.tar` names in the directory, counts that match
    the files; a "pipe:" url, a path or a url elsewhere is a ValueError), else the
    `*.tar` files sorted by name."""
    shard_dir = Path(shard_dir)
    index = shard_dir / INDEX_NAME
    if index.is_file():
        return [entry.path for entry in read_index(index)]
    paths = sorted(shard_dir.glob("*.tar"))
    if not paths:
        raise ValueError(f"{shard_dir}: no shards (no {INDEX_NAME}, no *.tar files)")
    return paths


def image_to_tensor(image: np.ndarray) -> torch.Tensor:
    """Stored pixels (H, W) uint8 or uint16 -> (1, H, W), (H, W, 3) uint8 RGB -> (3, H, W):
    float32 in [-1, 1].

    8-bit is divided by 255, 16-bit by 65535 (the dtype's full range, as `Domain.to_unit`),
    then mapped to the refiner's tanh range by x * 2 - 1.
    """
    rgb = image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    if not rgb and (image.ndim != 2 or image.dtype not in (np.uint8, np.uint16)):
        raise ValueError(f"image must be (H, W) uint8/uint16 or (H, W, 3) uint8, got "
                         f"{image.shape} {image.dtype}")
    scale = np.float32(1.0 / np.iinfo(image.dtype).max)
    unit = torch.from_numpy(image.astype(np.float32) * scale * np.float32(2.0) - np.float32(1.0))
    return unit.permute(2, 0, 1) if rgb else unit[None]  # (C, H, W)


def resolve_rank(rank: int | None, world_size: int | None) -> tuple[int, int]:
    """(rank, world_size) from the arguments; both None -> torch.distributed when it is
    initialised, else (0, 1). Environment variables (RANK, WORLD_SIZE) are not read:
    initialise the process group, or pass both numbers."""
    if rank is None and world_size is None:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            return torch.distributed.get_rank(), torch.distributed.get_world_size()
        return 0, 1
    if rank is None or world_size is None:
        raise ValueError(f"give both rank and world_size or neither, got {rank=} {world_size=}")
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"need 0 <= rank < world_size, got {rank=} {world_size=}")
    return rank, world_size


def _worker() -> tuple[int, int]:
    """(worker id, number of workers) of the DataLoader process running this code."""
    info = torch.utils.data.get_worker_info()
    return (0, 1) if info is None else (info.id, info.num_workers)


def _split(src: Iterable[Path], part: int, parts: int) -> Iterator[Path]:
    """Every `parts`-th shard from `part`: the node splitter (rank / world_size) and the
    worker splitter, both given explicitly instead of read from the environment."""
    return islice(src, part, None, parts)


def _read_raw(paths: Iterable[Path]) -> Iterator[RawSample]:
    """Shards -> raw samples (png/json bytes; any other member is a ValueError)."""
    for path in paths:
        for key, files in iter_tar_members(path):
            yield key, files, str(path)


def _decode(raw: RawSample, expected_hw: tuple[int, int] | None = None
            ) -> tuple[torch.Tensor, dict[str, Any], str]:
    key, files, where = raw
    sample = decode_sample(key, files, where, expected_hw)  # PNG size checked from its header
    return image_to_tensor(sample.image), sample.annotation, key


def _collate(samples: list[tuple[torch.Tensor, dict[str, Any], str]], with_keys: bool
             ) -> Batch | KeyedBatch:
    shapes = {tuple(image.shape) for image, _, _ in samples}
    if len(shapes) > 1:  # torch.stack would say less: name the samples
        raise ValueError(f"images of one batch differ in shape {sorted(shapes)}: "
                         f"{[key for _, _, key in samples]}")
    images = torch.stack([image for image, _, _ in samples])  # (B, 1, H, W)
    annotations = [annotation for _, annotation, _ in samples]
    if with_keys:
        return images, annotations, [key for _, _, key in samples]
    return images, annotations


class ShardStream(IterableDataset):
    """Batches of one rank's share of a shard set, for one epoch (see `stream_batches`).

    Per epoch: the whole shard list is permuted by an rng seeded with (seed, epoch), the
    same on every rank and worker, and only then split (rank first, then DataLoader
    worker), so the shares are disjoint, cover every shard, and change every epoch.
    Samples then pass through a buffer shuffle seeded with (seed, epoch, rank, worker)
    and are batched inside the worker.
    """

    def __init__(self, shards: list[Path], *, batch_size: int, shuffle: bool = True,
                 shuffle_buffer: int = 1000, seed: int = 0, epoch: int = 0,
                 rank: int | None = None, world_size: int | None = None,
                 drop_last: bool = False, with_keys: bool = False,
                 expected_hw: tuple[int, int] | None = None) -> None:
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.shards = list(shards)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.shuffle_buffer = shuffle_buffer
        self.seed = seed
        self.epoch = epoch
        self.rank, self.world_size = resolve_rank(rank, world_size)
        self.drop_last = drop_last
        self.with_keys = with_keys
        self.expected_hw = expected_hw  # (H, W) every PNG must declare; None: any size

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for `epoch`. Call before `iter(loader)`: workers copy the dataset at
        every iter() (persistent_workers=False), so a worker never sees a stale epoch."""
        self.epoch = epoch

    def check_parts(self, num_workers: int) -> None:
        """Raise when some (rank, worker) would receive no shard: an empty worker wastes a
        process, and a rank with fewer batches hangs DistributedDataParallel."""
        parts = self.world_size * max(num_workers, 1)
        if len(self.shards) < parts:
            raise ValueError(
                f"{len(self.shards)} shards cannot feed world_size={self.world_size} x "
                f"num_workers={max(num_workers, 1)} = {parts} readers (one shard is the "
                f"smallest unit of work): use fewer workers or write smaller shards")

    def _shard_order(self) -> list[Path]:
        order = list(self.shards)
        if self.shuffle:
            # A str seed is hashed with sha512: the same on every process and platform.
            random.Random(f"shards-{self.seed}-{self.epoch}").shuffle(order)
        return order

    def __iter__(self) -> Iterator[Batch | KeyedBatch]:
        worker, num_workers = _worker()
        self.check_parts(num_workers)
        stages: list[Any] = [
            # The source: identical on every rank and worker, so the splits partition it.
            # (Wrapped: DataPipeline would splice a bare list in as a list of stages.)
            partial(iter, self._shard_order()),
            partial(_split, part=self.rank, parts=self.world_size),
            partial(_split, part=worker, parts=num_workers),
            _read_raw,
        ]
        if self.shuffle and self.shuffle_buffer > 1:
            rng = random.Random(f"samples-{self.seed}-{self.epoch}-{self.rank}-{worker}")
            # initial=bufsize: fill the buffer before the first pick (better mixing).
            stages.append(wds.shuffle(self.shuffle_buffer, self.shuffle_buffer, rng=rng))
        stages += [
            # After the shuffle: the buffer holds PNG bytes, not floats.
            wds.map(partial(_decode, expected_hw=self.expected_hw)),
            wds.batched(self.batch_size, collation_fn=partial(_collate, with_keys=self.with_keys),
                        partial=not self.drop_last),
        ]
        return iter(wds.DataPipeline(*stages))


def stream_batches(shard_dir: Path | str, *, batch_size: int, shuffle: bool = True,
                   shuffle_buffer: int = 1000, seed: int = 0, epoch: int = 0,
                   rank: int | None = None, world_size: int | None = None,
                   num_workers: int = 0, drop_last: bool = False, with_keys: bool = False,
                   pin_memory: bool = False, expected_hw: tuple[int, int] | None = None
                   ) -> DataLoader:
    """A DataLoader over one epoch of `shard_dir` for this rank, yielding batches
    `(images, annotations)`, or `(images, annotations, keys)` with `with_keys=True`:

    - images: (B, 1, H, W) float32 in [-1, 1] (8-bit / 255, 16-bit / 65535, then * 2 - 1);
    - annotations: B dicts, the decoded JSON of each sample; keys: B sample keys.

    Shuffling (when `shuffle`): shard order by (seed, epoch), then a buffer of
    `shuffle_buffer` samples per worker; the same arguments give the same batches.
    Pass a new `epoch` (or call `loader.dataset.set_epoch`) to reshuffle.
    `shuffle=False` reads every sample in index order (for one rank and no workers).

    Splitting: rank / world_size come from the arguments, else torch.distributed when
    initialised, else a single process. Over all ranks and workers, every sample is read
    exactly once per epoch. Fewer shards than world_size * max(num_workers, 1) is a
    ValueError (raised here). Ranks may still receive different numbers of samples when
    the shards do not divide evenly: with DistributedDataParallel, write shard counts
    divisible by world_size with equal sizes, or stop all ranks at the shortest one.
    Batches are formed inside each worker; a worker's last batch may be short unless
    `drop_last`.

    Decoding: png and json only; a sample with any other member is a ValueError, as is
    a PNG whose header declares another (H, W) than `expected_hw` (when given) or more
    than `shards.MAX_DECODE_PIXELS` pixels: refused before it is decoded.
    """
    rank, world_size = resolve_rank(rank, world_size)
    dataset = ShardStream(shard_paths(shard_dir), batch_size=batch_size, shuffle=shuffle,
                          shuffle_buffer=shuffle_buffer, seed=seed, epoch=epoch, rank=rank,
                          world_size=world_size, drop_last=drop_last, with_keys=with_keys,
                          expected_hw=expected_hw)
    dataset.check_parts(num_workers)
    # batch_size=None: the pipeline batches already (one IPC message per batch, not per
    # sample); persistent_workers=False so that set_epoch reaches fresh workers.
    return DataLoader(dataset, batch_size=None, num_workers=num_workers,
                      pin_memory=pin_memory, persistent_workers=False)


def _decode_pair(sample: dict[str, Any]) -> tuple[str, np.ndarray, dict[str, Any]]:
    """wids raw sample -> (key, image (H, W) as stored, annotation); png/json only."""
    decoded = decode_wids_sample(sample)
    return decoded.key, decoded.image, decoded.annotation


class KeyedShards:
    """Random access to a shard set: `ks[i]` and `ks.get(key)` -> (image, annotation),
    image (H, W) uint8 or uint16 as stored (`image_to_tensor` gives the network's form),
    annotation the decoded JSON. Positions follow `index.json` (shard by shard)."""

    def __init__(self, shard_dir: Path | str) -> None:
        shard_dir = Path(shard_dir)
        index = shard_dir / INDEX_NAME
        if not index.is_file():
            raise FileNotFoundError(f"{shard_dir}: no {INDEX_NAME} (random access needs it)")
        # Validated first (urls, counts against the tars): wids never reads the index.
        entries = read_index(index, count_samples=False)
        self._keys: list[str] = []
        for entry in entries:
            keys = tar_sample_keys(entry.path)
            if len(keys) != entry.nsamples:  # a stale index would shift every position
                raise ValueError(f"{index}: {entry.path.name} lists {entry.nsamples} "
                                 f"samples, the tar holds {len(keys)}")
            self._keys += keys
        self._dataset = open_indexed(index, decode=_decode_pair, entries=entries)
        self._position = {key: i for i, key in enumerate(self._keys)}
        if len(self._position) != len(self._keys):
            dupes = sorted(k for k, n in Counter(self._keys).items() if n > 1)
            raise ValueError(f"{shard_dir}: duplicate sample keys {dupes[:5]}")

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._position

    def keys(self) -> list[str]:
        """Sample keys in position order."""
        return list(self._keys)

    def __getitem__(self, i: int) -> tuple[np.ndarray, dict[str, Any]]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"sample {i} out of range ({len(self)} samples)")
        i %= len(self)
        key, image, annotation = self._dataset[i]
        if key != self._keys[i]:  # shards rewritten since this object was opened
            raise ValueError(f"sample {i}: expected key {self._keys[i]!r}, read {key!r}")
        return image, annotation

    def get(self, key: str) -> tuple[np.ndarray, dict[str, Any]]:
        """(image, annotation) of the sample `key`; KeyError naming it when absent."""
        if key not in self._position:
            raise KeyError(f"no sample with key {key!r} in this shard set")
        return self[self._position[key]]

    def close(self) -> None:
        self._dataset.close()

    def __enter__(self) -> KeyedShards:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_by_key(shard_dir: Path | str) -> KeyedShards:
    """Random access by position or key to the shard set in `shard_dir` (needs index.json)."""
    return KeyedShards(shard_dir)
