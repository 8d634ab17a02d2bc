"""The Ray Data half of the Ray engine (the only module that imports ray): the shards to embed as a
dataset read on the driver's node, embedded by a pool of actors that each make the backend once."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import ray
from ray.data import Datasource, ReadTask
from ray.data.block import BlockMetadata

from index_builder.backends import create_backend
from index_builder.engines.base import ShardSource
from index_builder.shards import ShardFiles, embed_shard, encode_shard

log = logging.getLogger(__name__)


class EmbeddedShard(NamedTuple):
    """One shard as an actor returns it to the driver: its fingerprint and its files' bytes."""

    fingerprint: str
    files: ShardFiles


def _read_blocks(source: ShardSource) -> Iterator[pa.Table]:
    for plan, sentences in source.read():
        yield pa.table({"fingerprint": [plan.fingerprint], "sentences": [pickle.dumps(sentences)]})


class ShardDatasource(Datasource):
    """The shards to embed as one read task that parses the corpus once, in order, as the local engine
    does, and yields one block per shard (its fingerprint and its pickled sentences) as soon as it is cut:
    reading streams into embedding."""

    def __init__(self, source: ShardSource) -> None:
        super().__init__()
        self.source = source

    @property
    def supports_distributed_reads(self) -> bool:
        """False: Ray runs the read task on the driver's node, where the corpus files are."""
        return False

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None
    ) -> list[ReadTask]:
        meta = BlockMetadata(
            num_rows=len(self.source.todo), size_bytes=None, input_files=None, exec_stats=None
        )
        return [ReadTask(partial(_read_blocks, self.source), meta)]


class EmbedShards:
    """The actor of `map_batches`: makes the backend once from its options (spec, batch size, threads),
    then embeds whole shards and returns their files' bytes, encoded as the local engine encodes them."""

    def __init__(self, options: dict[str, Any], batch_sentences: int) -> None:
        self.backend = create_backend(**options)
        self.batch_sentences = batch_sentences

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        columns: dict[str, list[Any]] = {"fingerprint": [], "npy": [], "meta_json": []}
        for fingerprint, blob in zip(batch["fingerprint"], batch["sentences"], strict=True):
            files = encode_shard(*embed_shard(self.backend, pickle.loads(blob), self.batch_sentences))
            columns["fingerprint"].append(str(fingerprint))
            columns["npy"].append(files.npy)
            columns["meta_json"].append(files.meta_json)
        return {name: np.array(values, dtype=object) for name, values in columns.items()}


@contextmanager
def _data_context(**settings: Any) -> Iterator[None]:
    """Ray Data's context (of this process) with `settings` for the block, restored after it."""
    context = ray.data.DataContext.get_current()
    before = {name: getattr(context, name) for name in settings}
    for name, value in settings.items():
        setattr(context, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(context, name, value)


def embedded_shards(
    source: ShardSource,
    options: dict[str, Any],
    batch_sentences: int,
    workers: int,
    cpus_per_worker: float,
    gpus_per_worker: float,
) -> Iterator[EmbeddedShard]:
    """Every shard of `source`, embedded by `workers` actors, as each one finishes (in no set order).

    The read task runs on the driver's node, where the corpus files are, so a cluster needs no shared
    file system; the actors may run anywhere. Blocks of one row (one shard) pass on as soon as they are
    made (by default Ray Data gathers rows into blocks of up to 128 MiB: a whole corpus read before the
    first shard is embedded)."""
    if not log.isEnabledFor(logging.INFO):  # Ray Data's log, errors included, only with --verbose: the
        logging.getLogger("ray.data").setLevel(logging.CRITICAL)  # build raises a task's error itself
    # the build shows its own progress
    with _data_context(target_max_block_size=1, enable_progress_bars=False, print_on_execution_start=False):
        embedded = ray.data.read_datasource(ShardDatasource(source), override_num_blocks=1).map_batches(
            EmbedShards,
            fn_constructor_kwargs={"options": options, "batch_sentences": batch_sentences},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=cpus_per_worker,
            num_gpus=gpus_per_worker or None,
        )
        for row in embedded.iter_rows():
            yield EmbeddedShard(row["fingerprint"], ShardFiles(row["npy"], row["meta_json"]))
