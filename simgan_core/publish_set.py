"""Publish several outputs (folders and files) together, or not at all.

A stage that writes more than one output (ingest: three split folders, the quarantine
list, the validation docs and the metrics file) builds each one under a hidden staged
sibling, `.<name>.staged`, validates them all, then publishes:

    1. the journal (a JSON list of the outputs) is written atomically: the commit point;
    2. per output: the old one is moved aside to `.<name>.old`, the staged one moved in
       (two renames on one filesystem; a folder is never visible half-made);
    3. the old ones are deleted, then the journal.

`recover()`, which every run calls first, finishes a publish that a kill cut after the
commit point (roll forward), and otherwise discards staged leftovers: after any kill
and a recover, the outputs are either all the previous ones or all the new ones.
Between the kill and the recover each output on its own is old, new or (for the
instant between its two renames) absent: never a mix of the two.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from simgan_core.atomic import atomic_write_text


def _sibling(path: Path, tag: str) -> Path:
    return path.with_name(f".{path.name}.{tag}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


class PublishSet:
    """The outputs `finals` of one stage, published together through `journal`."""

    def __init__(self, journal: Path, finals: Sequence[Path]) -> None:
        self.journal = Path(journal)
        self.finals = [Path(p) for p in finals]
        if len(set(self.finals)) != len(self.finals):
            raise ValueError(f"{self.journal}: an output is listed twice: {self.finals}")

    def staged(self, final: Path) -> Path:
        """Where `final` is built before it is published (same folder: renames are atomic)."""
        if Path(final) not in self.finals:
            raise KeyError(f"{final} is not an output of {self.journal}")
        return _sibling(Path(final), "staged")

    def recover(self) -> None:
        """Roll a committed publish forward; else drop staged and old leftovers."""
        for tmp in self.journal.parent.glob(f".{self.journal.name}.tmp-*"):
            tmp.unlink()  # a journal killed while written: never committed
        if self.journal.exists():
            listed = json.loads(self.journal.read_text(encoding="utf-8"))
            if listed != [str(f) for f in self.finals]:
                raise ValueError(f"{self.journal}: lists {listed}, not this stage's outputs "
                                 f"{[str(f) for f in self.finals]}; move it away by hand")
            self._move_in()
            self._finish()
            return
        for final in self.finals:
            _remove(_sibling(final, "staged"))
            _remove(_sibling(final, "old"))

    def publish(self) -> None:
        """Move every staged output onto its final path (each must have been built)."""
        missing = [str(self.staged(f)) for f in self.finals if not self.staged(f).exists()]
        if missing:
            raise FileNotFoundError(f"{self.journal}: not built, nothing published: {missing}")
        for final in self.finals:  # leftovers of an earlier run, before the commit point
            _remove(_sibling(final, "old"))
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.journal, json.dumps([str(f) for f in self.finals]) + "\n")
        self._move_in()
        self._finish()

    def _move_in(self) -> None:
        for final in self.finals:
            staged, old = _sibling(final, "staged"), _sibling(final, "old")
            if not staged.exists():
                continue  # already moved in
            if final.exists():
                _remove(old)  # cannot hold anything of value: olds are cleared before commit
                os.replace(final, old)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)

    def _finish(self) -> None:
        for final in self.finals:
            _remove(_sibling(final, "old"))
        self.journal.unlink(missing_ok=True)
