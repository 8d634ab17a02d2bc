"""Wall time of an index build with `--engine ray` next to the local engine (goal: ray <= 1.15 x local).

    .venv/bin/python benchmarks/ray_engine.py --threads 2          # full SemCor, default bert (MiniLM)
    .venv/bin/python benchmarks/ray_engine.py --backend fake       # the engines' own cost, no model

Each engine builds once, as `index-builder build` in a process of its own (backend load, Ray start and
stop included), into a folder of its own with no shards to reuse; the two folders are then compared
(same vectors, byte for byte). Printed and written as JSON: wall time per engine and their ratio, and
each build's peak memory as the summed RSS of its process tree, sampled every 0.2 s (pages shared between
processes, such as Ray's object store, count once per process).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Self

import psutil

GOAL_RATIO = 1.15


@dataclass(frozen=True)
class Run:
    engine: str
    seconds: float
    peak_rss_mb: float
    folder: str


def tree_rss(proc: psutil.Process) -> int:
    """Bytes resident in `proc` and all its descendants now (0 for those gone meanwhile)."""
    total = 0
    for member in [proc, *proc.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


class TreePeak:
    """The peak of `tree_rss(process)` (this process by default), sampled every 0.2 s while in the block."""

    def __init__(self, process: psutil.Process | None = None) -> None:
        self.process = process or psutil.Process()
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss(self.process))
            if self._stop.wait(0.2):
                return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def run_build(engine: str, out: Path, args: argparse.Namespace) -> Run:
    """One `index-builder build` with `engine`, timed and sampled until it exits; its log goes to out.log."""
    options = f"--backend {args.backend} --engine {engine} --fresh -q"
    cmd = [sys.executable, "-m", "index_builder.cli", "-v", "build", "--out", str(out), *options.split()]
    cmd += ["--limit-docs", str(args.limit_docs)] if args.limit_docs else []
    cmd += ["--threads", str(args.threads)] if args.threads else []
    cmd += ["--workers", str(args.workers)] if engine == "ray" and args.workers else []
    log = out.with_name(out.name + ".log")
    with log.open("w") as stderr:
        start = time.perf_counter()
        proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr)
        with TreePeak(proc) as tree:
            proc.wait()
        seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{engine} build failed ({proc.returncode}); see {log}")
    return Run(engine, seconds, tree.peak / 2**20, str(out))


def vector_bytes(run: Run) -> bytes:
    return (Path(run.folder) / "vectors.faiss").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", default="bert", help="backend of both builds (default: bert)")
    parser.add_argument("--limit-docs", type=int, help="first N SemCor documents (default: all 352)")
    parser.add_argument("--threads", type=int, help="torch threads of the local build and of each Ray worker")
    parser.add_argument("--workers", type=int, help="Ray workers (default: the CLI's, 1)")
    parser.add_argument("--work", type=Path, help="folder for the two indexes (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="write the numbers here (default: WORK/ray_engine.json)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ray-engine-"))
    work.mkdir(parents=True, exist_ok=True)

    runs = {engine: run_build(engine, work / f"{args.backend}-{engine}", args) for engine in ("local", "ray")}
    local, ray = runs["local"], runs["ray"]
    same = vector_bytes(local) == vector_bytes(ray)
    ratio = ray.seconds / local.seconds
    result = {
        "backend": args.backend,
        "limit_docs": args.limit_docs,
        "threads": args.threads,
        "workers": args.workers,
        "runs": [asdict(run) for run in runs.values()],
        "ratio": ratio,
        "goal_ratio": GOAL_RATIO,
        "same_vectors": same,
    }
    out = args.json or work / "ray_engine.json"
    out.write_text(json.dumps(result, indent=2))

    print(f"\nbackend {args.backend}, {'all' if not args.limit_docs else args.limit_docs} SemCor documents")
    print("engine  wall s  peak RSS MB (process tree)")
    for run in runs.values():
        print(f"{run.engine:6s}  {run.seconds:6.1f}  {run.peak_rss_mb:8.0f}")
    print(f"ray / local = {ratio:.3f} (goal <= {GOAL_RATIO}); same vectors: {same}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
