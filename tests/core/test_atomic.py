"""Atomic outputs: the final name holds either the old bytes or the new, never a part."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simgan_core.atomic import (
    atomic_output,
    atomic_replace_dir,
    atomic_write_bytes,
    atomic_write_text,
)


def test_write_bytes_and_text_create_parents_and_leave_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.bin"
    atomic_write_bytes(target, b"\x00\x01payload")
    assert target.read_bytes() == b"\x00\x01payload"
    atomic_write_text(target, "héllo\n")  # overwrites
    assert target.read_bytes() == "héllo\n".encode()
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]


def test_atomic_output_yields_hidden_sibling_and_renames(tmp_path: Path) -> None:
    target = tmp_path / "data.tar"
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name == f".data.tar.tmp-{os.getpid()}"
        tmp.write_bytes(b"new")
        assert not target.exists()  # invisible until the block ends
    assert target.read_bytes() == b"new"
    assert not tmp.exists()


def test_atomic_output_on_error_keeps_old_file_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "data.json"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"), atomic_output(target) as tmp:
        tmp.write_text("half-writ")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.json"]


def test_atomic_output_without_a_written_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), atomic_output(tmp_path / "never.txt"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_atomic_replace_dir_replaces_the_whole_tree(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "index.html").write_text("new index")
    (src / "sub" / "page.html").write_text("page")
    dst = tmp_path / "docs"
    dst.mkdir()
    (dst / "stale.html").write_text("stale")
    atomic_replace_dir(src, dst)
    files = sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    assert files == ["index.html", "sub/page.html"]
    assert (dst / "index.html").read_text() == "new index"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "src"]  # no temp left
