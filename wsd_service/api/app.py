"""The REST API (FastAPI), versioned under /v1, and the web page at /.

    POST /v1/disambiguate        one word in its sentence -> sense, confidence and the evidence
    POST /v1/disambiguate/batch  many words, embedded together
    POST /v1/annotate            every content word of a text
    GET  /v1/indexes             loaded indexes
    GET  /v1/senses/{lemma}      WordNet senses with their training counts
    GET  /v1/senses/{lemma}/map  2D map of the lemma's training vectors by sense (POST: with a query sentence)
    GET  /healthz, /readyz       liveness; readiness (indexes loaded and warm)
    GET  /docs                   OpenAPI docs (served from the machine when swagger-ui-bundle is installed)

POST /v1/disambiguate is `async`: it prepares the request in the threadpool, then awaits its answer from the
micro-batcher (wsd_service/batching.py), which gathers concurrent requests into one forward pass. Waiting
holds no thread, so every concurrent request can join a batch (the threadpool has 40 threads). The other
endpoints are plain `def`: FastAPI runs them in its threadpool, so CPU-bound work never blocks the event
loop; `Service` serialises the work on the models with a lock.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi import Path as PathParam
from fastapi import Query as QueryParam
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from index_builder import __version__
from wsd_service.api.errors import BodyLimit, install_error_handlers
from wsd_service.api.lifecycle import Readiness, add_health_routes, lifespan
from wsd_service.api.map_routes import add_sense_map_routes
from wsd_service.api.openapi import add_limits
from wsd_service.api.schemas import (
    AnnotateOut,
    AnnotateRequest,
    AnswerOut,
    BatchOut,
    BatchRequest,
    DisambiguateRequest,
    ErrorOut,
    IndexesOut,
    Pos,
    SensesOut,
)
from wsd_service.batching import BatchSettings, MicroBatcher
from wsd_service.disambiguator import Disambiguator
from wsd_service.service import Service
from wsd_service.settings import Limits

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    reasons = {
        400: "the body is not valid JSON",
        404: "unknown index",
        413: "text or batch over the limit",
        422: "invalid request (the message says which field and why)",
    }
    return {code: {"model": ErrorOut, "description": reasons[code]} for code in codes}


def _ok(model: type) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": "OK"}}


def _json(model: BaseModel) -> Response:
    """A response model serialised by pydantic-core in one step (its schema is declared in `responses`);
    optional parts that were not set (a projection nobody asked for) are left out."""
    return Response(model.model_dump_json(exclude_unset=True), media_type="application/json")


def create_app(
    disambiguators: Mapping[str, Disambiguator],
    limits: Limits | None = None,
    max_body_bytes: int | None = None,
    warm: bool = False,
    batching: BatchSettings | None = None,
) -> FastAPI:
    """The API over loaded indexes (by name; the first is the default). `warm` loads the models when the
    server starts (/readyz says 503 until then); `batching` sets how concurrent requests are gathered."""
    limits = limits or Limits()
    service = Service(disambiguators, limits)
    batcher = MicroBatcher(service.answer, batching)
    readiness = Readiness(ready=not warm)
    if max_body_bytes is None:  # room for the largest allowed batch, JSON-escaped
        max_body_bytes = (1 << 20) + 8 * limits.max_text_chars * limits.max_batch_items
    local_docs = importlib.util.find_spec("swagger_ui_bundle") is not None
    app = FastAPI(
        title="Interpretable word sense disambiguation",
        version=__version__,
        description="kNN over contextual embeddings of SemCor (Wiedemann et al. 2019). Every answer carries "
        "its evidence: the nearest training sentences, their votes and the candidate senses.",
        docs_url=None if local_docs else "/docs",
        redoc_url=None,
        lifespan=lifespan(service, batcher, readiness, warm),
    )
    app.state.service, app.state.batcher, app.state.readiness = service, batcher, readiness
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    add_limits(app, limits)
    _add_answer_routes(app, service, batcher)
    add_sense_map_routes(app, service, _errors)
    add_health_routes(app, service, readiness)
    _mount_pages(app, local_docs)
    return app


def _add_answer_routes(app: FastAPI, service: Service, batcher: MicroBatcher) -> None:
    """The endpoints that answer: disambiguate (one, batch), annotate, indexes, senses."""

    def post(path: str, model: type[BaseModel], summary: str) -> Callable:
        """A POST that reads a request body and answers with `model` or one of the body's errors."""
        return app.post(
            path,
            response_model=None,
            tags=["disambiguate"],
            responses={**_ok(model), **_errors(400, 404, 413, 422)},
            summary=summary,
        )

    @post("/v1/disambiguate", AnswerOut, "Disambiguate one word in its sentence")
    async def disambiguate(request: DisambiguateRequest) -> Response:
        return _json(await batcher.answer(partial(service.prepare, request)))

    @post(
        "/v1/disambiguate/batch",
        BatchOut,
        "Disambiguate many words; the words of one index are embedded together",
    )
    def disambiguate_batch(request: BatchRequest) -> Response:
        service.check_items(len(request.items))
        return _json(BatchOut(results=service.disambiguate(request.items)))

    @post("/v1/annotate", AnnotateOut, "Disambiguate every content word of a text")
    def annotate(request: AnnotateRequest) -> Response:
        return _json(service.annotate(request))

    @app.get("/v1/indexes", response_model=IndexesOut, tags=["service"], summary="The loaded indexes")
    def indexes() -> dict[str, Any]:
        return service.indexes()

    @app.get(
        "/v1/senses/{lemma}",
        response_model=None,
        tags=["inventory"],
        responses={**_ok(SensesOut), **_errors(404, 422)},
        summary="WordNet senses of a lemma with their training counts in an index",
    )
    def senses(
        lemma: str = PathParam(
            description="a lemma such as bank (an inflected form falls back to its base)",
            json_schema_extra={"pattern": r"\S"},
        ),
        pos: Pos | None = QueryParam(None, description="only senses of this POS"),
        index: str | None = QueryParam(None, description="index name (default: the first loaded)"),
    ) -> Response:
        return _json(service.senses(lemma, pos, index))


def _mount_pages(app: FastAPI, local_docs: bool) -> None:
    """The web page at / (static files, no build step) and, when the assets are installed, /docs."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    if not local_docs:
        return
    import swagger_ui_bundle

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - docs",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )
