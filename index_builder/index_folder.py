"""The index folder format: write it, open it, verify it. The service reads indexes only through here.

    manifest.json     format version, backend spec, dimension, metric, vector type, corpus checksums,
                      counts, build info, and the sha256 + size of every other file
    vectors.faiss     one FAISS index of all training vectors, L2-normalised (inner product = cosine),
                      ordered by (lemma, POS) group so that each group is one contiguous id range
    metadata.sqlite   per vector: sense keys, lemma, POS, sentence id, character span of the target;
                      the sentence texts; the groups with their id range and sense counts; how often
                      each lower-cased word form carries each (lemma, POS) in the corpus (all tokens)
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index_builder.errors import WsdError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
METADATA = "metadata.sqlite"
VECTOR_TYPES = ("float32", "float16", "int8")  # float32 = exact; the others are FAISS scalar quantisers
_QUANTISERS = {"float16": "QT_fp16", "int8": "QT_8bit"}


class IndexFolderError(WsdError):
    """An index folder that is missing, incomplete, altered or of another format."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class VectorRecord:
    """Metadata of one training vector (one sense-annotated instance of the corpus)."""

    instance_id: str
    sentence_id: str
    lemma: str
    pos: str
    keys: tuple[str, ...]
    span: tuple[int, int]  # character span of the target token in the sentence text


@dataclass(frozen=True)
class Group:
    """The training vectors of one (lemma, POS): ids first_id .. first_id + count - 1."""

    lemma: str
    pos: str
    first_id: int
    count: int
    sense_counts: dict[str, int]


SCHEMA = """
CREATE TABLE sentences (id TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE vectors (id INTEGER PRIMARY KEY, instance_id TEXT NOT NULL, sentence_id TEXT NOT NULL,
                      lemma TEXT NOT NULL, pos TEXT NOT NULL, keys TEXT NOT NULL,
                      start INTEGER NOT NULL, end INTEGER NOT NULL);
CREATE TABLE groups (lemma TEXT NOT NULL, pos TEXT NOT NULL, first_id INTEGER NOT NULL,
                     count INTEGER NOT NULL, sense_counts TEXT NOT NULL, PRIMARY KEY (lemma, pos));
CREATE TABLE word_tags (word TEXT NOT NULL, lemma TEXT NOT NULL, pos TEXT NOT NULL, count INTEGER NOT NULL);
CREATE INDEX word_tags_word ON word_tags (word);
"""


