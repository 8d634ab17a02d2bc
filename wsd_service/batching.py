"""Dynamic micro-batching: concurrent single requests answered together, one forward pass per batch.

A request that finds nothing else in flight is prepared and answered at once in one worker thread: a lone
client never waits and pays no extra thread handoff. Any other request is prepared (validated, tokenised)
in a worker thread and queued. One batching thread takes everything queued, up to `max_items`, once the
model is free; it waits, at most `wait_ms`, only for requests that have arrived and are still being
prepared. When a batch fails its items are run again one by one: an item that fails gets its own error,
its neighbors their answers, and the thread goes on serving.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

import anyio.to_thread

from index_builder.errors import WsdError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class BatchingError(WsdError):
    """Batching settings out of range."""


@dataclass(frozen=True)
class BatchSettings:
    """How concurrent requests are gathered: at most `max_items` per forward pass, and at most `wait_ms`
    of waiting for requests that have arrived but are still being prepared."""

    max_items: int = 32
    wait_ms: float = 2.0

    def __post_init__(self) -> None:
        if self.max_items < 1:
            raise BatchingError(f"batch max items must be at least 1, got {self.max_items}")
        if not 0 <= self.wait_ms <= 1000:
            raise BatchingError(f"batch wait must be between 0 and 1000 ms, got {self.wait_ms}")


@dataclass
class BatchStats:
    """What the batcher has done so far (read by tests and benchmarks)."""

    batches: int = 0
    items: int = 0
    largest: int = 0
    retried: int = 0  # failed batches run again item by item


class _Queued(NamedTuple):
    item: object
    future: Future


class MicroBatcher(Generic[T, R]):
    """Runs `run(items) -> answers` (one answer per item, in order) over batches of concurrent items.

    The batching thread starts with the first item and again after `close`, so the batcher works with or
    without an application lifespan."""

    def __init__(
        self,
        run: Callable[[Sequence[T]], Sequence[R]],
        settings: BatchSettings | None = None,
        name: str = "wsd-batcher",
    ) -> None:
        self._run = run
        self.settings = settings or BatchSettings()
        self.stats = BatchStats()
        self._name = name
        self._queue: deque[_Queued] = deque()
        self._preparing = 0  # arrived, bound for the queue, still being prepared
        self._alone = 0  # answered at once, outside the queue (at most one at a time)
        self._busy = False  # the batching thread is running a batch
        self._changed = threading.Condition()
        self._running = False  # a batching thread is taking items
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def queued(self) -> int:
        """Prepared requests waiting for the next batch (read by tests, like `stats`)."""
        with self._changed:
            return len(self._queue)

    # -- callers -------------------------------------------------------------------------------------

    async def answer(self, prepare: Callable[[], T]) -> R:
        """The answer to one request, prepared in a worker thread: at once when nothing else is in flight,
        else by the next batch. An exception of `prepare` or of the item's own run is raised here."""
        with self._changed:
            alone = not (self._queue or self._preparing or self._alone or self._busy)
            if alone:
                self._alone += 1
            else:
                self._preparing += 1
        if alone:
            try:
                return await anyio.to_thread.run_sync(self._run_alone, prepare)
            finally:
                with self._changed:
                    self._alone -= 1
                    self._changed.notify_all()
        try:
            item = await anyio.to_thread.run_sync(prepare)
        except BaseException:
            self._prepared()
            raise
        return await asyncio.wrap_future(self._enqueue(item))

    def submit(self, item: T) -> Future[R]:
        """Queue one prepared item (for callers outside an event loop); the future holds its answer."""
        with self._changed:
            self._preparing += 1
        return self._enqueue(item)

    def close(self, timeout: float | None = 30.0) -> None:
        """Answer what is queued, then stop the batching thread (a later item starts a new one)."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # -- bookkeeping ---------------------------------------------------------------------------------

    def _prepared(self) -> None:
        """One request bound for the queue is prepared (or failed to be): the batch need not wait for it."""
        with self._changed:
            self._preparing -= 1
            self._changed.notify_all()

    def _run_alone(self, prepare: Callable[[], T]) -> R:
        item = prepare()
        self._count(1)
        return self._run([item])[0]

    def _count(self, size: int) -> None:
        with self._changed:
            self.stats.batches += 1
            self.stats.items += size
            self.stats.largest = max(self.stats.largest, size)

    def _enqueue(self, item: T) -> Future[R]:
        future: Future[R] = Future()
        with self._changed:
            self._preparing -= 1
            self._queue.append(_Queued(item, future))
            if not self._running:
                self._running, self._stopping = True, False
                self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._thread.start()
            self._changed.notify_all()
        return future

    # -- the batching thread -------------------------------------------------------------------------

    def _work(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._answer([queued for queued in batch if queued.future.set_running_or_notify_cancel()])
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def _next_batch(self) -> list[_Queued] | None:
        """Everything queued (up to max_items) once the model is free of a request answered alone, after
        waiting for requests still being prepared; None once closed with nothing queued."""
        limit, wait = self.settings.max_items, self.settings.wait_ms / 1000
        with self._changed:
            while not self._queue or self._alone:
                if not self._queue and self._stopping:
                    self._running = False
                    return None
                self._changed.wait()
            batch = self._take(limit)
            deadline = time.monotonic() + wait
            while len(batch) < limit and self._preparing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
                batch += self._take(limit - len(batch))
            self._busy = True
        return batch

    def _take(self, count: int) -> list[_Queued]:
        return [self._queue.popleft() for _ in range(min(count, len(self._queue)))]

    def _answer(self, batch: list[_Queued]) -> None:
        """Run the batch; if it fails, run its items one by one so that only the failing ones fail."""
        if not batch:
            return
        self._count(len(batch))
        try:
            answers = self._run([queued.item for queued in batch])
            if len(answers) != len(batch):
                raise RuntimeError(f"{len(answers)} answers for a batch of {len(batch)}")
        except Exception as err:  # noqa: BLE001  (any failure is the items' own, handed to their futures)
            if len(batch) == 1:
                batch[0].future.set_exception(err)
                return
            log.warning(
                "a batch of %d failed (%s: %s); answering its items one by one",
                len(batch),
                type(err).__name__,
                err,
            )
            self.stats.retried += 1
            for queued in batch:
                self._answer_alone(queued)
            return
        for queued, answer in zip(batch, answers):
            queued.future.set_result(answer)

    def _answer_alone(self, queued: _Queued) -> None:
        try:
            queued.future.set_result(self._run([queued.item])[0])
        except Exception as err:  # noqa: BLE001  (the item's own failure, raised where it is awaited)
            queued.future.set_exception(err)
