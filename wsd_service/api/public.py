"""What the API shows of an index: its manifest without the paths of the machine that built or serves it.

Manifests may name files: a backend built from a local model folder or LM files records their absolute
paths, and indexes compacted by older versions recorded the source folder. Every absolute path in a
manifest's strings (also inside comma-separated lists) is shown as its last part only."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Any


def _name_only(text: str) -> str:
    """An absolute path reduced to its last part ("/home/me/lm.pt" -> "lm.pt"); anything else unchanged."""
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or text.startswith("~"):
        return PureWindowsPath(text).name  # splits on "/" and "\\" alike
    return text


def without_paths(value: Any) -> Any:
    """A copy of a JSON value whose strings hold no absolute path."""
    if isinstance(value, dict):
        return {key: without_paths(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_paths(item) for item in value]
    if isinstance(value, str):
        return ",".join(_name_only(part) for part in value.split(","))
    return value
