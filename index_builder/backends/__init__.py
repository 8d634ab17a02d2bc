"""Embedding backends behind one interface: `create_backend(name, **options)` with name
bert, flair, elmo or fake."""

from index_builder.backends.base import (
    BackendError,
    EmbeddingBackend,
    backend_names,
    create_backend,
    set_threads,
)

__all__ = ["BackendError", "EmbeddingBackend", "backend_names", "create_backend", "set_threads"]
