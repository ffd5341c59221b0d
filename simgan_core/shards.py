"""Canonical samples and their WebDataset tar shards: encode, write, read back.

A canonical sample is {"__key__": key, "png": bytes, "json": bytes}. Shard bytes are
a pure function of the samples (mtime 0, uid/gid 0, empty user/group names, mode
0o644, members in the given order), so the same inputs give the same sha256 whatever
the machine, the time or the number of workers. Reading decodes png and json only:
any other member is refused, never unpickled.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
import tarfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from simgan_core.atomic import atomic_output

# No dots (webdataset and wids split a member name at its first dot into key and
# extension) and no slashes (they would become directories inside the tar).
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
# zlib level for PNG: fixed so that bytes only depend on pixels (and the zlib build).
PNG_COMPRESS_LEVEL = 6
# The member extensions a canonical sample may hold, in the order they are written.
SAMPLE_EXTENSIONS = ("png", "json")
_TAR_MODE = 0o644
# Hostile-input caps of the readers. A canonical image is at most 64 x 64 (hand, uint16);
# 2048 x 2048 = 4 Mpx is 1024x that, and still only 8 MiB decoded as uint16 (16 MiB as
# a float32 tensor): a PNG declaring more is refused from its header, never decoded.
MAX_DECODE_PIXELS = 2048 * 2048
# A canonical member (PNG or JSON) is a few kB. 16 MiB is twice the largest PNG the
# pixel cap lets decode (4 Mpx x 2 bytes, stored uncompressed); a member declaring more
# in its tar header is refused before its bytes are read (a 2 GiB member would be read
# whole into memory, and shuffle buffers / refine batches hold many members).
MAX_MEMBER_BYTES = 16 * 2**20
# PIL modes of the PNGs a sample may hold -> (stored dtype, channels): 8/16-bit gray
# ("I": older Pillow, 16-bit) and 8-bit RGB
_MODE_KIND = {"L": (np.uint8, 1), "I;16": (np.uint16, 1), "I;16B": (np.uint16, 1),
              "I;16L": (np.uint16, 1), "I": (np.uint16, 1), "RGB": (np.uint8, 3)}


@dataclass(frozen=True)
class ShardInfo:
    """One written shard: file name (relative to its directory), size and checksum."""

    name: str
    nsamples: int
    sha256: str  # hex digest of the whole tar file
    nbytes: int


@dataclass(frozen=True)
class DecodedSample:
    """A sample read back: image (H, W) uint8 or uint16, or (H, W, 3) uint8, as stored;
    annotation as JSON."""

    key: str
    image: np.ndarray
    annotation: dict[str, Any]


def check_key(key: str) -> str:
    """Return `key` if it is a valid sample key, else raise ValueError naming it."""
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ValueError(f"invalid sample key {key!r}: must match {KEY_PATTERN.pattern}")
    return key


def encode_png(image: np.ndarray, key: str = "?") -> bytes:
    """(H, W) uint8 -> 8-bit grayscale PNG; (H, W) uint16 -> 16-bit grayscale PNG;
    (H, W, 3) uint8 -> 8-bit RGB PNG."""
    image = np.asarray(image)
    rgb = image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    if not rgb and (image.ndim != 2 or image.dtype not in (np.uint8, np.uint16)):
        raise ValueError(
            f"sample {key!r}: image must be (H, W) uint8 or uint16, or (H, W, 3) uint8, "
            f"got shape {image.shape} dtype {image.dtype}"
        )
    # Native byte order: PIL infers "L" (8-bit gray) or "I;16" (16-bit gray) from the dtype;
    # the PNG itself stores 16-bit samples big-endian either way.
    pil = Image.fromarray(np.ascontiguousarray(image, dtype=image.dtype.newbyteorder("=")))
    if pil.mode not in ("L", "I;16", "RGB"):
        raise ValueError(f"sample {key!r}: unexpected PIL mode {pil.mode!r}")
    buf = io.BytesIO()
    # No pnginfo / dpi / icc: PIL then writes only IHDR, IDAT and IEND (no timestamps).
    pil.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL, optimize=False)
    return buf.getvalue()


class _SizeError(ValueError):
    """A PNG refused from its header (size or mode), before decoding: passed through."""


def decode_png(data: bytes, where: str, expected_hw: tuple[int, int] | None = None,
               expected_dtype: type[np.unsignedinteger] | None = None,
               expected_channels: int = 1) -> np.ndarray:
    """PNG bytes -> (H, W) uint8 or uint16, or (H, W, 3) uint8; anything but 8/16-bit
    grayscale or 8-bit RGB is an error.

    The size is checked from the PNG header before any pixel is decoded: against
    `expected_hw` when the caller knows the domain's (H, W), else against
    MAX_DECODE_PIXELS. `expected_dtype` (np.uint8 / np.uint16), with `expected_channels`
    (1 gray, 3 RGB), is checked from the mode.
    """
    try:
        with Image.open(io.BytesIO(data)) as pil:  # lazy: IHDR read, pixels not yet
            if pil.format != "PNG":
                raise ValueError(f"not a PNG ({pil.format})")
            width, height = pil.size
            if expected_hw is not None and (height, width) != tuple(expected_hw):
                raise _SizeError(f"{where}: PNG is {height} x {width} (H x W), expected "
                                 f"{expected_hw[0]} x {expected_hw[1]}")
            if width * height > MAX_DECODE_PIXELS:
                raise _SizeError(f"{where}: PNG is {height} x {width} (H x W) = "
                                 f"{width * height} px, more than MAX_DECODE_PIXELS "
                                 f"({MAX_DECODE_PIXELS})")
            expected = (expected_dtype, expected_channels)
            if expected_dtype is not None and _MODE_KIND.get(pil.mode) != expected:
                kind = "grayscale" if expected_channels == 1 else f"{expected_channels}-channel"
                raise _SizeError(f"{where}: PNG mode {pil.mode!r}, expected "
                                 f"{np.dtype(expected_dtype)} {kind}")
            pil.load()
            mode = pil.mode
            array = np.asarray(pil)
    except _SizeError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"{where}: cannot decode PNG: {exc}") from exc
    if mode in ("L", "RGB"):
        return array.astype(np.uint8, copy=False)
    if mode.startswith("I;16"):
        return array.astype(np.uint16, copy=False)
    if mode == "I" and array.size and array.min() >= 0 and array.max() <= 0xFFFF:
        return array.astype(np.uint16)  # older Pillow opens 16-bit gray as 32-bit "I"
    raise ValueError(f"{where}: PNG mode {mode!r} is not 8- or 16-bit grayscale or 8-bit RGB")


def encode_json(annotation: Mapping[str, Any], key: str = "?") -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, NaN/Infinity refused."""
    try:
        return json.dumps(
            annotation, sort_keys=True, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sample {key!r}: annotation is not strict JSON: {exc}") from exc


def decode_json(data: bytes, where: str) -> dict[str, Any]:
    """JSON bytes -> dict; NaN/Infinity literals and non-object documents are errors."""

    def _refuse_constant(name: str) -> None:
        raise ValueError(f"non-finite number {name}")

    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{where}: cannot decode JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{where}: annotation must be a JSON object, got {type(value).__name__}")
    return value


def encode_sample(key: str, image: np.ndarray, annotation: Mapping[str, Any]) -> dict[str, Any]:
    """(key, image, annotation) -> {"__key__": key, "png": bytes, "json": bytes}."""
    check_key(key)
    return {"__key__": key, "png": encode_png(image, key), "json": encode_json(annotation, key)}


def decode_sample(key: str, files: Mapping[str, bytes], where: str,
                  expected_hw: tuple[int, int] | None = None,
                  expected_dtype: type[np.unsignedinteger] | None = None) -> DecodedSample:
    """{extension: bytes} of one sample -> DecodedSample; png and json, nothing else.

    `expected_hw` / `expected_dtype`: the domain's image shape and type, checked from
    the PNG header before decoding (see `decode_png`)."""
    check_key(key)
    extra = sorted(set(files) - set(SAMPLE_EXTENSIONS))
    if extra:
        raise ValueError(f"{where}: sample {key!r} has member(s) {extra}; only png/json allowed")
    missing = [ext for ext in SAMPLE_EXTENSIONS if ext not in files]
    if missing:
        raise ValueError(f"{where}: sample {key!r} lacks {missing}")
    return DecodedSample(
        key=key,
        image=decode_png(files["png"], f"{where}: {key}.png", expected_hw, expected_dtype),
        annotation=decode_json(files["json"], f"{where}: {key}.json"),
    )


class _HashingWriter:
    """A write-only file wrapper that hashes and counts every byte on its way to disk."""

    def __init__(self, raw: io.BufferedWriter) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.nbytes = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.nbytes += len(data)
        return self._raw.write(data)


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0  # an int: a float mtime would add a PAX header
    info.mode = _TAR_MODE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def _sample_members(sample: Mapping[str, Any]) -> tuple[str, list[tuple[str, bytes]]]:
    """Encoded sample -> (key, [(member name, bytes)]) in the dict's order, checked."""
    key = check_key(sample.get("__key__"))
    members = []
    for ext, data in sample.items():
        if ext.startswith("__"):  # metadata such as __key__ is not a file
            continue
        if not re.fullmatch(r"[a-z0-9]+(\.[a-z0-9]+)*", ext):
            raise ValueError(f"sample {key!r}: invalid extension {ext!r}")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"sample {key!r}: {ext} is {type(data).__name__}, not bytes")
        members.append((f"{key}.{ext}", bytes(data)))
    return key, members


