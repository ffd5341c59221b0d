"""Hostile sizes: inputs whose headers promise huge data are refused before it is held.

Each hostile input is a few kB on disk (zeros compress ~1000:1) or sparse: a 12000 x
12000 NYU frame, a 13000 x 13000 PNG in a shard, a tar member declaring 2 GiB, a day
.mat inflating to 650 MB, eye landmarks 1e5 px off the image. The last test runs each
in a child process and compares its peak RSS with the same child on a normal input.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from nyu_layout import write_joint_data
from PIL import Image, ImageFile

from simgan_core.gaze.crop import crop_gray, eye_crop_box
from simgan_core.gaze.mpiigaze_reader import MAX_DAY_INFLATED_BYTES, iter_mpiigaze
from simgan_core.gaze.spec import GAZE
from simgan_core.hand import nyu_reader
from simgan_core.hand.joints import FRAME_H, FRAME_W
from simgan_core.hand.nyu_reader import decode_depth_png, read_joint_data
from simgan_core.ingest_records import FormatError, Quarantined
from simgan_core.matfile_size import inflated_size
from simgan_core.shards import (
    MAX_MEMBER_BYTES,
    decode_sample,
    encode_sample,
    iter_samples,
    write_shard,
)

HUGE_FRAME = 12000  # px per side of the hostile NYU frame: 432 MB as RGB
HUGE_PNG = 13000  # px per side of the hostile shard PNG: 169 Mpx
HUGE_MEMBER = 2**31  # bytes a hostile tar member declares
HUGE_MAT = 650 * 10**6  # bytes the hostile day file inflates to
_BLOCK = 1 << 20


# --- hostile inputs, made in a few kB -------------------------------------------------


def zlib_of(prefix: bytes, zeros: int) -> bytes:
    """zlib stream of `prefix` + `zeros` zero bytes, without holding the zeros: a 1 MiB
    deflate block of zeros, full-flushed (no back-reference leaves it), repeated."""
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: header, checksum by hand
    head = raw.compress(prefix) + raw.flush(zlib.Z_FULL_FLUSH)
    n, rest = divmod(zeros, _BLOCK)
    block = raw.compress(bytes(_BLOCK)) + raw.flush(zlib.Z_FULL_FLUSH) if n else b""
    tail = raw.compress(bytes(rest)) + raw.flush(zlib.Z_FINISH)
    adler = zlib.adler32(prefix)
    a, b = adler & 0xFFFF, adler >> 16
    b = (b + (zeros % 65521) * a) % 65521  # each zero byte adds a to b, leaves a as is
    return b"\x78\xda" + head + block * n + tail + struct.pack(">I", (b << 16) | a)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def zeros_png(width: int, height: int, color_type: int, bit_depth: int = 8) -> bytes:
    """A valid all-zero PNG (color type 0 gray, 2 RGB) of any size, in a few kB."""
    channels = {0: 1, 2: 3}[color_type]
    row = 1 + width * channels * bit_depth // 8  # filter byte + samples
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib_of(b"", row * height)) + _chunk(b"IEND", b""))


def huge_member_shard(path: Path) -> Path:
    """A tar whose first member declares HUGE_MEMBER bytes (a sparse file: no disk)."""
    info = tarfile.TarInfo("big-0.png")
    info.size = HUGE_MEMBER
    with open(path, "wb") as f:
        f.write(info.tobuf(tarfile.USTAR_FORMAT))
        f.truncate(512 + HUGE_MEMBER + 1024)  # the member's bytes + the end-of-archive
    return path


def day_content(n: int = 3) -> dict:
    rng = np.random.default_rng(0)
    gaze = np.tile([0.0, 0.0, -1.0], (n, 1))
    eye = {"gaze": gaze, "image": rng.integers(0, 256, (n, 36, 60), np.uint8),
           "pose": np.zeros((n, 3))}
    names = np.empty(n, dtype=object)
    names[:] = [f"{i + 1:04d}.jpg" for i in range(n)]
    return {"data": {"left": eye, "right": eye}, "filenames": names}


def write_day(root: Path, extra_zeros: int = 0) -> Path:
    """root/Data/Normalized/p00/day01.mat; `extra_zeros` > 0 appends a compressed uint8
    variable `junk` of that many zero bytes (loadmat would inflate it whole)."""
    path = root / "Data" / "Normalized" / "p00" / "day01.mat"
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, day_content(), do_compression=True)
    if extra_zeros:
        append_compressed_zeros(path, extra_zeros)
    return path


def append_compressed_zeros(path: Path, n: int) -> None:
    """Append to a little-endian v5 .mat a compressed uint8 variable `junk` of n zero
    bytes: a few kB on disk that loadmat would inflate whole."""
    assert path.read_bytes()[126:128] == b"IM"  # little endian, as written here
    pad = -n % 8
    sub = (struct.pack("<IIII", 6, 8, 9, 0)  # array flags: class mxUINT8
           + struct.pack("<IIii", 5, 8, n, 1)  # dimensions (n, 1)
           + struct.pack("<II", 1, 4) + b"junk\0\0\0\0"  # name, padded to 8
           + struct.pack("<II", 2, n))  # miUINT8 real part: n bytes follow
    matrix = struct.pack("<II", 14, len(sub) + n + pad) + sub
    stream = zlib_of(matrix, n + pad)
    with open(path, "ab") as f:
        f.write(struct.pack("<II", 15, len(stream)) + stream)


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any PIL image's pixels are decoded."""
    def load(self: ImageFile.ImageFile) -> None:
        raise AssertionError(f"{self.size} pixels were decoded before the size was checked")
    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


