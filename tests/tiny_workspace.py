"""A tiny git + DVC workspace for the tests of the regeneration and the remotes.

One stage (`make`) writes a shard set with its wids index and a metrics file from
params.yaml's make.value; a second (`report`) writes reports/index.html from the metrics.
The stages run this interpreter's `python` (it has pyyaml): see stage_env.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tasks.dvc_ops import run_dvc

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


def stage_env() -> dict[str, str]:
    """os.environ with this interpreter's bin/ first on PATH (the stages' `python`)."""
    return dict(os.environ, DVC_NO_ANALYTICS="1",
                PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=stage_env())


def build_tiny_workspace(root: Path, remote: Path | None, value: int = 3,
                         make_script: str = MAKE) -> Path:
    """A committed (not reproduced) git + dvc repo at root; its default DVC remote is
    `remote` (None: no remote). `make_script` replaces the make stage's script."""
    root.mkdir(parents=True)
    (root / "make.py").write_text(make_script)
    (root / "report.py").write_text(REPORT)
    (root / "params.yaml").write_text(yaml.safe_dump({"make": {"value": value}}))
    (root / "dvc.yaml").write_text(yaml.safe_dump(DVC_YAML, sort_keys=False))
    git(root, "init", "-q")
    git(root, "config", "user.email", "ci@example.com")
    git(root, "config", "user.name", "ci")
    run_dvc(["init", "-q"], root, 60)
    if remote is not None:
        run_dvc(["remote", "add", "-d", "local", str(remote)], root, 60)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "tiny workspace")
    return root
