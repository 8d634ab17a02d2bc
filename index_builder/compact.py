"""Re-encode an index folder's vectors in a compact form (float16 or int8 scalar quantisation) without
embedding the corpus again; metadata and groups are copied unchanged."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import faiss

from index_builder import __version__
from index_builder.build import publish
from index_builder.index_folder import METADATA, VECTORS, IndexFolder, build_faiss_index, write_manifest


def compact_index(source: Path, out: Path, vector_type: str) -> Path:
    """Write a copy of `source` whose FAISS index stores `vector_type` vectors; publish it atomically."""
    index = IndexFolder(source)
    out = out.resolve()
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    total = index.index.ntotal
    sample = index.index.reconstruct_n(0, total)[:: max(1, total // 100_000)]
    compact = build_faiss_index(sample, vector_type)
    for start in range(0, total, 20_000):
        stop = min(start + 20_000, total)
        compact.add(index.group_vectors_range(start, stop))
    faiss.write_index(compact, str(tmp / VECTORS))
    shutil.copyfile(index.path / METADATA, tmp / METADATA)
    manifest = {**index.manifest, "vector_type": vector_type, "name": out.name}
    manifest["build"] = {**manifest["build"], "compacted_from": str(index.path),
                         "compacted": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                         "package_version": __version__}
    manifest.pop("files", None)
    write_manifest(tmp, manifest)
    index.close()
    publish(tmp, out)
    return out