# --- the helpers make what they say ---------------------------------------------------


def test_hostile_inputs_are_what_they_claim() -> None:
    assert zlib.decompress(zlib_of(b"abc", 3 * _BLOCK + 5)) == b"abc" + bytes(3 * _BLOCK + 5)
    with Image.open(io.BytesIO(zeros_png(40, 30, 2))) as pil:
        assert np.asarray(pil).shape == (30, 40, 3) and not np.asarray(pil).any()
    assert len(zeros_png(HUGE_FRAME, HUGE_FRAME, 2)) < 2 * 2**20


# --- 1. crops -------------------------------------------------------------------------


def _landmarks(shift: float, eye_width: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    margin = np.zeros((16, 2))
    margin[8] = (320.0 + eye_width / 2 + shift, 240.0 + shift)
    caruncle = np.tile((320.0 - eye_width / 2 + shift, 240.0 + shift), (7, 1))
    return margin, caruncle


def _render() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (480, 640, 3), np.uint8)


def test_crop_far_off_the_image_is_refused() -> None:
    # Before: np.pad by 1e5 px on each side of the image, ~37 GiB.
    box = eye_crop_box(*_landmarks(shift=100_000.0))
    with pytest.raises(ValueError, match=r"100% off the 640 x 480 image"):
        crop_gray(_render(), box, (36, 60))


def test_absurdly_large_crop_is_refused() -> None:
    box = eye_crop_box(*_landmarks(shift=0.0, eye_width=10_000.0))  # centred, 15000 px wide
    with pytest.raises(ValueError, match=r"absurdly large for a 640 x 480 image"):
        crop_gray(_render(), box, (36, 60))


def test_flat_crop_is_refused() -> None:
    image = np.full((480, 640, 3), 90, np.uint8)
    with pytest.raises(ValueError, match=r"flat crop: every pixel is 90"):
        crop_gray(image, eye_crop_box(*_landmarks(shift=0.0)), (36, 60))


# --- 2. NYU depth frames --------------------------------------------------------------


def test_huge_nyu_frame_is_refused_from_its_header(tmp_path: Path, no_decoding: None) -> None:
    path = tmp_path / "depth_1_0000001.png"
    path.write_bytes(zeros_png(HUGE_FRAME, HUGE_FRAME, 2))
    with pytest.raises(FormatError, match=rf"depth_1_0000001\.png: image is {HUGE_FRAME} x "
                                          rf"{HUGE_FRAME}, expected {FRAME_W} x {FRAME_H}"):
        decode_depth_png(path)


def test_pil_decompression_bomb_is_a_format_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "depth_1_0000001.png"
    path.write_bytes(zeros_png(FRAME_W, FRAME_H, 2))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 2x exceeded: PIL raises at open
    with pytest.raises(FormatError, match=r"0000001\.png: refused as a decompression bomb"):
        decode_depth_png(path)


