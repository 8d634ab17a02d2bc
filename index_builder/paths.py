"""The one place that knows where the shipped data lives."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

EVAL_DATASETS = ("senseval2", "senseval3", "semeval2007", "semeval2013", "semeval2015", "ALL")
DEV_DATASET = "semeval2007"


@lru_cache(maxsize=1)
def data_dir() -> Path:
    """The project's `data/` folder: beside the packages in a checkout, under `<prefix>/share` in a wheel."""
    candidates = [
        Path(__file__).resolve().parents[1] / "data",
        Path(sys.prefix) / "share" / "wsd-service" / "data",
    ]
    for candidate in candidates:
        if (candidate / "semcor").is_dir():
            return candidate
    raise FileNotFoundError("shipped data not found; looked in " + ", ".join(map(str, candidates)))


def semcor_paths() -> tuple[Path, Path]:
    """(data XML, gold keys) of the shipped SemCor 3.0."""
    folder = data_dir() / "semcor"
    return folder / "semcor.data.xml.gz", folder / "semcor.gold.key.txt.gz"


def eval_paths(dataset: str) -> tuple[Path, Path]:
    """(data XML, gold keys) of one standard evaluation set."""
    if dataset not in EVAL_DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(EVAL_DATASETS)}")
    folder = data_dir() / "eval" / dataset
    return folder / f"{dataset}.data.xml", folder / f"{dataset}.gold.key.txt"


def nltk_data_dir() -> Path:
    return data_dir() / "nltk_data"


def default_cache_dir() -> Path:
    """Where extracted models and downloads are cached (`~/.cache/wsd-service`)."""
    return Path.home() / ".cache" / "wsd-service"
