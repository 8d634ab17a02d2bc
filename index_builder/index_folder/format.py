"""The index folder format, defined once: file names, version, database schema, manifest fields, records.

manifest.json     format version, backend spec, dimension, metric, vector type, corpus checksums,
                  counts, build info, and the sha256 + size of every other file
vectors.faiss     one FAISS index of all training vectors, L2-normalised (inner product = cosine),
                  ordered by (lemma, POS) group so that each group is one contiguous id range
metadata.sqlite   per vector: sense keys, lemma, POS, sentence id, character span of the target;
                  the sentence texts; the groups with their id range and sense counts; how often
                  each lower-cased word form carries each (lemma, POS) in the corpus (all tokens)
tuned.json        (optional) the decision settings chosen for this index on the development set, and how
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from index_builder.errors import WsdError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
METADATA = "metadata.sqlite"
TUNED = "tuned.json"
DATA_FILES = (VECTORS, METADATA)  # every file the manifest lists, no fewer
OPTIONAL_FILES = (TUNED,)  # listed, with their checksums, once they are written
VECTOR_TYPES = ("float32", "float16", "int8")  # float32 = exact; the others are FAISS scalar quantisers
QUANTISERS = {"float16": "QT_fp16", "int8": "QT_8bit"}
METRIC = "cosine (inner product of L2-normalised vectors)"
LAYOUT = "one contiguous id range per (lemma, POS) group, ranges in metadata.sqlite table groups"
TRAINING_SAMPLE = 100_000  # at most this many vectors, spread over the ids, train a scalar quantiser
ADD_CHUNK = 20_000  # vectors moved into or out of FAISS at a time

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


class IndexFolderError(WsdError):
    """An index folder that is missing, incomplete, altered or of another format."""


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


class SentenceRecord(NamedTuple):
    """One sentence of the corpus: its id and its text (the tokens joined by single spaces)."""

    id: str
    text: str


class WordTag(NamedTuple):
    """How often a lower-cased word form carries one (lemma, POS) in the corpus."""

    lemma: str
    pos: str
    count: int


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (the folder stores only such vectors), as float32."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
