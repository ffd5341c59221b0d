"""The consumer API for shard directories: streamed batches and random access by key."""

from __future__ import annotations

import importlib.util
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from simgan_core.shard_index import write_index, write_sha256sums
from simgan_core.shards import encode_sample, write_shard, write_shard_set
from simgan_core.streaming import open_by_key, shard_paths, stream_batches

REPO_ROOT = Path(__file__).resolve().parents[2]
N_SHARDS, PER_SHARD, HW = 8, 5, (35, 55)


def _annotation(i: int) -> dict:
    return {"domain": "gaze", "gaze": {"pitch": round(0.01 * i, 6), "yaw": round(-0.02 * i, 6)},
            "provenance": {"source_file": f"imgs/{i}.json"}}


def _write_dir(out: Path, images: dict[str, np.ndarray], annotations: dict[str, dict],
               maxcount: int = PER_SHARD) -> Path:
    samples = (encode_sample(k, images[k], annotations[k]) for k in images)
    infos = write_shard_set(out, samples, maxcount=maxcount)
    write_index(out, infos, name="test")
    write_sha256sums(out, infos)
    return out


@pytest.fixture
def shard_set(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray], dict[str, dict]]:
    """8 shards x 5 samples of (35, 55) uint8; keys in written order."""
    rng = np.random.default_rng(0)
    keys = [f"unityeyes-{i}" for i in range(N_SHARDS * PER_SHARD)]
    images = {k: rng.integers(0, 256, size=HW, dtype=np.uint8) for k in keys}
    images[keys[0]][0, :2] = (0, 255)  # the extremes map to exactly -1 and 1
    annotations = {k: _annotation(i) for i, k in enumerate(keys)}
    return _write_dir(tmp_path / "refined", images, annotations), images, annotations


def _keys(shard_dir: Path, **kw) -> list[str]:
    kw.setdefault("batch_size", 3)
    return [k for _, _, keys in stream_batches(shard_dir, with_keys=True, **kw) for k in keys]


def test_every_sample_exactly_once_across_workers_and_ranks(shard_set):
    shard_dir, images, _ = shard_set
    per_rank = [_keys(shard_dir, rank=r, world_size=2, num_workers=2, seed=3, epoch=1)
                for r in (0, 1)]
    seen = per_rank[0] + per_rank[1]
    assert len(seen) == len(set(seen)) == len(images)  # no duplicates, nothing lost
    assert set(seen) == set(images)
    assert [len(k) for k in per_rank] == [20, 20]  # 4 whole shards each


def test_shard_split_changes_with_the_epoch(shard_set):
    # Shards are shuffled BEFORE the node split: rank 0's share differs between epochs.
    shard_dir, _, _ = shard_set
    shares = [frozenset(_keys(shard_dir, rank=0, world_size=2, epoch=e)) for e in range(3)]
    assert len(set(shares)) > 1
    for epoch in range(3):
        other = set(_keys(shard_dir, rank=1, world_size=2, epoch=epoch))
        assert not other & shares[epoch] and len(other | shares[epoch]) == 40


def test_shuffle_is_seeded_per_epoch_and_reproducible(shard_set):
    shard_dir, images, _ = shard_set
    base = _keys(shard_dir, seed=0, epoch=0, shuffle_buffer=8)
    assert base == _keys(shard_dir, seed=0, epoch=0, shuffle_buffer=8)
    other_epoch = _keys(shard_dir, seed=0, epoch=1, shuffle_buffer=8)
    other_seed = _keys(shard_dir, seed=1, epoch=0, shuffle_buffer=8)
    in_order = _keys(shard_dir, shuffle=False)
    assert in_order == list(images)  # index order, nothing shuffled
    for order in (base, other_epoch, other_seed):
        assert sorted(order) == sorted(images) and order != in_order
    assert base != other_epoch and base != other_seed
    # Without a sample buffer only whole shards move; the buffer mixes samples across them.
    blocks = [in_order[i:i + PER_SHARD] for i in range(0, len(in_order), PER_SHARD)]
    shards_only = _keys(shard_dir, seed=0, epoch=0, shuffle_buffer=1)
    assert shards_only != in_order
    assert sorted(shards_only[i:i + PER_SHARD] for i in range(0, 40, PER_SHARD)) == sorted(blocks)
    assert sorted(base[i:i + PER_SHARD] for i in range(0, 40, PER_SHARD)) != sorted(blocks)


def test_batches_have_dtype_shape_range_and_annotations(shard_set):
    shard_dir, images, annotations = shard_set
    batches = list(stream_batches(shard_dir, batch_size=6, shuffle=False))
    assert [len(a) for _, a in batches] == [6] * 6 + [4]  # 40 = 6 * 6 + 4, last one short
    keys = list(images)
    for b, (x, anns) in enumerate(batches):
        assert x.dtype == torch.float32 and x.shape == (len(anns), 1, *HW)
        assert x.min() >= -1.0 and x.max() <= 1.0
        for j, annotation in enumerate(anns):
            key = keys[6 * b + j]
            assert annotation == annotations[key]
            np.testing.assert_allclose(x[j, 0].numpy(), images[key] / 255.0 * 2 - 1, atol=1e-6)
    assert batches[0][0][0, 0, 0, :2].tolist() == [-1.0, 1.0]
    dropped = list(stream_batches(shard_dir, batch_size=6, shuffle=False, drop_last=True))
    assert [len(a) for _, a in dropped] == [6] * 6


