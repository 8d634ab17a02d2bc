"""The service's life: warm-up in the background, liveness and readiness, and the batching thread's end.

`/healthz` answers as soon as the process serves HTTP (liveness: restart me if this fails); `/readyz` answers
200 only once every index is loaded and its model warm, 503 before (readiness: send me traffic). Both run
on the event loop, so a busy threadpool never makes a healthy worker look dead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from wsd_service.api.schemas import HealthOut, ReadyOut
from wsd_service.batching import MicroBatcher
from wsd_service.service import Service

log = logging.getLogger(__name__)


class Readiness:
    """Whether the indexes are warm; `problem` says why a warm-up failed."""

    def __init__(self, ready: bool) -> None:
        self._ready = threading.Event()
        if ready:
            self._ready.set()
        self.problem: str | None = None

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def warm_in_background(self, service: Service) -> threading.Thread:
        """Load every backend and table in a thread; ready when done (a failure is logged and kept)."""

        def warm() -> None:
            try:
                service.warm_up()
            except Exception as err:
                log.exception("warm-up failed; /readyz stays 503")
                self.problem = f"warm-up failed: {type(err).__name__}: {err}"
                return
            self._ready.set()

        thread = threading.Thread(target=warm, name="wsd-warm-up", daemon=True)
        thread.start()
        return thread


def lifespan(
    service: Service, batcher: MicroBatcher, readiness: Readiness, warm: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start the warm-up when the server starts (so /readyz can say 503 meanwhile); at shutdown, after the
    server has finished the requests in flight, let the batching thread answer what is queued and stop."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        if warm and not readiness.ready:
            readiness.warm_in_background(service)
        yield
        await anyio.to_thread.run_sync(batcher.close)

    return run


def add_health_routes(app: FastAPI, service: Service, readiness: Readiness) -> None:
    names = list(service.disambiguators)

    @app.get(
        "/healthz",
        response_model=HealthOut,
        tags=["service"],
        summary="Liveness: the process serves HTTP (indexes may still be warming up)",
    )
    async def healthz() -> dict[str, object]:
        return {"status": "ok", "indexes": names}

    @app.get(
        "/readyz",
        response_model=None,
        tags=["service"],
        summary="Readiness: every index loaded and its model warm (503 until then)",
        responses={
            200: {"model": ReadyOut, "description": "ready for traffic"},
            503: {"model": ReadyOut, "description": "still warming up, or the warm-up failed"},
        },
    )
    async def readyz() -> JSONResponse:
        if readiness.ready:
            return JSONResponse({"status": "ready", "indexes": names})
        status = "failed" if readiness.problem else "warming"
        body = {"status": status, "indexes": names, "detail": readiness.problem}
        return JSONResponse(body, status_code=503)
