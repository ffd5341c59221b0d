"""The lock file (constraints.txt) against pyproject.toml, and the commands that use it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "constraints.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def read_lock(text: str) -> dict[str, Version]:
    """Package (canonical name) -> pinned version; any requirement line that is not a
    plain `name==version` (a range, an extra, a URL, an option) is an error."""
    pins: dict[str, Version] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        if match is None:
            raise ValueError(f"constraints.txt line {n}: not an exact pin: {line!r}")
        name = canonicalize_name(match.group(1))
        if name in pins:
            raise ValueError(f"constraints.txt line {n}: {name} pinned twice")
        pins[name] = Version(match.group(2))
    return pins


def declared() -> list[Requirement]:
    """pyproject's dependencies and every optional extra's (dev)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    return [Requirement(r) for r in lines]


def mismatches(requirements: list[Requirement], pins: dict[str, Version]) -> list[str]:
    """Why the lock does not serve pyproject: unpinned or out-of-range packages."""
    problems = []
    for req in requirements:
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name}: not pinned in constraints.txt")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}: locked {version} is outside pyproject's {req.specifier}")
    return problems


@pytest.fixture(scope="module")
def pins() -> dict[str, Version]:
    return read_lock(LOCK.read_text(encoding="utf-8"))


def test_every_pyproject_dependency_is_pinned_in_range(pins: dict[str, Version]) -> None:
    requirements = declared()
    assert {"torch", "numpy", "pytest", "ruff"} <= {canonicalize_name(r.name)
                                                     for r in requirements}
    assert mismatches(requirements, pins) == []


def test_the_check_catches_a_stale_lock(pins: dict[str, Version]) -> None:
    stale = dict(pins)
    del stale["scipy"]
    stale["numpy"] = Version("1.26.4")
    assert mismatches(declared(), stale) == [
        "numpy: locked 1.26.4 is outside pyproject's >=2.0",
        "scipy: not pinned in constraints.txt"]
    with pytest.raises(ValueError, match="line 2: not an exact pin"):
        read_lock("numpy==2.4.6\nscipy>=1.13\n")
    with pytest.raises(ValueError, match="not an exact pin"):
        read_lock("dask[distributed]==2024.1.0\n")  # pip refuses extras in constraints


def test_torch_is_the_public_release_and_no_cuda_stack(pins: dict[str, Version]) -> None:
    torch = pins["torch"]
    assert torch == Version("2.13.0") and torch.local is None  # the CPU wheel satisfies it
    assert not [name for name in pins if name.startswith(("nvidia-", "triton"))]


def test_readme_installs_through_the_lock_and_ci_runs_its_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("```", 2)[1]
    commands = [c for c in quickstart.splitlines() if c.startswith("python3.11 -m venv")]
    assert len(commands) == 2
    for command in commands:
        assert re.search(r"pip install -c constraints\.txt -e ", command), command
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
