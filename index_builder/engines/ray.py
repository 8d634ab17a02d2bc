"""The Ray engine: Ray Data reads the shards to embed and a pool of actors embeds them, on this machine
(a local Ray started for the build and stopped after it) or on a cluster (`address`).

The actors return each finished shard to the driver, which alone writes the work folder with the same
`WorkFolder.save` as the local engine: no shared file system is needed, no two processes write one
folder, and a shard is complete exactly when the driver has saved it, so a killed driver resumes from
the shards it saved (with either engine: the shard fingerprints do not name the engine). The price is
that every shard's vectors travel to the driver once, which the assembly reads anyway.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

from index_builder.engines.base import Advance, Engine, ShardSource
from index_builder.errors import WsdError
from index_builder.shards import IndexBuildError, WorkFolder

if TYPE_CHECKING:
    from index_builder.backends.base import EmbeddingBackend as Backend

log = logging.getLogger(__name__)

RAY_DATA_NOTE = "\nFailed to "  # how Ray Data starts the retry note it appends to a task's error message

RAY_MISSING = (
    "--engine ray needs Ray Data, which is not installed: pip install 'wsd-service[ray]' (ray[data]==2.60.0)"
)


@dataclass(frozen=True)
class RayEngine(Engine):
    """`workers` actors, each with `threads` CPUs (torch threads; 1 if not given) and `gpus_per_worker`
    GPUs reserved; a local Ray unless `address` names a cluster to join."""

    address: str | None = None
    workers: int = 1
    gpus_per_worker: float = 0.0
    threads: int | None = None
    name: ClassVar[str] = "ray"

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise IndexBuildError(f"--workers must be at least 1, not {self.workers}")
        if self.gpus_per_worker < 0:
            raise IndexBuildError(f"--num-gpus-per-worker must be at least 0, not {self.gpus_per_worker}")
        if self.threads is not None and self.threads < 1:
            raise IndexBuildError(f"--threads must be at least 1, not {self.threads}")
        if not all(importlib.util.find_spec(name) for name in ("ray", "pyarrow")):
            raise IndexBuildError(RAY_MISSING)

    @property
    def cpus_per_worker(self) -> int:
        return self.threads or 1

    def local_cpus(self) -> int:
        """Logical CPUs of a local Ray: the machine's, and never fewer than the workers take plus one for
        the read task (actors holding every CPU would starve the reader, and the build would hang)."""
        return max(os.cpu_count() or 1, self.workers * self.cpus_per_worker + 1)

    def embed(
        self, backend: Backend, source: ShardSource, work: WorkFolder, batch: int, advance: Advance
    ) -> None:
        import ray

        from index_builder.engines.ray_data import embedded_shards

        options = {**backend.spec(), "batch_size": backend.batch_size}
        if self.threads:
            options["threads"] = self.threads
        plans = {plan.fingerprint: plan for plan in source.plans}
        start = time.perf_counter()
        with ray_session(ray, self.address, self.local_cpus()):
            log.info("Ray is up after %.1f s", time.perf_counter() - start)
            shards = embedded_shards(
                source, options, batch, self.workers, self.cpus_per_worker, self.gpus_per_worker
            )
            try:
                for shard in shards:
                    plan = plans[shard.fingerprint]
                    work.save_files(plan, shard.files)
                    advance(plan.sentences)
            except Exception as err:
                raise _project_error(err) or err from err
            log.info("%d shards embedded on Ray after %.1f s", len(source.todo), time.perf_counter() - start)
        log.info("Ray stopped after %.1f s", time.perf_counter() - start)


@contextmanager
def ray_session(ray: ModuleType, address: str | None, local_cpus: int) -> Iterator[None]:
    """Ray running for the block: the caller's session if one is up (left running), else a new local Ray
    with `local_cpus` logical CPUs, or the cluster at `address`, shut down after the block."""
    if ray.is_initialized():
        yield
        return
    if address:
        log.info("joining the Ray cluster at %s", address)
        ray.init(address=address, logging_level=logging.WARNING)
    else:
        log.info("starting a local Ray with %d CPUs", local_cpus)
        ray.init(address="local", num_cpus=local_cpus, include_dashboard=False, logging_level=logging.WARNING)
    try:
        yield
    finally:
        ray.shutdown()


def _project_error(err: BaseException) -> WsdError | None:
    """The project error (a corpus changed while building, a backend option a worker cannot use, ...) that
    a Ray task raised under `err`, without the retry note Ray Data appends, to be shown as one line as
    the local engine shows it; None when the failure is not one."""
    seen: BaseException | None = err
    while seen is not None:
        cause = getattr(seen, "cause", seen)  # a RayTaskError keeps the task's own exception as `cause`
        if isinstance(cause, WsdError) and type(cause).__module__.startswith("index_builder"):
            if cause.args and isinstance(cause.args[0], str):
                cause.args = (cause.args[0].split(RAY_DATA_NOTE)[0], *cause.args[1:])
            return cause
        seen = seen.__cause__ or seen.__context__
    return None
