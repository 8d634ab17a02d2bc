"""What is particular to the fake backend (the shared contract is in test_backends.py): its vectors are fixed
by the word and its neighbors alone, so that nearest neighbors over them mean something; no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from index_builder.backends import BackendError, create_backend
from index_builder.backends.fake import FakeBackend, neighbor_means, word_vectors


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_word_vectors_are_fixed_by_the_lower_cased_word() -> None:
    rows = word_vectors(["Bank", "bank", "river"], 8)
    assert rows.shape == (3, 8) and np.abs(rows).max() <= 1
    np.testing.assert_array_equal(rows[0], rows[1])
    assert not np.allclose(rows[1], rows[2])
    # Pinned: the same on every machine and in every run (read from the word's SHAKE-128 hash).
    assert word_vectors(["BANK"], 2).tolist() == [[-0.8109829281456769, 0.5061413887888193]]


def test_neighbor_means_within_the_window() -> None:
    rows = np.arange(10, dtype=np.float64).reshape(5, 2)
    means = neighbor_means(rows, 1)
    np.testing.assert_array_equal(means[0], rows[1])
    np.testing.assert_array_equal(means[2], (rows[1] + rows[3]) / 2)
    np.testing.assert_array_equal(neighbor_means(rows, 0), np.zeros_like(rows))
    np.testing.assert_array_equal(neighbor_means(rows[:1], 3), np.zeros((1, 2)))


def test_a_vector_is_the_word_plus_its_weighted_context() -> None:
    backend = FakeBackend(dim=16, context=0.25, window=1)
    sentence = ["the", "river", "bank", "flooded"]
    own = word_vectors(sentence, 16)
    expected = own[2] + 0.25 * (own[1] + own[3]) / 2
    np.testing.assert_allclose(backend.embed([sentence])[0][2], expected, atol=1e-6)
    no_context = FakeBackend(dim=16, context=0).embed([sentence])[0]
    np.testing.assert_allclose(no_context, own, atol=1e-6)


def test_nearest_neighbors_follow_word_and_context() -> None:
    backend = FakeBackend()
    river, river2, money, other = (
        v[2]
        for v in backend.embed(
            [
                ["the", "river", "bank", "flooded", "fields"],
                ["a", "river", "bank", "flooded", "again"],
                ["the", "savings", "bank", "raised", "rates"],
                ["the", "river", "road", "flooded", "fields"],
            ]
        )
    )
    assert _cos(river, river2) > _cos(river, money) > _cos(river, other)


def test_options_change_the_vectors_and_the_spec() -> None:
    sentence = [["the", "river", "bank", "flooded", "the", "fields"]]
    default = FakeBackend()
    assert default.spec() == {"backend": "fake", "dim": 32, "context": 0.5, "window": 2}
    base = default.embed(sentence)[0]
    for options in ({"context": 0.1}, {"window": 1}):
        backend = create_backend("fake", **options)
        assert backend.spec() == default.spec() | options
        assert not np.array_equal(backend.embed(sentence)[0], base)
    assert create_backend("fake", dim=8).embed(sentence)[0].shape == (6, 8)


@pytest.mark.parametrize(
    "options", [{"dim": 0}, {"window": -1}, {"context": -0.5}, {"context": float("nan")}]
)
def test_bad_options(options: dict[str, float]) -> None:
    with pytest.raises(BackendError, match="fake"):
        create_backend("fake", **options)


def test_no_torch_is_loaded() -> None:
    code = (
        "import sys; from index_builder.backends import create_backend; "
        "import index_builder.backends.bert; "  # a model backend's module loads torch only with its model
        "create_backend('fake', batch_size=4, threads=1).embed([['a', 'b took'], []]); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
