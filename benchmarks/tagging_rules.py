"""Which rules of `index_builder.wordnet_tags` earn their place, chosen on SemCor.

    .venv/bin/python benchmarks/tagging_rules.py --json results/tagging_rules.json

spaCy tags SemCor (the training corpus, whose gold lemma and POS follow the same conventions as the
evaluation sets) and ALL once. Then the rules are switched on one after another, in the order they were
added, and every instance is resolved as the service resolves a query's target (`text.tag_doc`, a multi-word
instance merged by `text.merge`, then `text.resolve`): the score is the share of instances whose predicted
lemma and POS are both the gold ones. A rule is kept when it gains on SemCor; ALL is reported beside it, never
used to choose. Each row also counts the instances it gains and loses against the row before, with a sign
test of that split. The share of `DEGREE_SHARE` is swept on SemCor as well (each share against the shipped
rules). The fallbacks for a word WordNet lacks (the word inside its punctuation, the first of slashed
alternatives, a hyphenated word's first part) are on in every row: they change nothing on SemCor.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder import wordnet_tags
from index_builder.corpus import Sentence, read_corpus
from index_builder.inventory import normalise_lemma
from index_builder.paths import eval_paths, semcor_paths
from index_builder.text import BATCH_SIZE, _run, _token_of, _words_doc, resolve, tag_doc

SHIPPED = {
    name: getattr(wordnet_tags, name)
    for name in (
        "ATTRIBUTIVE_AFTER",
        "TARGET_TAGS",
        "DEGREE_SHARE",
        "_abbreviation",
        "AS_WRITTEN_TAGS",
        "_tie_break",
        "_based_compounds",
        "GENERIC_PRONOUNS",
        "SYMBOL_WORDS",
    )
}
OFF: dict[str, Any] = {  # each rule switched off: the behaviour before it was added
    "ATTRIBUTIVE_AFTER": {},
    "TARGET_TAGS": frozenset(),
    "DEGREE_SHARE": 0.0,  # a comparative WordNet knows is always its own lemma
    "_abbreviation": lambda lemma, pos: None,
    "AS_WRITTEN_TAGS": frozenset(),
    "_tie_break": lambda lemma, own, preferred: (lemma == preferred,),
    "_based_compounds": lambda first, rest: [],
    "GENERIC_PRONOUNS": {},
    "SYMBOL_WORDS": {},
}
ATTRIBUTIVE = SHIPPED["ATTRIBUTIVE_AFTER"]
STEPS: list[tuple[str, dict[str, Any]]] = [  # (label, what it switches on), cumulative
    ("no rules", {}),
    ("participles (VBN) before a noun", {"ATTRIBUTIVE_AFTER": {"VBN": ATTRIBUTIVE["VBN"]}}),
    ("+ gerunds (VBG) before a noun", {"ATTRIBUTIVE_AFTER": {t: ATTRIBUTIVE[t] for t in ("VBN", "VBG")}}),
    ("+ proper nouns (NNP) before a noun", {"ATTRIBUTIVE_AFTER": ATTRIBUTIVE}),
    ("+ function words asked about by name", {"TARGET_TAGS": SHIPPED["TARGET_TAGS"]}),
    ("+ rare comparatives as their base (higher -> high)", {"DEGREE_SHARE": SHIPPED["DEGREE_SHARE"]}),
    ("+ abbreviations as written (No. -> no.)", {"_abbreviation": SHIPPED["_abbreviation"]}),
    ("+ adverbs as written (further, not far)", {"AS_WRITTEN_TAGS": SHIPPED["AS_WRITTEN_TAGS"]}),
    ("+ ties to the word as written (tears)", {"_tie_break": SHIPPED["_tie_break"]}),
    ("+ base of a hyphenated word's first part", {"_based_compounds": SHIPPED["_based_compounds"]}),
    ("+ pronouns as WordNet writes them (oneself)", {"GENERIC_PRONOUNS": SHIPPED["GENERIC_PRONOUNS"]}),
    ("+ symbols as words (% -> percent): shipped", {"SYMBOL_WORDS": SHIPPED["SYMBOL_WORDS"]}),
]
DEGREE_SHARES = (0.0, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3)


@dataclass
class Tagged:
    """One corpus tagged by spaCy once: per sentence its doc and which words each token owns."""

    sentences: list[Sentence]
    docs: list[Any]
    owners: list[list[list[int]]]


def tag_corpus(sentences: list[Sentence], label: str) -> Tagged:
    docs, owners = [], []
    for start in tqdm(range(0, len(sentences), BATCH_SIZE), desc=f"tagging {label}", unit="batch"):
        prepared = [_words_doc(tuple(s.words)) for s in sentences[start : start + BATCH_SIZE]]
        docs += _run([doc for doc, _ in prepared], sentences=False)
        owners += [own for _, own in prepared]
    return Tagged(sentences, docs, owners)


def correct(tagged: Tagged) -> list[bool]:
    """Per instance, whether its resolved lemma and POS are the gold ones, under the rules now set."""
    wordnet_tags.resolve_word.cache_clear()
    right = []
    for sentence, doc, owners in zip(tagged.sentences, tagged.docs, tagged.owners, strict=True):
        words = tag_doc(doc)
        for instance in sentence.instances:
            token = _token_of(
                sentence.words[instance.position], 0, [words[i] for i in owners[instance.position]]
            )
            lemma, pos = resolve(token)
            right.append((lemma, pos) == (normalise_lemma(instance.lemma), instance.pos))
    return right


def with_rules(rules: dict[str, Any], score: Callable[[], list[bool]]) -> list[bool]:
    """`score()` with the module's rules set as given, restored afterwards."""
    try:
        for name, value in rules.items():
            setattr(wordnet_tags, name, value)
        return score()
    finally:
        for name, value in SHIPPED.items():
            setattr(wordnet_tags, name, value)
        wordnet_tags.resolve_word.cache_clear()


