"""How many bytes a MATLAB v5 .mat file holds once inflated, counted in bounded memory.

scipy.io.loadmat inflates every zlib-compressed variable whole, so a .mat of a few
hundred kB can allocate hundreds of MB. scipy.io.whosmat does not help: it reads only
each top-level variable's header, and a struct (MPIIGaze's `data`) declares shape
(1, 1) whatever its fields hold. This module walks the top-level elements instead:

- miMATRIX (14): stored as is; its tag's byte count is what loadmat reads;
- miCOMPRESSED (15): inflated through a zlib.decompressobj in CHUNK-sized pieces whose
  output is counted and dropped, stopping as soon as the count passes `limit`. The
  inflated bytes are counted, not the sizes the inner headers declare: those can lie,
  and loadmat allocates what the stream really inflates to.

Memory stays ~2 x CHUNK; time is one inflation of at most `limit` bytes.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

CHUNK = 1 << 20  # bytes of compressed input read, and of inflated output kept, at a time
_HEADER_BYTES = 128  # v5 header: 116 text, 8 subsystem offset, 2 version, 2 endian
_MI_MATRIX, _MI_COMPRESSED = 14, 15


def _inflated(f, nbytes: int, budget: int) -> int:
    """Bytes that the next `nbytes` of zlib stream in `f` inflate to (stops past budget)."""
    inflater = zlib.decompressobj()
    total = 0
    while nbytes > 0 and not inflater.eof and total <= budget:
        data = f.read(min(CHUNK, nbytes))
        if not data:
            break  # truncated: loadmat reports it, the count so far stands
        nbytes -= len(data)
        while data and not inflater.eof and total <= budget:
            total += len(inflater.decompress(data, CHUNK))  # at most CHUNK bytes out
            data = inflater.unconsumed_tail
    return total


def inflated_size(path: Path | str, limit: int) -> int:
    """Total bytes of the top-level variables of a v5 .mat file, inflated.

    Counting stops once the total passes `limit`: a result > limit only says "more".
    A file that is not MATLAB v5 (v4, v7.3 HDF5, junk) is counted as its size on disk:
    none of those is compressed in a way loadmat inflates. Raises OSError on read errors.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        header = f.read(_HEADER_BYTES)
        endian = {b"IM": "<", b"MI": ">"}.get(header[126:128])
        if len(header) < _HEADER_BYTES or endian is None:
            return size
        total = 0
        while total <= limit:
            tag = f.read(8)
            if len(tag) < 8:
                break
            mdtype, nbytes = struct.unpack(endian + "II", tag)
            start = f.tell()
            if mdtype == _MI_COMPRESSED:
                total += _inflated(f, nbytes, limit - total)
            else:  # miMATRIX (or anything else loadmat would read raw): bytes on disk
                total += min(nbytes, max(size - start, 0))
            f.seek(start + nbytes)
    return total
