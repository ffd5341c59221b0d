"""The refine stage killed with SIGKILL mid-run and rerun: only the shards that were not
finished are refined again, and the result is byte-identical to an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]
SHARDS = 40


def _params_file(root: Path, refine: dict) -> Path:
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["refine"] = {"gaze": refine}
    path = root / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def _stage(params: Path, api: str) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_API_URL": api}
    return subprocess.Popen([sys.executable, "-m", "flows.cli", "run", "refine",
                             "--domain", "gaze", "--params", str(params)], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen) -> None:
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out


def test_killed_refine_resumes_finished_shards(
        tmp_path: Path, refine_inputs_builder: Callable[..., Path], refine_params: Callable,
        prefect_api: str) -> None:
    root = refine_inputs_builder(tmp_path, n=SHARDS * 25, maxcount=25)
    refine = refine_params(root, workers=1).model_dump()
    params = _params_file(root, refine)
    markers = root / "work" / "gaze"  # work_dir/<domain>/<run key>/

    proc = _stage(params, prefect_api)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(markers.glob("*/*.done.json"))) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the stage ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list(markers.glob("*/*.done.json")))
    assert 3 <= finished < SHARDS
    assert not (root / "shards" / "refined").exists()  # nothing published half-made

    _finish(_stage(params, prefect_api))
    metrics = json.loads((root / "metrics" / "refine.json").read_text())
    assert metrics["resumed_shards"] == finished and metrics["count"] == SHARDS * 25
    resumed = {p.name: p.read_bytes() for p in (root / "shards" / "refined").iterdir()}

    _finish(_stage(params, prefect_api))  # from scratch: published runs leave no work files
    assert json.loads((root / "metrics" / "refine.json").read_text())["resumed_shards"] == 0
    assert {p.name: p.read_bytes() for p in (root / "shards" / "refined").iterdir()} == resumed
