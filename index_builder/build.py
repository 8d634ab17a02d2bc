"""Corpus -> checkpointed shards -> index folder, published by an atomic rename.

Shards of `shard_sentences` sentences are written to a work folder beside `--out` as they finish
(vectors as .npy, then their metadata as .json, which marks the shard complete). A killed build run
again with the same settings skips the complete shards, so the final index holds exactly the vectors
an uninterrupted build would. The new folder replaces an old index at `--out` only once it is whole.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from tqdm import tqdm

from index_builder import __version__
from index_builder.backends.base import EmbeddingBackend
from index_builder.corpus import Sentence, open_text, read_corpus
from index_builder.errors import WsdError
from index_builder.index_folder import (
    FORMAT_VERSION,
    MANIFEST,
    METADATA,
    SCHEMA,
    VECTOR_TYPES,
    VECTORS,
    build_faiss_index,
    normalise_rows,
    sha256_file,
    write_atomic,
    write_manifest,
)
from index_builder.sense_counts import group_key

log = logging.getLogger(__name__)


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


def _embed_shard(backend: EmbeddingBackend, sentences: list[Sentence], batch: int) -> tuple[np.ndarray, dict]:
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
            records.append([instance.id, sentence.id, instance.lemma, instance.pos, list(instance.keys),
                            list(spans[instance.position])])
    vectors = np.stack(rows) if rows else np.zeros((0, backend.dim), np.float32)
    tags = Counter((t.text.lower(), t.lemma.lower(), t.pos) for s in sentences for t in s.tokens if " " not in t.text)
    meta = {"sentences": [[s.id, s.text] for s in sentences], "records": records,
            "word_tags": [[*tag, n] for tag, n in tags.items()]}
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
    if out.exists() and not (out / MANIFEST).is_file():
        raise IndexBuildError(f"{out} exists and is not an index folder; refusing to replace it")
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
        write_atomic(json_path, json.dumps(meta).encode())
        instances_done += len(meta["records"])
        bar.update(len(shard))
        bar.set_postfix(instances=f"{instances_done}/{total_instances}")
    bar.close()
    assembly_start = time.perf_counter()

    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _assemble(work, tmp, settings, spec, backend.dim, corpus_sums)
    publish(tmp, out)
    log.info("assembled and published %s in %.1f s", out, time.perf_counter() - assembly_start)
    shutil.rmtree(work, ignore_errors=True)
    return out


def _assemble(work: Path, folder: Path, settings: BuildSettings, spec: dict[str, Any], dim: int,
              corpus_sums: dict[str, str]) -> None:
    """Shards -> vectors.faiss (grouped by lemma and POS), metadata.sqlite, manifest.json."""
    shards = _complete_shards(work)
    arrays, records, sentences = [], [], []
    word_tags: Counter[tuple[str, str, str]] = Counter()
    for number in range(shards):
        npy_path, json_path = _shard_paths(work, number)
        arrays.append(np.load(npy_path, mmap_mode="r"))
        meta = json.loads(json_path.read_text())
        records.extend(meta["records"])
        sentences.extend(meta["sentences"])
        word_tags.update({tuple(row[:3]): row[3] for row in meta["word_tags"]})
    offsets = np.cumsum([0] + [len(a) for a in arrays])
    if offsets[-1] != len(records) or not records:
        raise IndexBuildError(f"{work}: shards hold {offsets[-1]} vectors for {len(records)} records")

    groups = [group_key(r[2], r[3]) for r in records]
    order = sorted(range(len(records)), key=lambda i: groups[i])

    def rows(ids: list[int]) -> np.ndarray:
        """Vectors by global id, gathered shard by shard from the memory-mapped shard files."""
        ids = np.asarray(ids)
        shard_of = np.searchsorted(offsets, ids, side="right") - 1
        out = np.empty((len(ids), dim), dtype=np.float32)
        for shard in np.unique(shard_of):
            mask = shard_of == shard
            out[mask] = arrays[shard][ids[mask] - offsets[shard]]
        return out

    sample = order[:: max(1, len(order) // 100_000)]
    index = build_faiss_index(rows(sample), settings.vector_type)
    for start in range(0, len(order), 20_000):
        index.add(rows(order[start : start + 20_000]))
    faiss.write_index(index, str(folder / VECTORS))

    db = sqlite3.connect(folder / METADATA)
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO sentences VALUES (?, ?)", sentences)
    db.executemany(
        "INSERT INTO vectors VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((new_id, r[0], r[1], r[2], r[3], " ".join(r[4]), r[5][0], r[5][1])
         for new_id, r in enumerate(records[i] for i in order)),
    )
    group_rows, first = [], 0
    sense_counts: Counter[str] = Counter()
    for position, i in enumerate(order):
        sense_counts.update(records[i][4])
        if position + 1 == len(order) or groups[order[position + 1]] != groups[i]:
            lemma, pos = groups[i]
            group_rows.append((lemma, pos, first, position + 1 - first, json.dumps(dict(sense_counts.most_common()))))
            first, sense_counts = position + 1, Counter()
    db.executemany("INSERT INTO groups VALUES (?, ?, ?, ?, ?)", group_rows)
    db.executemany("INSERT INTO word_tags VALUES (?, ?, ?, ?)",
                   ((*tag, n) for tag, n in sorted(word_tags.items())))
    db.commit()
    db.close()

    manifest = {
        "format_version": FORMAT_VERSION,
        "name": settings.name or settings.out.name,
        "backend": spec,
        "dim": dim,
        "metric": "cosine (inner product of L2-normalised vectors)",
        "vector_type": settings.vector_type,
        "layout": "one contiguous id range per (lemma, POS) group, ranges in metadata.sqlite table groups",
        "corpus": {"files": corpus_sums, "limit_docs": settings.limit_docs},
        "counts": {
            "sentences": len(sentences),
            "instances": len(records),
            "vectors": int(index.ntotal),
            "groups": len(group_rows),
            "lemmas": len({g[0] for g in group_rows}),
            "per_pos": dict(sorted(Counter(r[3] for r in records).items())),
        },
        "build": {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                  "package_version": __version__},
    }
    write_manifest(folder, manifest)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where the system lacks it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, bytes(a), at_fdcwd, bytes(b), rename_exchange) == 0


def publish(tmp: Path, out: Path) -> None:
    """Make the finished folder appear at `out` in one rename; an old index there stays whole until then."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if not (out / MANIFEST).is_file():
        raise IndexBuildError(f"{out} exists and is not an index folder; refusing to replace it")
    if _exchange(tmp, out):
        shutil.rmtree(tmp)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old)
