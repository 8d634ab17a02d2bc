"""How often each sense key is annotated for each (lemma, POS) in a training corpus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from index_builder.corpus import Instance, Sentence
from index_builder.inventory import normalise_lemma

GroupKey = tuple[str, str]  # (normalised lemma, universal POS)


def group_key(lemma: str, pos: str) -> GroupKey:
    """The (lemma, POS) group a word is counted and searched under."""
    return normalise_lemma(lemma), pos


def group_of(instance: Instance) -> GroupKey:
    return group_key(instance.lemma, instance.pos)


def count_senses(sentences: Iterable[Sentence]) -> dict[GroupKey, Counter[str]]:
    """{(lemma, POS): Counter(sense key)}; an instance with two gold keys counts for both."""
    counts: dict[GroupKey, Counter[str]] = {}
    for sentence in sentences:
        for instance in sentence.instances:
            counts.setdefault(group_of(instance), Counter()).update(instance.keys)
    return counts
