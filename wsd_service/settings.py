"""How decisions are made and what a request may ask: each enumeration and limit is defined here once, and
the command lines, the REST schema and the settings validation derive from it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from index_builder.errors import WsdError


class VoteRule(StrEnum):
    """How the k nearest neighbors vote: the paper's top k' (k' = min(k, rarest sense)), top k, or
    similarity-weighted top k."""

    PAPER = "paper"
    MAJORITY = "majority"
    WEIGHTED = "weighted"


class Mode(StrEnum):
    """kNN vote over training vectors, the nearest sense centroid of the lemma's training vectors, the
    nearest sense vector among all WordNet senses of the lemma (LMMS propagation for unseen senses), or that
    sense vector made of the contexts beside the sense's WordNet gloss vector (LMMS-2048: an index built with
    --evidence wordnet-glosses; without gloss vectors it scores as `sense`)."""

    KNN = "knn"
    CENTROID = "centroid"
    SENSE = "sense"
    SENSE_GLOSS = "sense-gloss"


class Backoff(StrEnum):
    """What answers a lemma without training vectors: the WordNet first sense, or nothing."""

    WN1ST = "wn1st"
    NONE = "none"


class Method(StrEnum):
    """How an answer was reached."""

    KNN = "knn"
    CENTROID = "centroid"
    SENSE = "sense"
    BACKOFF = "backoff"
    NONE = "none"


class ConfidenceKind(StrEnum):
    """What an answer's confidence is: the winner's share of the kNN vote, that share mapped by a
    calibration fitted on a development set, or the winner's cosine (centroid and sense modes)."""

    VOTE_SHARE = "vote share"
    CALIBRATED = "calibrated"
    COSINE = "cosine"


MAX_K = 100
MAX_PRIOR = 10.0
MAX_CENTROID = 10.0
# The Settings fields that shape a decision: a request or a command-line flag may override them, and a
# calibration holds only for the values it was fitted at (backoff does not touch the vote share).
DECISION_FIELDS = ("k", "vote", "mode", "pos_filter", "prior", "centroid")
DEFAULT_INDEX = Path("indexes/minilm-wordnet")  # what `wsd serve` and `wsd query` load without --index
DEFAULT_EVIDENCE = ("wordnet-examples", "wordnet-glosses")  # what the default index adds to SemCor


class SettingsError(WsdError):
    """A decision setting out of its range."""


@dataclass(frozen=True)
class Settings:
    """How a decision is made. An index without tuned settings (`wsd bench --tune`) uses these defaults:
    the best SemEval-2007 setting of the first default index (its figures are on the results page)."""

    k: int = 10
    vote: VoteRule = VoteRule.MAJORITY
    mode: Mode = Mode.KNN
    pos_filter: bool = True
    backoff: Backoff = Backoff.WN1ST
    prior: float = 0.0  # weight of the senses' training frequency added to their scores
    centroid: float = 0.0  # knn: weight of each sense centroid's cosine added to the vote shares

    def __post_init__(self) -> None:
        if not 1 <= self.k <= MAX_K:
            raise SettingsError(f"k must be between 1 and {MAX_K}, got {self.k}")
        if not 0.0 <= self.prior <= MAX_PRIOR:
            raise SettingsError(f"prior must be between 0 and {MAX_PRIOR}, got {self.prior}")
        if not 0.0 <= self.centroid <= MAX_CENTROID:
            raise SettingsError(f"centroid must be between 0 and {MAX_CENTROID}, got {self.centroid}")
        for name, kind in (("vote", VoteRule), ("mode", Mode), ("backoff", Backoff)):
            value = getattr(self, name)
            if value not in set(kind):
                raise SettingsError(f"unknown {name} {value!r}; choose from {', '.join(kind)}")
            object.__setattr__(self, name, kind(value))


@dataclass(frozen=True)
class Limits:
    """What one request may carry."""

    max_text_chars: int = 5000
    max_batch_items: int = 64
