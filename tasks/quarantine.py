"""The quarantine list of an ingest run: every bad input, one row each, as a TSV.

    # <source> root: <folder>          one comment line per source
    source<TAB>path<TAB>reason         the header
    unityeyes<TAB>imgs/2.jpg<TAB>...   rows sorted, so two runs on one input give one file

Written with the csv module; a path or reason can hold any character, so each field
is escaped to printable text first: a backslash becomes `\\\\`, TAB / newline / other
control characters become `\\t`, `\\n`, `\\xNN`, and bytes that are not UTF-8 (file names
are bytes on POSIX) become `\\xNN`. A row is always one line with three fields.
Reasons are made deterministic: object addresses (`<... at 0x7f...>`) are dropped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_write_text
from tasks.ingest_chunks import ChunkResult

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # repr() of objects: differs run to run
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def escape_field(text: str) -> str:
    """Printable, one-line, UTF-8-safe text for one TSV field (see the module doc)."""
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (os.fsdecode's escape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # any other lone surrogate: not encodable
            out.append(f"\\u{code:04x}")
        elif code < 0x20 or 0x7F <= code < 0xA0:  # control characters
            out.append(f"\\x{code:02x}")
        else:
            out.append(char)
    return "".join(out)


def stable_reason(reason: str) -> str:
    """The reason without object addresses, so that reruns write the same bytes."""
    return _ADDRESS.sub("", reason)


def quarantine_lines(results: Sequence[ChunkResult], extra: Sequence[tuple[str, str, str]] = ()
                     ) -> list[tuple[str, str, str]]:
    """(source, path, reason) for every bad input, escaped, deterministic and sorted."""
    lines = [(r.source, path, reason) for r in results for path, reason in r.quarantined]
    return sorted((escape_field(s), escape_field(p), escape_field(stable_reason(r)))
                  for s, p, r in [*lines, *extra])


@task(name="write-quarantine", cache_policy=NO_CACHE)
def write_quarantine(path: Path, lines: Sequence[tuple[str, str, str]],
                     roots: Mapping[str, str]) -> None:
    """The TSV (paths relative to each source's root), written atomically."""
    buffer = io.StringIO()
    for name, root in sorted(roots.items()):
        buffer.write(f"# {escape_field(name)} root: {escape_field(root)}\n")
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n",
                        quoting=csv.QUOTE_NONE, quotechar=None, escapechar=None)
    writer.writerow(("source", "path", "reason"))
    writer.writerows(lines)  # fields already escaped: no TAB or newline can remain
    atomic_write_text(path, buffer.getvalue())
