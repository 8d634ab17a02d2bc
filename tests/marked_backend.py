"""A fake backend that misbehaves on marked words, for the service's failure and shutdown tests.

Importing this module registers it as backend "marked"; a subprocess that imports it can serve an index
built with it. The word EXPLODE makes the forward pass raise; SLOW makes it take SLOW_SECONDS; HOLD makes it
set HELD and wait until RELEASE is set; while `GATE` is cleared every forward pass waits for it (a warm-up
that has not finished)."""

from __future__ import annotations

import threading
import time

import numpy as np

from index_builder.backends.base import register
from index_builder.backends.fake import FakeBackend

EXPLODE, SLOW, HOLD = "EXPLODE", "SLOW", "HOLD"
SLOW_SECONDS = 1.5
GATE = threading.Event()
GATE.set()
HELD, RELEASE = threading.Event(), threading.Event()


class Exploded(RuntimeError):
    """What the marked backend raises on EXPLODE."""


@register("marked")
class MarkedBackend(FakeBackend):
    def _embed_words(self, batch: list[list[str]]) -> list[np.ndarray]:
        GATE.wait()
        words = {word for sentence in batch for word in sentence}
        if EXPLODE in words:
            raise Exploded("the embedder cannot encode EXPLODE")
        if SLOW in words:
            time.sleep(SLOW_SECONDS)
        if HOLD in words:
            HELD.set()
            RELEASE.wait(60)
        return super()._embed_words(batch)
