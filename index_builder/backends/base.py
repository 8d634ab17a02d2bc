"""The interface every embedding backend implements, the registry that picks one by name, and the
multi-word pooling they share."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from index_builder.errors import WsdError


class BackendError(WsdError):
    """A backend that cannot be built from the given options (unknown option, missing model file, ...)."""


class EmbeddingBackend(ABC):
    """Turns tokenised sentences into one vector per token.

    A token may hold several words joined by spaces (a multi-word expression such as "took place"):
    it still gets exactly one vector, the mean over its words. Implementations run in inference mode,
    are deterministic, and give the same vectors for a sentence alone or inside a padded batch.
    """

    name: ClassVar[str]

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of every returned vector."""

    @abstractmethod
    def spec(self) -> dict[str, Any]:
        """JSON-serialisable options that rebuild the same embedder: `create_backend(**spec)`.
        Always holds `"backend": self.name`."""

    @abstractmethod
    def embed(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """One float32 array of shape (len(sentence), dim) per sentence, in input order."""


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
    """Torch intra-op thread count (None leaves torch's default)."""
    if threads:
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
