"""What embedding each evidence source would cost: a seeded sample of its contexts embedded with a backend,
extrapolated to the whole source. SemCor is measured beside them, as the yardstick of a known build time.

    python benchmarks/evidence_cost.py -n 500 --threads 1                  # MiniLM
    python benchmarks/evidence_cost.py -n 200 --threads 1 --model mpnet    # MPNet

Times are the best of --repeat runs after one warm-up, wall and process CPU (which other jobs on a shared
machine disturb less); contexts are embedded in one `embed()` call, which sorts them by length as a build does.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.backends import create_backend
from index_builder.backends.base import EmbeddingBackend
from index_builder.corpus import Sentence
from index_builder.evidence import SOURCES, evidence_sentences


def sample(source: str, n: int, seed: int) -> tuple[list[Sentence], int]:
    """`n` labelled contexts of a source drawn with a fixed seed (one streaming pass, reservoir sampling), and
    how many the source holds."""
    rng = random.Random(seed)
    chosen: list[Sentence] = []
    total = 0
    for sentence in evidence_sentences(source):
        if not sentence.instances:
            continue
        total += 1
        if len(chosen) < n:
            chosen.append(sentence)
        elif (j := rng.randrange(total)) < n:
            chosen[j] = sentence
    return chosen, total


def timed(backend: EmbeddingBackend, sentences: list[Sentence], repeat: int) -> tuple[float, float]:
    """Best (wall, CPU) seconds of embedding all `sentences` once."""
    words = [s.words for s in sentences]
    backend.embed(words[:8])  # warm-up
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        backend.embed(words)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=500, help="contexts per source")
    parser.add_argument("--model", help="bert backend model (default: MiniLM)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    backend = create_backend("bert", model=args.model, threads=args.threads)
    rows = []
    for source in SOURCES:
        contexts, total = sample(source, args.n, args.seed)
        wall, cpu = timed(backend, contexts, args.repeat)
        rate = len(contexts) / wall
        rows.append(
            {
                "source": source,
                "model": args.model or "minilm",
                "threads": args.threads,
                "sampled": len(contexts),
                "mean_tokens": round(sum(len(s.tokens) for s in contexts) / len(contexts), 1),
                "contexts_per_s": round(rate, 1),
                "cpu_s_per_context": round(cpu / len(contexts), 4),
                "total_contexts": total,
                "full_source_min": round(total / rate / 60, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
