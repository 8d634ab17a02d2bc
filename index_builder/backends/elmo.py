"""ELMo backend: the biLM of `elmo_bilm` from an options.json + weights.hdf5 pair (local paths or URLs,
downloaded once into the cache), one layer or the mean of the layers per word."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from index_builder import paths
from index_builder.backends import base
from index_builder.backends.elmo_bilm import ElmoBiLm

_NO_DEFAULT = (
    "ELMo has no offline default weights: pass model=<options.json path or URL> and "
    "weights=<weights.hdf5 path or URL> (optionally layers=top|average|0|1|2, batch_size, threads, cache_dir)"
)


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def fetch(location: str, cache_dir: Path) -> Path:
    """A local file for `location`: the path itself, or the URL downloaded once into `cache_dir`
    (temp file then atomic rename; a cached copy is reused without touching the network)."""
    if not _is_url(location):
        path = Path(location).expanduser()
        if not path.is_file():
            raise base.BackendError(f"elmo: file not found: {location}")
        return path
    basename = PurePosixPath(urllib.parse.urlsplit(location).path).name or "download"
    target = cache_dir / f"{hashlib.sha256(location.encode()).hexdigest()[:16]}-{basename}"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(location, timeout=60) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise base.BackendError(f"elmo: cannot download {location}: {err}") from err
    return target


@base.register("elmo")
class ElmoBackend(base.EmbeddingBackend):
    """ELMo word vectors (2 * projection_dim): the top biLM layer by default, as in the paper."""

    def __init__(
        self,
        model: str | None = None,
        weights: str | None = None,
        layers: str | int = "top",
        batch_size: int = 32,
        threads: int | None = None,
        cache_dir: str | Path | None = None,
    ) -> None:
        if not model or not weights:
            raise base.BackendError(_NO_DEFAULT)
        super().__init__(batch_size, threads)
        cache = Path(cache_dir) if cache_dir else paths.default_cache_dir() / "elmo"
        self._model = model if _is_url(model) else str(Path(model).expanduser().resolve())
        self._weights = weights if _is_url(weights) else str(Path(weights).expanduser().resolve())
        options_path, weights_path = fetch(model, cache), fetch(weights, cache)
        try:
            self.bilm = ElmoBiLm.from_files(options_path, weights_path)
        except (OSError, KeyError, ValueError) as err:
            raise base.BackendError(f"elmo: cannot load {model} + {weights}: {err}") from err
        self._layers = str(layers)
        n_layers = self.bilm.n_layers + 1
        if self._layers not in ("top", "average", *map(str, range(n_layers))):
            raise base.BackendError(
                f"elmo: layers must be top, average or an index 0..{n_layers - 1}, not {layers!r}"
            )

    @property
    def dim(self) -> int:
        return self.bilm.output_dim

    def spec(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self._model,
            "weights": self._weights,
            "layers": self._layers,
        }

    def _select(self, activations: np.ndarray) -> np.ndarray:
        """(n_layers + 1, n_words, dim) -> (n_words, dim) for the chosen layer mode."""
        if self._layers == "average":
            return activations.mean(axis=0)
        return activations[-1 if self._layers == "top" else int(self._layers)]

    def _embed_words(self, batch: list[list[str]]) -> list[np.ndarray]:
        return [self._select(activations) for activations in self.bilm.sentence_layers(batch)]
