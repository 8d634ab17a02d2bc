"""Open an index folder: group lookup, per-group vector search, stored vectors and metadata by id."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index_builder.index_folder.format import (
    ADD_CHUNK,
    METADATA,
    VECTORS,
    Group,
    IndexFolderError,
    VectorRecord,
    WordTag,
    normalise_rows,
)
from index_builder.index_folder.tuned import read_tuned
from index_builder.index_folder.verify import read_manifest, verify

MMAP_FLAGS = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY  # flat and scalar-quantised codes, mapped


class IndexFolder:
    """A verified, opened index folder. The FAISS index and the database stay private: callers ask for
    groups, searches, vectors and records.

    The vectors are memory-mapped read-only, not copied: processes serving the same folder share one copy
    in the page cache, and a process touches only the groups it searches."""

    def __init__(self, folder: str | Path, check: bool = True) -> None:
        self.path = Path(folder)
        self.manifest = verify(self.path) if check else read_manifest(self.path)
        self.name: str = self.manifest["name"] or self.path.name
        self.dim: int = self.manifest["dim"]
        self.vector_type: str = self.manifest["vector_type"]
        self._vectors = faiss.read_index(str(self.path / VECTORS), MMAP_FLAGS)
        if (self._vectors.ntotal, self._vectors.d) != (self.manifest["counts"]["vectors"], self.dim):
            raise IndexFolderError(
                f"{self.path}: {VECTORS} holds {self._vectors.ntotal} x {self._vectors.d} "
                f"vectors, the manifest says {self.manifest['counts']['vectors']} x {self.dim}"
            )
        self._db = sqlite3.connect(f"file:{self.path / METADATA}?mode=ro", uri=True, check_same_thread=False)
        self.groups: dict[tuple[str, str], Group] = {
            (lemma, pos): Group(lemma, pos, first, count, json.loads(senses))
            for lemma, pos, first, count, senses in self._db.execute(
                "SELECT lemma, pos, first_id, count, sense_counts FROM groups"
            )
        }

    @property
    def backend_spec(self) -> dict[str, Any]:
        return dict(self.manifest["backend"])

    @cached_property
    def tuned(self) -> dict[str, Any] | None:
        """The decision settings chosen for this index (`wsd bench --tune`) and how, or None."""
        return read_tuned(self.path, self.manifest)

    @property
    def size(self) -> int:
        """Number of stored vectors (ids 0 .. size - 1)."""
        return int(self._vectors.ntotal)

    def group_vectors(self, group: Group) -> np.ndarray:
        """All (normalised) training vectors of a group, decoded from the index; (count, dim) float32."""
        return self._range(group.first_id, group.first_id + group.count)

    def _range(self, lo: int, hi: int) -> np.ndarray:
        """Vectors of ids lo .. hi-1 as float32 rows (decoded when quantised)."""
        return self._vectors.reconstruct_n(lo, hi - lo)

    def vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Stored vectors by id, in the order asked: (len(ids), dim) float32, decoded when quantised."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dim), np.float32)
        return self._vectors.reconstruct_batch(ids)

    def search(self, group: Group, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest training vectors of one group to each query row: (similarities, ids), best first.

        Flat indexes search the group's id range inside FAISS; quantised ones decode only that range, so
        the cost stays proportional to the group either way."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1, self.dim)
        k = min(k, group.count)
        if self.vector_type == "float32":
            params = faiss.SearchParameters(
                sel=faiss.IDSelectorRange(group.first_id, group.first_id + group.count)
            )
            sims, ids = self._vectors.search(query, k, params=params)
            return sims, ids
        sims_all = query @ self.group_vectors(group).T
        order = np.argsort(-sims_all, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(sims_all, order, axis=1), order + group.first_id

    def records(self, ids: list[int]) -> list[VectorRecord]:
        """Metadata of vectors by id, in the order asked."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            "SELECT id, instance_id, sentence_id, lemma, pos, keys, start, end FROM vectors "
            f"WHERE id IN ({marks})",
            [int(i) for i in ids],
        ).fetchall()
        by_id = {
            vector_id: VectorRecord(instance, sentence, lemma, pos, tuple(keys.split()), (start, end))
            for vector_id, instance, sentence, lemma, pos, keys, start, end in rows
        }
        return [by_id[int(i)] for i in ids]

    def instance_ids(self) -> Iterator[str]:
        """The instance id of every vector, by vector id."""
        return (row[0] for row in self._db.execute("SELECT instance_id FROM vectors ORDER BY id"))

    def ids_of_instances(self, instance_ids: Iterable[str], groups: Iterable[Group]) -> dict[str, int]:
        """{instance id: vector id} of the given instances found inside the given groups' id ranges
        (ids are the table's primary key: one range scan per group)."""
        wanted = sorted(set(instance_ids))
        found: dict[str, int] = {}
        if not wanted:
            return found
        marks = ",".join("?" * len(wanted))
        for group in groups:
            rows = self._db.execute(
                f"SELECT id, instance_id FROM vectors WHERE id >= ? AND id < ? AND instance_id IN ({marks})",
                [group.first_id, group.first_id + group.count, *wanted],
            )
            found.update({instance: vector_id for vector_id, instance in rows})
        return found

    @cached_property
    def vector_keys(self) -> list[tuple[str, ...]]:
        """Sense keys of every vector, by id (loaded once: the vote needs them for every neighbor)."""
        return [tuple(keys.split()) for (keys,) in self._db.execute("SELECT keys FROM vectors ORDER BY id")]

    @cached_property
    def groups_by_lemma(self) -> dict[str, list[Group]]:
        by_lemma: dict[str, list[Group]] = {}
        for group in self.groups.values():
            by_lemma.setdefault(group.lemma, []).append(group)
        return by_lemma

    def word_tags(self, word: str) -> list[WordTag]:
        """(lemma, POS, count) of a lower-cased word form in the index's corpus, most frequent first."""
        rows = self._db.execute(
            "SELECT lemma, pos, count FROM word_tags WHERE word = ? ORDER BY count DESC, lemma, pos",
            (word.lower(),),
        )
        return [WordTag(*row) for row in rows]

    def sentences(self, ids: list[str]) -> dict[str, str]:
        """{sentence id: text} of the sentences asked for."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return dict(self._db.execute(f"SELECT id, text FROM sentences WHERE id IN ({marks})", list(ids)))

    def derived(self, transforms: dict[str, Callable[[np.ndarray], np.ndarray]]) -> dict[str, IndexFolder]:
        """For each name, this index with every vector replaced by transform(vector), renormalised, held in
        memory as an exact flat index: e.g. layers out of an index built with all layers concatenated. The
        stored vectors are read once for all the views."""
        flats: dict[str, faiss.IndexFlatIP] = {}
        for start in range(0, self.size, ADD_CHUNK):
            chunk = self._range(start, min(start + ADD_CHUNK, self.size))
            for name, transform in transforms.items():
                rows = normalise_rows(transform(chunk))
                flats.setdefault(name, faiss.IndexFlatIP(rows.shape[1])).add(rows)
        views = {}
        for name, flat in flats.items():
            view = views[name] = copy.copy(self)
            view.name, view.vector_type = name, "float32"
            view.__dict__.pop("groups_by_lemma", None)
            view._vectors, view.dim = flat, flat.d
        return views

    def close(self) -> None:
        self._db.close()
