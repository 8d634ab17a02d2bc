"""Request and response bodies of the REST API (pydantic models; they also make the OpenAPI schema).
Responses are built from the domain objects (`Answer`, `Neighbor`, `Candidate`, `Sense`), which are
themselves the schema of their parts.

Requests are strict (no type coercion, no unknown fields) so a typo or a wrong type is an error that
names the field, not a silently ignored option. Responses allow extra fields so the answer can grow.

The request schema states every rule JSON Schema can (the target's two shapes, non-blank strings, ranges,
text or tokens; the size limits are added per app by wsd_service/api/openapi.py), so that a request the
schema allows is refused only by a rule across fields that JSON Schema cannot express: a span inside the
text and with end > start, a token number below the sentence's length, a span over a word, and the total
length of `tokens`. The blank-string rules are checked by the validators below, so that each refusal says
what to fix; the schema carries them as a `pattern` for a non-space character (`str.strip`'s whitespace).

Long on purpose: every request and response body of the API in one place, as the OpenAPI schema shows them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from index_builder.inventory import Sense
from index_builder.text import TaggedToken
from wsd_service.annotate import AnnotatedSentence
from wsd_service.disambiguator import Answer, Candidate, Neighbor
from wsd_service.settings import MAX_CENTROID, MAX_K, MAX_PRIOR, ConfidenceKind, Method, Mode, VoteRule

Pos = Literal["NOUN", "VERB", "ADJ", "ADV"]


def _valid_unicode(value: str) -> str:
    """Reject lone surrogates: they cannot be encoded as UTF-8, so no tokenizer or response can hold them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(
            "contains an invalid character (a lone UTF-16 surrogate); send valid Unicode"
        ) from err
    return value


def integral(value: Any) -> Any:
    """JSON Schema counts 3.0 as an integer: take a float without a fraction as that integer."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Text = Annotated[str, AfterValidator(_valid_unicode)]
# Integers with their bounds (inside the Annotated, where pydantic turns them into minimum/maximum).
NonNegative = Annotated[int, Field(ge=0), BeforeValidator(integral)]
Positive = Annotated[int, Field(ge=1), BeforeValidator(integral)]
NeighborCount = Annotated[int, Field(ge=1, le=MAX_K), BeforeValidator(integral)]
# A string holding at least one non-space character (the validators say which field is blank).
NON_BLANK = {"type": "string", "minLength": 1, "pattern": r"\S"}
Words = Annotated[str, AfterValidator(_valid_unicode), WithJsonSchema(NON_BLANK)]
_REQUEST = ConfigDict(strict=True, extra="forbid")
_RESPONSE = ConfigDict(extra="allow")

_SPAN = {
    "type": "object",
    "title": "Span",
    "additionalProperties": False,
    "required": ["start", "end"],
    "properties": {
        "start": {"type": "integer", "minimum": 0, "description": "first character of the word in `text`"},
        "end": {
            "type": "integer",
            "minimum": 1,
            "description": "one past the last character of the word in `text`; "
            "greater than start, at most the text's length",
        },
    },
}
_TOKEN = {
    "type": "object",
    "title": "Token",
    "additionalProperties": False,
    "required": ["index"],
    "properties": {
        "index": {
            "type": "integer",
            "minimum": 0,
            "description": "token number, counted from 0; below the number of tokens",
        }
    },
}


def _span_or_token(schema: dict[str, Any]) -> None:
    """Target's schema: exactly one of its two shapes (the model itself has three optional fields)."""
    description = schema.get("description")
    schema.clear()
    schema.update({"title": "Target", "description": description, "oneOf": [_SPAN, _TOKEN]})