def write_shard(path: Path | str, samples: Iterable[Mapping[str, Any]]) -> ShardInfo:
    """Write encoded samples to one tar at `path`, atomically; return its ShardInfo.

    Each sample's files are written adjacent, in the sample dict's order (`encode_sample`
    gives png then json); "__"-prefixed entries are metadata and are not written. The
    sha256 is computed on the bytes as they are written (no second read).
    """
    path = Path(path)
    seen: set[str] = set()  # keys of this shard: a repeated key would break indexing
    with atomic_output(path) as tmp, open(tmp, "wb") as raw:
        out = _HashingWriter(raw)
        # "w|": stream mode (only write() needed); PAX is identical to USTAR for short names.
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for sample in samples:
                key, members = _sample_members(sample)
                if key in seen:
                    raise ValueError(f"{path.name}: duplicate sample key {key!r}")
                seen.add(key)
                for name, data in members:
                    tar.addfile(_tarinfo(name, len(data)), io.BytesIO(data))
    return ShardInfo(path.name, len(seen), out.sha256.hexdigest(), out.nbytes)


def shard_name(prefix: str, index: int) -> str:
    """File name of shard `index` of a set: "{prefix}-000042.tar"."""
    return f"{prefix}-{index:06d}.tar"


def write_shard_set(
    out_dir: Path | str,
    samples: Iterable[Mapping[str, Any]],
    maxcount: int,
    prefix: str = "shard",
) -> list[ShardInfo]:
    """Stream samples into out_dir/{prefix}-000000.tar, -000001.tar, ... (maxcount each).

    Memory holds one sample at a time. No empty shard is ever written: zero samples give
    zero shards. Shards of the same prefix left by an earlier, longer run (and temp
    files of a killed run) are removed afterwards, so the directory holds exactly this set.
    """
    if maxcount < 1:
        raise ValueError(f"maxcount must be >= 1, got {maxcount}")
    check_key(prefix)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    infos: list[ShardInfo] = []
    it = iter(samples)
    for first in it:
        # One shard = the sample just drawn + up to maxcount - 1 more, pulled lazily.
        chunk = itertools.chain([first], itertools.islice(it, maxcount - 1))
        infos.append(write_shard(out_dir / shard_name(prefix, len(infos)), chunk))
    written = {info.name for info in infos}
    shard_re = re.compile(rf"^\.?{re.escape(prefix)}-\d{{6}}\.tar(\.tmp-\d+)?$")
    for stale in out_dir.iterdir():
        if shard_re.match(stale.name) and stale.name not in written and stale.is_file():
            stale.unlink()
    return infos


