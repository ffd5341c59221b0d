"""A DVC remote round trip: push from a tiny workspace, pull into an empty clone.

Also what the regenerate flow relies on: before anything was pushed (the local
remote folder does not even exist), `dvc pull --allow-missing` is not an error,
while a plain `dvc pull` is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tasks.dvc_ops import DvcCommandError, run_dvc

pytestmark = pytest.mark.slow

# The same tiny workspace as tests/flows/test_regenerate.py: one stage writes a shard
# set with its index and a metrics file, a second writes the report.
MAKE = """import json, pathlib, yaml
value = yaml.safe_load(open("params.yaml"))["make"]["value"]
shards = pathlib.Path("data/shards/train")
shards.mkdir(parents=True, exist_ok=True)
(shards / "shard-000000.tar").write_bytes(bytes([value]) * 512)
(shards / "index.json").write_text(json.dumps({"__kind__": "wids-shard-index-v1",
    "shardlist": [{"url": "shard-000000.tar", "nsamples": value}]}))
pathlib.Path("metrics").mkdir(exist_ok=True)
pathlib.Path("metrics/score.json").write_text(json.dumps({"score": 2 * value}))
"""
REPORT = """import json, pathlib
score = json.loads(pathlib.Path("metrics/score.json").read_text())["score"]
pathlib.Path("reports").mkdir(exist_ok=True)
pathlib.Path("reports/index.html").write_text(f"<html><body>score {score}</body></html>")
"""
DVC_YAML = {"stages": {
    "make": {"cmd": "python make.py", "deps": ["make.py"], "params": ["make"],
             "outs": ["data/shards"], "metrics": ["metrics/score.json"]},
    "report": {"cmd": "python report.py", "deps": ["report.py", "metrics/score.json"],
               "outs": ["reports/index.html"]},
}}


def _env() -> dict[str, str]:
    # the stages' `python` is this interpreter (it has pyyaml)
    return dict(os.environ, DVC_NO_ANALYTICS="1",
                PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=_env())


def tiny_workspace(root: Path, remote: Path, value: int = 3) -> Path:
    """A git + dvc repo (committed, not reproduced) whose default remote is `remote`."""
    root.mkdir(parents=True)
    (root / "make.py").write_text(MAKE)
    (root / "report.py").write_text(REPORT)
    (root / "params.yaml").write_text(yaml.safe_dump({"make": {"value": value}}))
    (root / "dvc.yaml").write_text(yaml.safe_dump(DVC_YAML, sort_keys=False))
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "ci@example.com")
    _git(root, "config", "user.name", "ci")
    run_dvc(["init", "-q"], root, 60)
    run_dvc(["remote", "add", "-d", "local", str(remote)], root, 60)
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "tiny workspace")
    return root


def test_push_then_pull_into_an_empty_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setenv("PATH", _env()["PATH"])
    remote = tmp_path / "remote"  # not created: dvc push makes it
    ws = tiny_workspace(tmp_path / "ws", remote)
    run_dvc(["repro"], ws, 120)
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "reproduced")
    _git(tmp_path, "clone", "-q", str(ws), "clone")
    clone = tmp_path / "clone"
    assert not (clone / "data/shards").exists()

    # nothing pushed yet: a plain pull fails, --allow-missing is not an error
    with pytest.raises(DvcCommandError):
        run_dvc(["pull"], clone, 120)
    run_dvc(["pull", "--allow-missing"], clone, 120)
    assert not (clone / "data/shards/train/index.json").exists()

    run_dvc(["push"], ws, 120)
    assert any(p.is_file() for p in remote.rglob("*"))
    run_dvc(["pull"], clone, 120)
    for rel in ("data/shards/train/shard-000000.tar", "data/shards/train/index.json",
                "metrics/score.json", "reports/index.html"):
        assert (clone / rel).read_bytes() == (ws / rel).read_bytes(), rel
    assert json.loads((clone / "metrics/score.json").read_text()) == {"score": 6}
    # the clone is what the lock says: nothing to reproduce
    assert "Running stage" not in run_dvc(["repro"], clone, 120)
