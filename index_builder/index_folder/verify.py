"""Read and check an index folder's manifest: its schema, then every data file's size and checksum.

Strict on purpose: the manifest must list exactly the files the format needs, so that no edit of the
manifest can switch a check off; every refusal is one IndexFolderError line naming the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from index_builder.index_folder.format import (
    DATA_FILES,
    FORMAT_VERSION,
    MANIFEST,
    OPTIONAL_FILES,
    VECTOR_TYPES,
    IndexFolderError,
    sha256_file,
)

# Field -> type, level by level; a dict value is a nested schema, a type the value's type. Fields not
# named here are allowed (in "backend", "corpus" and "build" they vary with the backend and the builder).
_SCHEMA: dict[str, Any] = {
    "format_version": int,
    "name": str,
    "backend": {"backend": str},
    "dim": int,
    "metric": str,
    "vector_type": str,
    "layout": str,
    "corpus": dict,
    "counts": {
        "sentences": int,
        "instances": int,
        "vectors": int,
        "groups": int,
        "lemmas": int,
        "per_pos": dict,
    },
    "build": {"date": str, "package_version": str},
    "files": dict,
}
_FILE_ENTRY = {"sha256": str, "bytes": int}
_TYPE_NAMES = {int: "an integer", str: "a string", dict: "an object"}


def _has_type(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _check_fields(where: Path, prefix: str, value: dict[str, Any], schema: dict[str, Any]) -> None:
    for field, kind in schema.items():
        label = prefix + field
        if field not in value:
            raise IndexFolderError(f"{where}: manifest has no field {label!r}")
        expected = dict if isinstance(kind, dict) else kind
        if not _has_type(value[field], expected):
            raise IndexFolderError(
                f"{where}: manifest field {label!r} must be {_TYPE_NAMES[expected]}, "
                f"not {json.dumps(value[field])[:40]}"
            )
        if isinstance(kind, dict):
            _check_fields(where, label + ".", value[field], kind)


def check_manifest(manifest: Any, where: Path) -> None:
    """Raise IndexFolderError unless `manifest` has this format's version, fields, types and file list."""
    if not isinstance(manifest, dict):
        raise IndexFolderError(f"{where}: manifest is not a JSON object")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFolderError(
            f"{where}: index format {manifest.get('format_version')!r}, this version reads {FORMAT_VERSION}"
        )
    _check_fields(where, "", manifest, _SCHEMA)
    if manifest["vector_type"] not in VECTOR_TYPES:
        raise IndexFolderError(
            f"{where}: manifest field 'vector_type' is {manifest['vector_type']!r}, "
            f"not one of {', '.join(VECTOR_TYPES)}"
        )
    if manifest["dim"] <= 0:
        raise IndexFolderError(f"{where}: manifest field 'dim' must be positive, not {manifest['dim']}")
    _check_fields(where, "files.", manifest["files"], {name: _FILE_ENTRY for name in DATA_FILES})
    for name in manifest["files"]:
        if name not in DATA_FILES + OPTIONAL_FILES:
            raise IndexFolderError(f"{where}: manifest lists {name!r}, which is no file of this format")
        _check_fields(where, f"files.{name}.", manifest["files"][name], _FILE_ENTRY)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an index folder, checked against the schema (files not yet checked)."""
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
    """Check the manifest and every data file against its size and checksum; return the manifest or raise."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    for name in OPTIONAL_FILES:
        if (folder / name).exists() and name not in manifest["files"]:
            raise IndexFolderError(f"{folder}: file {name} is not in the manifest (added by hand?)")
    for name in manifest["files"]:
        expected = manifest["files"][name]
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
