"""Index build speed and size: the builder next to the bare backend, peak memory, compact forms.

    .venv/bin/python benchmarks/build_speed.py                 # full SemCor, default bert backend
    .venv/bin/python benchmarks/build_speed.py --limit-docs 20 # a quick run

1. bare: the backend's `embed()` alone over the annotated sentences, in the batches the builder uses
   (by length within each shard), timed in this process;
2. build: `build_index` over the same corpus with the same loaded backend, in this process: wall time and
   sentences/s, so the builder's own cost (corpus check, shards, assembly, checksums) shows as build/bare;
   then the process's peak RSS (model + build);
3. size of the folder in float32 and as `index-builder compact` float16 / int8 copies;
4. the compact forms' effect on accuracy: F1 on ALL with the service defaults, side by side.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.backends import EmbeddingBackend, create_backend, set_threads
from index_builder.build import BuildSettings, build_index, peak_rss_mb
from index_builder.corpus import read_corpus
from index_builder.index_folder import IndexFolder
from index_builder.paths import semcor_paths
from index_builder.shards import plan_shards
from index_builder.validate import validate_corpus
from wsd_service.bench.runner import KnnSystem, QueryVectors, evaluate
from wsd_service.disambiguator import Disambiguator, Settings


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 2**20


def bare_rate(backend: EmbeddingBackend, limit_docs: int | None, shard: int, batch: int) -> tuple[float, int]:
    """Seconds the backend alone takes over the annotated sentences, batched as the builder batches them."""
    backend.embed([["warm", "up"]])
    stream = read_corpus(*semcor_paths(), limit_docs=limit_docs)
    seconds, sentences = 0.0, 0
    for plan in plan_shards(validate_corpus(*semcor_paths(), limit_docs, shard).pieces, shard, {}):
        chunk = list(islice(stream, plan.sentences))
        sentences += len(chunk)
        annotated = sorted((s.words for s in chunk if s.instances), key=len)
        start = time.perf_counter()
        for i in range(0, len(annotated), batch):
            backend.embed(annotated[i : i + batch])
        seconds += time.perf_counter() - start
    return seconds, sentences


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", default="bert")
    parser.add_argument("--limit-docs", type=int, help="first N SemCor documents (default: all 352)")
    parser.add_argument("--threads", type=int, help="torch threads for both runs (default: torch's choice)")
    parser.add_argument("--work", type=Path, help="folder for the indexes (default: a temporary folder)")
    args = parser.parse_args()
    set_threads(args.threads)
    work = args.work or Path(tempfile.mkdtemp(prefix="build-speed-"))
    backend = create_backend(args.backend)
    bare_seconds, sentences = bare_rate(backend, args.limit_docs, 2000, 32)

    out = work / f"{args.backend}-float32"
    start = time.perf_counter()
    build_index(backend, BuildSettings(*semcor_paths(), out=out, limit_docs=args.limit_docs), progress=False)
    build_seconds = time.perf_counter() - start
    peak_mb = peak_rss_mb()

    sizes = {"float32": folder_mb(out)}
    for vector_type in ("float16", "int8"):
        compact = work / f"{args.backend}-{vector_type}"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "index_builder.cli",
                "compact",
                str(out),
                "--out",
                str(compact),
                "--vector-type",
                vector_type,
            ],
            check=True,
        )
        sizes[vector_type] = folder_mb(compact)

    f1 = {}
    vectors = None
    for vector_type in sizes:
        disambiguator = Disambiguator(IndexFolder(work / f"{args.backend}-{vector_type}"), backend)
        vectors = vectors or QueryVectors(disambiguator)
        vectors.disambiguator = disambiguator
        system = KnnSystem(disambiguator, Settings(), vectors)
        f1[vector_type] = evaluate([system], ["ALL"])[0].score.f1

    print(
        f"\nbackend {args.backend}, {sentences} sentences ({'all' if not args.limit_docs else args.limit_docs} docs)"
    )
    print(f"bare backend embed : {bare_seconds:8.1f} s  {sentences / bare_seconds:7.1f} sent/s")
    print(
        f"index-builder build: {build_seconds:8.1f} s  {sentences / build_seconds:7.1f} sent/s  "
        f"(build/bare = {build_seconds / bare_seconds:.3f}: corpus check, shards, assembly, checksums)"
    )
    print(f"process peak RSS   : {peak_mb:8.0f} MB (model + bare run + build)")
    print("vector type  folder MB  F1 on ALL (service defaults)")
    for vector_type, size in sizes.items():
        print(f"{vector_type:11s}  {size:9.1f}  {f1[vector_type]:.2f}")


if __name__ == "__main__":
    main()
