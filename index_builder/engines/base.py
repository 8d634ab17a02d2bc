"""What every engine gets: the shards still to embed (`ShardSource`), and the one step it implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from index_builder.corpus import Sentence, read_corpus
from index_builder.shards import IndexBuildError, ShardPlan, WorkFolder

if TYPE_CHECKING:  # torch loads only when a backend is made
    from index_builder.backends.base import EmbeddingBackend as Backend

Advance = Callable[[int], None]  # told the sentences of each saved shard (the progress bar)


class ShardInput(NamedTuple):
    """One shard to embed: its plan and its sentences, in corpus order."""

    plan: ShardPlan
    sentences: list[Sentence]


@dataclass(frozen=True)
class ShardSource:
    """The shards of a build that are still to embed, and where their sentences are: (corpus, keys,
    limit_docs) read one after the other, cut by `plans`. Small and picklable, so that a remote reader
    can read the shards where the corpus files are."""

    corpora: tuple[tuple[Path, Path, int | None], ...]
    plans: tuple[ShardPlan, ...]
    todo: frozenset[str]  # fingerprints of the plans to embed

    def read(self) -> Iterator[ShardInput]:
        """Cut the sentence stream by the plans; yield the shards in `todo` with their sentences, stopping
        after the last of them (finished shards are read past, never embedded)."""
        stream = chain.from_iterable(read_corpus(*corpus) for corpus in self.corpora)
        left = len(self.todo)
        for plan in self.plans:
            if not left:
                return
            if plan.fingerprint not in self.todo:
                if sum(1 for _ in islice(stream, plan.sentences)) != plan.sentences:
                    raise IndexBuildError("the corpus changed while building; run the build again")
                continue
            sentences = list(islice(stream, plan.sentences))
            if len(sentences) != plan.sentences or sum(len(s.instances) for s in sentences) != plan.instances:
                raise IndexBuildError("the corpus changed while building; run the build again")
            left -= 1
            yield ShardInput(plan, sentences)


class Engine(ABC):
    """Who embeds the shards of a build. Every engine writes the same shard files into the work folder
    (`embed_shard` + `WorkFolder.save`), so the assembly, the result and resuming do not depend on it."""

    name: ClassVar[str]  # recorded in the manifest under "build"

    @abstractmethod
    def embed(
        self, backend: Backend, source: ShardSource, work: WorkFolder, batch: int, advance: Advance
    ) -> None:
        """Embed every shard of `source` with `backend` (or a copy made from its spec) and save it in
        `work`, in any order; call `advance(sentences)` once per saved shard."""