def test_sixteen_bit_pngs_scale_by_65535(tmp_path):
    rng = np.random.default_rng(1)
    images = {f"depth-{i}": rng.integers(0, 65536, size=(4, 6), dtype=np.uint16)
              for i in range(3)}
    images["depth-0"][0, :3] = (0, 65535, 255)  # 255 must not be read as 8-bit white
    shard_dir = _write_dir(tmp_path / "d", images, {k: {"i": k} for k in images})
    (x, _), = stream_batches(shard_dir, batch_size=3, shuffle=False)
    assert x.shape == (3, 1, 4, 6)
    for j, key in enumerate(images):
        np.testing.assert_allclose(x[j, 0].numpy(), images[key] / 65535.0 * 2 - 1, atol=1e-6)
    assert x[0, 0, 0, :2].tolist() == [-1.0, 1.0] and x[0, 0, 0, 2] < -0.99
    with open_by_key(shard_dir) as shards:
        image, _ = shards.get("depth-0")
        assert image.dtype == np.uint16 and np.array_equal(image, images["depth-0"])


def test_random_access_by_key_and_position(shard_set):
    shard_dir, images, annotations = shard_set
    with open_by_key(shard_dir) as shards:
        assert len(shards) == 40 and shards.keys() == list(images)
        for key in ("unityeyes-0", "unityeyes-17", "unityeyes-39"):  # first, middle, last
            image, annotation = shards.get(key)
            assert image.dtype == np.uint8 and np.array_equal(image, images[key])
            assert annotation == annotations[key]
        image, annotation = shards[22]
        assert np.array_equal(image, images["unityeyes-22"])
        assert annotation == annotations["unityeyes-22"]
        assert "unityeyes-5" in shards and "nope-1" not in shards
        with pytest.raises(KeyError, match="nope-1"):
            shards.get("nope-1")
        with pytest.raises(IndexError):
            shards[40]


def test_stale_index_is_refused(shard_set):
    shard_dir, _, _ = shard_set
    index = json.loads((shard_dir / "index.json").read_text())
    index["shardlist"][3]["nsamples"] = 4
    (shard_dir / "index.json").write_text(json.dumps(index))
    with pytest.raises(ValueError, match="shard-000003.tar lists 4 samples"):
        open_by_key(shard_dir)


class _Boom:
    """Unpickling this touches a marker file: proof that pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("ext", ["pyd", "pickle"])
def test_pickle_members_are_refused_never_unpickled(tmp_path, ext):
    marker = tmp_path / "unpickled"
    shard_dir = tmp_path / "evil"
    shard_dir.mkdir()
    sample = encode_sample("evil-0", np.zeros(HW, np.uint8), {"i": 0})
    sample[ext] = pickle.dumps(_Boom(marker))
    info = write_shard(shard_dir / "shard-000000.tar", [sample])
    write_index(shard_dir, [info], name="evil")
    with pytest.raises(ValueError, match=rf"evil-0\.{ext}"):
        list(stream_batches(shard_dir, batch_size=1))
    with open_by_key(shard_dir) as shards, pytest.raises(ValueError, match=ext):
        shards.get("evil-0")
    assert not marker.exists()


def test_too_few_shards_for_ranks_times_workers_is_an_error(shard_set):
    shard_dir, _, _ = shard_set
    with pytest.raises(ValueError, match="8 shards cannot feed world_size=2 x num_workers=5"):
        stream_batches(shard_dir, batch_size=2, rank=0, world_size=2, num_workers=5)


@pytest.mark.parametrize("rank, world_size", [(0, None), (None, 2), (2, 2), (-1, 2)])
def test_rank_and_world_size_are_checked(shard_set, rank, world_size):
    shard_dir, _, _ = shard_set
    with pytest.raises(ValueError, match="rank"):
        stream_batches(shard_dir, batch_size=2, rank=rank, world_size=world_size)


def test_shard_list_from_index_or_sorted_tars(shard_set):
    shard_dir, images, _ = shard_set
    listed = shard_paths(shard_dir)
    assert [p.name for p in listed] == [f"shard-{i:06d}.tar" for i in range(N_SHARDS)]
    (shard_dir / "index.json").unlink()
    assert shard_paths(shard_dir) == listed  # the fallback: *.tar sorted by name
    assert _keys(shard_dir, shuffle=False) == list(images)
    (shard_dir / "index.json").write_text(json.dumps(
        {"__kind__": "wids-shard-index-v1", "wids_version": 1,
         "shardlist": [{"url": "pipe:cat shard-000000.tar", "nsamples": 5}]}))
    with pytest.raises(ValueError, match="plain"):
        shard_paths(shard_dir)
    with pytest.raises(ValueError, match="plain"):
        open_by_key(shard_dir)


def test_example_script_runs_one_epoch(shard_set, capsys):
    shard_dir, _, annotations = shard_set
    spec = importlib.util.spec_from_file_location(
        "stream_refined", REPO_ROOT / "examples" / "stream_refined.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(shard_dir), "--batch-size", "16"]) == 0
    out = capsys.readouterr().out
    assert f"40 samples from {shard_dir}" in out
    assert "images (16, 1, 35, 55) torch.float32" in out
    assert "pitch" in out and "by key: unityeyes-0: image (35, 55) uint8" in out
