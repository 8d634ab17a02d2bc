"""The sense map endpoints: GET and POST /v1/senses/{lemma}/map (the POST body can carry a sentence whose
target word is placed in the map as the query)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI
from fastapi import Path as PathParam
from fastapi import Query as QueryParam
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from index_builder.inventory import normalise_lemma
from wsd_service.api.errors import describe_validation
from wsd_service.api.schemas import (
    DisambiguateRequest,
    Pos,
    Target,
    TargetOut,
    Text,
    Words,
    integral,
    text_or_tokens,
)
from wsd_service.sense_map import (
    DEFAULT_CAP,
    MAX_CAP,
    LegendEntry,
    MapCentroid,
    MapMethod,
    MapPoint,
    NoTrainingVectors,
    SenseMapError,
    map_lemma,
    sense_map,
)
from wsd_service.service import RequestError, Service

_REQUEST = ConfigDict(strict=True, extra="forbid")
CAP_DESCRIPTION = f"at most this many vectors per sense, drawn with a fixed seed (1..{MAX_CAP})"


class MapQuery(BaseModel):
    """A sentence and its target word, to be placed in the map: as in POST /v1/disambiguate."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=text_or_tokens)
    text: Words | None = Field(None, examples=["He sat on the bank of the river."])
    tokens: list[Words] | None = Field(None, json_schema_extra={"minItems": 1})
    target: Target


class SenseMapRequest(BaseModel):
    model_config = _REQUEST
    pos: Pos | None = Field(None, description="POS of the group (default: the lemma's POS with most vectors)")
    index: Text | None = Field(None, description="name of a loaded index (default: the first)")
    method: MapMethod = Field(
        MapMethod.PCA, strict=False, description="pca, or tsne when scikit-learn is installed (fixed seed)"
    )
    cap: Annotated[int, Field(ge=1, le=MAX_CAP), BeforeValidator(integral)] = Field(
        DEFAULT_CAP, description=CAP_DESCRIPTION
    )
    query: MapQuery | None = Field(None, description="a sentence whose target word is placed in the map")


class QueryPointOut(BaseModel):
    x: float
    y: float
    target: TargetOut


class SenseMapOut(BaseModel):
    """Every training vector of one (lemma, POS) group in 2D, the sense centroids, and the query."""

    lemma: str
    pos: str
    index: str
    method: MapMethod
    cap: int = Field(description="vectors shown per sense at most")
    total: int = Field(description="training vectors of the group")
    shown: int = Field(description="points in the map")
    dropped: dict[str, int] = Field(description="per sense, vectors left out by the cap")
    points: list[MapPoint]
    centroids: list[MapCentroid] = Field(description="mean position of each sense's points")
    legend: list[LegendEntry] = Field(description="the senses, most frequent first, with synset and gloss")
    query: QueryPointOut | None = None
    explained: list[float] | None = Field(None, description="PCA: share of the variance on each axis")
    message: str | None = None


def map_answer(service: Service, lemma: str, request: SenseMapRequest) -> SenseMapOut:
    """The map of `lemma` in the request's index; RequestError 404 without training vectors, 422 for a
    method that cannot run or a bad query."""
    disambiguator = service.get(request.index)
    if not normalise_lemma(lemma):
        raise RequestError(422, "lemma is empty; ask for a word such as /v1/senses/bank/map")
    with service.lock:
        name, message = map_lemma(disambiguator, lemma, request.pos)
        vector, target = None, None
        if request.query is not None:
            prepared = service.prepare(_as_disambiguation(request, name))
            vector, target = disambiguator.embed([prepared.query])[0], prepared.target
        try:
            drawn = sense_map(disambiguator, name, request.pos, request.method, request.cap, vector)
        except NoTrainingVectors as err:
            raise RequestError(404, f"{err}; GET /v1/senses/{name} lists its senses") from err
        except SenseMapError as err:
            raise RequestError(422, str(err)) from err
    query = None if drawn.query is None else QueryPointOut(x=drawn.query[0], y=drawn.query[1], target=target)
    return SenseMapOut(
        lemma=drawn.lemma,
        pos=drawn.pos,
        index=drawn.index,
        method=drawn.method,
        cap=drawn.cap,
        total=drawn.total,
        shown=len(drawn.points),
        dropped=drawn.dropped,
        points=drawn.points,
        centroids=drawn.centroids,
        legend=drawn.legend,
        query=query,
        message=message,
        explained=list(drawn.explained) if drawn.explained else None,
    )


def _as_disambiguation(request: SenseMapRequest, lemma: str) -> DisambiguateRequest:
    query = request.query
    try:
        return DisambiguateRequest(
            text=query.text,
            tokens=query.tokens,
            target=query.target,
            lemma=lemma,
            pos=request.pos,
            index=request.index,
        )
    except ValidationError as err:
        raise RequestError(422, f"query: {describe_validation(err.errors())[1]}") from None


def add_sense_map_routes(app: FastAPI, service: Service, errors: Callable[..., dict[int | str, Any]]) -> None:
    """Register GET and POST /v1/senses/{lemma}/map; `errors(*codes)` documents error statuses."""
    ok = {200: {"model": SenseMapOut, "description": "OK"}}

    def reply(lemma: str, request: SenseMapRequest) -> Response:
        answer = map_answer(service, lemma, request)
        return Response(answer.model_dump_json(exclude_none=False), media_type="application/json")

    @app.get(
        "/v1/senses/{lemma}/map",
        response_model=None,
        tags=["inventory"],
        responses={**ok, **errors(404, 422)},
        summary="Sense map: every training vector of a lemma in 2D, colored by sense",
    )
    def get_map(
        lemma: str = PathParam(description="a lemma such as bank"),
        pos: Pos | None = QueryParam(None, description="POS (default: the lemma's POS with most vectors)"),
        index: str | None = QueryParam(None, description="index name (default: the first loaded)"),
        method: MapMethod = QueryParam(
            MapMethod.PCA, description="pca, or tsne when scikit-learn is installed"
        ),
        cap: int = QueryParam(DEFAULT_CAP, ge=1, le=MAX_CAP, description=CAP_DESCRIPTION),
    ) -> Response:
        return reply(lemma, SenseMapRequest(pos=pos, index=index, method=method, cap=cap))

    @app.post(
        "/v1/senses/{lemma}/map",
        response_model=None,
        tags=["inventory"],
        responses={**ok, **errors(400, 404, 413, 422)},
        summary="Sense map with a query sentence placed in it",
    )
    def post_map(
        request: SenseMapRequest, lemma: str = PathParam(description="a lemma such as bank")
    ) -> Response:
        return reply(lemma, request)
