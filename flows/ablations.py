"""Ablations as DVC experiments: one `dvc exp run` per named set of param overrides.

    simgan ablate list              the ablations and the exact dvc command of each
    simgan ablate run NAME...       run them, one after the other (never two dvc at once)
    simgan ablate collect           read each experiment's metrics into ablations.json

`dvc exp run --temp` reproduces the changed part of the DAG (the refiner and what
follows) in a temporary copy; the workspace is left alone. The metrics files of an
experiment are read back from its git ref (`refs/exps/.../<name>`). Every dvc and git
command goes through tasks/dvc_ops (argv lists, no shell; a failure names the command and
ends with its output).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simgan_core.atomic import atomic_write_text
from tasks.dvc_ops import DvcCommandError, run_dvc, run_git

EXP_PREFIX = "ablation-"
EXP_TIMEOUT_S = None  # an experiment reruns the refiner and what follows: no time limit
GIT_TIMEOUT_S = 60.0


def exp_name(name: str) -> str:
    return EXP_PREFIX + name.replace("_", "-")


def _value(v: Any) -> str:
    return json.dumps(v) if isinstance(v, bool) else str(v)  # true/false, as YAML reads it


def exp_run_command(name: str, overrides: Mapping[str, Any]) -> list[str]:
    """The argv of one ablation (no shell: values never reach a shell)."""
    argv = ["dvc", "exp", "run", "--temp", "--name", exp_name(name)]
    for key, value in overrides.items():
        argv += ["--set-param", f"{key}={_value(value)}"]
    return argv


def describe(overrides: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {_value(v)}" for k, v in overrides.items())


def run_ablation(name: str, overrides: Mapping[str, Any], cwd: Path) -> None:
    """Run one experiment, its output shown as it comes; remove an older experiment of the
    same name first. A failure raises DvcCommandError ending with the experiment's output."""
    with contextlib.suppress(DvcCommandError):  # none of that name yet
        run_dvc(["exp", "remove", exp_name(name)], cwd, GIT_TIMEOUT_S)
    run_dvc(exp_run_command(name, overrides)[1:], cwd, EXP_TIMEOUT_S, live=True)


def _exp_ref(name: str, cwd: Path) -> str | None:
    """The git ref of the newest experiment called exp_name(name) on top of HEAD."""
    head = run_git(["rev-parse", "HEAD"], cwd, GIT_TIMEOUT_S).strip()
    refs = run_git(["for-each-ref", f"refs/exps/{head[:2]}/{head[2:]}", "--format=%(refname)"],
                   cwd, GIT_TIMEOUT_S).split()
    matches = [r for r in refs if r.rsplit("/", 1)[-1] == exp_name(name)]
    return matches[-1] if matches else None


def _read_at(ref: str, path: str, cwd: Path) -> dict[str, Any]:
    return json.loads(run_git(["show", f"{ref}:{path}"], cwd, GIT_TIMEOUT_S))


def ablation_row(overrides: Mapping[str, Any], evaluate: Mapping[str, Any],
                 refiner: Mapping[str, Any]) -> dict[str, Any]:
    row = {"description": describe(overrides), "overrides": dict(overrides),
           "c2st_refined_vs_real": refiner.get("c2st_refined_vs_real")}
    for name in ("refined", "synthetic"):
        if name in evaluate:
            row[f"{name}_mean_deg"] = evaluate[name]["mean_deg"]
    if "refined_over_synthetic" in evaluate:
        row["refined_over_synthetic"] = evaluate["refined_over_synthetic"]
    return row


def collect(ablations: Mapping[str, Mapping[str, Any]], metrics_dir: str, out_file: Path,
            cwd: Path) -> dict[str, Any]:
    """ablations.json from the experiments that exist (the baseline first: the workspace's
    own metrics, as committed); returns what it wrote."""
    rows: dict[str, Any] = {}
    baseline = {f: json.loads((cwd / metrics_dir / f).read_text())
                for f in ("evaluate.json", "refiner.json")}
    rows["baseline"] = ablation_row({}, baseline["evaluate.json"], baseline["refiner.json"])
    rows["baseline"]["description"] = "the default params"
    for name, overrides in ablations.items():
        ref = _exp_ref(name, cwd)
        if ref is None:
            continue
        rows[name] = ablation_row(overrides, _read_at(ref, f"{metrics_dir}/evaluate.json", cwd),
                                  _read_at(ref, f"{metrics_dir}/refiner.json", cwd))
    atomic_write_text(out_file, json.dumps(rows, indent=2, sort_keys=True) + "\n")
    return rows
