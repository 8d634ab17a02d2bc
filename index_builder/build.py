"""Corpus -> checkpointed shards -> index folder, published by an atomic rename.

Shards of `shard_sentences` sentences are written to a work folder beside `--out` as they finish
(vectors as .npy, then their metadata as .json, which marks the shard complete). A killed build run
again with the same settings skips the complete shards, so the final index holds exactly the vectors
an uninterrupted build would. The new folder replaces an old index at `--out` only once it is whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from itertools import groupby, islice
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from tqdm import tqdm

from index_builder import __version__
from index_builder.backends.base import EmbeddingBackend
from index_builder.corpus import Sentence, open_text, read_corpus
from index_builder.errors import WsdError
from index_builder.index_folder import (
    FORMAT_VERSION,
    VECTOR_TYPES,
    GroupRecords,
    IndexWriter,
    SentenceRecord,
    VectorRecord,
    normalise_rows,
    publish,
    refuse_non_index,
    sha256_file,
    staging_folder,
    write_atomic,
)
from index_builder.sense_counts import group_key

log = logging.getLogger(__name__)
SHARD_FORMAT = 2  # 2: shard metadata as JSON objects with named fields


class IndexBuildError(WsdError):
    """A build that cannot go on (work folder of another build, bad settings)."""


@dataclass(frozen=True)
class BuildSettings:
    corpus: Path
    keys: Path
    out: Path
    limit_docs: int | None = None
    vector_type: str = "float32"
    shard_sentences: int = 2000
    name: str | None = None  # the index's name in the service; default: the folder name


def work_folder(out: Path) -> Path:
    return out.parent / f".{out.name}.work"


def _fingerprint(settings: BuildSettings, backend_spec: dict[str, Any], corpus_sums: dict[str, str]) -> str:
    payload = {
        "format": FORMAT_VERSION,
        "shard_format": SHARD_FORMAT,
        "backend": backend_spec,
        "corpus": corpus_sums,
        "limit_docs": settings.limit_docs,
        "shard_sentences": settings.shard_sentences,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _shard_paths(work: Path, number: int) -> tuple[Path, Path]:
    return work / f"shard-{number:05d}.npy", work / f"shard-{number:05d}.json"


def _complete_shards(work: Path) -> int:
    """How many shards, counted from 0, are complete (their .json marker written last)."""
    number = 0
    while all(p.is_file() for p in _shard_paths(work, number)):
        number += 1
    return number


class TokenTag(NamedTuple):
    """A lower-cased word form with the lemma and POS one of its tokens carries."""

    word: str
    lemma: str
    pos: str


@dataclass(frozen=True)
class ShardMeta:
    """What a shard holds besides its vectors: its sentences, one record per vector (in vector order) and
    how often each word form carries each (lemma, POS). Stored as JSON objects with named fields."""

    sentences: list[SentenceRecord]
    records: list[VectorRecord]
    word_tags: dict[TokenTag, int]

    def to_json(self) -> bytes:
        return json.dumps({
            "sentences": [s._asdict() for s in self.sentences],
            "records": [asdict(r) for r in self.records],
            "word_tags": [{**tag._asdict(), "count": n} for tag, n in self.word_tags.items()],
        }).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ShardMeta:
        raw = json.loads(data)
        return cls(
            sentences=[SentenceRecord(**s) for s in raw["sentences"]],
            records=[VectorRecord(**{**r, "keys": tuple(r["keys"]), "span": tuple(r["span"])})
                     for r in raw["records"]],
            word_tags={TokenTag(t["word"], t["lemma"], t["pos"]): t["count"] for t in raw["word_tags"]},
        )


def _embed_shard(backend: EmbeddingBackend, sentences: list[Sentence], batch: int
                 ) -> tuple[np.ndarray, ShardMeta]:
    """Embed the annotated sentences of one shard (by length, to pad little); keep the instance vectors."""
    annotated = sorted((s for s in sentences if s.instances), key=lambda s: len(s.tokens))
    vectors_by_sentence: dict[str, np.ndarray] = {}
    for start in range(0, len(annotated), batch):
        chunk = annotated[start : start + batch]
        for sentence, vectors in zip(chunk, backend.embed([s.words for s in chunk])):
            vectors_by_sentence[sentence.id] = vectors[[i.position for i in sentence.instances]]
    records, rows = [], []
    for sentence in sentences:
        spans = sentence.char_spans()
        for n, instance in enumerate(sentence.instances):
            rows.append(vectors_by_sentence[sentence.id][n])
            records.append(VectorRecord(instance.id, sentence.id, instance.lemma, instance.pos, instance.keys,
                                        spans[instance.position]))
    vectors = np.stack(rows) if rows else np.zeros((0, backend.dim), np.float32)
    tags = Counter(TokenTag(t.text.lower(), t.lemma.lower(), t.pos)
                   for s in sentences for t in s.tokens if " " not in t.text)
    meta = ShardMeta([SentenceRecord(s.id, s.text) for s in sentences], records, dict(tags))
    return normalise_rows(vectors), meta


def _batched(iterator: Iterator[Sentence], size: int) -> Iterator[list[Sentence]]:
    while chunk := list(islice(iterator, size)):
        yield chunk


def _prefetched(iterator: Iterator[list[Sentence]]) -> Iterator[list[Sentence]]:
    """The same items, the next one read by a background thread while the caller works on the current one
    (the XML parse overlaps the forward pass, which releases the GIL)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, iterator, None)
        while (item := pending.result()) is not None:
            pending = pool.submit(next, iterator, None)
            yield item


