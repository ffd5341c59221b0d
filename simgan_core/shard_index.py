"""What sits next to a shard set: a wids index for random access and a SHA256SUMS file.

`index.json` follows wids' "wids-shard-index-v1" format with shard urls RELATIVE to
the index file. wids (`ShardListDataset(str(index_path))`) resolves them against the
directory of the index path (`wids_specs.urldir`), so the directory can be moved or
pulled from a DVC remote as a whole; the index holds no "base" and no absolute path.

An index is untrusted input (a user may hand us anyone's shard set), and wids acts on
what an index says: a `pipe:` url, or a `datasets[].source_url`, runs a shell command
(`os.system` in wids_dl); an http url runs curl; `base` and absolute urls reach files
anywhere. So no index path ever reaches wids. `read_index` validates the whole index
first (its keys, every url, every count, against the files on disk), and
`open_indexed` hands wids a shard list built here, of local files in the index's own
directory only.

Other pitfalls of wids that `open_indexed` avoids:
- by default wids copies each shard into a cache directory (WIDS_CACHE, default
  /tmp/_wids_cache) keyed by its url and reuses that copy even after the shard was
  rewritten; we open the shards in place instead;
- the default transformation decodes `.pkl` with pickle: we decode png/json only;
- wids keeps 10 shards open (`lru_size`) and, to reopen one, walks every tar header of
  it again. Random access over a set of more shards (a training loop's shuffled
  batches) then reopens shards again and again: on the default run's one set of more
  than 10 (gaze's synthetic, 12 shards) that was about 40 % of a refiner's training
  time. We keep every shard of a set open, up to MAX_OPEN_SHARDS (an open file and a
  map each).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import sys
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simgan_core.atomic import atomic_write_text
from simgan_core.shards import DecodedSample, ShardInfo, decode_sample

if TYPE_CHECKING:  # wids imports torch.distributed: only load it when used
    import wids

INDEX_NAME = "index.json"
SUMS_NAME = "SHA256SUMS"
_SUMS_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")  # "<hex>  <name>" or "<hex> *<name>"
# A shard url an index may hold: a plain *.tar name in the index's directory. No scheme
# (pipe:, http:, file:), no slash (no path elsewhere, no ../), no leading dot.
# "[{'url': ... base: None name: None nfiles: 12 nbytes: 0 samples: 12000 cache: None"
_WIDS_SUMMARY = re.compile(r"^\S.* base: .* nfiles: \d+ nbytes: \d+ samples: \d+ cache: ")
SHARD_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.tar$")
INDEX_KIND = "wids-shard-index-v1"
_INDEX_KEYS = {"__kind__", "wids_version", "name", "shardlist"}  # no base, no datasets
_ENTRY_KEYS = {"url", "nsamples", "filesize", "md5sum"}  # what widsindex create writes
MAX_INDEX_BYTES = 64 << 20  # an index of a million shards is a few tens of MB
TAR_BLOCK = 512  # bytes: every tar member takes at least one header block
# Shards a random-access dataset keeps open (wids warns above 200; each holds a file
# descriptor): a larger set reads at the old reopening cost, correctly.
MAX_OPEN_SHARDS = 200


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


@dataclass(frozen=True)
class IndexEntry:
    """One validated shard of an index: its file (in the index's directory) and count."""

    path: Path
    nsamples: int


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def tar_sample_keys(path: Path) -> list[str]:
    """Sample keys of one tar in wids' order, from the tar headers only (the seekable
    reader skips member data: nothing is read or decoded). A file that is not a readable
    tar is a ValueError naming it."""
    from wids.wids import group_by_key, splitname  # deferred: wids pulls in torch.distributed

    try:
        with tarfile.open(path, mode="r:") as tar:
            names = [member.name for member in tar if member.isfile()]
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable tar: {exc}") from exc
    # wids' own grouping (adjacent members with one key): positions agree with wids'.
    return [splitname(names[group[0]])[0] for group in group_by_key(names)]


def read_index(index_path: Path | str, count_samples: bool = True) -> list[IndexEntry]:
    """The validated shard list of a wids index; ValueError naming the index and the
    problem otherwise. Checked: the JSON is a wids-shard-index-v1 object with only the
    keys write_index (or `widsindex create`) writes (no `base`, no `datasets` or
    `source_url`); every url a plain *.tar name of an existing regular file in the
    index's directory, listed once; every `nsamples` a count the file can hold (at
    least one 512-byte tar block per sample) and, with `count_samples`, the number of
    samples its tar headers hold; `filesize`, when given, the file's size."""
    index_path = Path(index_path)
    directory = index_path.parent

    def refuse(problem: str) -> ValueError:
        return ValueError(f"{index_path}: {problem}")

    try:
        size = index_path.stat().st_size
        if size > MAX_INDEX_BYTES:
            raise refuse(f"{size} bytes, more than an index needs ({MAX_INDEX_BYTES})")
        spec = json.loads(index_path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise refuse(f"cannot read the index: {exc}") from exc
    if not isinstance(spec, dict):
        raise refuse(f"an index is a JSON object, got {type(spec).__name__}")
    unknown = sorted(set(spec) - _INDEX_KEYS)
    if unknown:  # `datasets` / `source_url` make wids fetch (or run) more indexes
        raise refuse(f"keys {unknown} are not allowed (only {sorted(_INDEX_KEYS)})")
    if spec.get("__kind__") != INDEX_KIND or spec.get("wids_version") != 1:
        raise refuse(f"not a {INDEX_KIND} index with wids_version 1")
    shardlist = spec.get("shardlist")
    if not isinstance(shardlist, list) or not shardlist:
        raise refuse("'shardlist' must be a non-empty list")
    entries: list[IndexEntry] = []
    seen: set[str] = set()
    for i, entry in enumerate(shardlist):
        where = f"shardlist[{i}]"
        if not isinstance(entry, dict) or set(entry) - _ENTRY_KEYS:
            raise refuse(f"{where} must be an object with keys among {sorted(_ENTRY_KEYS)}")
        url, nsamples = entry.get("url"), entry.get("nsamples")
        # Plain names only: never a shell command (a "pipe:" url), a download, nor a file
        # outside the index's directory.
        if not isinstance(url, str) or not SHARD_NAME.match(url):
            raise refuse(f"{where}: shard urls must be plain *.tar names in the index's "
                         f"directory, got {url!r}")
        if url in seen:
            raise refuse(f"{where}: {url} is listed twice")
        seen.add(url)
        path = directory / url
        if not path.is_file():
            raise refuse(f"{where}: shard {url} is missing (or not a regular file)")
        nbytes = path.stat().st_size
        if not _is_count(nsamples) or nsamples * TAR_BLOCK > nbytes:
            raise refuse(f"{where}: nsamples {nsamples!r} is not a count that {url} "
                         f"({nbytes} bytes) can hold")
        if "filesize" in entry and entry["filesize"] != nbytes:
            raise refuse(f"{where}: filesize {entry['filesize']!r} but {url} has {nbytes} "
                         "bytes (a stale index?)")
        held = len(tar_sample_keys(path)) if count_samples else nsamples
        if held != nsamples:
            raise refuse(f"{where}: nsamples {nsamples} but {url} holds {held} samples "
                         "(a stale index?)")
        entries.append(IndexEntry(path, nsamples))
    return entries


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
                 entries: Sequence[IndexEntry] | None = None,
                 ) -> wids.ShardListDataset:
    """Random access to a shard set: dataset[i] -> decode(raw sample), by default the
    DecodedSample of the i-th sample (png/json only: never wids' pickle decoders).

    The index is validated by `read_index` (or `entries`, its result, is given) and
    wids gets a shard list of the validated local files, never the index itself.
    Shards are opened in place (no cache copy; wids briefly creates "<shard>.lock"
    next to each shard it opens, so the directory must be writable).
    """
    import wids  # deferred: pulls in torch.distributed

    if entries is None:
        entries = read_index(index_path)
    shards = [{"url": str(entry.path), "nsamples": entry.nsamples} for entry in entries]
    open_at_once = max(1, min(len(shards), MAX_OPEN_SHARDS))
    # wids prints a summary line to stderr on every open (`if True or WIDS_VERBOSE`):
    # caught, dropped, and anything else it writes passed on.
    caught = io.StringIO()
    with contextlib.redirect_stderr(caught):
        dataset = wids.ShardListDataset(
            shards,
            localname=_in_place,  # local name == url: no copy, no stale cache
            lru_size=open_at_once,  # random reads never reopen a shard (module docstring)
            transformations=[decode],  # never wids' default (pickle) decoders
        )
    for line in caught.getvalue().splitlines(keepends=True):
        if not _WIDS_SUMMARY.match(line):
            sys.stderr.write(line)
    return dataset
