"""Shard encoding, deterministic tar bytes, wids index, checksums, safe reading."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest

from simgan_core.shard_index import (
    open_indexed,
    verify_sha256sums,
    write_index,
    write_sha256sums,
)
from simgan_core.shards import (
    decode_png,
    encode_sample,
    iter_samples,
    write_shard,
    write_shard_set,
)


def _samples(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [
        encode_sample(
            f"synth-{i:04d}",
            rng.integers(0, 256, size=(35, 55), dtype=np.uint8),  # (H, W) eye crop
            {"gaze": [0.1 * i, -0.2, -0.97], "source_file": f"{i}.jpg"},
        )
        for i in range(n)
    ]


def test_encode_sample_layout_and_canonical_json() -> None:
    sample = encode_sample("a_b-1", np.zeros((4, 6), np.uint8), {"z": 1, "a": [1.5]})
    assert list(sample) == ["__key__", "png", "json"]
    assert sample["__key__"] == "a_b-1"
    assert sample["png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert sample["json"] == b'{"a":[1.5],"z":1}'


@pytest.mark.parametrize("key", ["eye.0001", "a/b", "", "sp ace"])
def test_bad_keys_are_rejected_by_name(key: str) -> None:
    with pytest.raises(ValueError, match="invalid sample key"):
        encode_sample(key, np.zeros((2, 2), np.uint8), {})


def test_nan_annotation_is_an_error_naming_the_key() -> None:
    with pytest.raises(ValueError, match="eye-7"):
        encode_sample("eye-7", np.zeros((2, 2), np.uint8), {"pitch": float("nan")})


def test_png_round_trip_8_and_16_bit() -> None:
    rng = np.random.default_rng(1)
    gray = rng.integers(0, 256, size=(35, 55), dtype=np.uint8)
    depth = rng.integers(0, 65536, size=(24, 32), dtype=np.uint16)
    depth[0, 0], depth[0, 1] = 0, 65535  # both ends of the 16-bit range
    for image in (gray, depth):
        out = decode_png(encode_sample("k", image, {})["png"], "test")
        assert out.dtype == image.dtype
        np.testing.assert_array_equal(out, image)
    with pytest.raises(ValueError, match="uint8 or uint16"):
        encode_sample("k", np.zeros((2, 2), np.float32), {})


def test_same_samples_give_identical_bytes_and_mtime_zero(tmp_path: Path) -> None:
    a = write_shard(tmp_path / "a.tar", _samples(5))
    b = write_shard(tmp_path / "b.tar", _samples(5))
    assert a.sha256 == b.sha256
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()
    assert a.nbytes == (tmp_path / "a.tar").stat().st_size
    c = write_shard(tmp_path / "c.tar", _samples(5, seed=1))
    assert c.sha256 != a.sha256  # the hash does depend on the pixels
    with tarfile.open(tmp_path / "a.tar") as tar:
        members = tar.getmembers()
    assert [m.name for m in members[:4]] == [
        "synth-0000.png", "synth-0000.json", "synth-0001.png", "synth-0001.json"
    ]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {
        (0, 0, 0, "", "", 0o644)
    }


def test_write_shard_refuses_duplicate_keys_and_leaves_nothing(tmp_path: Path) -> None:
    samples = _samples(2)
    with pytest.raises(ValueError, match="duplicate sample key 'synth-0001'"):
        write_shard(tmp_path / "s.tar", [*samples, samples[1]])
    assert list(tmp_path.iterdir()) == []


def test_shard_set_splits_by_maxcount_without_empty_trailing_shard(tmp_path: Path) -> None:
    infos = write_shard_set(tmp_path, iter(_samples(7)), maxcount=3, prefix="eyes")
    assert [(i.name, i.nsamples) for i in infos] == [
        ("eyes-000000.tar", 3), ("eyes-000001.tar", 3), ("eyes-000002.tar", 1)
    ]
    exact = write_shard_set(tmp_path / "exact", _samples(6), maxcount=3)
    assert [i.nsamples for i in exact] == [3, 3]
    assert sorted(p.name for p in (tmp_path / "exact").iterdir()) == [
        "shard-000000.tar", "shard-000001.tar"
    ]
    assert write_shard_set(tmp_path / "none", [], maxcount=3) == []
    assert list((tmp_path / "none").iterdir()) == []


def test_shard_set_removes_stale_shards_of_a_longer_run(tmp_path: Path) -> None:
    write_shard_set(tmp_path, _samples(7), maxcount=2)  # 4 shards
    infos = write_shard_set(tmp_path, _samples(3), maxcount=2)  # 2 shards
    assert sorted(p.name for p in tmp_path.iterdir()) == [i.name for i in infos]
    keys = [s.key for s in iter_samples(sorted(tmp_path.glob("shard-*.tar")))]
    assert keys == ["synth-0000", "synth-0001", "synth-0002"]


def test_iter_samples_round_trip_in_order(tmp_path: Path) -> None:
    samples = _samples(5)
    infos = write_shard_set(tmp_path, samples, maxcount=2)
    decoded = list(iter_samples([tmp_path / i.name for i in infos]))
    assert [d.key for d in decoded] == [s["__key__"] for s in samples]
    assert decoded[3].annotation == json.loads(samples[3]["json"])
    assert decoded[3].image.shape == (35, 55) and decoded[3].image.dtype == np.uint8
    assert decode_png(samples[3]["png"], "x").tobytes() == decoded[3].image.tobytes()


def test_index_is_readable_by_wids_with_random_access(tmp_path: Path) -> None:
    infos = write_shard_set(tmp_path, _samples(7), maxcount=3)
    index_path = write_index(tmp_path, infos, name="synthetic")
    index = json.loads(index_path.read_text())
    assert index["__kind__"] == "wids-shard-index-v1" and index["wids_version"] == 1
    assert [(s["url"], s["nsamples"]) for s in index["shardlist"]] == [
        ("shard-000000.tar", 3), ("shard-000001.tar", 3), ("shard-000002.tar", 1)
    ]
    dataset = open_indexed(index_path)  # urls resolved against the index's directory
    try:
        assert len(dataset) == 7
        for i in (6, 0, 4, 3):  # out of order: crosses shard boundaries both ways
            sample = dataset[i]
            assert sample.key == f"synth-{i:04d}"
            assert sample.annotation["source_file"] == f"{i}.jpg"
    finally:
        dataset.close()


def test_opening_an_index_keeps_the_terminal_quiet(tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    """wids writes a summary line on every open; a stage opens indexes many times, so
    its log would be full of them. Dropped, on both streams."""
    infos = write_shard_set(tmp_path, _samples(3), maxcount=2)
    index_path = write_index(tmp_path, infos, name="synthetic")
    capfd.readouterr()
    open_indexed(index_path).close()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_sha256sums_verify_and_detect_a_flipped_byte(tmp_path: Path) -> None:
    infos = write_shard_set(tmp_path, _samples(5), maxcount=2)
    sums = write_sha256sums(tmp_path, list(reversed(infos)))
    lines = sums.read_text().splitlines()
    assert lines == [f"{i.sha256}  {i.name}" for i in infos]  # sorted by name
    check = subprocess.run(["sha256sum", "-c", sums.name], cwd=tmp_path, capture_output=True)
    assert check.returncode == 0, check.stdout
    assert verify_sha256sums(tmp_path) == []
    shard = tmp_path / infos[1].name
    data = bytearray(shard.read_bytes())
    data[700] ^= 0x01
    shard.write_bytes(bytes(data))
    (tmp_path / infos[2].name).unlink()
    assert verify_sha256sums(tmp_path) == [infos[1].name, infos[2].name]


def _tar_with(path: Path, members: list[tuple[str, bytes]]) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("ext", ["pyd", "pickle", "pth", "npy"])
def test_iter_samples_refuses_other_members(tmp_path: Path, ext: str) -> None:
    good = _samples(1)[0]
    shard = tmp_path / "evil.tar"
    _tar_with(shard, [("k.png", good["png"]), ("k.json", good["json"]), (f"k.{ext}", b"x")])
    with pytest.raises(ValueError, match=rf"evil\.tar.*k\.{ext}"):
        list(iter_samples([shard]))


def test_iter_samples_refuses_non_adjacent_sample_files(tmp_path: Path) -> None:
    a, b = _samples(2)
    shard = tmp_path / "mixed.tar"
    ka, kb = a["__key__"], b["__key__"]
    _tar_with(shard, [
        (f"{ka}.png", a["png"]), (f"{ka}.json", a["json"]),
        (f"{kb}.png", b["png"]), (f"{kb}.json", b["json"]),
        (f"{ka}.json", a["json"]),  # sample a again, after b
    ])
    with pytest.raises(ValueError, match="not adjacent"):
        list(iter_samples([shard]))
