"""The service layer shared by the REST API and `wsd query`: requests -> Disambiguator queries -> answers.

Every decision goes through `Disambiguator.disambiguate`. One lock guards all work on the loaded
indexes: torch models (possibly shared between indexes), FAISS and the SQLite connections are used by one
thread at a time; the forward pass itself uses torch's own intra-op threads. Preparing a request (tagging
its text, finding its target) does not take it: spaCy and nltk's WordNet reader have locks of their own
(`index_builder.text`, `index_builder.inventory`), so requests are prepared while a batch is decided.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from index_builder.errors import WsdError
from index_builder.inventory import SenseInventory, normalise_lemma
from index_builder.text import TaggedToken, merge, resolve, resolve_in, tag_words
from wsd_service.annotate import annotate_tagged, tagged_sentences
from wsd_service.api.public import without_paths
from wsd_service.api.schemas import (
    AnnotateOut,
    AnnotateRequest,
    AnswerOut,
    DecisionOptions,
    DisambiguateRequest,
    ProjectionOut,
    SensesOut,
    SentenceOut,
    TargetOut,
)
from wsd_service.disambiguator import Answer, Disambiguator, Query
from wsd_service.projection import project
from wsd_service.settings import DECISION_FIELDS, Limits, Settings

log = logging.getLogger(__name__)


class RequestError(WsdError):
    """A request the service cannot answer; `status` is the HTTP status, the message says what to fix."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Prepared:
    """A validated request, ready to decide."""

    index_name: str
    query: Query
    settings: Settings
    target: TargetOut
    projection: bool


