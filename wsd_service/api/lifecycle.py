"""The service's life: the liveness route, and the batching thread's end when the server stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from wsd_service.api.schemas import HealthOut
from wsd_service.batching import MicroBatcher
from wsd_service.service import Service


def lifespan(batcher: MicroBatcher) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """At shutdown, after the server has finished the requests in flight, let the batching thread answer
    what is queued and stop."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        yield
        await anyio.to_thread.run_sync(batcher.close)

    return run


def add_health_routes(app: FastAPI, service: Service) -> None:
    names = list(service.disambiguators)

    @app.get("/healthz", response_model=HealthOut, tags=["service"], summary="Liveness: the service is up, indexes loaded")
    async def healthz() -> dict[str, object]:
        return {"status": "ok", "indexes": names}
