"""A deterministic fake backend for fast tests and builder benchmarks: no model and no torch work, yet the
vectors depend on the word and its context, so that nearest neighbors over them mean something."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

import numpy as np

from index_builder.backends.base import BackendError, EmbeddingBackend, register


def word_vectors(words: list[str], dim: int) -> np.ndarray:
    """(len(words), dim) float64 in [-1, 1): each row read from a SHAKE-128 hash of the lower-cased word,
    so the same word always gets the same row, on every machine."""
    raw = np.frombuffer(b"".join(_word_hash(w.lower(), 4 * dim) for w in words), dtype="<u4")
    return raw.reshape(len(words), dim) / 2.0**31 - 1.0


@lru_cache(maxsize=1 << 17)
def _word_hash(word: str, n_bytes: int) -> bytes:
    return hashlib.shake_128(word.encode("utf-8")).digest(n_bytes)


def neighbor_means(vectors: np.ndarray, window: int) -> np.ndarray:
    """Per row, the mean of the other rows at most `window` positions away (zero for a row without any)."""
    n = len(vectors)
    sums = np.concatenate([np.zeros((1, vectors.shape[1])), np.cumsum(vectors, axis=0)])
    lo = np.maximum(np.arange(n) - window, 0)
    hi = np.minimum(np.arange(n) + window + 1, n)
    counts = (hi - lo - 1)[:, None]
    return (sums[hi] - sums[lo] - vectors) / np.maximum(counts, 1)


@register("fake")
class FakeBackend(EmbeddingBackend):
    """A word's vector is its hashed vector plus `context` times the mean hashed vector of the words at most
    `window` positions away in its sentence."""

    uses_torch = False

    def __init__(
        self,
        dim: int = 32,
        context: float = 0.5,
        window: int = 2,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        if int(dim) < 1 or int(window) < 0 or not float(context) >= 0:
            raise BackendError(f"fake: want dim >= 1, window >= 0, context >= 0: {dim}, {window}, {context}")
        super().__init__(batch_size, threads)
        self._dim, self.context, self.window = int(dim), float(context), int(window)

    @property
    def dim(self) -> int:
        return self._dim

    def spec(self) -> dict[str, Any]:
        return {"backend": self.name, "dim": self._dim, "context": self.context, "window": self.window}

    def _embed_words(self, batch: list[list[str]]) -> list[np.ndarray]:
        out = []
        for words in batch:
            own = word_vectors(words, self._dim)
            out.append((own + self.context * neighbor_means(own, self.window)).astype(np.float32))
        return out