class Target(BaseModel):
    """The word to disambiguate: a token number, or a character span [start, end) of the text."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_span_or_token)
    index: NonNegative | None = Field(None, description="token number, counted from 0")
    start: NonNegative | None = Field(None, description="first character of the word in `text`")
    end: Positive | None = Field(None, description="one past the last character of the word in `text`")

    @model_validator(mode="after")
    def _one_way(self) -> Target:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{nulls[0]} is null; give index, or start and end, as integers")
        span = self.start is not None or self.end is not None
        if self.index is not None and span:
            raise ValueError("give either index or start and end, not both")
        if self.index is None and (self.start is None or self.end is None):
            raise ValueError("give index (a token number) or both start and end (a character span of text)")
        if span and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be greater than start ({self.start})")
        return self


class DecisionOptions(BaseModel):
    """Per-request decision settings; those left out keep the index's defaults."""

    model_config = _REQUEST
    k: NeighborCount | None = Field(None, description=f"neighbors that vote (1..{MAX_K})")
    mode: Mode | None = Field(
        None,
        strict=False,
        description="knn: neighbors vote; centroid: nearest sense mean "
        "of the training vectors; sense: nearest sense vector among all WordNet senses",
    )
    prior: float | None = Field(
        None, ge=0, le=MAX_PRIOR, description="weight of the senses' training frequency added to their scores"
    )
    centroid: float | None = Field(
        None,
        ge=0,
        le=MAX_CENTROID,
        description="knn: weight of each sense centroid's cosine added to the vote shares",
    )
    vote: VoteRule | None = Field(
        None, strict=False, description="paper (top k'), majority (top k), weighted (similarity sum)"
    )
    pos_filter: bool | None = Field(None, description="compare only with training vectors of the same POS")
    index: Text | None = Field(
        None, description="name of a loaded index (GET /v1/indexes); default: the first"
    )


def text_or_tokens(schema: dict[str, Any]) -> None:
    """Exactly one of text and tokens; with tokens, the target is a token number."""
    schema["oneOf"] = [
        {"required": ["text"], "properties": {"text": {"type": "string"}, "tokens": {"type": "null"}}},
        {
            "required": ["tokens"],
            "properties": {
                "tokens": {"type": "array"},
                "text": {"type": "null"},
                "target": {"required": ["index"]},
            },
        },
    ]