class Service:
    """Loaded indexes by name (the first is the default), limits, and the lock."""

    def __init__(self, disambiguators: Mapping[str, Disambiguator], limits: Limits | None = None) -> None:
        if not disambiguators:
            raise WsdError("the service needs at least one index")
        self.disambiguators = dict(disambiguators)
        self.default = next(iter(self.disambiguators))
        self.limits = limits or Limits()
        self.lock = threading.RLock()  # re-entrant: a sense-map query prepares a request under it

    # -- lookups ---------------------------------------------------------------------------------

    def get(self, name: str | None) -> Disambiguator:
        """The index of that name (the default when None), or a 404 listing the loaded names."""
        found = self.disambiguators.get(name or self.default)
        if found is None:
            loaded = ", ".join(repr(n) for n in self.disambiguators)
            raise RequestError(404, f"unknown index {name!r}; loaded indexes: {loaded}")
        return found

    def settings_for(self, name: str | None, options: DecisionOptions) -> Settings:
        """The index's settings with the request's overrides."""
        overrides = {
            f: getattr(options, f) for f in DECISION_FIELDS if getattr(options, f) is not None
        }  # the request fields named as Settings fields
        return replace(self.get(name).settings, **overrides)

    def warm_up(self) -> None:
        """Load the spaCy pipeline, every backend and per-vector table now, not on the first request."""
        with self.lock:
            tag_words("Warm up the tagger.")
            for name, disambiguator in self.disambiguators.items():
                disambiguator.ensure_backend().embed([["warm", "up"]])
                _ = disambiguator.folder.vector_keys
                log.info(
                    "index %s ready: %s, %d vectors",
                    name,
                    disambiguator.folder.path,
                    disambiguator.folder.size,
                )

    def check_size(self, chars: int) -> None:
        _within_limit(
            chars,
            self.limits.max_text_chars,
            f"text has {chars} characters",
            "send a shorter text (one sentence is enough)",
        )

    def check_items(self, count: int) -> None:
        _within_limit(
            count, self.limits.max_batch_items, f"batch has {count} items", "split it into smaller batches"
        )

    # -- disambiguate ----------------------------------------------------------------------------

    def prepare(self, request: DisambiguateRequest) -> Prepared:
        """Tag the sentence, find the target token and its lemma and POS, check limits; raise RequestError on
        bad input. Explicit lemma and POS win over the tagger's."""
        index_name = request.index or self.default
        settings = self.settings_for(request.index, request)
        lemma = request.lemma.strip() if request.lemma else None
        if request.text is not None:
            self.check_size(len(request.text))
            tagged = list(tag_words(request.text))
            position, tagged = self._text_target(request, tagged)
            lemma, pos = resolve(tagged[position], lemma, request.pos)
            tokens, span = [t.text for t in tagged], [tagged[position].start, tagged[position].end]
        else:
            tokens, span, pos = list(request.tokens or []), None, request.pos
            self.check_size(sum(map(len, tokens)) + len(tokens) - 1)
            position = request.target.index if request.target.index is not None else -1
            self._check_index(position, len(tokens))
        query = Query(tuple(tokens), position, lemma, pos, tagged=request.text is not None)
        target = TargetOut(index=position, token=tokens[position], span=span)
        return Prepared(index_name, query, settings, target, request.projection)

    @staticmethod
    def _check_index(position: int, count: int) -> None:
        if not 0 <= position < count:
            raise RequestError(
                422,
                f"target.index {position} is out of range: the sentence has {count} tokens (0..{count - 1})",
            )

    def _text_target(
        self, request: DisambiguateRequest, tagged: list[TaggedToken]
    ) -> tuple[int, list[TaggedToken]]:
        """The target's token number among the text's tokens, and the tokens: a span over the words of a
        WordNet compound ("ice cream") makes them one token, a span over other words picks the first."""
        text, target = request.text or "", request.target
        if not tagged:
            raise RequestError(422, "text holds no word; send the sentence that holds the word")
        if target.index is not None:
            self._check_index(target.index, len(tagged))
            return target.index, tagged
        start, end = target.start or 0, target.end or 0
        if end > len(text):
            raise RequestError(
                422,
                f"target span {start}..{end} is outside the text ({len(text)} characters); "
                "start and end count characters from 0, end exclusive",
            )
        covered = [i for i, t in enumerate(tagged) if t.start < end and start < t.end]
        if not covered:
            raise RequestError(
                422,
                f"target span {start}..{end} covers no word of the text (only spaces); "
                "point it at the word's characters",
            )
        first, last = covered[0], covered[-1]
        if first < last:
            unit = merge(tagged[first : last + 1], text[tagged[first].start : tagged[last].end])
            if unit.is_content:
                return first, [*tagged[:first], unit, *tagged[last + 1 :]]
        return first, tagged

    def disambiguate(self, requests: Sequence[DisambiguateRequest]) -> list[AnswerOut]:
        """Answers in request order; the queries of one index and settings are embedded together."""
        return self.answer([self.prepare(r) for r in requests])

    def answer(self, prepared: Sequence[Prepared]) -> list[AnswerOut]:
        """Answers of prepared requests, in order (one forward pass per index and settings); the micro-batcher
        calls this with the requests that arrived together."""
        groups: dict[tuple[str, Settings], list[int]] = defaultdict(list)
        for i, p in enumerate(prepared):
            groups[(p.index_name, p.settings)].append(i)
        results: list[AnswerOut] = [None] * len(prepared)  # type: ignore[list-item]  # filled below
        with self.lock:
            for (name, settings), positions in groups.items():
                disambiguator = self.disambiguators[name]
                answers = disambiguator.disambiguate([prepared[i].query for i in positions], settings)
                for i, answer in zip(positions, answers):
                    results[i] = self._payload(disambiguator, prepared[i], answer)
        return results

    @staticmethod
    def _payload(disambiguator: Disambiguator, p: Prepared, answer: Answer) -> AnswerOut:
        extra = {}
        if p.projection:
            extra["projection"] = ProjectionOut(
                **project(disambiguator, answer, answer.vector, p.settings.pos_filter)
            )
        return AnswerOut.of(answer, p.index_name, target=p.target, tokens=list(p.query.tokens), **extra)

    # -- annotate --------------------------------------------------------------------------------

    def annotate(self, request: AnnotateRequest) -> AnnotateOut:
        """Every content word of the text disambiguated, sentence by sentence; the sentences are embedded
        together."""
        index_name = request.index or self.default
        disambiguator = self.get(index_name)
        settings = self.settings_for(index_name, request)
        self.check_size(len(request.text))
        tagged = list(tagged_sentences(request.text))
        with self.lock:
            annotated = list(annotate_tagged(disambiguator, tagged, settings))
        tokens = [t for a in annotated for t in a.sentence.tokens]
        annotations = [
            AnswerOut.of(
                answer,
                index_name,
                target=TargetOut(index=a.first + i, token=token.text, span=[token.start, token.end]),
            )
            for a in annotated
            for i, (token, answer) in enumerate(zip(a.sentence.tokens, a.answers, strict=True))
            if answer is not None
        ]
        message = None if annotations else "no word of the text is one that WordNet has senses for"
        return AnnotateOut(
            index=index_name,
            tokens=[t.text for t in tokens],
            spans=[[t.start, t.end] for t in tokens],
            annotations=annotations,
            sentences=[SentenceOut.of(a) for a in annotated],
            message=message,
        )

    # -- inventory -------------------------------------------------------------------------------

    def senses(self, lemma: str, pos: str | None, index: str | None) -> SensesOut:
        """WordNet senses of a lemma (all POS when None) with their training counts in the index.
        An inflected form falls back to its base form (e.g. banks -> bank), said in `message`."""
        disambiguator = self.get(index)
        name = normalise_lemma(lemma)
        if not name:
            raise RequestError(422, "lemma is empty; ask for a word such as /v1/senses/bank")
        message = None
        with self.lock:
            inventory = disambiguator.inventory
            if not inventory.senses(name, pos):
                base, base_pos = resolve_in((lemma,), 0, None, pos)  # the word tagged on its own
                if base != name and base_pos and inventory.senses(base, base_pos):
                    message, name, pos = (
                        f"{lemma!r} is not a WordNet lemma; showing its base form {base!r}",
                        base,
                        base_pos,
                    )
                else:
                    message = f"WordNet has no sense for {lemma!r}" + (f" as {pos}" if pos else "")
            groups = disambiguator.groups_for(name, pos, pos_filter=True)
            candidates = disambiguator.candidates(name, pos, groups)
            senses = [{**asdict(c), "pos": _sense_pos(inventory, c.key)} for c in candidates]
        return SensesOut(lemma=name, pos=pos, index=index or self.default, senses=senses, message=message)

    def indexes(self) -> dict[str, Any]:
        return {
            "default": self.default,
            "indexes": [
                {"name": name, "manifest": without_paths(d.folder.manifest), "settings": asdict(d.settings)}
                for name, d in self.disambiguators.items()
            ],
        }


def _within_limit(count: int, limit: int, what: str, advice: str) -> None:
    """RequestError 413 when `count` is over `limit`: "<what>; the limit is <limit>: <advice>"."""
    if count > limit:
        raise RequestError(413, f"{what}; the limit is {limit}: {advice}")


def _sense_pos(inventory: SenseInventory, key: str) -> str:
    sense = inventory.sense(key)
    return sense.pos if sense else ""