# --- 3. shards ------------------------------------------------------------------------


def test_huge_png_in_a_shard_is_refused_from_its_header(tmp_path: Path,
                                                        no_decoding: None) -> None:
    shard = tmp_path / "s.tar"
    write_shard(shard, [{"__key__": "big-0", "png": zeros_png(HUGE_PNG, HUGE_PNG, 0),
                         "json": b"{}"}])
    with pytest.raises(ValueError, match=rf"s\.tar: big-0\.png: PNG is {HUGE_PNG} x {HUGE_PNG} "
                                         r"\(H x W\) = 169000000 px, more than MAX_DECODE"):
        list(iter_samples([shard]))


def test_expected_shape_and_dtype_are_checked_before_decoding(no_decoding: None) -> None:
    files = {"png": zeros_png(55, 35, 0), "json": b"{}"}
    with pytest.raises(ValueError, match=r"w\.tar: k\.png: PNG is 35 x 55 \(H x W\), "
                                         r"expected 64 x 64"):
        decode_sample("k", files, "w.tar", expected_hw=(64, 64))
    with pytest.raises(ValueError, match=r"w\.tar: k\.png: PNG mode 'L', expected uint16"):
        decode_sample("k", files, "w.tar", expected_hw=(35, 55), expected_dtype=np.uint16)


def test_readers_that_know_the_domain_check_its_shape(tmp_path: Path) -> None:
    from simgan_core.image_source import IndexedImages
    from simgan_core.shard_index import write_index
    from simgan_core.streaming import stream_batches

    info = write_shard(tmp_path / "shard-000000.tar",
                       [encode_sample("k-0", np.zeros((8, 8), np.uint8), {"domain": "gaze"})])
    index = write_index(tmp_path, [info], name="synthetic")
    with pytest.raises(ValueError, match=r"shard-000000\.tar.*PNG is 8 x 8 \(H x W\), "
                                         r"expected 35 x 55"):
        IndexedImages(index, GAZE)[0]
    with pytest.raises(ValueError, match=r"k-0\.png: PNG is 8 x 8 \(H x W\), expected 35 x 55"):
        next(iter(stream_batches(tmp_path, batch_size=1, shuffle=False, expected_hw=(35, 55))))
    good = next(iter(stream_batches(tmp_path, batch_size=1, shuffle=False)))  # no shape given
    assert tuple(good[0].shape) == (1, 1, 8, 8)


def test_huge_tar_member_is_refused_before_it_is_read(tmp_path: Path) -> None:
    shard = huge_member_shard(tmp_path / "s.tar")
    with pytest.raises(ValueError, match=rf"s\.tar: member 'big-0\.png' declares "
                                         rf"{HUGE_MEMBER} bytes, more than MAX_MEMBER_BYTES "
                                         rf"\({MAX_MEMBER_BYTES}"):
        list(iter_samples([shard]))


# --- 4. MPIIGaze day files ------------------------------------------------------------


def test_inflated_size_sees_inside_structs_where_whosmat_does_not(tmp_path: Path) -> None:
    path = write_day(tmp_path)
    assert dict((n, s) for n, s, _ in scipy.io.whosmat(path))["data"] == (1, 1)  # blind
    images = 2 * 3 * 36 * 60  # data.left.image + data.right.image, uint8
    assert images < inflated_size(path, MAX_DAY_INFLATED_BYTES) < images + 4096
    assert inflated_size(path, 100) > 100  # stops early, but says "more"


def test_day_file_inflating_to_650_mb_is_quarantined_by_name(tmp_path: Path) -> None:
    good = list(iter_mpiigaze(write_day(tmp_path / "good").parents[3],
                              use_evaluation_subset=False))
    assert len(good) == 6 and not any(isinstance(r, Quarantined) for r in good)
    path = write_day(tmp_path / "bad", extra_zeros=HUGE_MAT)
    assert path.stat().st_size < 2**20
    out = list(iter_mpiigaze(path.parents[3], use_evaluation_subset=False))
    assert len(out) == 1 and isinstance(out[0], Quarantined)
    assert out[0].path == str(path)
    assert out[0].reason.startswith("inflates to more than MAX_DAY_INFLATED_BYTES (268435456")


