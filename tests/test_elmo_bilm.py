"""Parity of the PyTorch ELMo biLM with the reference activations of the original implementation
(tests/fixtures/elmo; data/README.md says where it comes from), and the ELMo character ids."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from index_builder.backends.elmo_bilm import (
    MAX_CHARS,
    ElmoBiLm,
    LstmState,
    batch_char_ids,
    word_char_ids,
)

pytestmark = pytest.mark.slow  # a real model (the tiny ELMo fixture) needs torch: seconds to import

FIXTURE = Path(__file__).parent / "fixtures" / "elmo"
ATOL = 2e-6  # observed max abs error: ~1e-6 (float32 rounding)


def load_bilm() -> ElmoBiLm:
    return ElmoBiLm.from_files(FIXTURE / "options.json", FIXTURE / "lm_weights.hdf5")


@pytest.fixture(scope="module")
def bilm() -> ElmoBiLm:
    return load_bilm()


@pytest.fixture(scope="module")
def sentences() -> list[list[list[str]]]:
    lists = json.loads((FIXTURE / "sentences.json").read_text(encoding="utf-8"))
    return [[s.split() for s in sentence_list] for sentence_list in lists]


def expected_top(k: int, i: int) -> np.ndarray:
    """Sentence i of list k: [2, n, 16] forward/backward halves -> (n, 32)."""
    with h5py.File(FIXTURE / f"lm_embeddings_{k}.hdf5", "r") as f:
        halves = f[str(i)][...]
    return np.concatenate([halves[0], halves[1]], axis=-1)


def run_reference_batches(model: ElmoBiLm, sentences: list[list[list[str]]]) -> float:
    """The original check: batches of 3 (i-th sentence of each list), LSTM state carried from batch to batch
    as the stateful original did when it wrote the fixture. Returns the max abs error of the top layer."""
    worst = 0.0
    state: list[LstmState] | None = None
    for i in range(len(sentences[0])):
        batch = [sentences[k][i] for k in range(3)]
        ids, lengths = batch_char_ids(batch)
        with torch.inference_mode():
            layers, state = model(ids, lengths, state)
        for k, sentence in enumerate(batch):
            top = layers[-1, k, 1 : len(sentence) + 1].numpy()
            assert top.shape == expected_top(k, i).shape
            worst = max(worst, float(np.abs(top - expected_top(k, i)).max()))
    return worst


def test_top_layer_matches_reference(bilm: ElmoBiLm, sentences: list[list[list[str]]]) -> None:
    assert run_reference_batches(bilm, sentences) <= ATOL


def test_first_batch_matches_without_state(bilm: ElmoBiLm, sentences: list[list[list[str]]]) -> None:
    """The service runs stateless: the first reference batch (zero initial state) must match that way."""
    batch = [sentences[k][0] for k in range(3)]
    for k, layers in enumerate(bilm.sentence_layers(batch)):
        assert layers.shape == (3, len(batch[k]), 32)
        np.testing.assert_allclose(layers[2], expected_top(k, 0), rtol=0, atol=ATOL)


def test_char_encoder_matches_reference_token_embeddings(bilm: ElmoBiLm) -> None:
    words = (FIXTURE / "vocab_test.txt").read_text(encoding="utf-8").splitlines()
    with h5py.File(FIXTURE / "elmo_token_embeddings.hdf5", "r") as f:
        expected = f["embedding"][...]
    with torch.inference_mode():
        got = bilm.char_encoder(torch.tensor([[word_char_ids(w) for w in words]]))[0].numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


def test_layer0_is_token_vector_twice(bilm: ElmoBiLm) -> None:
    words = ["The", "cat", "sat", "."]
    layers = bilm.sentence_layers([words])[0]
    with torch.inference_mode():
        tokens = bilm.char_encoder(torch.tensor([[word_char_ids(w) for w in words]]))[0].numpy()
    np.testing.assert_allclose(layers[0], np.concatenate([tokens, tokens], axis=-1), rtol=0, atol=1e-6)


def test_perturbed_weight_breaks_parity(sentences: list[list[list[str]]]) -> None:
    """The parity check can fail: one changed LSTM weight moves the top layer far beyond tolerance."""
    model = load_bilm()
    with torch.no_grad():
        model.directions[model.n_layers + 1].w[0, 0] += 0.5  # backward direction, top layer
    assert run_reference_batches(model, sentences) > 100 * ATOL


def test_padded_batch_equals_single(bilm: ElmoBiLm, sentences: list[list[list[str]]]) -> None:
    short, long_ = sentences[0][3], sentences[0][1]  # 3 and 51 words
    alone = bilm.sentence_layers([short])[0]
    batched = bilm.sentence_layers([long_, short, ["x"]])[1]
    np.testing.assert_allclose(batched, alone, rtol=0, atol=1e-5)


def test_char_ids_of_a_word() -> None:
    ids = word_char_ids("ab")
    assert len(ids) == MAX_CHARS
    assert ids[:4] == [259, ord("a") + 1, ord("b") + 1, 260]  # begin-of-word, bytes, end-of-word (+1)
    assert set(ids[4:]) == {261}  # in-token padding


def test_char_ids_of_sentence_markers() -> None:
    assert word_char_ids("<S>")[:4] == [259, 257, 260, 261]
    assert word_char_ids("</S>")[:4] == [259, 258, 260, 261]


def test_char_ids_non_ascii_are_utf8_bytes() -> None:
    ids = word_char_ids("é東")
    assert ids[:7] == [259, 0xC3 + 1, 0xA9 + 1, 0xE6 + 1, 0x9D + 1, 0xB1 + 1, 260]


def test_char_ids_truncate_long_words() -> None:
    ids = word_char_ids("x" * 60)
    assert len(ids) == MAX_CHARS
    assert ids[1:49] == [ord("x") + 1] * 48 and ids[49] == 260
    assert word_char_ids("x" * 48) == ids


def test_batch_char_ids_pads_with_zero() -> None:
    ids, lengths = batch_char_ids([["a", "b", "c"], ["d"]])
    assert ids.shape == (2, 5, MAX_CHARS) and lengths.tolist() == [5, 3]
    assert ids[1, 0].tolist() == word_char_ids("<S>") and ids[1, 2].tolist() == word_char_ids("</S>")
    assert int(ids[1, 3:].abs().sum()) == 0
