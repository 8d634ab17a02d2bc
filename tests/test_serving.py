"""`wsd serve` stopping: SIGTERM stops accepting, finishes the request in flight, exits 0 (a real process,
in the slow tier; the fast tier checks the exit-0 handler in this process, and test_batching that closing the
batcher answers what is queued)."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.marked_backend import SLOW, SLOW_SECONDS, MarkedBackend
from tests.server_process import serving
from wsd_service.serving import _exit_zero_on_stop

# `wsd` with the marked backend registered, so that it can serve an index built with it.
LAUNCH = "import sys, tests.marked_backend; from wsd_service.cli import main; sys.exit(main(sys.argv[1:]))"
WSD_MARKED = [sys.executable, "-c", LAUNCH]


@pytest.fixture
def marked_index(small_corpus, tmp_path) -> Path:
    from index_builder.build import BuildSettings, build_index

    return build_index(MarkedBackend(), BuildSettings(*small_corpus, out=tmp_path / "marked"), progress=False)


def test_a_stop_signal_while_serving_exits_zero_and_the_handlers_come_back():
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    for signum in before:
        with pytest.raises(SystemExit) as stopped, _exit_zero_on_stop():
            signal.raise_signal(signum)
        assert stopped.value.code == 0
    assert {signum: signal.getsignal(signum) for signum in before} == before


@pytest.mark.slow
def test_sigterm_finishes_the_request_in_flight_and_exits_zero(marked_index):
    process, base = serving([*WSD_MARKED, "serve", "--index", str(marked_index)], wait_for="/readyz")
    answers: list[httpx.Response] = []
    body = {"text": f"The {SLOW} bank closed.", "target": {"index": 2}}
    slow = threading.Thread(
        target=lambda: answers.append(httpx.post(f"{base}/v1/disambiguate", json=body, timeout=60))
    )
    try:
        slow.start()
        time.sleep(SLOW_SECONDS / 3)  # the request is in the forward pass
        process.send_signal(signal.SIGTERM)
        time.sleep(SLOW_SECONDS / 6)
        with pytest.raises(httpx.TransportError):  # no longer accepting, while the slow request still runs
            httpx.get(f"{base}/healthz", timeout=2)
        assert slow.is_alive()
        slow.join(30)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    (answer,) = answers
    assert answer.status_code == 200 and answer.json()["target"]["token"] == "bank"
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
