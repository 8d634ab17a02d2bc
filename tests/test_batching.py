"""Micro-batching: the batcher alone over a recording function, then the API over a real uvicorn server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence

import httpx
import pytest

from tests.marked_backend import EXPLODE, HELD, HOLD, RELEASE, MarkedBackend
from tests.server_thread import running_server
from wsd_service.batching import BatchingError, BatchSettings, MicroBatcher


class Recorder:
    """A run function that records its batches, fails on "bad" and can be held at its first call."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.threads: list[str] = []
        self.hold = threading.Event()
        self.hold.set()
        self.started = threading.Event()

    def __call__(self, items: Sequence[str]) -> list[str]:
        self.started.set()
        self.hold.wait(10)
        self.batches.append(list(items))
        self.threads.append(threading.current_thread().name)
        if "bad" in items:
            raise ValueError("bad item")
        return [item.upper() for item in items]


def _held(settings: BatchSettings) -> tuple[Recorder, MicroBatcher]:
    """A batcher whose first batch ("first") is running and held, so that what follows queues up."""
    recorder = Recorder()
    recorder.hold.clear()
    batcher = MicroBatcher(recorder, settings)
    first = batcher.submit("first")
    assert recorder.started.wait(5)
    recorder.first = first
    return recorder, batcher


def test_a_lone_request_never_waits():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, BatchSettings(max_items=8, wait_ms=1000))
    for word in ("a", "b"):
        started = time.perf_counter()
        assert batcher.submit(word).result(5) == word.upper()
        assert time.perf_counter() - started < 0.5  # not the 1 s wait
    assert recorder.batches == [["a"], ["b"]]
    batcher.close()


def test_a_lone_request_is_answered_in_the_thread_that_prepares_it():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, BatchSettings(max_items=8, wait_ms=1000))
    started = time.perf_counter()
    assert _answers(batcher, [0.0]) == ["W0"]
    assert time.perf_counter() - started < 0.5
    assert recorder.batches == [["w0"]] and recorder.threads != ["wsd-batcher"]
    assert (batcher.stats.batches, batcher.stats.items) == (1, 1)


def test_queued_requests_share_batches_of_at_most_max_items():
    recorder, batcher = _held(BatchSettings(max_items=3, wait_ms=1000))
    futures = [batcher.submit(f"w{i}") for i in range(7)]
    recorder.hold.set()
    assert [f.result(5) for f in futures] == [f"W{i}" for i in range(7)]
    assert recorder.first.result(5) == "FIRST"
    assert recorder.batches == [["first"], ["w0", "w1", "w2"], ["w3", "w4", "w5"], ["w6"]]
    assert (batcher.stats.batches, batcher.stats.items, batcher.stats.largest) == (4, 8, 3)
    batcher.close()


def _answers(batcher: MicroBatcher, delays: list[float]) -> list[str]:
    """Answers of concurrent requests whose preparation takes the given times."""

    def prepared(word: str, delay: float):
        def prepare() -> str:
            time.sleep(delay)
            return word

        return prepare

    async def run() -> list[str]:
        return await asyncio.gather(*(batcher.answer(prepared(f"w{i}", d)) for i, d in enumerate(delays)))

    return asyncio.run(run())


def _release_soon(recorder: Recorder) -> None:
    threading.Timer(0.05, recorder.hold.set).start()


def test_the_batch_waits_for_requests_still_being_prepared():
    recorder, batcher = _held(BatchSettings(max_items=8, wait_ms=1000))
    _release_soon(recorder)  # the model frees while w1 is still being prepared
    started = time.perf_counter()
    assert _answers(batcher, [0.0, 0.3]) == ["W0", "W1"]
    assert recorder.batches == [["first"], ["w0", "w1"]] and time.perf_counter() - started < 0.9
    batcher.close()


def test_without_a_wait_late_requests_get_their_own_batch():
    recorder, batcher = _held(BatchSettings(max_items=8, wait_ms=0))
    _release_soon(recorder)
    assert _answers(batcher, [0.0, 0.3]) == ["W0", "W1"]
    assert recorder.batches == [["first"], ["w0"], ["w1"]]
    batcher.close()


def test_requests_queue_while_a_lone_request_holds_the_model():
    recorder = Recorder()
    recorder.hold.clear()
    batcher = MicroBatcher(recorder, BatchSettings(max_items=8, wait_ms=0))

    async def run() -> list[str]:
        first = asyncio.ensure_future(batcher.answer(lambda: "alone"))
        await asyncio.sleep(0.1)  # "alone" is running, held
        rest = [asyncio.ensure_future(batcher.answer(lambda word=word: word)) for word in ("a", "b", "c")]
        await asyncio.sleep(0.1)
        recorder.hold.set()
        return await asyncio.gather(first, *rest)

    assert asyncio.run(run()) == ["ALONE", "A", "B", "C"]
    assert [sorted(batch) for batch in recorder.batches] == [["alone"], ["a", "b", "c"]]  # queued as prepared
    batcher.close()


