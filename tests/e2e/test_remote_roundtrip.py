"""A DVC remote round trip: push from a tiny workspace (tests/tiny_workspace.py), pull into
an empty clone.

Also what the regenerate flow relies on: before anything was pushed (the local
remote folder does not even exist), `dvc pull --allow-missing` is not an error,
while a plain `dvc pull` is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tiny_workspace import git

from tasks.dvc_ops import DvcCommandError, run_dvc

pytestmark = pytest.mark.slow


def test_push_then_pull_into_an_empty_clone(tmp_path: Path,
                                            tiny_workspace: Callable[..., Path]) -> None:
    remote = tmp_path / "remote"  # not created: dvc push makes it
    ws = tiny_workspace(tmp_path / "ws", remote)
    run_dvc(["repro"], ws, 120)
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "reproduced")
    git(tmp_path, "clone", "-q", str(ws), "clone")
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