def test_joint_data_inflating_past_the_cap_is_refused_by_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "joint_data.mat"
    write_joint_data(path, np.zeros((1, 3, 36, 3)), np.zeros((1, 3, 36, 3)))
    assert read_joint_data(path).n_frames == 3
    monkeypatch.setattr(nyu_reader, "MAX_JOINT_DATA_INFLATED_BYTES", 4 * _BLOCK)
    append_compressed_zeros(path, 5 * _BLOCK)  # inflates past the (lowered) cap
    assert path.stat().st_size < _BLOCK
    with pytest.raises(FormatError, match=r"joint_data\.mat: inflates to more than "
                                          r"MAX_JOINT_DATA_INFLATED_BYTES \(4194304 bytes\)"):
        read_joint_data(path)


# --- 5. peak memory, in a child process per case ---------------------------------------

CHILD = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))  # a regression: MemoryError
case, arg = sys.argv[1], sys.argv[2]
try:
    if case == "crop":
        import numpy as np
        from simgan_core.gaze.crop import crop_gray, eye_crop_box
        image = np.random.default_rng(0).integers(0, 256, (480, 640, 3), np.uint8)
        s = float(arg)
        margin = np.zeros((16, 2)); margin[8] = (350 + s, 240 + s)
        crop_gray(image, eye_crop_box(margin, np.tile((290 + s, 240 + s), (7, 1))), (36, 60))
    elif case == "nyu":
        from simgan_core.hand.nyu_reader import decode_depth_png
        decode_depth_png(arg)
    elif case == "mat":
        from simgan_core.gaze.mpiigaze_reader import iter_mpiigaze
        print(list(iter_mpiigaze(arg, use_evaluation_subset=False))[0], file=sys.stderr)
    else:
        from simgan_core.shards import iter_samples
        list(iter_samples([arg]))
except ValueError as exc:
    print("refused:", exc, file=sys.stderr)
# ru_maxrss (kB) survives exec: it is at least the forking pytest's RSS. VmHWM is the
# peak RSS of this program's own memory map, the figure compared here.
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, hwm[0])
"""


def _peak_rss_kb(case: str, arg: str) -> int:
    """The child's peak RSS in kB (VmHWM) on `case` with input `arg`."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, case, arg], capture_output=True,
                          text=True, env=env, timeout=120, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc VmHWM")
def test_hostile_inputs_cost_no_more_memory_than_normal_ones(tmp_path: Path) -> None:
    normal_shard = tmp_path / "normal.tar"
    write_shard(normal_shard, [encode_sample("k-0", np.zeros((64, 64), np.uint16),
                                             {"domain": "hand"})])
    huge_png_shard = tmp_path / "huge_png.tar"
    write_shard(huge_png_shard, [{"__key__": "big-0", "png": zeros_png(HUGE_PNG, HUGE_PNG, 0),
                                  "json": b"{}"}])
    (tmp_path / "normal.png").write_bytes(zeros_png(FRAME_W, FRAME_H, 2))
    (tmp_path / "huge.png").write_bytes(zeros_png(HUGE_FRAME, HUGE_FRAME, 2))
    write_day(tmp_path / "good_day")
    write_day(tmp_path / "bad_day", extra_zeros=HUGE_MAT)
    cases = {  # case -> (child, normal input, hostile input)
        "crop": ("crop", "0", "100000"),
        "nyu": ("nyu", tmp_path / "normal.png", tmp_path / "huge.png"),
        "shard_png": ("shard", normal_shard, huge_png_shard),
        "tar_member": ("shard", normal_shard, huge_member_shard(tmp_path / "huge_member.tar")),
        "mat": ("mat", tmp_path / "good_day", tmp_path / "bad_day"),
    }
    peaks = {name: (_peak_rss_kb(child, str(normal)), _peak_rss_kb(child, str(hostile)))
             for name, (child, normal, hostile) in cases.items()}
    print(json.dumps({name: {"normal_kb": n, "hostile_kb": h} for name, (n, h) in peaks.items()}))
    over = {name: peak for name, peak in peaks.items() if peak[1] >= 2 * peak[0]}
    assert not over, f"hostile peak RSS >= 2x normal (normal kB, hostile kB): {over}"
