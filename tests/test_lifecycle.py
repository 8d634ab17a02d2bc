"""Liveness and readiness: /healthz answers at once, /readyz only once the warm-up is done."""

from __future__ import annotations

import time

import pytest

from tests import marked_backend
from tests.conftest import _client
from tests.marked_backend import Exploded, MarkedBackend


def _app(tiny_index, backend):
    from index_builder.index_folder import IndexFolder
    from wsd_service.api.app import create_app
    from wsd_service.disambiguator import Disambiguator

    return create_app({"tiny": Disambiguator(IndexFolder(tiny_index), backend=backend)}, warm=True)


def _wait_for(client, path: str, status: int) -> dict:
    deadline = time.monotonic() + 10
    while (response := client.get(path)).status_code != status:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.02)
    return response.json()


def test_ready_only_after_the_warm_up(tiny_index):
    marked_backend.GATE.clear()  # the warm-up's forward pass waits here
    try:
        with _client(_app(tiny_index, MarkedBackend())) as client:
            assert client.get("/healthz").json() == {"status": "ok", "indexes": ["tiny"]}
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.json() == {"status": "warming", "indexes": ["tiny"], "detail": None}
            marked_backend.GATE.set()
            assert _wait_for(client, "/readyz", 200) == {"status": "ready", "indexes": ["tiny"]}
    finally:
        marked_backend.GATE.set()


class BrokenWarmUp(MarkedBackend):
    def _embed_words(self, batch: list[list[str]]):
        raise Exploded("no model here")


def test_a_failed_warm_up_stays_unready_and_says_why(tiny_index, caplog):
    with _client(_app(tiny_index, BrokenWarmUp())) as client:
        deadline = time.monotonic() + 10
        while (body := client.get("/readyz").json())["status"] == "warming":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert body == {
            "status": "failed",
            "indexes": ["tiny"],
            "detail": "warm-up failed: Exploded: no model here",
        }
        assert client.get("/healthz").status_code == 200
    assert any("warm-up failed" in record.message for record in caplog.records)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_ready_at_once_without_a_warm_up(client, path):
    assert client.get(path).status_code == 200
