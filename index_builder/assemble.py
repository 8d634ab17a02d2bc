"""Finished shards -> one index folder whose vectors are ordered by (lemma, POS) group."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

import numpy as np

from index_builder.index_folder import GroupRecords, IndexWriter
from index_builder.sense_counts import group_key
from index_builder.shards import ShardPlan, TokenTag, WorkFolder


def assemble(work: WorkFolder, plans: list[ShardPlan], writer: IndexWriter) -> IndexWriter:
    """Write the vectors and metadata of the shards, in shard order, through `writer` (manifest left to
    the caller); vectors are gathered from the memory-mapped shard files."""
    arrays, records, sentences = [], [], []
    word_tags: Counter[TokenTag] = Counter()
    for plan in plans:
        arrays.append(work.vectors(plan))
        meta = work.meta(plan)
        records.extend(meta.records)
        sentences.extend(meta.sentences)
        word_tags.update(meta.word_tags)
    offsets = np.cumsum([0] + [len(a) for a in arrays])

    groups = [group_key(r.lemma, r.pos) for r in records]
    order = np.array(sorted(range(len(records)), key=lambda i: groups[i]), dtype=np.int64)

    def vectors_at(ids: np.ndarray) -> np.ndarray:
        """Vectors by final id, gathered shard by shard from the memory-mapped shard files."""
        positions = order[ids]
        shard_of = np.searchsorted(offsets, positions, side="right") - 1
        out = np.empty((len(positions), writer.dim), dtype=np.float32)
        for shard in np.unique(shard_of):
            mask = shard_of == shard
            out[mask] = arrays[shard][positions[mask] - offsets[shard]]
        return out

    writer.write_vectors(len(order), vectors_at)
    grouped = (
        GroupRecords(*key, [records[i] for i in members])
        for key, members in groupby(order, key=lambda i: groups[i])
    )
    writer.write_metadata(sentences, grouped, word_tags)
    return writer
