"""Read and check an index folder's manifest, then every data file's size and checksum."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from index_builder.index_folder.format import FORMAT_VERSION, MANIFEST, IndexFolderError, sha256_file


def check_manifest(manifest: Any, where: Path) -> None:
    """Raise IndexFolderError unless `manifest` is of this format's version."""
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFolderError(
            f"{where}: index format {manifest.get('format_version')!r}, this version reads {FORMAT_VERSION}"
        )


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an index folder (files not yet checked)."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise IndexFolderError(f"{folder}: not an index folder (no such directory)")
    if not path.is_file():
        raise IndexFolderError(f"{folder}: not an index folder (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IndexFolderError(f"{path}: manifest is not valid JSON ({err})") from err
    check_manifest(manifest, path)
    return manifest


def verify(folder: str | Path) -> dict[str, Any]:
    """Check every file against the manifest's sizes and checksums; return the manifest or raise."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise IndexFolderError(f"{folder}: file {name} is missing")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise IndexFolderError(
                f"{folder}: file {name} has {size} bytes, manifest says {expected['bytes']}"
            )
        if sha256_file(path) != expected["sha256"]:
            raise IndexFolderError(f"{folder}: file {name} does not match its checksum (altered or corrupt)")
    return manifest
