"""Multi-word expressions: WordNet compounds in tagged text ("took place", "New York", "ice cream"), one unit each.

WordNet 3.0 has about 64,000 lemmas of several words ('ice_cream') or hyphenated parts ('mother-in-law').
They are found in a tagged sentence by longest match, left to right, over the tokens' lemmas or their
lower-cased forms, as the evaluation sets mark them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise

from index_builder.inventory import UPOS_TO_WN
from index_builder.text import TaggedSentence, TaggedToken, merge
from index_builder.wordnet_tags import inventory

_PART = re.compile(r"[^_-]+|-")  # 'mother-in-law' -> mother - in - law, as spaCy splits it


@dataclass(frozen=True)
class Lexicon:
    entries: dict[tuple[str, ...], frozenset[str]]  # words of a compound -> the POS WordNet has it under
    longest: dict[str, int]  # first word -> the most words of a compound starting with it


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """WordNet's compounds as word tuples (built once per process, about a quarter of a second)."""
    wn = inventory().wn
    entries: dict[tuple[str, ...], set[str]] = {}
    for pos, wn_pos in UPOS_TO_WN.items():
        for name in wn.all_lemma_names(wn_pos):
            words = tuple(_PART.findall(name))
            if len(words) > 1:
                entries.setdefault(words, set()).add(pos)
    longest: dict[str, int] = {}
    for words in entries:
        longest[words[0]] = max(longest.get(words[0], 0), len(words))
    return Lexicon({words: frozenset(pos) for words, pos in entries.items()}, longest)


def _fits(window: Sequence[TaggedToken], pos_options: frozenset[str]) -> bool:
    """Whether the tagged words can be the compound: its head word has a POS WordNet has it under.

    The head is the first word of a verb compound ("took place", "gave up") and the last of any other
    ("ice cream", "of course"); a noun compound does not start with a determiner ('the city'). One written
    word that the tokenizer split at its hyphens ("well-known") always fits.
    """
    if all(left.end == right.start for left, right in pairwise(window)):
        return True
    if "VERB" in pos_options and window[0].pos == "VERB":
        return True
    last = window[-1].pos
    return last in pos_options and last != "VERB" and not (last == "NOUN" and window[0].tag == "DT")


def compound_spans(tokens: Sequence[TaggedToken]) -> list[tuple[int, int]]:
    """[start, end) token indices of the WordNet compounds among tagged words; longest first, no overlaps."""
    table = lexicon()
    lemmas = [token.lemma for token in tokens]
    forms = [token.text.lower() for token in tokens]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        size = max(table.longest.get(lemmas[i], 0), table.longest.get(forms[i], 0))
        for end in range(min(len(tokens), i + size), i + 1, -1):
            options = table.entries.get(tuple(lemmas[i:end])) or table.entries.get(tuple(forms[i:end]))
            if options and _fits(tokens[i:end], options):
                spans.append((i, end))
                i = end
                break
        else:
            i += 1
    return spans


def merge_compounds(sentence: TaggedSentence) -> TaggedSentence:
    """The sentence with each WordNet compound merged into one token (text, offsets, lemma, POS)."""
    spans = compound_spans(sentence.tokens)
    if not spans:
        return sentence
    tokens: list[TaggedToken] = []
    done = 0
    for start, end in spans:
        tokens.extend(sentence.tokens[done:start])
        parts = sentence.tokens[start:end]
        text = sentence.text[parts[0].start - sentence.start : parts[-1].end - sentence.start]
        tokens.append(merge(parts, text))
        done = end
    tokens.extend(sentence.tokens[done:])
    return replace(sentence, tokens=tuple(tokens))
