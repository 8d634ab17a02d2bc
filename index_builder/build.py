"""Corpus -> checked -> checkpointed shards -> index folder, published by an atomic rename.

The corpus and its keys are checked in one pass before anything is embedded (`validate.py`); a corpus
with problems is refused with all of them and no work folder is created. The pass cuts the corpus into
shards by content (`shards.py`): shards are written to a work folder beside `--out` as they finish, and
a build run again reuses every finished shard whose sentences, keys and settings are unchanged, so a
killed build resumes, and a corrected or extended corpus embeds only the shards it changed. An engine
(`engines/`) embeds the shards: this process, or Ray workers. The result is the same, bit for bit, as one
build in one go, with either engine. The new folder replaces an old index at `--out` only
once it is whole.
"""

from __future__ import annotations

import datetime as dt
import logging
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from index_builder import __version__
from index_builder.assemble import assemble
from index_builder.engines import Engine, LocalEngine, ShardSource
from index_builder.index_folder import (
    FORMAT_VERSION,
    VECTOR_TYPES,
    IndexWriter,
    publish,
    refuse_non_index,
    sha256_file,
    staging_folder,
)
from index_builder.shards import (
    SHARD_FORMAT,
    IndexBuildError,
    WorkFolder,
    plan_shards,
)
from index_builder.validate import CorpusSummary, validate_corpus

__all__ = ["BuildSettings", "IndexBuildError", "build_index", "check_corpus", "work_folder"]

if TYPE_CHECKING:  # torch loads only when a backend is made, after the corpus check
    from index_builder.backends.base import EmbeddingBackend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildSettings:
    corpus: Path
    keys: Path
    out: Path
    limit_docs: int | None = None
    vector_type: str = "float32"
    shard_sentences: int = 2000
    name: str | None = None  # the index's name in the service; default: the folder name
    extra: tuple[tuple[Path, Path], ...] = ()  # more (corpus, keys) after the first, e.g. WordNet evidence

    @property
    def corpora(self) -> list[tuple[Path, Path, int | None]]:
        """Every (corpus, keys, limit_docs) in build order; `limit_docs` cuts the first corpus only."""
        return [(self.corpus, self.keys, self.limit_docs), *((c, k, None) for c, k in self.extra)]


def work_folder(out: Path) -> Path:
    return out.parent / f".{out.name}.work"


def check_corpus(settings: BuildSettings) -> list[CorpusSummary]:
    """The corpus pass of a build, one summary per corpus, on its own (e.g. before loading a model):
    CorpusProblems if any."""
    return [
        validate_corpus(corpus, keys, limit, settings.shard_sentences)
        for corpus, keys, limit in settings.corpora
    ]


def peak_rss_mb() -> int:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def build_index(
    backend: EmbeddingBackend,
    settings: BuildSettings,
    batch_sentences: int = 32,
    progress: bool = True,
    fresh: bool = False,
    keep_shards: bool = False,
    checked: list[CorpusSummary] | None = None,
    engine: Engine | None = None,
) -> Path:
    """Build the index folder `settings.out`; return its path.

    Finished shards of earlier runs are reused (all discarded first when `fresh`); the shards are removed
    once the index is published unless `keep_shards`. `checked`: `check_corpus(settings)`, if already run.
    `engine` embeds the shards (default: `LocalEngine()`, this process); the result does not depend on it.
    Long on purpose: the build's steps in their order (check, plan, embed, assemble, publish)."""
    started = time.perf_counter()
    engine = engine or LocalEngine()
    if settings.vector_type not in VECTOR_TYPES:
        raise IndexBuildError(
            f"unknown vector type {settings.vector_type!r}; choose from {', '.join(VECTOR_TYPES)}"
        )
    if settings.shard_sentences < 1:
        raise IndexBuildError(f"--shard-sentences must be at least 1, not {settings.shard_sentences}")
    out = settings.out.resolve()
    refuse_non_index(out)
    summaries = checked or check_corpus(settings)
    if [(s.corpus, s.keys, s.limit_docs, s.piece_sentences) for s in summaries] != [
        (*corpus, settings.shard_sentences) for corpus in settings.corpora
    ]:
        raise IndexBuildError("the corpus was checked with other settings than this build's")
    pieces = [piece for summary in summaries for piece in summary.pieces]
    spec = backend.spec()
    salt = {"format": FORMAT_VERSION, "shard_format": SHARD_FORMAT, "backend": spec, "batch": batch_sentences}
    plans = plan_shards(pieces, settings.shard_sentences, salt)
    if not plans or not sum(summary.instances for summary in summaries):
        raise IndexBuildError(f"{settings.corpus}: no sense-annotated instances to index")
    work = WorkFolder(work_folder(out))
    work.prepare(plans, fresh)
    todo = {p.fingerprint for p in plans if not work.is_complete(p)}
    reused = [p for p in plans if p.fingerprint not in todo]
    log.info(
        "%d shards: %d finished earlier and reused (%d sentences), %d to embed",
        len(plans),
        len(reused),
        sum(p.sentences for p in reused),
        len(todo),
    )
    bar = tqdm(
        total=sum(summary.sentences for summary in summaries),
        initial=sum(p.sentences for p in reused),
        unit="sent",
        disable=not progress,
        desc=f"embedding ({spec['backend']}, {engine.name})",
        dynamic_ncols=True,
    )
    if todo:
        source = ShardSource(tuple(settings.corpora), tuple(plans), frozenset(todo))
        engine.embed(backend, source, work, batch_sentences, bar.update)
    bar.close()

    assembly_start = time.perf_counter()
    writer = assemble(work, plans, IndexWriter(staging_folder(out), backend.dim, settings.vector_type))
    tmp = writer.finish(
        name=settings.name or settings.out.name,
        backend=spec,
        corpus={
            "files": {p.name: sha256_file(p) for corpus, keys, _ in settings.corpora for p in (corpus, keys)},
            "limit_docs": settings.limit_docs,
        },
        build={
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "package_version": __version__,
            "engine": engine.name,
            # what this run cost: embedding and assembly (reused shards cost nothing), and its peak memory
            "cost": {
                "seconds": round(time.perf_counter() - started, 1),
                "embedded_sentences": sum(p.sentences for p in plans if p.fingerprint in todo),
                "reused_sentences": sum(p.sentences for p in reused),
                "peak_rss_mb": peak_rss_mb(),
            },
        },
    )
    publish(tmp, out)
    log.info("assembled and published %s in %.1f s", out, time.perf_counter() - assembly_start)
    if keep_shards:
        log.info("kept the shards in %s for the next build", work.path)
    else:
        work.remove()
    return out
