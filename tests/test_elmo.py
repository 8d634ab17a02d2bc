"""The ELMo backend on the tiny fixture model: one vector per token, multi-word pooling, batching,
options, spec round trip and the URL download cache."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from index_builder.backends.base import BackendError, create_backend
from index_builder.backends.elmo import ElmoBackend

FIXTURE = Path(__file__).parent / "fixtures" / "elmo"
OPTIONS, WEIGHTS = str(FIXTURE / "options.json"), str(FIXTURE / "lm_weights.hdf5")


@pytest.fixture(scope="module")
def backend() -> ElmoBackend:
    return ElmoBackend(model=OPTIONS, weights=WEIGHTS, batch_size=4)


def test_one_vector_per_token(backend: ElmoBackend) -> None:
    sentences = [["The", "bank", "was", "closed", "."], ["Hi"], []]
    vectors = backend.embed(sentences)
    assert backend.dim == 32
    assert [v.shape for v in vectors] == [(5, 32), (1, 32), (0, 32)]
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in vectors)


def test_multiword_token_is_mean_of_its_words(backend: ElmoBackend) -> None:
    pooled, words = backend.embed([["It", "took place", "in", "New York City"], ["It", "took", "place", "in",
                                                                                   "New", "York", "City"]])
    np.testing.assert_allclose(pooled[0], words[0], atol=1e-6)
    np.testing.assert_allclose(pooled[1], words[1:3].mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(pooled[2], words[3], atol=1e-6)
    np.testing.assert_allclose(pooled[3], words[4:7].mean(axis=0), atol=1e-6)


def test_sentence_alone_equals_inside_padded_batch(backend: ElmoBackend) -> None:
    sentence = ["The", "river", "bank", "flooded", "."]
    alone = backend.embed([sentence])[0]
    longer = ["A", "much", "longer", "sentence", "that", "pads", "the", "others", "in", "the", "batch", "."]
    batch = [["Short"], sentence, longer, ["Two", "words"], sentence[:2]]
    inside = backend.embed(batch)
    np.testing.assert_allclose(inside[1], alone, atol=1e-4)
    np.testing.assert_allclose(inside[4], backend.embed([sentence[:2]])[0], atol=1e-4)


def test_punctuation_digits_and_non_ascii(backend: ElmoBackend) -> None:
    sentence = ["Café", "naïve", "東京", "123", "3.14", "!", "?", "--", "x" * 80, ""]
    vectors = backend.embed([sentence])[0]
    assert vectors.shape == (len(sentence), 32) and np.isfinite(vectors).all()
    assert len({v.tobytes() for v in vectors}) == len(sentence)


def test_layer_modes() -> None:
    sentences = [["The", "bank", "closed"], ["A", "bank", "of", "snow"]]
    layers = [ElmoBackend(model=OPTIONS, weights=WEIGHTS, layers=str(k)).embed(sentences) for k in range(3)]
    top = ElmoBackend(model=OPTIONS, weights=WEIGHTS).embed(sentences)
    average = ElmoBackend(model=OPTIONS, weights=WEIGHTS, layers="average").embed(sentences)
    for s in range(2):
        np.testing.assert_array_equal(top[s], layers[2][s])
        np.testing.assert_allclose(average[s], np.mean([layers[k][s] for k in range(3)], axis=0), atol=1e-6)
    np.testing.assert_allclose(layers[0][0][1], layers[0][1][1], atol=1e-6)  # layer 0 ignores context
    assert np.abs(layers[2][0][1] - layers[2][1][1]).max() > 1e-3  # the top layer does not


def test_spec_round_trip(backend: ElmoBackend) -> None:
    spec = backend.spec()
    assert spec == {"backend": "elmo", "model": OPTIONS, "weights": WEIGHTS, "layers": "top", "batch_size": 4}
    rebuilt = create_backend(**spec)
    sentences = [["Time", "flies", "like an arrow", "."]]
    np.testing.assert_array_equal(rebuilt.embed(sentences)[0], backend.embed(sentences)[0])


def test_missing_options_are_an_error() -> None:
    with pytest.raises(BackendError, match="no offline default.*model=.*weights="):
        ElmoBackend()
    with pytest.raises(BackendError, match="weights="):
        ElmoBackend(model=OPTIONS)


def test_bad_options_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="not found"):
        ElmoBackend(model=OPTIONS, weights=str(tmp_path / "missing.hdf5"))
    with pytest.raises(BackendError, match="layers"):
        ElmoBackend(model=OPTIONS, weights=WEIGHTS, layers="3")
    with pytest.raises(BackendError, match="batch_size"):
        ElmoBackend(model=OPTIONS, weights=WEIGHTS, batch_size=0)


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the fixture folder quietly and records every requested path."""

    requests: ClassVar[list[str]]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []
    handler = type("Handler", (_CountingHandler,), {"requests": requests})
    serve_fixture = functools.partial(handler, directory=str(FIXTURE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), serve_fixture)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_url_download_is_cached(server: tuple[str, list[str]], tmp_path: Path, backend: ElmoBackend) -> None:
    base_url, requests = server
    options: dict[str, Any] = {
        "model": f"{base_url}/options.json",
        "weights": f"{base_url}/lm_weights.hdf5",
        "cache_dir": tmp_path,
    }
    remote = ElmoBackend(**options)
    assert sorted(requests) == ["/lm_weights.hdf5", "/options.json"]
    assert remote.spec()["model"] == options["model"] and remote.spec()["weights"] == options["weights"]
    assert sorted(p.name.split("-", 1)[1] for p in tmp_path.iterdir()) == ["lm_weights.hdf5", "options.json"]
    sentences = [["The", "bank", "was", "closed", "."]]
    np.testing.assert_array_equal(remote.embed(sentences)[0], backend.embed(sentences)[0])
    again = ElmoBackend(**options)
    assert len(requests) == 2  # the second construction reads the cache only
    np.testing.assert_array_equal(again.embed(sentences)[0], backend.embed(sentences)[0])


def test_url_download_failure_is_an_error(server: tuple[str, list[str]], tmp_path: Path) -> None:
    base_url, _ = server
    with pytest.raises(BackendError, match="cannot download"):
        ElmoBackend(model=f"{base_url}/options.json", weights=f"{base_url}/nope.hdf5", cache_dir=tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith("nope.hdf5") or p.suffix == ".part"]
