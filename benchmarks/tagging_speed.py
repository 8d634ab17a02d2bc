"""The service's tagging next to spaCy's own components, alternated on the same sentences.

    .venv/bin/python benchmarks/tagging_speed.py --json results/tagging_speed.json

For each sentence, `index_builder.text.tag_texts` (uncached, as a new request is tagged: tok2vec and tagger
compiled into one numpy function, the attribute ruler memoised) and the stock path (the same pipeline's
components called one by one, then the same WordNet resolution) run in turn --repeats times on one BLAS thread,
as the service tags; the medians and their ratio are printed. Both give the same tags: checked on every run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.text import _blas, pipeline, tag_doc, tag_texts

SENTENCES = [
    "He sat on the bank of the river.",
    "The committee, which met on Tuesday, postponed its decision on the new budget until the auditors report.",
    " ".join(
        ["The old harbour town, once famous for its shipyards and its fish market, has become a quiet place"]
        + ["where retired sailors tell long stories to the tourists who come by ferry every summer morning"]
        + ["and leave again before the evening tide turns the narrow streets into rivers of light."]
    ),
]


def stock(text: str) -> list[tuple[str, str | None]]:
    """The sentence through spaCy's components as loaded (no sentence splitter), then the same resolution."""
    nlp = pipeline()
    doc = nlp.make_doc(text)
    for name, component in nlp.pipeline:
        if name != "senter":
            doc = component(doc)
    return [(t.lemma, t.pos) for t in tag_doc(doc)]


def service(text: str) -> list[tuple[str, str | None]]:
    (sentence,) = next(tag_texts([text], split=False))
    return [(t.lemma, t.pos) for t in sentence.tokens]


def alternate(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median milliseconds of each call, the calls run in turn `repeats` times."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=2000, help="alternations per sentence")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args()
    rows = []
    with _blas().limit(limits=1):
        for text in SENTENCES:
            tagged = service(text)
            assert stock(text) == tagged, f"the two paths tag {text!r} differently"
            calls = {"stock": lambda t=text: stock(t), "service": lambda t=text: service(t)}
            alternate(calls, 100)  # warm-up
            ms = alternate(calls, args.repeats)
            tokens = len(tagged)
            rows.append({"tokens": tokens, "stock_ms": ms["stock"], "service_ms": ms["service"]})
            print(
                f"{tokens:3d} tokens  spaCy's components p50 {ms['stock']:.3f} ms  service {ms['service']:.3f} ms"
                f"  ratio {ms['service'] / ms['stock']:.2f}x"
            )
    if args.json:
        args.json.write_text(json.dumps({"repeats": args.repeats, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
