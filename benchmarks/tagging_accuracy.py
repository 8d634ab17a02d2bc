"""How well the spaCy preprocessing predicts the evaluation sets' lemma and POS from the raw sentence tokens.

    python benchmarks/tagging_accuracy.py --json results/tagging_accuracy.json [--errors 20] [--latency 300]

Each sentence is given only as its tokens (multi-word tokens joined by spaces, as in the XML) to
`index_builder.text.predict_lemma_pos`; on every instance the predicted POS is compared with the gold POS and
the predicted lemma with the gold lemma (both in WordNet spelling). A sense key names its lemma and POS, so
"both" is also the share of instances whose gold sense is among the candidates of the predicted lemma and POS:
the ceiling of F1 with predicted lemma and POS. `--errors N` prints the N most frequent
(gold POS -> predicted POS) confusions with examples; `--latency N` times tagging one short sentence N times.
`--old-table INDEX` also scores the rule the service used before spaCy, for comparison: the word form's most
frequent (lemma, POS) in the index's corpus (SemCor), else WordNet's morphology, preferring the POS with the
most training vectors; it ignores the sentence.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.corpus import Sentence, read_corpus
from index_builder.index_folder import IndexFolder
from index_builder.inventory import CONTENT_POS, normalise_lemma
from index_builder.paths import EVAL_DATASETS, eval_paths
from index_builder.text import LemmaPos, predict_lemma_pos, tag_token_lists, tag_tokens
from index_builder.wordnet_tags import inventory as inventory_of_tags
from wsd_service.bench.lemma_pos import TaggingTally

LATENCY_SENTENCE = ["She", "runs", "a", "small", "bakery", "downtown", "."]


def predictions(sentences: list[Sentence]) -> dict[tuple[str, ...], list[LemmaPos]]:
    """Predicted (lemma, POS) per token of every distinct sentence, tagged in batches."""
    distinct = list(dict.fromkeys(tuple(s.words) for s in sentences))
    return dict(zip(distinct, predict_lemma_pos(distinct), strict=True))


def evaluate(
    datasets: list[str], errors: Counter, examples: dict[tuple[str, str], list[str]]
) -> dict[str, TaggingTally]:
    corpora = {name: list(read_corpus(*eval_paths(name))) for name in datasets}
    predicted = predictions([s for sentences in corpora.values() for s in sentences])
    tallies = {}
    for name, sentences in corpora.items():
        tally = tallies[name] = TaggingTally()
        for sentence in sentences:
            tags = predicted[tuple(sentence.words)]
            for instance in sentence.instances:
                guess = tags[instance.position]
                tally.add(LemmaPos(instance.lemma, instance.pos), guess)
                if name == datasets[-1] and guess.pos != instance.pos:
                    pair = (instance.pos, str(guess.pos))
                    errors[pair] += 1
                    examples[pair].append(f"{sentence.tokens[instance.position].text}->{guess.lemma}")
    return tallies


def old_table_guess(folder: IndexFolder, word: str) -> LemmaPos:
    """The pre-spaCy rule (see the module docstring), kept here only as the comparison it asks for."""
    inventory = inventory_of_tags()
    for lemma, pos, _ in folder.word_tags(word):
        if pos in CONTENT_POS and inventory.senses(lemma, pos):
            return LemmaPos(normalise_lemma(lemma), pos)
    best: tuple[int, str, str] | None = None
    for pos in CONTENT_POS:
        base = inventory.lemmatise(word, pos)
        if base is not None:
            group = folder.groups.get((base, pos))
            score = (group.count if group else 0) + 1
            if best is None or score > best[0]:
                best = (score, base, pos)
    return LemmaPos(best[1], best[2]) if best else LemmaPos(normalise_lemma(word), None)


def evaluate_old_table(datasets: list[str], folder: IndexFolder) -> dict[str, TaggingTally]:
    tallies = {}
    for name in datasets:
        tally = tallies[name] = TaggingTally()
        for sentence in read_corpus(*eval_paths(name)):
            for instance in sentence.instances:
                word = sentence.tokens[instance.position].text
                tally.add(LemmaPos(instance.lemma, instance.pos), old_table_guess(folder, word))
    return tallies


def print_table(tallies: dict[str, TaggingTally]) -> None:
    print(f"{'dataset':<14}{'instances':>10}{'POS %':>8}{'lemma %':>9}{'both %':>8}")
    for name, tally in tallies.items():
        row = tally.summary()
        print(
            f"{name:<14}{row['instances']:>10}{row['pos_accuracy']:>8.2f}{row['lemma_accuracy']:>9.2f}"
            f"{row['lemma_and_pos_accuracy']:>8.2f}"
        )


def latency(calls: int) -> dict[str, float]:
    """p50 milliseconds of tagging one short sentence, wall clock and this thread's CPU time (which other jobs
    on a shared machine disturb less): fresh each time (spaCy runs), and a repeat served by the cache."""

    def p50(run: Callable[[], object], clock: Callable[[], float]) -> float:
        times = []
        for _ in range(calls):
            start = clock()
            run()
            times.append(clock() - start)
        return round(1000 * statistics.median(times), 3)

    def fresh() -> object:
        return next(tag_token_lists([LATENCY_SENTENCE]))

    fresh()  # warm-up
    return {
        "calls": calls,
        "p50_ms_uncached": p50(fresh, time.perf_counter),
        "p50_cpu_ms_uncached": p50(fresh, time.thread_time),
        "p50_ms_cached": p50(lambda: tag_tokens(LATENCY_SENTENCE), time.perf_counter),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", choices=EVAL_DATASETS, help="default: all, ALL last")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--errors", type=int, default=0, help="print the N most frequent POS confusions")
    parser.add_argument("--old-table", type=Path, metavar="INDEX", help="also score the pre-spaCy rule")
    parser.add_argument("--latency", type=int, default=0, help="time tagging one short sentence N times")
    args = parser.parse_args()
    datasets = args.dataset or list(EVAL_DATASETS)
    errors: Counter = Counter()
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    start = time.perf_counter()
    tallies = evaluate(datasets, errors, examples)
    seconds = time.perf_counter() - start
    print_table(tallies)
    last = tallies[datasets[-1]].summary()
    print(f"POS accuracy by gold POS ({datasets[-1]}):", last["pos_accuracy_by_gold_pos"])
    print(f"read and tagged in {seconds:.1f} s")
    for (gold, guess), n in errors.most_common(args.errors):
        print(f"  {gold:>5} -> {guess:<5} {n:4d}  e.g. {', '.join(examples[gold, guess][:8])}")
    result = {
        "datasets": {name: tally.summary() for name, tally in tallies.items()},
        "seconds": round(seconds, 1),
    }
    if args.old_table:
        old = evaluate_old_table(datasets, IndexFolder(args.old_table))
        print(f"the old table ({args.old_table}):")
        print_table(old)
        result["old_table"] = {name: tally.summary() for name, tally in old.items()}
    if args.latency:
        result["latency"] = latency(args.latency)
        print("latency of one short sentence:", result["latency"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
