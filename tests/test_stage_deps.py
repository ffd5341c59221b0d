"""Every project module a stage runs is one of its DVC deps, so that `dvc repro` reruns
the stage when that code changes (a missing dep leaves stale outputs that DVC calls
up to date).

A stage's cmd `simgan run <name> --domain ${key}` runs the flow module that flows/cli.py's
DOMAIN_STAGES maps <name> to; its code is that module and every project module it
imports, directly or through others, at the top or inside a function (read statically
with ast). Every stage runs per domain (a dvc.yaml `foreach` over a params section keyed
by domain), so it also runs, for each domain, the domain's spec module
simgan_core/<domain>/spec.py (get_domain imports it by name) and what that imports, and,
when its flow module names a `DOMAIN_MODULE` template (the simulate and ingest stages
load tasks/simulate_<domain>.py or tasks/ingest_<domain>.py by name), that module and
what it imports: its deps, with ${key} read as the domain, must cover them too
(`simgan_core/${key}` covers the domain's whole package). A dep covers a module when it
names the module's file or a folder above it.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import yaml

from flows.cli import DOMAIN_STAGES

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("simgan_core", "tasks", "flows", "reporting")
# Modules that decide how a stage runs, never what it writes (bytes are the same with
# any worker count, with or without a Prefect server, with or without progress lines;
# tests/flows check the first): not deps, so that changing them reruns nothing.
NOT_OUTPUT_CODE = {
    "flows/cli.py",  # parses the command line, calls the flow's run()
    "flows/local_server.py",  # finds or starts a Prefect API
    "flows/offline.py",  # turns the tools' analytics off
    "flows/runners.py",  # a process pool or a Dask cluster
    "tasks/artifacts.py",  # Prefect UI artifacts
    "tasks/progress.py",  # progress lines and artifacts
}


def _module_file(name: str) -> Path | None:
    """simgan_core.gaze.crop -> simgan_core/gaze/crop.py (or a package's __init__.py)."""
    if name.split(".")[0] not in PACKAGES:
        return None
    base = REPO_ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(path: Path) -> set[Path]:
    """The project module files that `path` imports anywhere in its body."""
    found: set[Path] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import mod` imports a module when pkg/mod.py exists
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            module = _module_file(name)
            if module is not None:
                found.add(module)
    return found


def stage_code(flow_module: str) -> set[str]:
    """Repo-relative files of the flow module and everything it imports, transitively."""
    start = _module_file(flow_module)
    assert start is not None, flow_module
    seen: set[Path] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo.extend(_imports(path) - seen)
    return {p.relative_to(REPO_ROOT).as_posix() for p in seen
            if p.name != "__init__.py" or p.stat().st_size > 0}


def domain_module(flow_module: str, domain: str) -> str | None:
    """The module a per-domain flow loads by name for `domain`: its module-level
    `DOMAIN_MODULE = "tasks.ingest_{domain}"` filled in (None when it has none)."""
    path = _module_file(flow_module)
    assert path is not None, flow_module
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "DOMAIN_MODULE"
                and isinstance(node.value, ast.Constant)):
            return node.value.value.format(domain=domain)
    return None


def _params() -> dict:
    return yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))


def _stage_runs(dvc: dict, params: dict) -> dict[str, list[tuple[str, dict]]]:
    """name -> (domain, `do` template) per key of the stage's foreach params section."""
    runs: dict[str, list[tuple[str, dict]]] = {}
    for name, body in dvc["stages"].items():
        assert "foreach" in body, f"{name}: every stage runs per domain (foreach)"
        section = str(body["foreach"]).removeprefix("${").removesuffix("}")
        runs[name] = [(key, body["do"]) for key in params[section]]
    return runs


def missing_deps(dvc: dict, params: dict | None = None) -> dict[str, list[str]]:
    """stage -> project modules its code imports that no dep covers (for a foreach stage,
    over every domain)."""
    missing: dict[str, list[str]] = {}
    for name, runs in _stage_runs(dvc, _params() if params is None else params).items():
        uncovered: set[str] = set()
        for domain, stage in runs:
            words = stage["cmd"].split()
            assert words[:2] == ["simgan", "run"], f"{name}: cmd {stage['cmd']!r}"
            flow_module = DOMAIN_STAGES[words[2]][0]
            code = stage_code(flow_module) | stage_code(f"simgan_core.{domain}.spec")
            if (loaded := domain_module(flow_module, domain)) is not None:
                code |= stage_code(loaded)
            deps = [str(d).replace("${key}", domain).rstrip("/")
                    for d in stage.get("deps", [])]
            uncovered |= {f for f in code - NOT_OUTPUT_CODE
                          if not any(f == d or f.startswith(d + "/") for d in deps)}
        if uncovered:
            missing[name] = sorted(uncovered)
    return missing


def _dvc_yaml() -> dict:
    return yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8"))


def test_every_stage_declares_the_code_it_runs() -> None:
    assert missing_deps(_dvc_yaml()) == {}


def test_a_removed_dep_is_caught() -> None:
    dvc = copy.deepcopy(_dvc_yaml())
    ingest = dvc["stages"]["ingest"]["do"]["deps"]
    ingest.remove("tasks/ingest_${key}.py")  # the module the flow loads by name
    # (the two ingest stages share one deps list in dvc.yaml, a YAML anchor)
    assert missing_deps(dvc) == {"ingest": ["tasks/ingest_gaze.py", "tasks/ingest_hand.py"],
                                 "ingest_unlabeled": ["tasks/ingest_images.py"]}
    estimator = dvc["stages"]["train_estimator"]["do"]["deps"]
    estimator.remove("simgan_core/fit_loop.py")
    assert missing_deps(dvc)["train_estimator"] == ["simgan_core/fit_loop.py"]
    refine = dvc["stages"]["refine"]["do"]["deps"]
    refine.remove("simgan_core/${key}")  # the domain's package: its spec and what it loads
    assert "simgan_core/hand/spec.py" in missing_deps(dvc)["refine"]


def test_a_deferred_import_counts() -> None:
    """Imports inside functions run too (tasks defer GX and wids this way)."""
    assert "tasks/validate_manifest.py" in stage_code("tasks.ingest_gaze")


def stage_names(dvc: dict, params: dict) -> set[str]:
    """Every stage name dvc.yaml defines: a plain stage's, and `name@key` per key of a
    foreach stage's params section."""
    return {name if domain is None else f"{name}@{domain}"
            for name, runs in _stage_runs(dvc, params).items() for domain, _ in runs}


def stale_lock_entries(lock: dict, dvc: dict, params: dict) -> list[str]:
    """dvc.lock entries of stages dvc.yaml no longer defines (DVC keeps them: a renamed
    or removed stage's hashes would otherwise sit in the lock file as if current)."""
    return sorted(set(lock["stages"]) - stage_names(dvc, params))


def test_the_lock_file_records_only_stages_that_exist() -> None:
    lock = yaml.safe_load((REPO_ROOT / "dvc.lock").read_text(encoding="utf-8"))
    assert stale_lock_entries(lock, _dvc_yaml(), _params()) == []
    renamed = copy.deepcopy(lock)
    renamed["stages"]["evaluate_gaze"] = renamed["stages"]["evaluate@gaze"]
    assert stale_lock_entries(renamed, _dvc_yaml(), _params()) == ["evaluate_gaze"]
