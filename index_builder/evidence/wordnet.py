"""WordNet 3.0 as labelled contexts: each usage example that contains a lemma of its synset, and one gloss
context per sense ("lemma - synonyms - gloss", as in LMMS), as `corpus.Sentence` records.

Ids start with `wn.ex.` / `wn.gloss.`, which no SemCor id does. Words that are not targets carry their
lower-cased form as lemma and the tag "X" (no tagger runs here)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from index_builder.corpus import Instance, Sentence, Token
from index_builder.inventory import WN_TO_UPOS, SenseInventory, is_sense_key, normalise_lemma

if TYPE_CHECKING:  # pragma: no cover
    from nltk.corpus.reader.wordnet import Lemma, Synset

EXAMPLE_PREFIX = "wn.ex."
GLOSS_PREFIX = "wn.gloss."
OTHER_POS = "X"
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)


@dataclass
class EvidenceCounts:
    """What a source yielded, filled while its generator runs."""

    sentences: int = 0  # contexts
    records: int = 0  # labelled instances, one vector each
    examples_with_span: int = 0  # usage examples where a lemma of the synset was found
    examples_without_span: int = 0
    senses_with_example: int = 0  # senses (lemma in synset) labelled in at least one example


def tokenise(text: str) -> list[str]:
    """Words (with inner hyphens and apostrophes) and single punctuation marks."""
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class _Span:
    start: int
    length: int
    lemma: Lemma


class _Matcher:
    """Finds the lemmas of a synset in a tokenised example: a word matches a lemma word when its lower-cased
    form or one of its WordNet base forms for the synset's POS equals it (so "ran" matches run.v), or those
    of its last hyphen part do (so "interest-bearing" matches bear.v)."""

    def __init__(self, inventory: SenseInventory) -> None:
        self.inventory = inventory
        self._bases: dict[tuple[str, str], frozenset[str]] = {}

    def forms(self, word: str, pos: str) -> frozenset[str]:
        key = (word.lower(), pos)
        found = self._bases.get(key)
        if found is None:
            last = key[0].rsplit("-", 1)[-1]
            bases = {key[0], last, *self.inventory.bases(key[0], pos), *self.inventory.bases(last, pos)}
            found = self._bases[key] = frozenset(bases)
        return found

    def spans(self, words: list[str], lemmas: list[Lemma], pos: str) -> list[_Span]:
        """The first occurrence of each lemma, overlaps resolved in favor of the longer lemma, in text order."""
        forms = [self.forms(w, pos) for w in words]
        found = []
        for lemma in lemmas:
            target = [w.lower() for w in tokenise(lemma.name().replace("_", " "))]
            n = len(target)
            start = next(
                (
                    s
                    for s in range(len(words) - n + 1)
                    if all(t in forms[s + i] for i, t in enumerate(target))
                ),
                None,
            )
            if start is not None and n:
                found.append(_Span(start, n, lemma))
        taken: set[int] = set()
        kept = []
        for span in sorted(found, key=lambda s: (-s.length, s.start)):
            cells = set(range(span.start, span.start + span.length))
            if not cells & taken:
                taken |= cells
                kept.append(span)
        return sorted(kept, key=lambda s: s.start)


def senses(synset: Synset) -> list[Lemma]:
    """The lemmas of a synset, one per sense key (WordNet lists a few twice, in two cases: 'a' and 'A')."""
    first: dict[str, Lemma] = {}
    for lemma in synset.lemmas():
        if is_sense_key(lemma.key()):  # nltk spells a few keys of capitalised lemmas that WordNet lacks
            first.setdefault(lemma.key(), lemma)
    return list(first.values())


def targets(synset: Synset, inventory: SenseInventory, ambiguous_only: bool) -> list[Lemma]:
    """The senses of a synset to label: all, or only those whose lemma has several senses in its POS (a
    lemma with one sense needs no vector to be disambiguated)."""
    found = senses(synset)
    if not ambiguous_only:
        return found
    pos = WN_TO_UPOS[synset.pos()]
    return [lemma for lemma in found if len({sense.key for sense in inventory.senses(lemma.name(), pos)}) > 1]


def _target(text: str, lemma: Lemma) -> Token:
    return Token(text, normalise_lemma(lemma.name()), WN_TO_UPOS[lemma.synset().pos()])


def _other(word: str) -> Token:
    return Token(word, word.lower(), OTHER_POS)


def _instance(sentence_id: str, n: int, position: int, lemma: Lemma) -> Instance:
    upos = WN_TO_UPOS[lemma.synset().pos()]
    return Instance(f"{sentence_id}.t{n:03d}", position, normalise_lemma(lemma.name()), upos, (lemma.key(),))


def _example_sentence(sentence_id: str, words: list[str], spans: list[_Span], doc_id: str) -> Sentence:
    """One example with each span merged into one target token (a multi-word lemma keeps its spaces)."""
    tokens: list[Token] = []
    instances: list[Instance] = []
    starts = {span.start: span for span in spans}
    i = 0
    while i < len(words):
        span = starts.get(i)
        if span is None:
            tokens.append(_other(words[i]))
            i += 1
            continue
        instances.append(_instance(sentence_id, len(instances), len(tokens), span.lemma))
        tokens.append(_target(" ".join(words[i : i + span.length]), span.lemma))
        i += span.length
    return Sentence(sentence_id, doc_id, tuple(tokens), tuple(instances))


if TYPE_CHECKING:  # pragma: no cover
    # What a source makes of (synset, its senses to label) pairs: its contexts, counted into EvidenceCounts.
    SourceContexts = Callable[
        [Iterable[tuple[Synset, list[Lemma]]], EvidenceCounts, SenseInventory], Iterator[Sentence]
    ]


def _walk(
    contexts: SourceContexts,
    synsets: Iterable[Synset] | None = None,
    counts: EvidenceCounts | None = None,
    ambiguous_only: bool = False,
    inventory: SenseInventory | None = None,
) -> Iterator[Sentence]:
    """The contexts a source makes of each synset with its senses to label (see `targets`), `counts` filled
    as they stream. Synsets default to all of WordNet in its file order (POS, then offset)."""
    inventory = inventory or SenseInventory()
    counts = counts if counts is not None else EvidenceCounts()
    chosen = inventory.wn.all_synsets() if synsets is None else synsets
    yield from contexts(((s, targets(s, inventory, ambiguous_only)) for s in chosen), counts, inventory)


def _examples(
    walk: Iterable[tuple[Synset, list[Lemma]]], counts: EvidenceCounts, inventory: SenseInventory
) -> Iterator[Sentence]:
    """Usage examples that contain a lemma of their synset, one instance per lemma found, labelled with
    that lemma's sense key; ids `wn.ex.<synset>.<n>` (n: the example's place in the synset)."""
    matcher = _Matcher(inventory)
    for synset, lemmas in walk:
        labelled: set[str] = set()
        pos = WN_TO_UPOS[synset.pos()]
        for n, example in enumerate(synset.examples()):
            words = tokenise(example)
            spans = matcher.spans(words, lemmas, pos)
            if not spans:
                counts.examples_without_span += 1
                continue
            counts.examples_with_span += 1
            sentence = _example_sentence(f"{EXAMPLE_PREFIX}{synset.name()}.{n}", words, spans, synset.name())
            labelled.update(key for instance in sentence.instances for key in instance.keys)
            counts.sentences += 1
            counts.records += len(sentence.instances)
            yield sentence
        counts.senses_with_example += len(labelled)


def gloss_sentence(lemma: Lemma) -> Sentence:
    """ "lemma - synonym, synonym - gloss", the lemma being the one target, at position 0."""
    synset = lemma.synset()
    synonyms = ", ".join(
        other.name().replace("_", " ") for other in senses(synset) if other.key() != lemma.key()
    )
    rest = f"- {synonyms} - {synset.definition()}" if synonyms else f"- {synset.definition()}"
    sentence_id = f"{GLOSS_PREFIX}{lemma.key()}"
    tokens = (_target(lemma.name().replace("_", " "), lemma), *(_other(w) for w in tokenise(rest)))
    return Sentence(sentence_id, synset.name(), tokens, (_instance(sentence_id, 0, 0, lemma),))


def _glosses(
    walk: Iterable[tuple[Synset, list[Lemma]]], counts: EvidenceCounts, inventory: SenseInventory
) -> Iterator[Sentence]:
    """One gloss context per sense (lemma in synset); ids `wn.gloss.<sense key>`."""
    for _, lemmas in walk:
        for lemma in lemmas:
            counts.sentences += 1
            counts.records += 1
            yield gloss_sentence(lemma)


# The two sources, each called as source(synsets=None, counts=None, ambiguous_only=False, inventory=None).
wordnet_examples = partial(_walk, _examples)
wordnet_glosses = partial(_walk, _glosses)
