"""Outputs published together: a kill at any point of a publish, then the recover that
every run starts with, leaves all the previous outputs or all the new ones; between the
kill and the recover, each output on its own is old, new or absent: never mixed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simgan_core.publish_set import PublishSet

REPO_ROOT = Path(__file__).resolve().parents[2]
# A child that stages new outputs over old ones and publishes; its N-th call of
# os.replace / shutil.rmtree / Path.unlink (every step that changes the tree) kills it.
CHILD = r"""
import os, shutil, signal, sys
from pathlib import Path
root, kill_at = Path(sys.argv[1]), int(sys.argv[2])
sys.path.insert(0, sys.argv[3])
from tests.core.test_publish_set import outputs, write_version
calls = 0
def killing(fn):
    def wrapper(*args, **kwargs):
        global calls
        calls += 1
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return fn(*args, **kwargs)
    return wrapper
os.replace, shutil.rmtree, Path.unlink = (killing(os.replace), killing(shutil.rmtree),
                                          killing(Path.unlink))
published = outputs(root)
write_version(published, "new", staged=True)
published.publish()
print("CALLS", calls)
"""


def outputs(root: Path) -> PublishSet:
    return PublishSet(root / "shards" / ".publish",
                      [root / "shards" / "synthetic", root / "shards" / "real_test",
                       root / "quarantine.tsv", root / "metrics.json"])


def write_version(published: PublishSet, tag: str, staged: bool = False) -> None:
    """Every output holds `tag` (folders: two files each)."""
    for final in published.finals:
        path = published.staged(final) if staged else final
        if final.suffix:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(tag)
        else:
            path.mkdir(parents=True)
            for name in ("a.tar", "index.json"):
                (path / name).write_text(f"{tag} {name}")


def versions(published: PublishSet) -> list[str | None]:
    """Per output: "old" or "new" when whole, "absent", or None when mixed."""
    out: list[str | None] = []
    for final in published.finals:
        if final.is_file():
            out.append(final.read_text())
        elif final.is_dir():
            tags = {p.read_text().split()[0] for p in final.iterdir()}
            names = sorted(p.name for p in final.iterdir())
            out.append(tags.pop() if len(tags) == 1 and names == ["a.tar", "index.json"]
                       else None)
        else:
            out.append("absent")
    return out


def _child(root: Path, kill_at: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, str(root), str(kill_at),
                           str(REPO_ROOT)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))


def test_publish_replaces_every_output_and_leaves_nothing_behind(tmp_path: Path) -> None:
    published = outputs(tmp_path)
    write_version(published, "old")
    proc = _child(tmp_path, kill_at=0)
    assert proc.returncode == 0, proc.stderr
    assert versions(published) == ["new"] * 4
    leftovers = [p.name for p in tmp_path.rglob(".*")]
    assert leftovers == []


@pytest.mark.parametrize("first_run", [False, True])
def test_a_kill_at_any_step_then_recover_gives_all_old_or_all_new(
        tmp_path: Path, first_run: bool) -> None:
    clean = tmp_path / "clean"
    published = outputs(clean)
    if not first_run:
        write_version(published, "old")
    total = int(_child(clean, kill_at=0).stdout.split("CALLS")[1])
    assert total >= 5  # the kill points: every rename and removal of a publish
    seen = set()
    for kill_at in range(1, total + 1):
        root = tmp_path / f"kill{kill_at}"
        published = outputs(root)
        if not first_run:
            write_version(published, "old")
        proc = _child(root, kill_at)
        assert proc.returncode == -9, proc.stderr
        each = versions(published)
        assert all(v in ("old", "new", "absent") for v in each), each
        published.recover()  # what the next run does first
        after = versions(published)
        before = "absent" if first_run else "old"
        assert after in (["new"] * 4, [before] * 4), (kill_at, after)
        seen.add(after[0])
        assert [p.name for p in root.rglob(".*")] == []
    assert seen == {"new", before}  # both outcomes were reached


def test_publish_refuses_an_output_that_was_not_built(tmp_path: Path) -> None:
    published = outputs(tmp_path)
    write_version(published, "old")
    published.staged(published.finals[0]).mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="not built, nothing published.*real_test"):
        published.publish()
    assert versions(published) == ["old"] * 4
