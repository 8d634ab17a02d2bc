"""Finished shards -> one index folder whose vectors are ordered by (lemma, POS) group, streamed.

Memory stays flat in the corpus size. The shards' metadata goes, one shard at a time, into a staging
database in the work folder, which SQLite sorts by group on disk; the vectors are gathered chunk by
chunk from the shard files (mapped afresh for each chunk, so the pages read are let go again) and
written through IndexWriter, which writes FAISS and SQLite as they come. What stays in memory is one
int64 per vector (the order) and the word-tag counts (one per distinct word form, lemma and POS).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from itertools import groupby

import numpy as np

from index_builder.index_folder import GroupRecords, IndexWriter, SentenceRecord, VectorRecord
from index_builder.index_folder.writer import VectorSource
from index_builder.sense_counts import group_key
from index_builder.shards import IndexBuildError, ShardPlan, TokenTag, WorkFolder

_STAGING = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE sentences (id TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE records (seq INTEGER PRIMARY KEY, group_lemma TEXT NOT NULL, pos TEXT NOT NULL,
                      instance_id TEXT NOT NULL, sentence_id TEXT NOT NULL, lemma TEXT NOT NULL,
                      keys TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL);
"""
# Group order: by (normalised lemma, POS), then corpus order. SQLite compares TEXT as UTF-8 bytes, which
# orders as Python compares str (by code point).
_GROUP_ORDER = "ORDER BY group_lemma, pos, seq"


def assemble(work: WorkFolder, plans: list[ShardPlan], writer: IndexWriter) -> IndexWriter:
    """Write the vectors and metadata of the shards, in shard order, through `writer` (the manifest is the
    caller's)."""
    path = work.path / "assembly.sqlite"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        word_tags, offsets = _stage(db, work, plans)
        db.execute("CREATE INDEX by_group ON records (group_lemma, pos, seq)")
        seqs = (seq for (seq,) in db.execute(f"SELECT seq FROM records {_GROUP_ORDER}"))
        order = np.fromiter(seqs, dtype=np.int64, count=offsets[-1])
        writer.write_vectors(len(order), _gather(work, plans, np.asarray(offsets), order, writer.dim))
        sentences = (
            SentenceRecord(*row) for row in db.execute("SELECT id, text FROM sentences ORDER BY rowid")
        )
        writer.write_metadata(sentences, _groups(db), word_tags)
    finally:
        db.close()
        path.unlink(missing_ok=True)
    return writer


def _stage(
    db: sqlite3.Connection, work: WorkFolder, plans: list[ShardPlan]
) -> tuple[Counter[TokenTag], list[int]]:
    """Copy every shard's sentences and records into the staging database; return the word-tag counts
    and the offsets of the shards' first vectors (with the total last)."""
    db.executescript(_STAGING)
    word_tags: Counter[TokenTag] = Counter()
    offsets = [0]
    for plan in plans:
        meta = work.meta(plan)
        if len(work.vectors(plan)) != len(meta.records):
            raise IndexBuildError(
                f"{work.path}: a shard holds other vectors than its records; run with --fresh"
            )
        db.executemany("INSERT INTO sentences VALUES (?, ?)", meta.sentences)
        rows = (
            (
                offsets[-1] + n,
                *group_key(r.lemma, r.pos),
                r.instance_id,
                r.sentence_id,
                r.lemma,
                " ".join(r.keys),
                *r.span,
            )
            for n, r in enumerate(meta.records)
        )
        db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        word_tags.update(meta.word_tags)
        offsets.append(offsets[-1] + len(meta.records))
    db.commit()
    return word_tags, offsets


def _gather(
    work: WorkFolder, plans: list[ShardPlan], offsets: np.ndarray, order: np.ndarray, dim: int
) -> VectorSource:
    """Vectors by final id: the `order[id]`-th vector of the corpus, read from its shard's file."""

    def vectors_at(ids: np.ndarray) -> np.ndarray:
        positions = order[ids]
        shard_of = np.searchsorted(offsets, positions, side="right") - 1
        out = np.empty((len(positions), dim), dtype=np.float32)
        for shard in np.unique(shard_of):
            mask = shard_of == shard
            out[mask] = work.vectors(plans[shard])[positions[mask] - offsets[shard]]
        return out

    return vectors_at


def _groups(db: sqlite3.Connection) -> Iterator[GroupRecords]:
    """The staged records group by group, each group's records read as the writer takes them."""
    rows = db.execute(
        "SELECT group_lemma, pos, instance_id, sentence_id, lemma, keys, start, end "
        f"FROM records {_GROUP_ORDER}"
    )
    for (group_lemma, pos), members in groupby(rows, key=lambda row: (row[0], row[1])):
        records = (
            VectorRecord(instance, sentence, lemma, record_pos, tuple(keys.split()), (start, end))
            for _, record_pos, instance, sentence, lemma, keys, start, end in members
        )
        yield GroupRecords(group_lemma, pos, records)
