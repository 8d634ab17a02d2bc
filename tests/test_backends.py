"""The contract every embedding backend keeps, run on each of them: the deterministic fake backend (fast), the
tiny real ELMo of tests/fixtures/elmo, the real MiniLM (bert) and the real Flair news LMs (slow); and the
template method of the base class."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

from index_builder.backends import BackendError, EmbeddingBackend, backend_names, create_backend
from index_builder.backends.fake import FakeBackend
from index_builder.errors import WsdError

FIXTURE = Path(__file__).parent / "fixtures" / "elmo"
SHORT = ["The", "bank", "raised", "its", "rates", "."]
MIXED = ["naïve", "café", "1984", "!!", "--", "U.S.", "\x00", "\u200b", ""]
LONGER = [
    "a",
    "much",
    "longer",
    "sentence",
    "about",
    "the",
    "river",
    "bank",
    "and",
    "the",
    "money",
    "bank",
    "that",
    "pads",
    "the",
    "others",
    ".",
]
BATCH = [SHORT, LONGER, MIXED, ["x"], [], ["It", "took place", "in", "New York City", "."], SHORT[:2]]

# Options that change the vectors, per backend (they go into the spec).
VECTOR_OPTIONS: dict[str, dict[str, Any]] = {
    "fake": {"dim": 24, "window": 3},
    "elmo": {"model": str(FIXTURE / "options.json"), "weights": str(FIXTURE / "lm_weights.hdf5")},
    "bert": {},
    "flair": {},
}


class Case(NamedTuple):
    backend: EmbeddingBackend
    runtime: dict[str, Any]  # options that leave the vectors alone and so stay out of the spec


@pytest.fixture(
    scope="session",
    params=[
        "fake",
        pytest.param("elmo", marks=pytest.mark.slow),  # a real model, tiny, but torch takes seconds to import
        pytest.param("bert", marks=pytest.mark.slow),
        pytest.param("flair", marks=pytest.mark.slow),
    ],
)
def case(request: pytest.FixtureRequest) -> Case:
    """Each backend with a small batch size (so that a test's sentences span several batches); the models on
    1 thread (the test machine is shared), the fake backend without loading torch at all."""
    runtime: dict[str, Any] = {"batch_size": 2} | ({} if request.param == "fake" else {"threads": 1})
    if request.param == "flair":
        runtime["cache_dir"] = str(request.getfixturevalue("flair_cache"))
    return Case(create_backend(request.param, **VECTOR_OPTIONS[request.param], **runtime), runtime)


def test_one_float32_vector_per_token(case: Case) -> None:
    backend = case.backend
    out = backend.embed([SHORT, MIXED, []])
    assert backend.dim > 0
    assert [v.shape for v in out] == [(6, backend.dim), (9, backend.dim), (0, backend.dim)]
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in out)
    assert all(np.abs(v).sum(axis=1).min() > 0 for v in out[:2])  # no token left as a zero vector
    assert backend.embed([]) == []


def test_multiword_token_is_mean_of_its_words(case: Case) -> None:
    pooled, words = case.backend.embed(
        [
            ["It", "took place", "in", "New York City", "."],
            ["It", "took", "place", "in", "New", "York", "City", "."],
        ]
    )
    np.testing.assert_allclose(pooled[1], (words[1] + words[2]) / 2, atol=1e-6)
    np.testing.assert_allclose(pooled[3], words[4:7].mean(axis=0), atol=1e-6)
    np.testing.assert_array_equal(pooled[[0, 2, 4]], words[[0, 3, 7]])  # the same words, split the same way


def test_sentence_alone_equals_inside_a_padded_batch(case: Case) -> None:
    together = case.backend.embed(BATCH)
    for sentence, vectors in zip(BATCH, together, strict=True):
        np.testing.assert_allclose(case.backend.embed([sentence])[0], vectors, atol=1e-4)


def test_input_order_is_kept(case: Case) -> None:
    forward = case.backend.embed(BATCH)
    backward = case.backend.embed(BATCH[::-1])[::-1]
    assert [len(v) for v in forward] == [len(s) for s in BATCH]
    for a, b in zip(forward, backward, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_context_matters(case: Case) -> None:
    river, money = case.backend.embed([["the", "river", "bank"], ["the", "savings", "bank"]])
    assert not np.allclose(river[2], money[2], atol=1e-3)


def test_spec_round_trip(case: Case) -> None:
    spec = json.loads(json.dumps(case.backend.spec()))
    assert spec["backend"] == case.backend.name
    assert not set(spec) & {"batch_size", "threads", "cache_dir"}  # they do not change the vectors
    rebuilt = create_backend(**spec, **case.runtime)
    assert rebuilt.spec() == spec
    for a, b in zip(case.backend.embed(BATCH), rebuilt.embed(BATCH), strict=True):
        np.testing.assert_array_equal(a, b)


def test_batch_size_does_not_change_vectors(case: Case) -> None:
    other = create_backend(**case.backend.spec(), **case.runtime | {"batch_size": 5})
    for a, b in zip(case.backend.embed(BATCH), other.embed(BATCH), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_bad_options_are_a_backend_error(case: Case) -> None:
    options = VECTOR_OPTIONS[case.backend.name] | case.runtime
    with pytest.raises(BackendError, match="batch_size"):
        create_backend(case.backend.name, **options | {"batch_size": 0})
    with pytest.raises(BackendError, match="colour"):
        create_backend(case.backend.name, **options, colour="red")


# -- the base class ------------------------------------------------------------------------------------


def test_backend_error_is_the_projects_own_error() -> None:
    assert issubclass(BackendError, WsdError) and not issubclass(BackendError, ValueError)
    assert {"bert", "elmo", "fake", "flair"} <= set(backend_names())
    with pytest.raises(BackendError, match="unknown backend 'nope'; choose from bert, elmo, fake, flair"):
        create_backend("nope")


class _Broken(FakeBackend):
    """A backend with a bug in its word step: `fault` says which."""

    def __init__(self, fault: str) -> None:
        super().__init__()
        self.fault = fault

    def _embed_words(self, batch: list[list[str]]) -> list[np.ndarray]:
        good = super()._embed_words(batch)
        if self.fault == "row":
            return [v[1:] for v in good]
        if self.fault == "dtype":
            return [v.astype(np.float64) for v in good]
        return good[1:]


@pytest.mark.parametrize("fault", ["row", "dtype", "sentence"])
def test_a_wrong_shape_from_a_backend_is_a_bug_not_a_user_error(fault: str) -> None:
    with pytest.raises(RuntimeError, match="fake: ") as raised:
        _Broken(fault).embed([SHORT, ["a", "b"]])
    assert not isinstance(raised.value, WsdError)


def test_sentences_are_batched_by_length() -> None:
    backend = FakeBackend(batch_size=2)
    assert backend.sentence_batches([["a"] * 3, [], ["a"], ["a"] * 5, ["a"] * 2]) == [[2, 4], [0, 3]]
    assert backend.sentence_batches([[], []]) == []
