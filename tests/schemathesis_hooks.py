"""schemathesis hooks for this API (schemathesis.toml loads them, for `st run` and tests/test_api_schema.py).

The schema states every rule JSON Schema can express, so a request it allows may be refused only by a rule
across fields, which JSON Schema cannot state: a span inside the text with end > start, over a word, a token
number below the sentence's length, the total length of `tokens`. schemathesis.toml lets a schema-valid
request be answered 413 or 422, and this check then demands that the refusal names one of those rules: any
other refusal of a schema-valid request is a rule missing from the schema, and fails."""

from __future__ import annotations

import schemathesis

# The messages of the cross-field rules (wsd_service/service.py, wsd_service/api/schemas.py).
CROSS_FIELD_RULES = (
    "is out of range: the sentence has",  # target.index beyond the tokens
    "is outside the text",  # span end beyond the text
    "covers no word of the text",  # span over spaces only
    "must be greater than start",  # span end <= start
    "characters; the limit is",  # tokens: their total length over the limit (413)
)


@schemathesis.check
def refused_only_by_cross_field_rules(ctx, response, case) -> bool | None:
    """A schema-valid request refused with 413/422 must name a rule across fields."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (413, 422):
        return None
    detail = response.json().get("detail", "")
    if not any(rule in detail for rule in CROSS_FIELD_RULES):
        raise AssertionError(f"schema-valid request refused by a rule the schema does not state: {detail}")
    return None
