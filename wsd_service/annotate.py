"""All-words annotation: raw text -> paragraphs -> sentences -> WordNet compounds merged -> every content word
disambiguated. Shared by POST /v1/annotate, `wsd annotate` and the spaCy component.

A paragraph (text between blank lines) is a document of the evaluation framework's format: sentence ids are
`d000.s000`, instance ids `d000.s000.t000`. Offsets and token numbers count over the whole input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice

from index_builder.compounds import merge_compounds
from index_builder.text import TaggedSentence, TaggedToken, tag_texts
from wsd_service.disambiguator import Answer, Disambiguator, Query
from wsd_service.settings import Settings

BATCH_SENTENCES = 64  # sentences embedded together
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class AnnotatedSentence:
    doc_id: str  # d000: the paragraph
    id: str  # d000.s000
    sentence: TaggedSentence  # compounds merged; offsets into the whole input
    first: int  # number of its first token among all tokens of the input
    answers: tuple[Answer | None, ...]  # one per token: the answer for a content word, else None

    def instances(self) -> Iterator[tuple[str, TaggedToken, Answer]]:
        """(instance id, token, answer) of each token that got a sense, numbered as the framework does."""
        senses = [(t, a) for t, a in zip(self.sentence.tokens, self.answers, strict=True) if a and a.sense]
        for number, (token, answer) in enumerate(senses):
            yield f"{self.id}.t{number:03d}", token, answer


def paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each paragraph: the parts of `text` between blank lines, blank ones left out."""
    found, start = [], 0
    for match in _BLANK_LINE.finditer(text):
        found.append((start, text[start : match.start()]))
        start = match.end()
    found.append((start, text[start:]))
    return [(offset, part) for offset, part in found if part.strip()]


def _shifted(sentence: TaggedSentence, offset: int) -> TaggedSentence:
    tokens = tuple(replace(t, start=t.start + offset, end=t.end + offset) for t in sentence.tokens)
    return replace(sentence, start=sentence.start + offset, end=sentence.end + offset, tokens=tokens)


def tagged_sentences(text: str) -> Iterator[tuple[str, str, TaggedSentence]]:
    """(document id, sentence id, sentence) of a text, tagged by spaCy, compounds merged, offsets into
    `text`."""
    parts = paragraphs(text)
    for number, ((offset, _), sentences) in enumerate(
        zip(parts, tag_texts(p for _, p in parts), strict=True)
    ):
        doc_id = f"d{number:03d}"
        for s_number, sentence in enumerate(sentences):
            yield doc_id, f"{doc_id}.s{s_number:03d}", merge_compounds(_shifted(sentence, offset))


def content_queries(tokens: Sequence[TaggedToken]) -> list[tuple[int, Query]]:
    """(position, query) for each token of a sentence that WordNet has senses for, lemma and POS as tagged."""
    words = tuple(t.text for t in tokens)
    return [(i, Query(words, i, t.lemma, t.pos, tagged=True)) for i, t in enumerate(tokens) if t.is_content]


def disambiguate_sentences(
    disambiguator: Disambiguator,
    sentences: Sequence[Sequence[TaggedToken]],
    settings: Settings | None = None,
    explain: bool = True,
) -> list[list[Answer | None]]:
    """Per sentence, per token: the answer for each content word (else None); all embedded together."""
    where, queries = [], []
    for s, tokens in enumerate(sentences):
        for i, query in content_queries(tokens):
            where.append((s, i))
            queries.append(query)
    answers = disambiguator.disambiguate(queries, settings, explain) if queries else []
    out: list[list[Answer | None]] = [[None] * len(tokens) for tokens in sentences]
    for (s, i), answer in zip(where, answers, strict=True):
        out[s][i] = answer
    return out


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def annotate_tagged(
    disambiguator: Disambiguator,
    sentences: Iterable[tuple[str, str, TaggedSentence]],
    settings: Settings | None = None,
    explain: bool = True,
    batch_sentences: int = BATCH_SENTENCES,
) -> Iterator[AnnotatedSentence]:
    """The sentences of `tagged_sentences` with their content words disambiguated, in order; `batch_sentences`
    sentences are embedded together, so a long text streams."""
    first = 0
    for batch in _batches(sentences, batch_sentences):
        answers = disambiguate_sentences(disambiguator, [s.tokens for _, _, s in batch], settings, explain)
        for (doc_id, sentence_id, sentence), sentence_answers in zip(batch, answers, strict=True):
            yield AnnotatedSentence(doc_id, sentence_id, sentence, first, tuple(sentence_answers))
            first += len(sentence.tokens)


def annotate_text(
    disambiguator: Disambiguator,
    text: str,
    settings: Settings | None = None,
    explain: bool = True,
    batch_sentences: int = BATCH_SENTENCES,
) -> Iterator[AnnotatedSentence]:
    """Every sentence of a text with its content words disambiguated, in order (see `annotate_tagged`)."""
    return annotate_tagged(disambiguator, tagged_sentences(text), settings, explain, batch_sentences)
