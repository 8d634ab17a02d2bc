"""Error responses of the REST API: every failure is JSON {"detail": "<what to fix>"}, never a traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wsd_service.service import RequestError

log = logging.getLogger(__name__)

EXAMPLE = '{"text": "He sat on the bank of the river.", "target": {"start": 14, "end": 18}}'


class ErrorResponse(JSONResponse):
    """JSON with non-ASCII escaped, so that no input character can break the encoding of an error."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def error(status: int, message: str) -> ErrorResponse:
    return ErrorResponse({"detail": message}, status_code=status)


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets the API's JSON 413. A declared Content-Length over
    the limit is refused before anything is read; a streamed body fails as soon as it passes the limit.
    (Starlette's own limit answers a declared length with plain text, whatever the app's error handlers say.)"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def message(self) -> str:
        return (
            f"the request body is too large (the limit is {self.max_bytes} bytes); send a shorter text or "
            "fewer batch items"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await error(413, self.message())(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise StarletteHTTPException(413, self.message())  # answered by the handler below, as JSON
            return message

        await self.app(scope, limited, send)


def _where(loc: Sequence[Any]) -> str:
    """("body", "items", 3, "target", "index") -> "items[3].target.index"; query/path params named."""
    parts = list(loc)
    prefix = ""
    if parts and parts[0] in ("query", "path", "header"):
        prefix = f"{parts.pop(0)} parameter "
    elif parts and parts[0] == "body":
        parts.pop(0)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return prefix + out if out else ""


def _message(err: dict[str, Any]) -> str:
    kind, msg = err.get("type", ""), str(err.get("msg", "invalid value"))
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif kind == "missing":
        msg = "is required"
    elif kind == "extra_forbidden":
        msg = "is not a known field (check its spelling; see /docs)"
    return msg


def describe_validation(errors: Sequence[dict[str, Any]]) -> tuple[int, str]:
    """One readable line (and the status) for pydantic's error list."""
    for err in errors:
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "not JSON")
            return 400, f"the request body is not valid JSON ({reason}); send a JSON object such as {EXAMPLE}"
    parts = []
    for err in errors:
        where = _where(err.get("loc", ()))
        if not where and err.get("type") == "missing":
            return 422, f"the request body is missing; send a JSON object such as {EXAMPLE}"
        if not where and err.get("type") in ("model_attributes_type", "dict_type", "model_type"):
            return 422, f"the request body must be a JSON object such as {EXAMPLE}"
        message = _message(err)
        parts.append(f"{where}: {message}" if where else message)
    return 422, "; ".join(dict.fromkeys(parts)) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Map validation errors, service errors, HTTP errors and anything unexpected to {"detail": ...}."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> ErrorResponse:
        status, message = describe_validation(exc.errors())
        return error(status, message)

    @app.exception_handler(RequestError)
    async def _request(request: Request, exc: RequestError) -> ErrorResponse:
        return error(exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ErrorResponse:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}; the API is described at /docs"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}; the API is described at /docs"
        response = error(exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ErrorResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error(500, "internal error; the service log has the details")
