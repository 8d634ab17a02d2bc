"""The build's work folder: shards of embedded sentences, each named by the fingerprint of its content.

A shard is a run of consecutive corpus pieces (whole documents; a document longer than a shard is cut
every `shard_sentences` sentences) holding at most `shard_sentences` sentences. Its fingerprint hashes
the pieces' digests with the backend spec, the batch size and the formats: a finished shard is reused
exactly when the same sentences and keys would be embedded the same way again. Because shards are cut at
document boundaries, correcting a document changes only its own shard, and appending documents adds
shards after the existing ones (and changes at most the last one).

    shard-<fingerprint>.npy    the shard's normalised instance vectors, float32, in corpus order
    shard-<fingerprint>.json   ShardMeta, written last: its presence marks the shard complete
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from index_builder.corpus import Sentence
from index_builder.errors import WsdError
from index_builder.index_folder import SentenceRecord, VectorRecord, normalise_rows, write_atomic
from index_builder.validate import Piece

if TYPE_CHECKING:  # torch loads only when a backend is made, after the corpus check
    from index_builder.backends.base import EmbeddingBackend

log = logging.getLogger(__name__)

SHARD_FORMAT = 3  # 2: metadata as JSON objects with named fields; 3: shards named by content fingerprint


class IndexBuildError(WsdError):
    """A build that cannot go on (bad settings, a corpus changed while building, a damaged shard)."""


@dataclass(frozen=True)
class ShardPlan:
    """One shard of the build: its fingerprint and how many sentences and instances it takes in order."""

    fingerprint: str
    sentences: int
    instances: int


def plan_shards(pieces: list[Piece], shard_sentences: int, salt: dict[str, Any]) -> list[ShardPlan]:
    """Pack consecutive pieces into shards of at most `shard_sentences` sentences (a longer piece alone);
    `salt` (backend spec, formats, batch size) enters every fingerprint."""
    salt_text = json.dumps(salt, sort_keys=True)
    plans: list[ShardPlan] = []
    run: list[Piece] = []

    def close() -> None:
        if run:
            digest = hashlib.sha256("\n".join([salt_text, *(p.digest for p in run)]).encode()).hexdigest()
            plans.append(ShardPlan(digest, sum(p.sentences for p in run), sum(p.instances for p in run)))
            run.clear()

    for piece in pieces:
        if run and sum(p.sentences for p in run) + piece.sentences > shard_sentences:
            close()
        run.append(piece)
    close()
    return plans


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
        return json.dumps(
            {
                "sentences": [s._asdict() for s in self.sentences],
                "records": [asdict(r) for r in self.records],
                "word_tags": [{**tag._asdict(), "count": n} for tag, n in self.word_tags.items()],
            }
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ShardMeta:
        raw = json.loads(data)
        return cls(
            sentences=[SentenceRecord(**s) for s in raw["sentences"]],
            records=[
                VectorRecord(**{**r, "keys": tuple(r["keys"]), "span": tuple(r["span"])})
                for r in raw["records"]
            ],
            word_tags={TokenTag(t["word"], t["lemma"], t["pos"]): t["count"] for t in raw["word_tags"]},
        )


def embed_shard(
    backend: EmbeddingBackend, sentences: list[Sentence], batch: int
) -> tuple[np.ndarray, ShardMeta]:
    """Embed the annotated sentences of one shard (by length, to pad little); keep the instance vectors."""
    annotated = sorted((s for s in sentences if s.instances), key=lambda s: len(s.tokens))
    vectors_by_sentence: dict[str, np.ndarray] = {}
    for start in range(0, len(annotated), batch):
        chunk = annotated[start : start + batch]
        for sentence, vectors in zip(chunk, backend.embed([s.words for s in chunk]), strict=True):
            vectors_by_sentence[sentence.id] = vectors[[i.position for i in sentence.instances]]
    records, rows = [], []
    for sentence in sentences:
        spans = sentence.char_spans()
        for n, instance in enumerate(sentence.instances):
            rows.append(vectors_by_sentence[sentence.id][n])
            records.append(
                VectorRecord(
                    instance.id,
                    sentence.id,
                    instance.lemma,
                    instance.pos,
                    instance.keys,
                    spans[instance.position],
                )
            )
    vectors = np.stack(rows) if rows else np.zeros((0, backend.dim), np.float32)
    tags = Counter(
        TokenTag(t.text.lower(), t.lemma.lower(), t.pos)
        for s in sentences
        for t in s.tokens
        if " " not in t.text
    )
    meta = ShardMeta([SentenceRecord(s.id, s.text) for s in sentences], records, dict(tags))
    return normalise_rows(vectors), meta


class ShardFiles(NamedTuple):
    """A shard as the bytes of its two files: the vectors as .npy, then the metadata as JSON."""

    npy: bytes
    meta_json: bytes


def encode_shard(vectors: np.ndarray, meta: ShardMeta) -> ShardFiles:
    buffer = io.BytesIO()
    np.save(buffer, vectors)
    return ShardFiles(buffer.getvalue(), meta.to_json())


class WorkFolder:
    """The shards of one build beside its output folder (`.NAME.work/`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _paths(self, plan: ShardPlan) -> tuple[Path, Path]:
        stem = f"shard-{plan.fingerprint}"
        return self.path / f"{stem}.npy", self.path / f"{stem}.json"

    def is_complete(self, plan: ShardPlan) -> bool:
        return all(p.is_file() for p in self._paths(plan))

    def save(self, plan: ShardPlan, vectors: np.ndarray, meta: ShardMeta) -> None:
        self.save_files(plan, encode_shard(vectors, meta))

    def save_files(self, plan: ShardPlan, files: ShardFiles) -> None:
        """Write a shard: vectors first, then its metadata, which marks it complete; each whole or absent."""
        npy_path, json_path = self._paths(plan)
        write_atomic(npy_path, files.npy)
        write_atomic(json_path, files.meta_json)

    def vectors(self, plan: ShardPlan) -> np.ndarray:
        """The shard's vectors, memory-mapped (read from disk as they are used)."""
        return np.load(self._paths(plan)[0], mmap_mode="r")

    def meta(self, plan: ShardPlan) -> ShardMeta:
        meta = ShardMeta.from_json(self._paths(plan)[1].read_bytes())
        if len(meta.records) != plan.instances:
            raise IndexBuildError(
                f"{self._paths(plan)[1]}: {len(meta.records)} records, the corpus has "
                f"{plan.instances} instances there; run again with --fresh"
            )
        return meta

    def prepare(self, plans: list[ShardPlan], fresh: bool) -> None:
        """Create the folder (emptied first when `fresh`) and drop every file that is no shard of `plans`."""
        if fresh and self.path.exists():
            log.info("--fresh: discarding %s", self.path)
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        wanted = {p.name for plan in plans for p in self._paths(plan)}
        stale = sorted(p for p in self.path.iterdir() if p.name not in wanted)
        for path in stale:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        if stale:
            log.info(
                "dropped %d stale files from %s (shards of other content or settings)", len(stale), self.path
            )

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