def sign_test(gained: int, lost: int) -> float:
    """Two-sided exact sign test: how likely a split at least this uneven is if a change is a coin flip."""
    n = gained + lost
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(gained, lost) + 1))
    return min(1.0, float(Fraction(2 * tail, 2**n)))


def compared(now: list[bool], before: list[bool] | None) -> dict[str, Any]:
    """Percent right, and against the previous row: instances gained, lost, and the sign test's p."""
    row: dict[str, Any] = {"percent": round(100 * sum(now) / len(now), 3)}
    if before is not None:
        gained = sum(a and not b for a, b in zip(now, before, strict=True))
        lost = sum(b and not a for a, b in zip(now, before, strict=True))
        row |= {"gained": gained, "lost": lost, "p": round(sign_test(gained, lost), 4)}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="write the table here")
    args = parser.parse_args()
    corpora = {"SemCor": list(read_corpus(*semcor_paths())), "ALL": list(read_corpus(*eval_paths("ALL")))}
    tagged = {name: tag_corpus(sentences, name) for name, sentences in corpora.items()}

    def scores(rules: dict[str, Any]) -> dict[str, list[bool]]:
        return {name: with_rules(rules, lambda t=t: correct(t)) for name, t in tagged.items()}

    rows, rules, before = [], dict(OFF), None
    for label, switched_on in STEPS:
        rules.update(switched_on)
        now = scores(rules)
        row = {"rules": label, **{n: compared(now[n], before[n] if before else None) for n in now}}
        rows.append(row)
        before = now
        print(f"{label:52s} " + "  ".join(f"{n} {row[n]}" for n in now))
    sweep = []
    for share in DEGREE_SHARES:
        now = scores({"DEGREE_SHARE": share})
        sweep.append({"degree_share": share, **{n: compared(now[n], before[n]) for n in now}})
        print(f"DEGREE_SHARE {share:<5} " + "  ".join(f"{n} {sweep[-1][n]}" for n in now))
    if args.json:
        instances = {name: sum(len(s.instances) for s in t.sentences) for name, t in tagged.items()}
        report = {"instances": instances, "variants": rows, "degree_share": sweep}
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