def iter_tar_members(shard_path: Path) -> Iterator[tuple[str, dict[str, bytes]]]:
    """Yield (key, {extension: bytes}) per sample of one tar, refusing malformed members."""
    where = str(shard_path)
    seen: set[str] = set()
    key: str | None = None
    files: dict[str, bytes] = {}
    with tarfile.open(shard_path, mode="r|") as tar:  # stream: one member in memory
        for member in tar:
            if not member.isfile():
                raise ValueError(f"{where}: member {member.name!r} is not a regular file")
            member_key, dot, ext = member.name.partition(".")  # split at the FIRST dot
            if not dot or not ext:
                raise ValueError(f"{where}: member {member.name!r} has no extension")
            if ext not in SAMPLE_EXTENSIONS:
                raise ValueError(
                    f"{where}: member {member.name!r}: extension {ext!r} refused "
                    f"(only {'/'.join(SAMPLE_EXTENSIONS)} are decoded)"
                )
            if member_key != key:
                if key is not None:
                    yield key, files
                if member_key in seen:
                    raise ValueError(f"{where}: files of sample {member_key!r} are not adjacent")
                if not KEY_PATTERN.match(member_key):
                    raise ValueError(f"{where}: member {member.name!r} has an invalid key")
                seen.add(member_key)
                key, files = member_key, {}
            if ext in files:
                raise ValueError(f"{where}: member {member.name!r} appears twice")
            if member.size > MAX_MEMBER_BYTES:  # from the header: nothing read yet
                raise ValueError(f"{where}: member {member.name!r} declares {member.size} "
                                 f"bytes, more than MAX_MEMBER_BYTES ({MAX_MEMBER_BYTES})")
            extracted = tar.extractfile(member)
            assert extracted is not None  # regular files always have a stream
            files[ext] = extracted.read()
    if key is not None:
        yield key, files


def iter_samples(shard_paths: Sequence[Path | str]) -> Iterator[DecodedSample]:
    """Decode every sample of the shards, in order (png and json only, never unpickled)."""
    for shard_path in shard_paths:
        shard_path = Path(shard_path)
        for key, files in iter_tar_members(shard_path):
            yield decode_sample(key, files, str(shard_path))