class DisambiguateRequest(DecisionOptions):
    """One word in its sentence: `text` + character span, or `tokens` + token number."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=text_or_tokens)
    text: Words | None = Field(
        None,
        description="raw sentence; it is tokenised by the service",
        examples=["He sat on the bank of the river."],
    )
    tokens: list[Words] | None = Field(
        None,
        json_schema_extra={"minItems": 1},
        description="pre-tokenised sentence (a token may hold spaces, e.g. a multi-word expression)",
    )
    target: Target
    lemma: Words | None = Field(None, description="lemma of the target (default: derived from the word)")
    pos: Pos | None = Field(None, description="POS of the target (default: derived from the word)")
    projection: bool = Field(False, description="add 2D PCA coordinates of the query and its neighbors")

    @model_validator(mode="after")
    def _one_sentence(self) -> DisambiguateRequest:
        if (self.text is None) == (self.tokens is None):
            raise ValueError(
                "give either text (with target.start and target.end) or tokens "
                "(with target.index), not both and not neither"
            )
        if self.text is not None and not self.text.strip():
            raise ValueError("text is empty; send the sentence that holds the word")
        if self.tokens is not None:
            if not self.tokens:
                raise ValueError("tokens is empty; send the words of the sentence")
            blank = [i for i, token in enumerate(self.tokens) if not token.strip()]
            if blank:
                raise ValueError(f"tokens[{blank[0]}] is empty; every token must hold a word")
            if self.target.index is None:
                raise ValueError("with tokens, give the word as target.index (a token number)")
        if self.lemma is not None and not self.lemma.strip():
            raise ValueError("lemma is empty; leave it out to derive it from the word")
        return self


class BatchRequest(BaseModel):
    model_config = _REQUEST
    items: list[DisambiguateRequest] = Field(
        description="requests answered together (one forward pass per index)"
    )


class AnnotateRequest(DecisionOptions):
    """A text whose content words are all disambiguated."""

    text: Words = Field(description="raw text", examples=["The bank closed the account."])

    @model_validator(mode="after")
    def _not_empty(self) -> AnnotateRequest:
        if not self.text.strip():
            raise ValueError("text is empty; send the text to annotate")
        return self


# -- responses ----------------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    detail: str = Field(description="what is wrong and how to fix it")


class TargetOut(BaseModel):
    index: int = Field(description="token number of the target, counted from 0")
    token: str
    span: list[int] | None = Field(description="character span in the text (null for tokens input)")


class ProjectionOut(BaseModel):
    query: list[float]
    neighbors: list[list[float]]


class AnswerOut(BaseModel):
    """The sense of one word and its evidence."""

    model_config = _RESPONSE
    sense: Sense | None
    confidence: float = Field(
        description="share of the vote won by the sense, or that share calibrated "
        "(see confidence_kind); centroid and sense modes: cosine similarity"
    )
    confidence_kind: ConfidenceKind = Field(
        ConfidenceKind.VOTE_SHARE,
        description="what confidence is: vote "
        "share, calibrated (accuracy observed at that vote share on a "
        "development set) or cosine",
    )
    margin: float = Field(
        0.0,
        description="the chosen sense's lead over the runner-up: difference of vote "
        "shares (knn) or of cosines (centroid, sense)",
    )
    method: Method
    lemma: str
    pos: str | None
    neighbors: list[Neighbor] = Field(description="the nearest training contexts, most similar first")
    votes: dict[str, float]
    candidates: list[Candidate] = Field(description="every sense of the lemma with its training vectors")
    k: int = Field(description="how many neighbors voted")
    propagated: dict[str, str] = Field(
        default_factory=dict,
        description="sense mode: senses whose vector was "
        "propagated (synset, hypernym or lexname) because they have no own vectors",
    )
    index: str = Field(description="the index that answered")
    message: str | None
    target: TargetOut | None = None
    tokens: list[str] | None = None
    projection: ProjectionOut | None = None

    @classmethod
    def of(cls, answer: Answer, index: str, **extra: Any) -> AnswerOut:
        """The response for a domain answer from the index served as `index`; `extra` sets target, tokens
        or projection."""
        return cls(
            sense=answer.sense,
            confidence=round(answer.confidence, 4),
            confidence_kind=answer.confidence_kind,
            margin=round(answer.margin, 4),
            method=answer.method,
            lemma=answer.lemma,
            pos=answer.pos,
            neighbors=answer.neighbors,
            votes={k: round(v, 4) for k, v in answer.votes.items()},
            candidates=answer.candidates,
            k=answer.k_used,
            propagated=answer.propagated,
            index=index,
            message=answer.message,
            **extra,
        )


class BatchOut(BaseModel):
    results: list[AnswerOut]


class TokenOut(BaseModel):
    """One token of an annotated text; a content word WordNet knows carries its sense."""

    index: int = Field(description="token number among all tokens of the text, counted from 0")
    text: str
    start: int = Field(description="first character in the text")
    end: int = Field(description="one past the last character in the text")
    lemma: str
    pos: str | None = Field(description="NOUN, VERB, ADJ or ADV; null for function words and punctuation")
    sense: Sense | None = None
    confidence: float | None = None
    method: Method | None = None

    @classmethod
    def of(cls, token: TaggedToken, index: int, answer: Answer | None) -> TokenOut:
        decided = (
            {}
            if answer is None
            else {"sense": answer.sense, "confidence": round(answer.confidence, 4), "method": answer.method}
        )
        return cls(
            index=index,
            text=token.text,
            start=token.start,
            end=token.end,
            lemma=token.lemma,
            pos=token.pos,
            **decided,
        )


class SentenceOut(BaseModel):
    """One sentence of an annotated text (also one line of `wsd annotate`'s JSON lines)."""

    id: str = Field(description="d000.s000: paragraph and sentence number")
    text: str
    start: int
    end: int
    tokens: list[TokenOut] = Field(description="every token; WordNet compounds (ice cream) are one token")

    @classmethod
    def of(cls, annotated: AnnotatedSentence) -> SentenceOut:
        sentence = annotated.sentence
        tokens = [
            TokenOut.of(t, annotated.first + i, a)
            for i, (t, a) in enumerate(zip(sentence.tokens, annotated.answers, strict=True))
        ]
        return cls(id=annotated.id, text=sentence.text, start=sentence.start, end=sentence.end, tokens=tokens)


class AnnotateOut(BaseModel):
    index: str
    tokens: list[str] = Field(description="all tokens of the text, sentence after sentence")
    spans: list[list[int]] = Field(description="character span of each token")
    annotations: list[AnswerOut] = Field(description="one answer per content word, with its target")
    sentences: list[SentenceOut] = Field(
        description="the text sentence by sentence, every token with its "
        "lemma, POS and, for content words, sense"
    )
    message: str | None = Field(None, description="why nothing was disambiguated, when nothing was")


class IndexOut(BaseModel):
    model_config = _RESPONSE
    name: str
    manifest: dict
    settings: dict


class IndexesOut(BaseModel):
    default: str
    indexes: list[IndexOut]


class SenseCountOut(BaseModel):
    key: str
    synset: str
    id: str
    gloss: str
    train_count: int
    pos: str


class SensesOut(BaseModel):
    lemma: str
    pos: str | None
    index: str
    senses: list[SenseCountOut]
    message: str | None = None


class HealthOut(BaseModel):
    status: Literal["ok"]
    indexes: list[str]


class ReadyOut(BaseModel):
    status: Literal["ready", "warming", "failed"]
    indexes: list[str]
    detail: str | None = Field(None, description="why the warm-up failed")
