"""The decision settings chosen for one index (`tuned.json`), written into the folder and listed in its
manifest with their checksum, so a served index carries its own best settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from index_builder.index_folder.format import MANIFEST, TUNED, sha256_file
from index_builder.index_folder.publish import write_atomic
from index_builder.index_folder.verify import read_manifest


def write_tuned(folder: Path, settings: dict[str, Any], chosen_by: dict[str, Any]) -> Path:
    """Store `settings` (and how they were chosen) in the folder; the manifest is rewritten last."""
    manifest = read_manifest(folder)
    path = folder / TUNED
    write_atomic(path, json.dumps({"settings": settings, "chosen_by": chosen_by}, indent=2).encode())
    manifest["files"][TUNED] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2).encode())
    return path


def read_tuned(folder: Path, manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The stored settings (already verified with the folder), or None when the index has none."""
    if TUNED not in manifest["files"]:
        return None
    return json.loads((folder / TUNED).read_text(encoding="utf-8"))
