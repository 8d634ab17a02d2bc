"""A copy of an index folder described as two concatenated 'layers' (the fake backend's 32 dims as 2 x 16),
so that layer views (`--layers 0;1;0,1`) can be tested without a real model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest


def layered_copy(index: Path, out: Path) -> Path:
    shutil.copytree(index, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["backend"].update(combine="concat", layers="0,1")
    manifest["name"] = out.name
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def fake_backend_ignoring_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the Disambiguator rebuild the fake backend from the layered copy's spec."""
    from index_builder.backends import create_backend

    def create(backend: str, **options):
        return create_backend(backend, **{k: v for k, v in options.items() if k not in ("combine", "layers")})

    monkeypatch.setattr("wsd_service.disambiguator.create_backend", create)
