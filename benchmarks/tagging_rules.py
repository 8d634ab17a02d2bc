"""Which context rules of `index_builder.wordnet_tags.ATTRIBUTIVE_AFTER` earn their place, chosen on SemCor.

    .venv/bin/python benchmarks/tagging_rules.py --json results/tagging_rules.json

spaCy tags SemCor (the training corpus, whose gold lemma and POS follow the same conventions as the
evaluation sets) and ALL once; then each variant of the rule table (none, participles before a noun, and
proper nouns before a noun as well) resolves the tagged words with `resolve_in_context`, as `text.tag_doc`
does (and the last also takes function words as `text.resolve` takes a query's target), and is scored on the instances of one word: the share whose predicted lemma and POS are the gold ones.
ALL is reported beside SemCor, never used to choose.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder import wordnet_tags
from index_builder.corpus import Sentence, read_corpus
from index_builder.inventory import normalise_lemma
from index_builder.paths import eval_paths, semcor_paths
from index_builder.text import BATCH_SIZE, _run, _words_doc

SHIPPED = dict(wordnet_tags.ATTRIBUTIVE_AFTER)
VARIANTS = {  # name: (rule table, whether a function word asked about by name is taken as a content word)
    "no context rules": ({}, False),
    "participles (VBN) before a noun": ({"VBN": SHIPPED["VBN"]}, False),
    "+ gerunds (VBG) before a noun": ({tag: SHIPPED[tag] for tag in ("VBN", "VBG")}, False),
    "+ proper nouns (NNP) before a noun": (SHIPPED, False),
    "+ function words asked about by name (shipped)": (SHIPPED, True),
}
Word = tuple[
    str, str, str, str, str, str, str
]  # text, tag, spaCy lemma, tag before, tag after, gold lemma, POS


def tagged_words(sentences: list[Sentence], label: str) -> Iterator[Word]:
    """Each one-word instance with spaCy's tags of it and of its neighbours, and its gold lemma and POS."""
    for start in tqdm(range(0, len(sentences), BATCH_SIZE), desc=f"tagging {label}", unit="batch"):
        batch = sentences[start : start + BATCH_SIZE]
        prepared = [_words_doc(tuple(s.words)) for s in batch]
        docs = _run([doc for doc, _ in prepared], sentences=False)
        for sentence, doc, (_, owners) in zip(batch, docs, prepared, strict=True):
            tags = ["", *(tok.tag_ for tok in doc), ""]
            for instance in sentence.instances:
                if len(owners[instance.position]) == 1:
                    i = owners[instance.position][0]
                    tok = doc[i]
                    yield tok.text, tok.tag_, tok.lemma_, tags[i], tags[i + 2], instance.lemma, instance.pos


def accuracy(words: list[Word], table: dict, targets: bool) -> float:
    wordnet_tags.ATTRIBUTIVE_AFTER = table
    right = 0
    for text, tag, lemma, before, after, gold_lemma, gold_pos in words:
        word = wordnet_tags.resolve_in_context(text, tag, lemma, before, after)
        if targets and word.pos is None:
            word = wordnet_tags.as_target(text, tag, lemma) or word
        right += (word.lemma, word.pos) == (normalise_lemma(gold_lemma), gold_pos)
    return 100 * right / len(words)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="write the table here")
    args = parser.parse_args()
    corpora = {"SemCor": list(read_corpus(*semcor_paths())), "ALL": list(read_corpus(*eval_paths("ALL")))}
    words = {name: list(tagged_words(sentences, name)) for name, sentences in corpora.items()}
    rows = []
    for variant, (table, targets) in VARIANTS.items():
        row = {"rules": variant, **{name: round(accuracy(w, table, targets), 3) for name, w in words.items()}}
        rows.append(row)
        print(f"{variant:46s} SemCor {row['SemCor']:.3f}%  ALL {row['ALL']:.3f}%")
    wordnet_tags.ATTRIBUTIVE_AFTER = SHIPPED
    if args.json:
        instances = {name: len(w) for name, w in words.items()}
        args.json.write_text(json.dumps({"instances": instances, "variants": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
