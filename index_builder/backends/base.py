"""The interface every embedding backend implements, with the steps they share written once (`embed`), and
the registry that picks one by name."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, final

import numpy as np

from index_builder.errors import WsdError

# One batch of sentences, each a non-empty list of words -> one (n_words, width) float32 array per sentence.
EmbedWords = Callable[[list[list[str]]], list[np.ndarray]]


class BackendError(WsdError):
    """A backend that cannot be built from the given options (unknown option, missing model file, ...)."""


class EmbeddingBackend(ABC):
    """Turns tokenised sentences into one vector per token.

    `embed` is a template method: it splits multi-word tokens (a token such as "took place" gets the mean of
    its words' vectors), orders the non-empty sentences by length and cuts them into batches of
    `batch_size`, hands each batch to `_embed_words` (the one step a backend implements), pools words back
    into tokens and checks every result. Implementations run their model in inference mode, are
    deterministic and give the same vectors for a sentence alone or inside a padded batch; `spec()` holds
    exactly the options that change the vectors.
    """

    name: ClassVar[str]
    uses_torch: ClassVar[bool] = True  # False: `threads` is ignored and torch is never imported

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        if int(batch_size) < 1:
            raise BackendError(f"{self.name}: batch_size must be at least 1, got {batch_size!r}")
        self.batch_size = int(batch_size)
        if self.uses_torch:
            set_threads(threads)

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of every returned vector."""

    @abstractmethod
    def spec(self) -> dict[str, Any]:
        """JSON-serialisable options that rebuild the same embedder, `create_backend(**spec)`: every option
        that changes the vectors and nothing else (no batch size, threads or cache folder).
        Always holds `"backend": self.name`."""

    @abstractmethod
    def _embed_words(self, batch: list[list[str]]) -> list[np.ndarray]:
        """One float32 array (len(words), dim) per sentence of the batch (lists of words, none empty)."""

    @final
    def embed(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """One float32 array of shape (len(sentence), dim) per sentence, in input order."""
        return self._embed_tokens(sentences, self._embed_words, self.dim)

    def sentence_batches(self, sentences: Sequence[Sequence[str]]) -> list[list[int]]:
        """Indices of the non-empty sentences (lists of words) grouped as `embed` runs them: ordered by
        `_length` so that a batch holds sentences of similar length (little padding), `batch_size` at a
        time."""
        lengths = {i: self._length(words) for i, words in enumerate(sentences) if words}
        order = sorted(lengths, key=lengths.__getitem__)
        return [order[k : k + self.batch_size] for k in range(0, len(order), self.batch_size)]

    def _length(self, words: Sequence[str]) -> int:
        """The size that orders sentences into batches: the number of words."""
        return len(words)

    def _embed_tokens(
        self, sentences: Sequence[Sequence[str]], embed_words: EmbedWords, width: int
    ) -> list[np.ndarray]:
        """The steps of `embed` around any word step `embed_words` giving `width` features per word."""
        split = [split_multiword(s) for s in sentences]
        words = [w for w, _ in split]
        out = [np.zeros((0, width), dtype=np.float32) for _ in sentences]
        for group in self.sentence_batches(words):
            vectors = embed_words([words[i] for i in group])
            if len(vectors) != len(group):
                raise RuntimeError(f"{self.name}: {len(vectors)} results for {len(group)} sentences")
            for i, v in zip(group, vectors):
                self._check(v, (len(words[i]), width))
                out[i] = pool_words(v, split[i][1], len(sentences[i]))
        return out

    def _check(self, vectors: np.ndarray, shape: tuple[int, int]) -> None:
        """A backend that returns the wrong shape or type has a bug: not the user's error."""
        if vectors.dtype != np.float32 or vectors.shape != shape:
            raise RuntimeError(f"{self.name}: got {vectors.dtype} {vectors.shape}, expected float32 {shape}")


_REGISTRY: dict[str, Callable[..., EmbeddingBackend]] = {}


def register(name: str) -> Callable[[type[EmbeddingBackend]], type[EmbeddingBackend]]:
    def wrap(cls: type[EmbeddingBackend]) -> type[EmbeddingBackend]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


# Built-in backends, imported only when asked for (flair and transformers are slow to import).
_BUILTIN = {
    "bert": "index_builder.backends.bert",
    "elmo": "index_builder.backends.elmo",
    "fake": "index_builder.backends.fake",
    "flair": "index_builder.backends.flair_lm",
}


def backend_names() -> list[str]:
    return sorted(set(_REGISTRY) | set(_BUILTIN))


def create_backend(backend: str, **options: Any) -> EmbeddingBackend:
    """Build a backend by registry name; `create_backend(**other.spec())` rebuilds `other`."""
    if backend not in _REGISTRY and backend in _BUILTIN:
        importlib.import_module(_BUILTIN[backend])  # registers itself
    if backend not in _REGISTRY:
        raise BackendError(f"unknown backend {backend!r}; choose from {', '.join(backend_names())}")
    try:
        return _REGISTRY[backend](**options)
    except TypeError as err:  # an option the backend does not take
        raise BackendError(f"backend {backend!r}: {err}") from err


def set_threads(threads: int | None) -> None:
    """Torch intra-op thread count (None leaves torch's default). Torch is imported only here and by the
    model backends, so that the fake backend and the code around the model run without it."""
    if threads:
        import torch

        torch.set_num_threads(threads)


def split_multiword(sentence: Sequence[str]) -> tuple[list[str], list[int]]:
    """Words of a sentence whose tokens may hold spaces, and the token index owning each word.
    An empty token becomes one placeholder word so that every token owns at least one word."""
    words: list[str] = []
    owners: list[int] = []
    for i, token in enumerate(sentence):
        parts = token.split() or ["_"]
        words.extend(parts)
        owners.extend([i] * len(parts))
    return words, owners


def pool_words(word_vectors: np.ndarray, owners: Sequence[int], n_tokens: int) -> np.ndarray:
    """Mean of the word vectors of each token: (n_words, dim) -> (n_tokens, dim), float32."""
    if len(owners) == n_tokens:  # one word per token (every token owns at least one): nothing to pool
        return np.asarray(word_vectors, dtype=np.float32)
    out = np.zeros((n_tokens, word_vectors.shape[1]), dtype=np.float64)
    counts = np.zeros(n_tokens, dtype=np.float64)
    np.add.at(out, np.asarray(owners), word_vectors.astype(np.float64))
    np.add.at(counts, np.asarray(owners), 1.0)
    return (out / counts[:, None]).astype(np.float32)
