"""One vector per WordNet sense of an index, LMMS style (Loureiro and Jorge 2019): the mean of the sense's
training vectors; a sense without any takes the mean of its synset's, else of its nearest hypernyms', else
of its lexicographer file's, so every sense of every lemma can be compared with a query. With glosses
(LMMS-2048), a sense's score also weighs its WordNet gloss vector equally with its context vector."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from enum import StrEnum

import numpy as np

from index_builder.evidence import source_of
from index_builder.index_folder import IndexFolder, normalise_rows
from index_builder.inventory import Sense, SenseInventory

HYPERNYM_DEPTH = 8  # how far up the hypernym graph a sense without vectors looks


class Source(StrEnum):
    """Where a sense vector comes from."""

    OWN = "own"  # the sense's own training vectors
    SYNSET = "synset"  # other lemmas of the same synset
    HYPERNYM = "hypernym"  # the nearest hypernyms that have vectors
    LEXNAME = "lexname"  # the senses of its lexicographer file (e.g. noun.animal)


class SenseVectors:
    """Sense vectors over one index folder, computed once (one pass over every stored vector).

    `with_glosses`: the vectors of WordNet gloss contexts (`--evidence wordnet-glosses`) are kept apart, one
    per sense, instead of joining the context means; a sense's score is then the mean of its context vector's
    and its gloss vector's cosines with the query, the cosine of LMMS-2048's concatenation [context; gloss]
    with [query; query]."""

    def __init__(self, folder: IndexFolder, inventory: SenseInventory, with_glosses: bool = False) -> None:
        self.inventory = inventory
        is_gloss = (
            np.fromiter((source_of(i) == "wordnet-glosses" for i in folder.instance_ids()), bool, folder.size)
            if with_glosses
            else np.zeros(folder.size, bool)
        )
        sums: dict[str, np.ndarray] = {}
        counts: dict[str, int] = defaultdict(int)
        glosses: dict[str, np.ndarray] = {}
        for group in folder.groups.values():
            vectors = folder.group_vectors(group)
            span = slice(group.first_id, group.first_id + group.count)
            for row, row_keys, gloss in zip(vectors, folder.vector_keys[span], is_gloss[span]):
                for key in row_keys:
                    if gloss:
                        glosses[key] = row
                    else:
                        sums[key] = sums[key] + row if key in sums else row.astype(np.float64)
                        counts[key] += 1
        self.dim = folder.dim
        self.own = {key: (total / counts[key]) for key, total in sums.items()}
        self.glosses = glosses
        self._synset_sums: dict[str, tuple[np.ndarray, int]] = {}
        self._lexname_sums: dict[str, tuple[np.ndarray, int]] = {}
        for key, vector in self.own.items():
            sense = inventory.sense(key)
            if sense is None:
                continue
            self._add(self._synset_sums, sense.synset, vector)
            self._add(self._lexname_sums, inventory.wn.synset(sense.synset).lexname(), vector)
        self._cache: dict[str, tuple[np.ndarray, Source]] = {}

    @staticmethod
    def _add(table: dict[str, tuple[np.ndarray, int]], name: str, vector: np.ndarray) -> None:
        total, n = table.get(name, (np.zeros_like(vector), 0))
        table[name] = (total + vector, n + 1)

    def _synset_mean(self, name: str) -> np.ndarray | None:
        found = self._synset_sums.get(name)
        return found[0] / found[1] if found else None

    def _hypernym_mean(self, synset_name: str) -> np.ndarray | None:
        """Mean over the nearest level of hypernyms (instance hypernyms too) with vectors."""
        level = [self.inventory.wn.synset(synset_name)]
        for _ in range(HYPERNYM_DEPTH):
            level = list({h for s in level for h in s.hypernyms() + s.instance_hypernyms()})
            found = [m for s in level if (m := self._synset_mean(s.name())) is not None]
            if found:
                return np.mean(found, axis=0)
            if not level:
                return None
        return None

    def vector(self, sense: Sense) -> tuple[np.ndarray, Source] | None:
        """The (normalised) vector of a sense and where it comes from; None if nothing is known near it."""
        cached = self._cache.get(sense.key)
        if cached is not None:
            return cached
        found: tuple[np.ndarray | None, Source] = (self.own.get(sense.key), Source.OWN)
        if found[0] is None:
            found = (self._synset_mean(sense.synset), Source.SYNSET)
        if found[0] is None:
            found = (self._hypernym_mean(sense.synset), Source.HYPERNYM)
        if found[0] is None:
            total = self._lexname_sums.get(self.inventory.wn.synset(sense.synset).lexname())
            found = (total[0] / total[1] if total else None, Source.LEXNAME)
        if found[0] is None:
            return None
        result = (normalise_rows(found[0].reshape(1, -1))[0], found[1])
        self._cache[sense.key] = result
        return result

    def scores(
        self, senses: Sequence[Sense], query: np.ndarray
    ) -> tuple[dict[str, float], dict[str, Source]]:
        """Cosine of the query with each sense's vector (averaged with its gloss vector's, where kept), and
        where each vector came from."""
        scores: dict[str, float] = {}
        sources: dict[str, Source] = {}
        for sense in senses:
            found = self.vector(sense)
            if found is not None:
                scores[sense.key] = float(found[0] @ query)
                sources[sense.key] = found[1]
                gloss = self.glosses.get(sense.key)
                if gloss is not None:
                    scores[sense.key] = (scores[sense.key] + float(gloss @ query)) / 2
        return scores, sources
