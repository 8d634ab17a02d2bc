"""A small rule tokenizer for raw text: words (with inner apostrophes and hyphens), numbers, punctuation."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Tokens of `text` and the character span of each."""
    tokens, spans = [], []
    for match in _TOKEN.finditer(text):
        tokens.append(match.group())
        spans.append(match.span())
    return tokens, spans


def token_at(spans: list[tuple[int, int]], start: int, end: int) -> int | None:
    """Index of the token that the character span [start, end) overlaps first, or None."""
    for i, (lo, hi) in enumerate(spans):
        if lo < end and start < hi:
            return i
    return None
