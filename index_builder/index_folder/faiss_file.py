"""Write a FAISS flat or scalar-quantiser index file chunk by chunk, byte for byte what `faiss.write_index`
writes after adding every vector, without ever holding all vectors (or their codes) in memory.

Such a file is a header (with the vector count at bytes 8..16), the length of the codes and the codes, the
codes last. The layout is read from FAISS itself, by serialising the configured index with one and with
two vectors, and checked: a FAISS that lays these files out otherwise is refused, never silently misread.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from index_builder.index_folder.format import IndexFolderError

_COUNT = slice(8, 16)  # the header's ntotal, an int64


def _serialised(faiss_index: faiss.Index, count: int) -> tuple[bytes, int]:
    """(the bytes before the codes' length, that length) of `faiss_index` holding `count` zero vectors."""
    probe = faiss.clone_index(faiss_index)
    probe.add(np.zeros((count, faiss_index.d), np.float32))
    data = faiss.serialize_index(probe).tobytes()
    codes = count * faiss_index.sa_code_size()
    return data[: -codes - 8], struct.unpack("<Q", data[-codes - 8 : -codes])[0]


def _layout(faiss_index: faiss.Index) -> tuple[bytes, int]:
    """(header of the empty index, codes-length field per vector), checked against FAISS's own files."""
    head_1, field_1 = _serialised(faiss_index, 1)
    head_2, field_2 = _serialised(faiss_index, 2)
    counts = struct.unpack("<q", head_1[_COUNT])[0], struct.unpack("<q", head_2[_COUNT])[0]
    same_rest = (
        head_1[: _COUNT.start] == head_2[: _COUNT.start] and head_1[_COUNT.stop :] == head_2[_COUNT.stop :]
    )
    if counts != (1, 2) or not same_rest or field_1 <= 0 or field_2 != 2 * field_1:
        raise IndexFolderError(
            f"FAISS {faiss.__version__} lays out {type(faiss_index).__name__} files in a way "
            "this version cannot write chunk by chunk"
        )
    return head_1, field_1


def write_faiss_file(path: Path, faiss_index: faiss.Index, size: int, chunks: Iterable[np.ndarray]) -> None:
    """Write `faiss_index` (empty; trained if it needs training) with the `size` rows of `chunks` added,
    in order, as the file `faiss.write_index` would write."""
    head, field = _layout(faiss_index)
    written = 0
    with open(path, "wb") as handle:
        handle.write(head[: _COUNT.start] + struct.pack("<q", size) + head[_COUNT.stop :])
        handle.write(struct.pack("<Q", field * size))
        for chunk in chunks:
            handle.write(faiss_index.sa_encode(np.ascontiguousarray(chunk, dtype=np.float32)).tobytes())
            written += len(chunk)
    if written != size:
        raise IndexFolderError(f"{path}: {written} vectors written, {size} announced")
