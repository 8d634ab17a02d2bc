"""Open the index folders a service serves, each with its own embedder (shared between identical specs)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from index_builder.backends import EmbeddingBackend, create_backend
from index_builder.build import BuildSettings, build_index
from index_builder.evidence import evidence_corpora
from index_builder.index_folder import IndexFolder, IndexFolderError
from index_builder.paths import semcor_paths
from wsd_service.disambiguator import Disambiguator
from wsd_service.settings import DEFAULT_EVIDENCE, Settings

RUNTIME_OPTIONS = ("threads", "batch_size")  # backend options that apply when serving, not only building


def build_missing_index(folder: Path, options: dict[str, Any]) -> None:
    """Build the default index into `folder`: the default bert backend over the shipped SemCor and WordNet's
    examples and glosses (progress bar on stderr)."""
    print(
        f"wsd: {folder} does not exist; building it from SemCor and WordNet ({', '.join(DEFAULT_EVIDENCE)}) "
        "with the default bert backend (once; a killed build resumes)",
        file=sys.stderr,
    )
    settings = BuildSettings(*semcor_paths(), out=folder, extra=evidence_corpora(DEFAULT_EVIDENCE))
    build_index(create_backend("bert", **options), settings, progress=True)


def index_settings(folder: IndexFolder, overrides: dict[str, Any]) -> Settings:
    """An index's decision settings: those tuned for it (`wsd bench --tune`) or the defaults, then the
    caller's overrides."""
    tuned = folder.tuned["settings"] if folder.tuned else {}
    return Settings(**{**tuned, **overrides})


def load_indexes(
    folders: list[Path],
    overrides: dict[str, Any] | None = None,
    build_missing: bool = False,
    options: dict[str, Any] | None = None,
) -> dict[str, Disambiguator]:
    """Verified indexes by name, each with its own backend (shared between identical specs) and its own
    settings (tuned, else defaults; `overrides` win).

    Raises IndexFolderError with a one-line message for a missing, altered or duplicate index."""
    options = options or {}
    runtime = {k: v for k, v in options.items() if k in RUNTIME_OPTIONS}
    loaded: dict[str, Disambiguator] = {}
    backends: dict[str, EmbeddingBackend] = {}
    for folder in folders:
        if build_missing and not folder.exists():
            build_missing_index(folder, options)
        if not folder.exists():
            raise IndexFolderError(
                f"{folder}: no such index folder; build it with `make serve`, `wsd serve "
                f"--build-missing` or `index-builder build --backend bert --evidence {','.join(DEFAULT_EVIDENCE)} "
                f"--out {folder}`"
            )
        try:
            index = IndexFolder(folder)
        except (RuntimeError, sqlite3.Error) as err:  # unreadable despite matching checksums
            raise IndexFolderError(f"{folder}: cannot open the index ({err})") from err
        if index.name in loaded:
            raise IndexFolderError(
                f"two indexes are named {index.name!r} ({loaded[index.name].folder.path} and "
                f"{folder}); rebuild one with index-builder build --name"
            )
        spec = {**index.backend_spec, **runtime}
        key = json.dumps(spec, sort_keys=True)
        if key not in backends:
            backends[key] = create_backend(**spec)
        settings = index_settings(index, overrides or {})
        loaded[index.name] = Disambiguator(index, backend=backends[key], settings=settings)
    return loaded
