"""The raw-text tokenizer and the 2D projection helpers of the service."""

from __future__ import annotations

import numpy as np
import pytest

from wsd_service.projection import pca_2d
from wsd_service.tokenize import token_at, tokenize


def test_tokens_and_spans():
    text = "He didn't sit on the river-bank, 2 times!"
    tokens, spans = tokenize(text)
    assert tokens == ["He", "didn't", "sit", "on", "the", "river-bank", ",", "2", "times", "!"]
    assert [text[a:b] for a, b in spans] == tokens


def test_unicode_words():
    tokens, _ = tokenize("Café Straße naïve — ok")
    assert tokens == ["Café", "Straße", "naïve", "—", "ok"]


@pytest.mark.parametrize(("start", "end", "expected"), [(0, 2, 0), (1, 2, 0), (3, 9, 1), (2, 3, None), (40, 50, None)])
def test_token_at(start, end, expected):
    _, spans = tokenize("He didn't")
    assert token_at(spans, start, end) == expected


def test_pca_2d_is_scaled_deterministic_and_handles_degenerate_input():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(11, 16)).astype(np.float32)
    points = pca_2d(rows)
    assert points.shape == (11, 2) and np.abs(points).max() == pytest.approx(1.0)
    np.testing.assert_allclose(pca_2d(rows), points)
    np.testing.assert_allclose(np.abs(pca_2d(-rows)), np.abs(points), atol=1e-6)  # sign fixed per axis
    assert not pca_2d(rows[:1]).any()
    assert not pca_2d(np.repeat(rows[:1], 4, axis=0)).any()
    line = np.outer(np.arange(4), rows[0])  # one direction of variance: the second axis stays 0
    assert not pca_2d(line)[:, 1].any() and pca_2d(line)[:, 0].any()
