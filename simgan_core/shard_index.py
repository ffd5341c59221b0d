"""What sits next to a shard set: a wids index for random access and a SHA256SUMS file.

`index.json` follows wids' "wids-shard-index-v1" format with shard urls RELATIVE to
the index file. wids (`ShardListDataset(str(index_path))`) resolves them against the
directory of the index path (`wids_specs.urldir`), so the directory can be moved or
pulled from a DVC remote as a whole; the index holds no "base" and no absolute path.

Pitfalls of wids that `open_indexed` avoids:
- the index must be given as a `str`: a `pathlib.Path` is taken for a list of shards;
- by default wids copies each shard into a cache directory (WIDS_CACHE, default
  /tmp/_wids_cache) keyed by its url and reuses that copy even after the shard was
  rewritten; we open the shards in place instead;
- the default transformation decodes `.pkl` with pickle: we decode png/json only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simgan_core.atomic import atomic_write_text
from simgan_core.shards import DecodedSample, ShardInfo, decode_sample

if TYPE_CHECKING:  # wids imports torch.distributed: only load it when used
    import wids

INDEX_NAME = "index.json"
SUMS_NAME = "SHA256SUMS"
_SUMS_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")  # "<hex>  <name>" or "<hex> *<name>"


def write_index(out_dir: Path | str, shards: Sequence[ShardInfo], name: str) -> Path:
    """Write out_dir/index.json (wids-shard-index-v1) listing `shards` in order.

    Urls are the shard file names, relative to the index. An empty `shards` gives a
    valid JSON index that wids refuses to open ("No shards found").
    """
    out_dir = Path(out_dir)
    index = {
        "__kind__": "wids-shard-index-v1",
        "wids_version": 1,
        "name": name,
        "shardlist": [
            {"url": s.name, "nsamples": s.nsamples, "filesize": s.nbytes} for s in shards
        ],
    }
    path = out_dir / INDEX_NAME
    atomic_write_text(path, json.dumps(index, indent=1, sort_keys=True) + "\n")
    return path


def write_sha256sums(out_dir: Path | str, shards: Sequence[ShardInfo]) -> Path:
    """Write out_dir/SHA256SUMS ("<hex>  <name>" per line, sorted by name): `sha256sum -c`."""
    out_dir = Path(out_dir)
    lines = [f"{s.sha256}  {s.name}\n" for s in sorted(shards, key=lambda s: s.name)]
    path = out_dir / SUMS_NAME
    atomic_write_text(path, "".join(lines))
    return path


def file_sha256(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256sums(out_dir: Path | str) -> list[str]:
    """Names listed in out_dir/SHA256SUMS that are missing or whose bytes differ.

    An empty list means every listed shard verified. A malformed line is a ValueError
    (a checksum file that cannot be read proves nothing).
    """
    out_dir = Path(out_dir)
    bad: list[str] = []
    text = (out_dir / SUMS_NAME).read_text(encoding="utf-8")
    for lineno, line in enumerate(text.splitlines(), start=1):
        match = _SUMS_LINE.match(line)
        if match is None:
            raise ValueError(f"{out_dir / SUMS_NAME}:{lineno}: malformed line {line!r}")
        expected, name = match.groups()
        if Path(name).name != name:  # only plain names: never look outside out_dir
            raise ValueError(f"{out_dir / SUMS_NAME}:{lineno}: {name!r} is not a plain name")
        path = out_dir / name
        if not path.is_file() or file_sha256(path) != expected:
            bad.append(name)
    return bad


def decode_wids_sample(sample: dict[str, Any]) -> DecodedSample:
    """A raw wids sample ({".png": stream, ".json": stream, "__key__": ...}) -> DecodedSample."""
    where = f"{sample.get('__shard__')}[{sample.get('__shardindex__')}]"
    files: dict[str, bytes] = {}
    for name, value in sample.items():
        if name.startswith("__"):  # wids' own fields: __key__, __index__, __shard__...
            continue
        data = value.read() if hasattr(value, "read") else value
        files[name.removeprefix(".")] = bytes(data)
    return decode_sample(sample["__key__"], files, where)


def _in_place(url: str) -> str:
    """wids localname: the shard itself (a module-level function, so it pickles)."""
    return url


def open_indexed(index_path: Path | str,
                 decode: Callable[[dict[str, Any]], Any] = decode_wids_sample,
                 ) -> wids.ShardListDataset:
    """Random access to a shard set: dataset[i] -> decode(raw sample), by default the
    DecodedSample of the i-th sample (png/json only: never wids' pickle decoders).

    Shards are opened in place (no cache copy; wids briefly creates "<shard>.lock"
    next to each shard it opens, so the directory must be writable).
    """
    import wids  # deferred: pulls in torch.distributed

    return wids.ShardListDataset(
        str(Path(index_path)),  # a str: wids resolves relative urls against its directory
        localname=_in_place,  # local name == url: no copy, no stale cache
        transformations=[decode],  # never wids' default (pickle) decoders
    )
