"""The 2D projection of a query and its neighbors."""

from __future__ import annotations

import numpy as np
import pytest

from wsd_service.projection import pca_2d


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
