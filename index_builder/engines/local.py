"""The local engine: this process embeds the shards one after the other while a thread reads ahead."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ClassVar, TypeVar

from index_builder.engines.base import Advance, Engine, ShardSource
from index_builder.shards import WorkFolder, embed_shard

if TYPE_CHECKING:
    from index_builder.backends.base import EmbeddingBackend as Backend

T = TypeVar("T")


def prefetched(iterator: Iterator[T]) -> Iterator[T]:
    """The same items, the next one read by a background thread while the caller works on the current one
    (the XML parse overlaps the forward pass, which releases the GIL)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, iterator, None)
        while (item := pending.result()) is not None:
            pending = pool.submit(next, iterator, None)
            yield item


class LocalEngine(Engine):
    name: ClassVar[str] = "local"

    def embed(
        self, backend: Backend, source: ShardSource, work: WorkFolder, batch: int, advance: Advance
    ) -> None:
        for plan, sentences in prefetched(source.read()):
            work.save(plan, *embed_shard(backend, sentences, batch))
            advance(len(sentences))
