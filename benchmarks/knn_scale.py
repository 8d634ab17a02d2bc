"""Per-query kNN time against group size: a search costs its (lemma, POS) group, not the whole index.

    .venv/bin/python benchmarks/knn_scale.py --index indexes/bert-minilm
    .venv/bin/python benchmarks/knn_scale.py --index semcor-index --index x10-index   # same bins, 10x total

For each index folder, and an int8 copy made with `index-builder compact` (unless the folder is compact
already), the groups are binned by size; in each bin, up to --groups groups (spread over the bin's sizes)
are each asked --queries queries (stored vectors of the group: real contexts of its lemma), one query per
call as the service asks, k = --k, every call timed. Printed and written as JSON: p50 / p99 ms per bin, and
the same search over one "group" spanning the whole index, which is what a search would cost if it grew
with the total.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.index_folder import Group, IndexFolder

BINS = ((1, 3), (4, 10), (11, 30), (31, 100), (101, 300), (301, 1000), (1001, 3000), (3001, 10**9))


@dataclass(frozen=True)
class BinTiming:
    index: str  # the folder given (its int8 copy is timed under the same name)
    vector_type: str
    total_vectors: int
    sizes: str  # the bin, e.g. "31-100", or "whole index"
    groups: int
    median_group: int
    queries: int
    p50_ms: float
    p99_ms: float


def bin_label(lo: int, hi: int) -> str:
    return f"{lo}-{hi}" if hi < BINS[-1][1] else f"{lo}+"


def pick_groups(groups: list[Group], lo: int, hi: int, most: int) -> list[Group]:
    """Up to `most` groups of lo..hi vectors, evenly spread from the smallest to the largest."""
    inside = sorted((g for g in groups if lo <= g.count <= hi), key=lambda g: (g.count, g.lemma, g.pos))
    if len(inside) <= most:
        return inside
    return [inside[i] for i in np.linspace(0, len(inside) - 1, most).round().astype(int)]


def time_searches(
    folder: IndexFolder, groups: list[Group], queries: dict[tuple[str, str], np.ndarray], k: int
) -> np.ndarray:
    """Milliseconds of each single-query search of each group (after one untimed warm-up call)."""
    times = []
    for group in groups:
        rows = queries[(group.lemma, group.pos)]
        folder.search(group, rows[:1], k)
        for row in rows:
            start = time.perf_counter()
            folder.search(group, row[None, :], k)
            times.append((time.perf_counter() - start) * 1000)
    return np.array(times)


def timing(
    index: Path,
    folder: IndexFolder,
    sizes: str,
    groups: list[Group],
    queries: dict[tuple[str, str], np.ndarray],
    k: int,
) -> BinTiming:
    ms = time_searches(folder, groups, queries, k)
    return BinTiming(
        str(index),
        folder.vector_type,
        folder.size,
        sizes,
        len(groups),
        int(np.median([g.count for g in groups])),
        len(ms),
        float(np.percentile(ms, 50)),
        float(np.percentile(ms, 99)),
    )


def measure(exact: IndexFolder, folders: list[IndexFolder], args: argparse.Namespace) -> list[BinTiming]:
    """Every bin of `exact`'s groups, and the whole index as one group, timed on each of `folders` (copies
    of `exact`) with the same queries (read from `exact`)."""
    groups = list(exact.groups.values())
    chosen = {bin_label(lo, hi): pick_groups(groups, lo, hi, args.groups) for lo, hi in BINS}
    chosen = {label: members for label, members in chosen.items() if members}
    whole = Group("*", "*", 0, exact.size, {})
    queries = {(g.lemma, g.pos): exact.group_vectors(g)[: args.queries] for ms in chosen.values() for g in ms}
    rng = np.random.default_rng(0)
    queries[("*", "*")] = exact.vectors(rng.choice(exact.size, args.queries, replace=False))
    return [
        timing(exact.path, folder, label, members, queries, args.k)
        for folder in folders
        for label, members in [*chosen.items(), ("whole index", [whole])]
    ]


def int8_copy(folder: Path, work: Path) -> Path:
    """An int8 copy of `folder` in `work`, made once (named by the source's full path)."""
    out = work / f"{str(folder.resolve()).strip('/').replace('/', '_')}-int8"
    if not out.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "index_builder.cli",
                "compact",
                str(folder),
                "--out",
                str(out),
                "--vector-type",
                "int8",
            ],
            check=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, action="append", required=True, help="a float32 index folder")
    parser.add_argument("--groups", type=int, default=20, help="groups per size bin (default 20)")
    parser.add_argument("--queries", type=int, default=10, help="queries per group (default 10)")
    parser.add_argument("-k", "--k", type=int, default=10, help="neighbors per query (default 10)")
    parser.add_argument(
        "--faiss-threads",
        type=int,
        help="FAISS OpenMP threads (default: FAISS's, one per "
        "core); OMP_NUM_THREADS=1 in the environment sets FAISS's and numpy's BLAS's, as for "
        "the service",
    )
    parser.add_argument("--work", type=Path, help="folder for the int8 copies (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="write the numbers here (default: WORK/knn_scale.json)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="knn-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.faiss_threads:
        faiss.omp_set_num_threads(args.faiss_threads)

    results: list[BinTiming] = []
    for path in args.index:
        exact = IndexFolder(path)
        folders = [exact] if exact.vector_type != "float32" else [exact, IndexFolder(int8_copy(path, work))]
        results += measure(exact, folders, args)
    out = args.json or work / "knn_scale.json"
    threads = faiss.omp_get_max_threads()
    rows = [asdict(r) for r in results]
    out.write_text(json.dumps({"k": args.k, "faiss_threads": threads, "results": rows}, indent=2))

    print(f"\nper-query search time, k = {args.k}, one query per call, {threads} FAISS threads")
    print(
        f"{'index':28s} {'type':7s} {'vectors':>9s}  {'group sizes':12s} {'groups':>6s} {'median':>7s} "
        f"{'p50 ms':>8s} {'p99 ms':>8s}"
    )
    for r in results:
        name = "/".join(Path(r.index).parts[-2:])[-28:]
        print(
            f"{name:28s} {r.vector_type:7s} {r.total_vectors:9d}  {r.sizes:12s} "
            f"{r.groups:6d} {r.median_group:7d} {r.p50_ms:8.3f} {r.p99_ms:8.3f}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
