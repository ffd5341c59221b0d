"""Ablations as DVC experiments, on the tiny git + dvc workspace: the experiment runs
through tasks/dvc_ops (live output, errors with the command's own text) and its metrics
are read back from its git ref."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from tiny_workspace import DVC_YAML

from flows.ablations import _exp_ref, _read_at, exp_name, exp_run_command, run_ablation
from tasks.dvc_ops import DvcCommandError, GitCommandError, run_dvc, run_git

pytestmark = pytest.mark.slow


def test_exp_run_command_is_an_argv_without_a_shell() -> None:
    argv = exp_run_command("no_history", {"train_refiner.gaze.use_history": False, "a.b": 0.1})
    assert argv == ["dvc", "exp", "run", "--temp", "--name", "ablation-no-history",
                    "--set-param", "train_refiner.gaze.use_history=false",
                    "--set-param", "a.b=0.1"]


def test_an_ablation_runs_and_its_metrics_are_read_from_its_ref(
        tmp_path: Path, tiny_workspace: Callable[..., Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    ws = tiny_workspace(tmp_path / "ws", None, value=3)
    # metrics in git, as the pipeline keeps them (dvc.yaml: cache: false)
    stages = yaml.safe_load(yaml.safe_dump(DVC_YAML))
    stages["stages"]["make"]["metrics"] = [{"metrics/score.json": {"cache": False}}]
    (ws / "dvc.yaml").write_text(yaml.safe_dump(stages, sort_keys=False))
    run_git(["commit", "-qam", "metrics in git"], ws)
    assert _exp_ref("bigger", ws) is None
    run_ablation("bigger", {"make.value": 5}, ws)
    assert "Running stage 'make'" in capsys.readouterr().out  # shown live
    ref = _exp_ref("bigger", ws)
    assert ref is not None and ref.endswith("/" + exp_name("bigger"))
    assert _read_at(ref, "metrics/score.json", ws) == {"score": 10}
    assert not (ws / "metrics").exists()  # --temp: the workspace is left alone
    run_ablation("bigger", {"make.value": 4}, ws)  # the older one of that name is replaced
    assert _read_at(_exp_ref("bigger", ws), "metrics/score.json", ws) == {"score": 8}
    assert "ablation-bigger" in run_dvc(["exp", "list", "--name-only"], ws, 60)


def test_a_failing_ablation_raises_with_the_stage_output(
        tmp_path: Path, tiny_workspace: Callable[..., Path]) -> None:
    failing = 'import sys\nsys.exit("ValueError: ablation-stage-broke-41c2")\n'
    ws = tiny_workspace(tmp_path / "ws", None, make_script=failing)
    with pytest.raises(DvcCommandError, match="ablation-stage-broke-41c2") as err:
        run_ablation("broken", {"make.value": 5}, ws)
    assert str(err.value).startswith("`dvc exp run --temp --name ablation-broken")
    with pytest.raises(GitCommandError, match="`git show HEAD:nothing.json` failed"):
        run_git(["show", "HEAD:nothing.json"], ws)
