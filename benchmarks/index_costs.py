"""What each index costs and what its int8 copy loses: build time, peak memory and vectors per evidence source
(from the folder's manifest, as the builder recorded them), size on disk, and F1 on ALL of the float32 folder
beside an `index-builder compact --vector-type int8` copy, both at the index's tuned settings.

    .venv/bin/python benchmarks/index_costs.py --index indexes/mpnet --index indexes/mpnet-wordnet

Each index's row is merged into --json (default results/index_costs.json) under its name, so indexes can be
measured one at a time. The int8 copies go to a temporary folder and are removed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.backends import create_backend
from index_builder.evidence import vectors_per_source
from index_builder.index_folder import IndexFolder, compact_index
from wsd_service.bench.runner import KnnSystem, QueryVectors, evaluate
from wsd_service.disambiguator import Disambiguator
from wsd_service.loading import index_settings


def folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.iterdir()) / 2**20, 1)


def measure(path: Path, scratch: Path) -> dict[str, Any]:
    """One index's row: manifest facts, sizes, and F1 on ALL of float32 vs int8 at its tuned settings."""
    folder = IndexFolder(path)
    settings = index_settings(folder, {})
    row: dict[str, Any] = {
        "backend": folder.backend_spec,
        "vectors": folder.size,
        "dim": folder.dim,
        "sources": vectors_per_source(folder),
        "build_cost": folder.manifest["build"].get("cost"),
        "tuned": folder.tuned,
        "mb": {"float32": folder_mb(path)},
        "f1_all": {},
    }
    int8 = compact_index(path, scratch / f"{folder.name}-int8", "int8")
    row["mb"]["int8"] = folder_mb(int8)
    backend = create_backend(**folder.backend_spec)
    vectors = None
    for vector_type, where in (("float32", path), ("int8", int8)):
        disambiguator = Disambiguator(IndexFolder(where), backend=backend, settings=settings)
        vectors = vectors or QueryVectors(disambiguator)  # the evaluation sentences are embedded once
        vectors.disambiguator = disambiguator
        system = KnnSystem(disambiguator, settings, vectors)
        row["f1_all"][vector_type] = round(evaluate([system], ["ALL"])[0].score.f1, 2)
    shutil.rmtree(int8)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--index", action="append", type=Path, required=True, help="index folder (repeatable)"
    )
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "index_costs.json")
    args = parser.parse_args()
    table = json.loads(args.json.read_text()) if args.json.is_file() else {}
    with tempfile.TemporaryDirectory(prefix="index-costs-") as scratch:
        for path in args.index:
            name = IndexFolder(path).name
            table[name] = measure(path, Path(scratch))
            row = table[name]
            print(
                f"{name}: {row['vectors']} vectors {row['sources']}, {row['mb']['float32']} MB "
                f"(int8 {row['mb']['int8']} MB), F1 ALL {row['f1_all']['float32']} (int8 {row['f1_all']['int8']}), "
                f"build {row['build_cost']}"
            )
    args.json.write_text(json.dumps(table, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
