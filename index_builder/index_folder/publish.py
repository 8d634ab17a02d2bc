"""Crash-safe writing: files that are either absent or whole, and folders published by one rename."""

from __future__ import annotations

import ctypes
import os
import shutil
from pathlib import Path

from index_builder.index_folder.format import MANIFEST, IndexFolderError


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that it is either absent or whole, even after a crash."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def staging_folder(out: Path) -> Path:
    """A fresh, empty folder beside `out` (same file system) to write a new index into before `publish`."""
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def refuse_non_index(out: Path) -> None:
    """Raise unless `out` is absent or an index folder (something `publish` may replace)."""
    if out.exists() and not (out / MANIFEST).is_file():
        raise IndexFolderError(f"{out} exists and is not an index folder; refusing to replace it")


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where the system lacks it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, bytes(a), at_fdcwd, bytes(b), rename_exchange) == 0


def publish(tmp: Path, out: Path) -> None:
    """Make the finished folder appear at `out` in one rename; an old index there stays whole until then."""
    if not out.exists():
        os.rename(tmp, out)
        return
    refuse_non_index(out)
    if _exchange(tmp, out):
        shutil.rmtree(tmp)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old)