def _totals(settings: BuildSettings) -> tuple[int, int]:
    """Sentences and instances of the corpus for the progress bar, by a quick scan of the raw XML (the
    stream itself validates it)."""
    sentences = instances = docs = 0
    with open_text(settings.corpus) as handle:
        for line in handle:
            docs += line.count("<text ")
            if settings.limit_docs is not None and docs > settings.limit_docs:
                break
            sentences += line.count("<sentence ")
            instances += line.count("<instance ")
    return sentences, instances


def build_index(
    backend: EmbeddingBackend, settings: BuildSettings, batch_sentences: int = 32, progress: bool = True
) -> Path:
    """Build (or resume building) the index folder `settings.out`; return its path."""
    if settings.vector_type not in VECTOR_TYPES:
        raise IndexBuildError(f"unknown vector type {settings.vector_type!r}; choose from {', '.join(VECTOR_TYPES)}")
    out = settings.out.resolve()
    corpus_sums = {p.name: sha256_file(p) for p in (settings.corpus, settings.keys)}
    spec = backend.spec()
    fingerprint = _fingerprint(settings, spec, corpus_sums)
    refuse_non_index(out)
    total_sentences, total_instances = _totals(settings)
    work = work_folder(out)
    work.mkdir(parents=True, exist_ok=True)
    state_path = work / "state.json"
    if state_path.is_file() and json.loads(state_path.read_text())["fingerprint"] != fingerprint:
        if _complete_shards(work):
            raise IndexBuildError(
                f"{work} holds an unfinished build with other settings (backend, corpus or --limit-docs); "
                "remove it to start over"
            )
        shutil.rmtree(work)  # nothing finished there: start afresh
        work.mkdir(parents=True)
    if not state_path.is_file():
        write_atomic(state_path, json.dumps({"fingerprint": fingerprint, "backend": spec}).encode())
    done = _complete_shards(work)
    stream = read_corpus(settings.corpus, settings.keys, settings.limit_docs)
    skipped = instances_done = 0
    for sentence in islice(stream, done * settings.shard_sentences):  # already in complete shards
        skipped += 1
        instances_done += len(sentence.instances)
    if done:
        log.info("resuming after %d complete shards (%d sentences)", done, skipped)
    bar = tqdm(total=total_sentences, initial=skipped, unit="sent", disable=not progress,
               desc=f"embedding ({spec['backend']})", dynamic_ncols=True)
    for number, shard in enumerate(_prefetched(_batched(stream, settings.shard_sentences)), start=done):
        vectors, meta = _embed_shard(backend, shard, batch_sentences)
        npy_path, json_path = _shard_paths(work, number)
        tmp_npy = npy_path.with_name(npy_path.name + ".tmp.npy")
        np.save(tmp_npy, vectors)
        os.replace(tmp_npy, npy_path)
        write_atomic(json_path, meta.to_json())
        instances_done += len(meta.records)
        bar.update(len(shard))
        bar.set_postfix(instances=f"{instances_done}/{total_instances}")
    bar.close()
    assembly_start = time.perf_counter()

    tmp = staging_folder(out)
    _assemble(work, tmp, settings, spec, backend.dim, corpus_sums)
    publish(tmp, out)
    log.info("assembled and published %s in %.1f s", out, time.perf_counter() - assembly_start)
    shutil.rmtree(work, ignore_errors=True)
    return out


def _assemble(work: Path, folder: Path, settings: BuildSettings, spec: dict[str, Any], dim: int,
              corpus_sums: dict[str, str]) -> None:
    """Shards -> an index folder whose vectors are ordered by (lemma, POS) group, written by IndexWriter."""
    shards = _complete_shards(work)
    arrays, records, sentences = [], [], []
    word_tags: Counter[TokenTag] = Counter()
    for number in range(shards):
        npy_path, json_path = _shard_paths(work, number)
        arrays.append(np.load(npy_path, mmap_mode="r"))
        meta = ShardMeta.from_json(json_path.read_bytes())
        records.extend(meta.records)
        sentences.extend(meta.sentences)
        word_tags.update(meta.word_tags)
    offsets = np.cumsum([0] + [len(a) for a in arrays])
    if offsets[-1] != len(records) or not records:
        raise IndexBuildError(f"{work}: shards hold {offsets[-1]} vectors for {len(records)} records")

    groups = [group_key(r.lemma, r.pos) for r in records]
    order = np.array(sorted(range(len(records)), key=lambda i: groups[i]), dtype=np.int64)

    def vectors_at(ids: np.ndarray) -> np.ndarray:
        """Vectors by final id, gathered shard by shard from the memory-mapped shard files."""
        positions = order[ids]
        shard_of = np.searchsorted(offsets, positions, side="right") - 1
        out = np.empty((len(positions), dim), dtype=np.float32)
        for shard in np.unique(shard_of):
            mask = shard_of == shard
            out[mask] = arrays[shard][positions[mask] - offsets[shard]]
        return out

    writer = IndexWriter(folder, dim, settings.vector_type)
    writer.write_vectors(len(order), vectors_at)
    grouped = (GroupRecords(*key, [records[i] for i in members])
               for key, members in groupby(order, key=lambda i: groups[i]))
    writer.write_metadata(sentences, grouped, word_tags)
    writer.finish(
        name=settings.name or settings.out.name,
        backend=spec,
        corpus={"files": corpus_sums, "limit_docs": settings.limit_docs},
        build={"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "package_version": __version__},
    )
