"""Hostile shard indexes: no reader runs a command, downloads, or reads outside the set.

wids runs `pipe:` urls (and `datasets[].source_url`) through os.system and http urls
through curl. Every index below would make it act; each test proves that the reader
refuses the index with a ValueError naming it, and that the command's marker file never
appears.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simgan_core.gaze.spec import GAZE
from simgan_core.image_source import IndexedImages
from simgan_core.shard_index import INDEX_NAME, open_indexed, read_index, write_index
from simgan_core.shards import encode_sample, write_shard_set
from simgan_core.streaming import open_by_key, shard_paths, stream_batches


def _good_set(shard_dir: Path, n: int = 6) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    samples = [encode_sample(f"unityeyes-{i}", rng.integers(0, 256, (35, 55), np.uint8),
                             {"domain": "gaze", "i": i}) for i in range(n)]
    infos = write_shard_set(shard_dir, samples, maxcount=3)
    return json.loads(write_index(shard_dir, infos, name="synthetic").read_text())


def _hostile_indexes(marker: Path, outside: Path) -> dict[str, Callable[[dict], dict]]:
    """name -> edit of a good index that makes it hostile."""
    # wids prefixes a relative pipe: url with the index's directory: `true` absorbs it.
    command = f"pipe:true; touch {marker}; cat shard-000000.tar > {{local}}"

    def first_url(url: str) -> Callable[[dict], dict]:
        def edit(spec: dict) -> dict:
            spec["shardlist"][0]["url"] = url
            return spec
        return edit

    def source_url(spec: dict) -> dict:
        spec["datasets"] = [{"source_url": f"pipe:true; touch {marker}; echo {{}} > {{local}}"}]
        return spec

    def base(spec: dict) -> dict:
        spec["base"] = f"pipe:true; touch {marker}; true "
        return spec

    def billion(spec: dict) -> dict:
        spec["shardlist"][0]["nsamples"] = 10**9
        return spec

    def miscount(spec: dict) -> dict:
        spec["shardlist"][0]["nsamples"] += 1
        return spec

    def bool_count(spec: dict) -> dict:
        spec["shardlist"][0]["nsamples"] = True
        return spec

    return {
        "pipe": first_url(command),
        "http": first_url("http://127.0.0.1:9/shard-000000.tar"),
        "file_url": first_url(f"file://{outside}"),
        "absolute": first_url(str(outside)),
        "dotdot": first_url(f"../{outside.parent.name}/{outside.name}"),
        "subdir": first_url("sub/shard-000000.tar"),
        "datasets_source_url": source_url,
        "base": base,
        "billion_samples": billion,
        "miscount": miscount,
        "bool_count": bool_count,
    }


READERS: dict[str, Callable[[Path], Any]] = {
    "read_index": lambda d: read_index(d / INDEX_NAME),
    "open_indexed": lambda d: open_indexed(d / INDEX_NAME),
    "IndexedImages": lambda d: IndexedImages(d / INDEX_NAME, GAZE),
    "open_by_key": open_by_key,
    "shard_paths": shard_paths,
    "stream_batches": lambda d: list(stream_batches(d, batch_size=2)),
}
HOSTILE = sorted(_hostile_indexes(Path("m"), Path("o")))


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_index_is_refused_and_runs_nothing(tmp_path: Path, hostile: str,
                                                   reader: str) -> None:
    shard_dir = tmp_path / "set"
    spec = _good_set(shard_dir)
    outside = tmp_path / "elsewhere" / "secret.tar"  # a real tar outside the set
    outside.parent.mkdir()
    outside.write_bytes((shard_dir / "shard-000000.tar").read_bytes())
    marker = tmp_path / "MARKER"
    edit = _hostile_indexes(marker, outside)[hostile]
    (shard_dir / INDEX_NAME).write_text(json.dumps(edit(spec)))
    with pytest.raises(ValueError, match=INDEX_NAME):
        READERS[reader](shard_dir)
    assert not marker.exists(), "a command from the index ran"


def test_the_pipe_marker_would_appear_if_wids_saw_the_index(tmp_path: Path) -> None:
    """The marker is a real witness: the same index, given to wids directly, runs it."""
    import wids

    shard_dir = tmp_path / "set"
    spec = _good_set(shard_dir)
    marker = tmp_path / "MARKER"
    shard = shard_dir / "shard-000000.tar"
    spec["shardlist"][0]["url"] = f"pipe:true; touch {marker}; cat {shard} > {{local}}"
    (shard_dir / INDEX_NAME).write_text(json.dumps(spec))
    dataset = wids.ShardListDataset(str(shard_dir / INDEX_NAME), transformations=[dict],
                                    localname=lambda url: str(tmp_path / "copy.tar"))
    assert dataset[0]["__key__"] == "unityeyes-0"
    assert marker.exists()


def test_a_good_index_reads_every_sample(tmp_path: Path) -> None:
    shard_dir = tmp_path / "set"
    _good_set(shard_dir)
    entries = read_index(shard_dir / INDEX_NAME)
    assert [(e.path.name, e.nsamples) for e in entries] == [
        ("shard-000000.tar", 3), ("shard-000001.tar", 3)]
    with open_by_key(shard_dir) as keyed:
        assert keyed.get("unityeyes-4")[1] == {"domain": "gaze", "i": 4}
    assert len(IndexedImages(shard_dir / INDEX_NAME, GAZE)) == 6


def test_random_reads_open_each_shard_once(tmp_path: Path) -> None:
    """wids keeps 10 shards open by default and walks a shard's tar headers again on every
    reopen; over a set of more shards, shuffled reads must not reopen any."""
    shard_dir = tmp_path / "set"
    _good_set(shard_dir, n=36)  # 12 shards of 3
    dataset = open_indexed(shard_dir / INDEX_NAME)
    order = np.random.default_rng(1).permutation(np.tile(np.arange(36), 3))
    assert [dataset[int(i)].annotation["i"] for i in order] == [int(i) for i in order]
    assert dataset.cache.misses == 12 and dataset.cache.accesses == len(order)


@pytest.mark.parametrize("edit, problem", [
    (lambda spec: [spec], "JSON object"),
    (lambda spec: {**spec, "shardlist": []}, "non-empty"),
    (lambda spec: {**spec, "__kind__": "other"}, "wids-shard-index-v1"),
    (lambda spec: {**spec, "shardlist": spec["shardlist"] * 2}, "listed twice"),
    (lambda spec: {**spec, "shardlist": [{**spec["shardlist"][0], "filesize": 1}]},
     "stale index"),
    (lambda spec: {**spec, "shardlist": [{**spec["shardlist"][0], "cmd": "x"}]}, "keys among"),
])
def test_malformed_indexes_name_the_problem(tmp_path: Path, edit: Callable, problem: str
                                            ) -> None:
    shard_dir = tmp_path / "set"
    spec = _good_set(shard_dir)
    (shard_dir / INDEX_NAME).write_text(json.dumps(edit(spec)))
    with pytest.raises(ValueError, match=problem):
        read_index(shard_dir / INDEX_NAME)


def test_a_missing_shard_and_a_non_tar_are_named(tmp_path: Path) -> None:
    shard_dir = tmp_path / "set"
    _good_set(shard_dir)
    (shard_dir / "shard-000001.tar").write_bytes(b"\x00" * 4096)  # not a tar any more
    with pytest.raises(ValueError, match="shard-000001.tar"):
        read_index(shard_dir / INDEX_NAME)
    (shard_dir / "shard-000001.tar").unlink()
    with pytest.raises(ValueError, match="shard-000001.tar is missing"):
        read_index(shard_dir / INDEX_NAME)
