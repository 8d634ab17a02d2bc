"""Test helper: two index folders hold the same index, byte for byte (only the build's date and engine may
differ)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

TABLES = ("sentences", "vectors", "groups", "word_tags")


def table_rows(folder: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(folder / "metadata.sqlite")
    try:
        return {table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in TABLES}
    finally:
        db.close()


def manifest_without_date(folder: Path) -> dict:
    """The manifest without what may differ between two builds of one index: the date, the engine and the cost."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["build"].pop("date")
    manifest["build"].pop("engine", None)
    manifest["build"].pop("cost", None)  # time, memory and reuse differ from run to run
    manifest["files"].pop("metadata.sqlite")  # SQLite bytes may differ with equal rows; rows are compared
    return manifest


def assert_same_index(got: Path, want: Path) -> None:
    assert (got / "vectors.faiss").read_bytes() == (want / "vectors.faiss").read_bytes()
    got_rows, want_rows = table_rows(got), table_rows(want)
    for table in TABLES:
        assert got_rows[table] == want_rows[table], f"table {table} differs"
    assert manifest_without_date(got) == manifest_without_date(want)
