"""Session-wide test setup: offline tools, one Prefect harness shared by every flow test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.offline import set_offline_env

set_offline_env()

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One temporary Prefect server for the whole session (about 20 s, paid once).

    Yields its API URL so that subprocesses (a `dvc repro`) can use the same server.
    """
    os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(tmp_path_factory.mktemp("prefect-results"))
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield str(PREFECT_API_URL.value())


@pytest.fixture
def hand_shards(tmp_path: Path) -> Path:
    """A tiny hand corpus (synthetic 48, real_train 32, real_test 24; 64 x 64 uint16) at
    tmp_path/shards/<split>/, as ingest@hand writes it (see tests/hand_shards.py)."""
    from hand_shards import build_hand_shards

    return build_hand_shards(tmp_path / "shards")


@pytest.fixture
def tiny_workspace(monkeypatch: pytest.MonkeyPatch) -> object:
    """build_tiny_workspace(root, remote, value=3, make_script=MAKE) of
    tests/tiny_workspace.py: a git + dvc repo of two stages; this interpreter's `python`
    is put first on PATH for the stages that dvc runs in this process."""
    from tiny_workspace import build_tiny_workspace, stage_env

    monkeypatch.setenv("PATH", stage_env()["PATH"])
    return build_tiny_workspace


@pytest.fixture
def refine_inputs(tmp_path: Path) -> Path:
    """What the refine stage reads, tiny: 5 synthetic shards x 6 gaze samples."""
    return build_refine_inputs(tmp_path, n=30, maxcount=6)


@pytest.fixture
def refine_inputs_builder() -> object:
    """build_refine_inputs, for tests that need other sizes."""
    return build_refine_inputs


def build_refine_inputs(tmp_path: Path, n: int, maxcount: int) -> Path:
    """What the refine stage reads: synthetic/ (n gaze samples in shards of maxcount, with
    index, SHA256SUMS and manifest), real_train/manifest.parquet, and a refiner (random
    weights, fixed seed) at models/refiner.pt. Returns tmp_path.

    real_train's image statistics are set to the refined images' own, so the check
    "refinement moved the statistics toward real_train" holds for this refiner.
    """
    import numpy as np
    import pandas as pd
    import torch

    from simgan_core.gaze.spec import GAZE
    from simgan_core.refiner.models import Refiner
    from simgan_core.refiner.trainer import SimGANConfig
    from simgan_core.shard_index import write_index, write_sha256sums
    from simgan_core.shards import encode_sample, write_shard_set
    from tasks.evaluate_refiner import refine_images

    rng = np.random.default_rng(3)
    images = rng.integers(40, 200, (n, 35, 55), dtype=np.uint8)
    keys = [f"unityeyes-{i}" for i in range(len(images))]
    annotations = [{"domain": "gaze", "eye": "left",
                    "gaze": {"pitch": round(0.01 * i, 6), "yaw": -0.02, "vector": [0, 0, -1]},
                    "provenance": {"dataset": "unityeyes", "source_file": f"imgs/{i}.json"}}
                   for i in range(len(images))]
    synthetic = tmp_path / "shards" / "synthetic"
    shards = write_shard_set(synthetic, (encode_sample(k, im, a) for k, im, a in
                                         zip(keys, images, annotations, strict=True)),
                             maxcount=maxcount)
    write_index(synthetic, shards, name="gaze-synthetic")
    write_sha256sums(synthetic, shards)
    pd.DataFrame({"key": keys}).to_parquet(synthetic / "manifest.parquet", index=False)

    torch.manual_seed(0)
    config = SimGANConfig()
    refiner = Refiner(config.refiner).eval()
    (tmp_path / "models").mkdir()
    torch.save({"refiner": refiner.state_dict(), "config": config.to_dict(), "step": 0,
                "run_key": "test"}, tmp_path / "models" / "refiner.pt")

    refined = refine_images(refiner, images, GAZE).astype(np.float64)
    real = tmp_path / "shards" / "real_train"
    real.mkdir(parents=True)
    pd.DataFrame({"image_mean": refined.mean(axis=(1, 2)), "image_std": refined.std(axis=(1, 2))}
                 ).to_parquet(real / "manifest.parquet", index=False)
    return tmp_path


@pytest.fixture
def refine_params() -> object:
    """Build one domain's `refine` params block for a `refine_inputs` root."""
    from tasks.params import Refine

    def build(root: Path, workers: int = 1, dask_address: str | None = None,
              work: str = "work") -> Refine:
        return Refine(shards_dir=str(root / "shards"),
                      model_file=str(root / "models" / "refiner.pt"),
                      candidates_dir=str(root / "models" / "candidates"),
                      metrics_file=str(root / "metrics" / "refine.json"),
                      validation_docs_dir=str(root / "docs"), batch_size=4, workers=workers,
                      threads_per_worker=1, dask_address=dask_address,
                      require_toward_real=True, work_dir=str(root / work))

    return build