def test_a_request_that_fails_to_prepare_is_not_waited_for():
    recorder, batcher = _held(BatchSettings(max_items=8, wait_ms=1000))

    def broken() -> str:
        time.sleep(0.2)
        raise LookupError("no such word")

    async def run() -> list:
        answers = (batcher.answer(broken), batcher.answer(lambda: "w"))
        return await asyncio.gather(*answers, return_exceptions=True)

    _release_soon(recorder)
    started = time.perf_counter()
    failed, answered = asyncio.run(run())
    assert isinstance(failed, LookupError) and answered == "W"
    assert time.perf_counter() - started < 0.9  # not the 1 s wait for the broken request
    assert recorder.batches == [["first"], ["w"]]
    batcher.close()


def test_a_failing_item_fails_alone_and_the_batcher_keeps_serving():
    recorder, batcher = _held(BatchSettings(max_items=8, wait_ms=0))
    good, bad, other = (batcher.submit(word) for word in ("good", "bad", "other"))
    recorder.hold.set()
    assert good.result(5) == "GOOD" and other.result(5) == "OTHER"
    with pytest.raises(ValueError, match="bad item"):
        bad.result(5)
    assert recorder.batches[1:] == [["good", "bad", "other"], ["good"], ["bad"], ["other"]]
    assert batcher.stats.retried == 1
    assert batcher.submit("later").result(5) == "LATER"
    batcher.close()


def test_a_cancelled_request_is_not_run():
    recorder, batcher = _held(BatchSettings(max_items=8, wait_ms=0))
    gone, kept = batcher.submit("gone"), batcher.submit("kept")
    assert gone.cancel()
    recorder.hold.set()
    assert kept.result(5) == "KEPT"
    assert ["gone"] not in recorder.batches and all("gone" not in batch for batch in recorder.batches)
    batcher.close()


def test_close_answers_what_is_queued_and_a_later_request_starts_again():
    recorder, batcher = _held(BatchSettings(max_items=8, wait_ms=0))
    queued = batcher.submit("queued")
    closing = threading.Thread(target=batcher.close)
    closing.start()
    recorder.hold.set()
    closing.join(5)
    assert queued.result(0) == "QUEUED"
    assert batcher.submit("again").result(5) == "AGAIN"
    batcher.close()


@pytest.mark.parametrize(
    ("options", "message"), [({"max_items": 0}, "at least 1"), ({"wait_ms": -1}, "between 0 and 1000")]
)
def test_settings_out_of_range(options, message):
    with pytest.raises(BatchingError, match=message):
        BatchSettings(**options)


# -- the API over a real server: concurrent requests, one forward pass, answers and errors per request ---

SENTENCES = [
    "The bank closed early.",
    "He sat on the bank.",
    "The jury said nothing.",
    "She read the report.",
    "The court ruled today.",
    "The city grew fast.",
    "They held an election.",
    "Taxes went up again.",
]


@pytest.fixture
def marked_server(tiny_index):
    """A server over the tiny index whose embedder raises on EXPLODE and holds the model on HOLD."""
    from index_builder.index_folder import IndexFolder
    from wsd_service.api.app import create_app
    from wsd_service.disambiguator import Disambiguator

    disambiguator = Disambiguator(IndexFolder(tiny_index), backend=MarkedBackend())
    app = create_app({"tiny": disambiguator}, batching=BatchSettings(max_items=8, wait_ms=5))
    with running_server(app) as url:
        yield url, app.state.batcher


def _request(text: str, word: str) -> dict:
    start = text.index(word)
    return {"text": text, "target": {"start": start, "end": start + len(word)}}


async def _until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def _behind_a_held_request(url: str, batcher: MicroBatcher, bodies: list[dict]) -> list[httpx.Response]:
    """POST the bodies at once while a first request holds the model in its forward pass; release it once
    every body is prepared and queued behind it, so that they are answered in full batches."""
    HELD.clear()
    RELEASE.clear()
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        first = asyncio.create_task(http.post("/v1/disambiguate", json=_request(f"A {HOLD} bank.", "bank")))
        await _until(HELD.is_set)
        rest = asyncio.gather(*(http.post("/v1/disambiguate", json=body) for body in bodies))
        await _until(lambda: batcher.queued == len(bodies))
        RELEASE.set()
        responses = await rest
        assert (await first).status_code == 200
        return responses


def test_concurrent_requests_share_forward_passes_and_get_their_own_answers(marked_server):
    url, batcher = marked_server
    texts = [SENTENCES[i % len(SENTENCES)] for i in range(20)]
    bodies = [_request(text, text.split()[1]) for text in texts]
    responses = asyncio.run(_behind_a_held_request(url, batcher, bodies))
    for body, response in zip(bodies, responses):
        assert response.status_code == 200, response.text
        start, end = body["target"]["start"], body["target"]["end"]
        assert response.json()["target"]["token"] == body["text"][start:end]
    assert batcher.stats.largest == 8  # queued behind the held request: full batches
    assert batcher.stats.batches < 21


def test_a_request_that_breaks_the_embedder_fails_alone(marked_server):
    url, batcher = marked_server
    bodies = [_request(text, text.split()[1]) for text in SENTENCES[:5]]
    bodies.insert(2, _request(f"The {EXPLODE} bank.", "bank"))
    responses = asyncio.run(_behind_a_held_request(url, batcher, bodies))
    statuses = [r.status_code for r in responses]
    assert statuses == [200, 200, 500, 200, 200, 200]
    assert responses[2].json() == {"detail": "internal error; the service log has the details"}
    assert batcher.stats.retried == 1
    assert httpx.post(f"{url}/v1/disambiguate", json=bodies[0], timeout=30).status_code == 200
