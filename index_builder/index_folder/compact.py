"""Re-encode an index folder's vectors in a compact form (float16 or int8 scalar quantisation) without
embedding the corpus again; metadata and groups are copied unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from index_builder import __version__
from index_builder.index_folder.publish import publish, refuse_non_index, staging_folder
from index_builder.index_folder.reader import IndexFolder
from index_builder.index_folder.tuned import write_tuned
from index_builder.index_folder.writer import IndexWriter


def compact_index(source: Path, out: Path, vector_type: str) -> Path:
    """Write a copy of `source` whose FAISS index stores `vector_type` vectors; publish it atomically."""
    folder = IndexFolder(source)
    out = out.resolve()
    refuse_non_index(out)
    writer = IndexWriter(staging_folder(out), folder.dim, vector_type)
    writer.write_vectors(folder.size, folder.vectors)
    writer.copy_metadata(folder.path, folder.manifest["counts"])
    manifest = folder.manifest
    build = {
        **manifest["build"],
        "compacted_from": folder.name,  # the source index's name, never a path: manifests are shown to clients
        "compacted": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
    }
    tmp = writer.finish(name=out.name, backend=manifest["backend"], corpus=manifest["corpus"], build=build)
    tuned = folder.tuned
    if tuned is not None:  # the copy serves the settings chosen for its source (rescore it to retune)
        write_tuned(tmp, tuned["settings"], {**tuned["chosen_by"], "tuned_on": folder.name})
    folder.close()
    publish(tmp, out)
    return out
