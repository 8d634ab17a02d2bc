"""The OpenAPI document with the app's own size limits, so that the schema is as strict as the server: the
longest text (`maxLength`) and the most batch items (`maxItems`); beyond them the server answers 413."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from wsd_service.settings import Limits


def _string(schema: dict[str, Any]) -> dict[str, Any]:
    """The string branch of a property's schema (itself, or the string member of its anyOf)."""
    return next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "string")


def add_limits(app: FastAPI, limits: Limits) -> None:
    """Make `app.openapi()` state `limits` in the request schemas."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            models = generate()["components"]["schemas"]
            for name in ("DisambiguateRequest", "AnnotateRequest"):
                _string(models[name]["properties"]["text"])["maxLength"] = limits.max_text_chars
            models["BatchRequest"]["properties"]["items"]["maxItems"] = limits.max_batch_items
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema
