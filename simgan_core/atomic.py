"""Atomic file output: write to a temp name in the same directory, fsync, rename.

Every output of the project goes through here, so a reader (or a killed run, rerun)
never sees a half-written file: the final name appears only once its bytes are on
disk, and `os.replace` on the same filesystem is atomic on POSIX.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


def _fsync_file(path: Path) -> None:
    """Flush a file's bytes to disk (read-only fd: works whatever mode the writer set)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    """Persist a rename: fsync the directory entry (a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. platforms that cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on directories; the rename still holds
        pass
    finally:
        os.close(fd)


def _temp_sibling(path: Path, tag: str = "tmp") -> Path:
    # Same directory (same filesystem, so os.replace is atomic); a leading dot hides it
    # from globs such as "shard-*.tar"; the pid keeps concurrent writers apart.
    return path.with_name(f".{path.name}.{tag}-{os.getpid()}")


@contextlib.contextmanager
def atomic_output(path: Path | str) -> Iterator[Path]:
    """Yield a temp path next to `path`; on success fsync it and rename it onto `path`.

    The caller writes the temp path however it likes (a library that takes a file
    name, a tar writer...). On exception the temp file is removed and `path` is left
    as it was. The parent directory is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(path)
    tmp.unlink(missing_ok=True)  # a leftover of a killed run with the same pid
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"atomic_output: nothing was written to {tmp} for {path}")
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write `data` to `path` atomically (temp, fsync, rename)."""
    with atomic_output(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write `text` (UTF-8, newlines as given) to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_replace_dir(src_dir: Path | str, dst_dir: Path | str) -> None:
    """Copy the tree `src_dir` to `dst_dir`, replacing whatever `dst_dir` held.

    The copy is made under a hidden temp name next to `dst_dir` and renamed into place,
    so `dst_dir` is never half-copied. POSIX cannot rename a directory onto a non-empty
    one, so an existing `dst_dir` is first renamed aside and deleted afterwards: for an
    instant `dst_dir` is absent, but never partial.
    """
    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    dst_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(dst_dir)
    old = _temp_sibling(dst_dir, tag="old")
    for leftover in (tmp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        shutil.copytree(src_dir, tmp)
        for file in sorted(p for p in tmp.rglob("*") if p.is_file()):
            _fsync_file(file)
        if dst_dir.exists():
            os.replace(dst_dir, old)
        try:
            os.replace(tmp, dst_dir)
        except BaseException:
            if old.exists() and not dst_dir.exists():
                os.replace(old, dst_dir)  # put the previous tree back
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(dst_dir.parent)
    shutil.rmtree(old, ignore_errors=True)
