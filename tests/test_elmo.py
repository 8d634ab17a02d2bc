"""What is particular to the ELMo backend, on the tiny fixture model: layer modes, options, the spec and the
URL download cache. The behaviour every backend shares is in test_backends.py."""

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

pytestmark = pytest.mark.slow  # a real model (the tiny ELMo fixture) needs torch: seconds to import

FIXTURE = Path(__file__).parent / "fixtures" / "elmo"
OPTIONS, WEIGHTS = str(FIXTURE / "options.json"), str(FIXTURE / "lm_weights.hdf5")


@pytest.fixture(scope="module")
def backend() -> ElmoBackend:
    return ElmoBackend(model=OPTIONS, weights=WEIGHTS, batch_size=4)


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


def test_spec(backend: ElmoBackend) -> None:
    assert backend.spec() == {"backend": "elmo", "model": OPTIONS, "weights": WEIGHTS, "layers": "top"}
    assert create_backend(**backend.spec(), batch_size=8).spec() == backend.spec()


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
    # shutdown() waits for serve_forever's next poll: every 0.05 s, not the default 0.5 s
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
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
