"""The one writer of index folders: typed records and vectors in, FAISS + SQLite + manifest out."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import faiss
import numpy as np

from index_builder.index_folder.faiss_file import write_faiss_file
from index_builder.index_folder.format import (
    ADD_CHUNK,
    DATA_FILES,
    FORMAT_VERSION,
    LAYOUT,
    MANIFEST,
    METADATA,
    METRIC,
    QUANTISERS,
    SCHEMA,
    TRAINING_SAMPLE,
    VECTOR_TYPES,
    VECTORS,
    IndexFolderError,
    SentenceRecord,
    VectorRecord,
    sha256_file,
)
from index_builder.index_folder.publish import write_atomic
from index_builder.index_folder.verify import check_manifest

VectorSource = Callable[[np.ndarray], np.ndarray]  # final vector ids -> their normalised rows, float32


class GroupRecords(NamedTuple):
    """The records of one (lemma, POS) group, in the order their vectors get ids."""

    lemma: str
    pos: str
    records: Iterable[VectorRecord]  # read once, as the group is written


def training_ids(size: int) -> np.ndarray:
    """Ids of the vectors that train a scalar quantiser: at most TRAINING_SAMPLE, spread over all ids."""
    stride = np.arange(0, size, max(1, size // TRAINING_SAMPLE))
    return stride[np.linspace(0, len(stride) - 1, min(len(stride), TRAINING_SAMPLE)).astype(int)]


def _empty_faiss_index(dim: int, vector_type: str) -> faiss.Index:
    """An exact flat inner-product index, or an (untrained) scalar quantiser with inner product."""
    if vector_type == "float32":
        return faiss.IndexFlatIP(dim)
    qtype = getattr(faiss.ScalarQuantizer, QUANTISERS[vector_type])
    return faiss.IndexScalarQuantizer(dim, qtype, faiss.METRIC_INNER_PRODUCT)


class IndexWriter:
    """Writes one index folder into an empty staging folder: `write_vectors`, then `write_metadata` (or
    `copy_metadata`), then `finish`, which writes the manifest and so makes the folder whole."""

    def __init__(self, folder: Path, dim: int, vector_type: str) -> None:
        if vector_type not in VECTOR_TYPES:
            raise IndexFolderError(
                f"unknown vector type {vector_type!r}; choose from {', '.join(VECTOR_TYPES)}"
            )
        self.folder, self.dim, self.vector_type = folder, dim, vector_type
        self._size: int | None = None
        self._counts: dict[str, Any] | None = None

    def write_vectors(self, size: int, vectors_at: VectorSource) -> None:
        """vectors.faiss with `size` vectors; `vectors_at(ids)` gives the rows that get ids `ids`. Written
        chunk by chunk: memory holds one chunk (and a quantiser's training sample), whatever the size."""
        if size == 0:
            raise IndexFolderError(f"{self.folder}: an index needs at least one vector")
        faiss_index = _empty_faiss_index(self.dim, self.vector_type)
        if self.vector_type != "float32":
            faiss_index.train(vectors_at(training_ids(size)))
        chunks = (
            vectors_at(np.arange(start, min(start + ADD_CHUNK, size))) for start in range(0, size, ADD_CHUNK)
        )
        write_faiss_file(self.folder / VECTORS, faiss_index, size, chunks)
        self._size = size

    def write_metadata(
        self,
        sentences: Iterable[SentenceRecord],
        groups: Iterable[GroupRecords],
        word_tags: Mapping[tuple[str, str, str], int],
    ) -> None:
        """metadata.sqlite: the sentences, the records of each group in id order (ids from 0 up, group by
        group), the groups' id ranges and sense counts, and {(word, lemma, POS): count}."""
        stats = _Stats()
        db = sqlite3.connect(self.folder / METADATA)
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO sentences VALUES (?, ?)", stats.sentences(sentences))
        db.executemany("INSERT INTO vectors VALUES (?, ?, ?, ?, ?, ?, ?, ?)", stats.vector_rows(groups))
        db.executemany("INSERT INTO groups VALUES (?, ?, ?, ?, ?)", stats.group_rows)
        db.executemany(
            "INSERT INTO word_tags VALUES (?, ?, ?, ?)", ((*tag, n) for tag, n in sorted(word_tags.items()))
        )
        db.commit()
        db.close()
        self._counts = stats.counts()

    def copy_metadata(self, source: Path, counts: dict[str, Any]) -> None:
        """Take metadata.sqlite (and its counts) unchanged from another index folder."""
        shutil.copyfile(source / METADATA, self.folder / METADATA)
        self._counts = dict(counts)

    def finish(
        self, name: str, backend: dict[str, Any], corpus: dict[str, Any], build: dict[str, Any]
    ) -> Path:
        """Write manifest.json last, with the size and sha256 of every data file; return the folder."""
        if self._size is None or self._counts is None:
            raise IndexFolderError(f"{self.folder}: write the vectors and the metadata before the manifest")
        if self._counts["vectors"] != self._size:
            raise IndexFolderError(
                f"{self.folder}: {self._size} vectors for {self._counts['vectors']} records"
            )
        manifest = {
            "format_version": FORMAT_VERSION,
            "name": name,
            "backend": backend,
            "dim": self.dim,
            "metric": METRIC,
            "vector_type": self.vector_type,
            "layout": LAYOUT,
            "corpus": corpus,
            "counts": self._counts,
            "build": build,
            "files": {
                file: {
                    "sha256": sha256_file(self.folder / file),
                    "bytes": (self.folder / file).stat().st_size,
                }
                for file in DATA_FILES
            },
        }
        check_manifest(manifest, self.folder / MANIFEST)
        write_atomic(self.folder / MANIFEST, json.dumps(manifest, indent=2).encode())
        return self.folder


class _Stats:
    """The counts of the manifest and the group rows, gathered while the records stream into SQLite."""

    def __init__(self) -> None:
        self.sentence_count = self.vector_count = 0
        self.group_rows: list[tuple[str, str, int, int, str]] = []
        self.per_pos: Counter[str] = Counter()

    def sentences(self, sentences: Iterable[SentenceRecord]) -> Iterator[SentenceRecord]:
        for sentence in sentences:
            self.sentence_count += 1
            yield sentence

    def vector_rows(self, groups: Iterable[GroupRecords]) -> Iterator[tuple]:
        """Rows of the vectors table; appends each group's row once its records are out."""
        for group in groups:
            first, sense_counts = self.vector_count, Counter()
            for r in group.records:
                sense_counts.update(r.keys)
                self.per_pos[r.pos] += 1
                yield (
                    self.vector_count,
                    r.instance_id,
                    r.sentence_id,
                    r.lemma,
                    r.pos,
                    " ".join(r.keys),
                    *r.span,
                )
                self.vector_count += 1
            counts = json.dumps(dict(sense_counts.most_common()))
            self.group_rows.append((group.lemma, group.pos, first, self.vector_count - first, counts))

    def counts(self) -> dict[str, Any]:
        return {
            "sentences": self.sentence_count,
            "instances": self.vector_count,
            "vectors": self.vector_count,
            "groups": len(self.group_rows),
            "lemmas": len({row[0] for row in self.group_rows}),
            "per_pos": dict(sorted(self.per_pos.items())),
        }