def build_faiss_index(vectors: np.ndarray, vector_type: str) -> faiss.Index:
    """A FAISS index over normalised rows: exact flat inner product, or a scalar quantiser."""
    dim = vectors.shape[1]
    if vector_type == "float32":
        index = faiss.IndexFlatIP(dim)
    elif vector_type in _QUANTISERS:
        qtype = getattr(faiss.ScalarQuantizer, _QUANTISERS[vector_type])
        index = faiss.IndexScalarQuantizer(dim, qtype, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors[np.linspace(0, len(vectors) - 1, min(len(vectors), 100_000)).astype(int)])
    else:
        raise IndexFolderError(f"unknown vector type {vector_type!r}; choose from {', '.join(VECTOR_TYPES)}")
    return index


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that it is either absent or whole, even after a crash."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write manifest.json last, with the size and sha256 of every data file of the folder."""
    manifest = {**manifest, "files": {
        name: {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
        for name in (VECTORS, METADATA)
    }}
    write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2).encode())


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise IndexFolderError(f"{folder}: not an index folder (no such directory)")
    if not path.is_file():
        raise IndexFolderError(f"{folder}: not an index folder (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IndexFolderError(f"{path}: manifest is not valid JSON ({err})") from err
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFolderError(
            f"{path}: index format {manifest.get('format_version')!r}, this version reads {FORMAT_VERSION}"
        )
    return manifest


def verify(folder: str | Path) -> dict[str, Any]:
    """Check every file against the manifest's sizes and checksums; return the manifest or raise."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise IndexFolderError(f"{folder}: file {name} is missing")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise IndexFolderError(f"{folder}: file {name} has {size} bytes, manifest says {expected['bytes']}")
        if sha256_file(path) != expected["sha256"]:
            raise IndexFolderError(f"{folder}: file {name} does not match its checksum (altered or corrupt)")
    return manifest


class IndexFolder:
    """A verified, opened index folder: group lookup, per-group vector search, metadata."""

    def __init__(self, folder: str | Path, check: bool = True) -> None:
        self.path = Path(folder)
        self.manifest = verify(self.path) if check else read_manifest(self.path)
        self.name: str = self.manifest.get("name") or self.path.name
        self.dim: int = self.manifest["dim"]
        self.vector_type: str = self.manifest["vector_type"]
        self.index = faiss.read_index(str(self.path / VECTORS))
        self._codes = None
        if self.vector_type != "float32":
            self._codes = faiss.vector_to_array(self.index.codes).reshape(self.index.ntotal, self.index.code_size)
        self.db = sqlite3.connect(f"file:{self.path / METADATA}?mode=ro", uri=True, check_same_thread=False)
        self.groups: dict[tuple[str, str], Group] = {
            (lemma, pos): Group(lemma, pos, first, count, json.loads(senses))
            for lemma, pos, first, count, senses in self.db.execute(
                "SELECT lemma, pos, first_id, count, sense_counts FROM groups"
            )
        }

    @property
    def backend_spec(self) -> dict[str, Any]:
        return dict(self.manifest["backend"])

    def group_vectors(self, group: Group) -> np.ndarray:
        """All (normalised) training vectors of a group, decoded from the index; (count, dim) float32."""
        return self.group_vectors_range(group.first_id, group.first_id + group.count)

    def group_vectors_range(self, lo: int, hi: int) -> np.ndarray:
        """Vectors of ids lo .. hi-1 as float32 rows (decoded when quantised)."""
        if self._codes is not None:
            return self.index.sa_decode(self._codes[lo:hi])
        return self.index.reconstruct_n(lo, hi - lo)

    def search(self, group: Group, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest training vectors of one group to each query row: (similarities, ids), best first.

        Flat indexes search the group's id range inside FAISS; quantised ones decode only that range, so
        the cost stays proportional to the group either way."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1, self.dim)
        k = min(k, group.count)
        if self._codes is None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorRange(group.first_id, group.first_id + group.count))
            sims, ids = self.index.search(query, k, params=params)
            return sims, ids
        sims_all = query @ self.group_vectors(group).T
        order = np.argsort(-sims_all, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(sims_all, order, axis=1), order + group.first_id

    def records(self, ids: list[int]) -> list[VectorRecord]:
        """Metadata of vectors by id, in the order asked."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT id, instance_id, sentence_id, lemma, pos, keys, start, end FROM vectors WHERE id IN ({marks})",
            [int(i) for i in ids],
        ).fetchall()
        by_id = {r[0]: VectorRecord(r[1], r[2], r[3], r[4], tuple(r[5].split()), (r[6], r[7])) for r in rows}
        return [by_id[int(i)] for i in ids]

    @cached_property
    def vector_keys(self) -> list[tuple[str, ...]]:
        """Sense keys of every vector, by id (loaded once: the vote needs them for every neighbour)."""
        return [tuple(r[0].split()) for r in self.db.execute("SELECT keys FROM vectors ORDER BY id")]

    @cached_property
    def groups_by_lemma(self) -> dict[str, list[Group]]:
        by_lemma: dict[str, list[Group]] = {}
        for group in self.groups.values():
            by_lemma.setdefault(group.lemma, []).append(group)
        return by_lemma

    def word_tags(self, word: str) -> list[tuple[str, str, int]]:
        """(lemma, POS, count) of a lower-cased word form in the index's corpus, most frequent first."""
        return self.db.execute(
            "SELECT lemma, pos, count FROM word_tags WHERE word = ? ORDER BY count DESC, lemma, pos", (word.lower(),)
        ).fetchall()

    def sentences(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return dict(self.db.execute(f"SELECT id, text FROM sentences WHERE id IN ({marks})", list(ids)))

    def derived(self, transform: Callable[[np.ndarray], np.ndarray], name: str) -> IndexFolder:
        """This index with every vector replaced by transform(vector), renormalised, held in memory as an
        exact flat index: e.g. one layer out of an index built with all layers concatenated."""
        view = copy.copy(self)
        view.name, view._codes, view.vector_type = name, None, "float32"
        view.__dict__.pop("groups_by_lemma", None)
        index = None
        for start in range(0, self.index.ntotal, 20_000):
            stop = min(start + 20_000, self.index.ntotal)
            rows = normalise_rows(transform(self.group_vectors_range(start, stop)))
            if index is None:
                index = faiss.IndexFlatIP(rows.shape[1])
            index.add(rows)
        view.index, view.dim = index, index.d
        return view

    def close(self) -> None:
        self.db.close()
