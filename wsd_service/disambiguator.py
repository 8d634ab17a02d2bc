"""The one Disambiguator used by the REST API, the command line and the benchmark.

A query word is embedded in its sentence with the index's own backend, compared with the training
vectors of its (lemma, POS) group, and labelled by a vote of its nearest neighbors (or by the nearest
sense centroid). The answer carries its evidence: neighbors, votes, candidates.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from index_builder.backends import EmbeddingBackend, create_backend
from index_builder.evidence import source_of
from index_builder.index_folder import Group, IndexFolder, normalise_rows
from index_builder.inventory import Sense, SenseInventory
from index_builder.text import resolve_in
from wsd_service.calibration import Calibration
from wsd_service.sense_vectors import SenseVectors, Source
from wsd_service.settings import Backoff, ConfidenceKind, Method, Mode, Settings, VoteRule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Query:
    tokens: tuple[str, ...]
    position: int  # which token is the target
    lemma: str | None = None  # None: from the tagged sentence (see `Disambiguator.resolve`)
    pos: str | None = None  # NOUN, VERB, ADJ, ADV; None: from the tagged sentence
    tagged: bool = False  # lemma and POS are already the tagger's (a None POS is a function word): keep them


@dataclass
class Neighbor:
    sense_key: str
    synset: str | None
    gloss: str | None
    similarity: float
    sentence: str
    span: tuple[int, int]
    sentence_id: str
    instance_id: str
    source: str = "semcor"  # semcor, wordnet-examples or wordnet-glosses (from the instance id)


@dataclass
class Candidate:
    key: str
    synset: str
    id: str
    gloss: str
    train_count: int


@dataclass
class Answer:
    sense: Sense | None
    confidence: float
    method: Method
    lemma: str
    pos: str | None
    neighbors: list[Neighbor] = field(default_factory=list)
    votes: dict[str, float] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)
    k_used: int = 0
    neighbor_ids: list[int] = field(default_factory=list)  # vector ids of the neighbors, nearest first
    propagated: dict[str, Source] = field(default_factory=dict)  # sense mode: senses without own vectors
    message: str | None = None
    margin: float = 0.0  # the winner's score minus the runner-up's (vote shares for knn, cosines otherwise)
    confidence_kind: ConfidenceKind = ConfidenceKind.VOTE_SHARE
    vector: np.ndarray | None = field(default=None, repr=False)  # the query's own vector (not serialised)


def vote(
    keys: Sequence[tuple[str, ...]], sims: Sequence[float], rule: VoteRule, k_prime: int
) -> dict[str, float]:
    """Votes per sense of the ranked neighbors: `majority` counts the top k, `weighted` sums their
    similarities, `paper` counts the top k' (k' = min(k, size of the rarest candidate sense))."""
    take = k_prime if rule == VoteRule.PAPER else len(keys)
    votes: dict[str, float] = defaultdict(float)
    for neighbor_keys, sim in zip(keys[:take], sims[:take]):
        for key in neighbor_keys:
            votes[key] += float(sim) if rule == VoteRule.WEIGHTED else 1.0
    return dict(votes)


SENSE_MODES = (Mode.SENSE, Mode.SENSE_GLOSS)
METHOD_OF_MODE = {
    Mode.KNN: Method.KNN,
    Mode.CENTROID: Method.CENTROID,
    Mode.SENSE: Method.SENSE,
    Mode.SENSE_GLOSS: Method.SENSE,
}


def train_counts(groups: Sequence[Group]) -> dict[str, int]:
    """Training vectors per sense key over the searched groups."""
    counts: dict[str, int] = defaultdict(int)
    for group in groups:
        for key, n in group.sense_counts.items():
            counts[key] += n
    return dict(counts)


def winner(votes: dict[str, float], keys: Sequence[tuple[str, ...]], sims: Sequence[float]) -> str:
    """The most voted sense; a tie goes to the larger summed similarity, then the smaller key."""
    summed: dict[str, float] = defaultdict(float)
    for neighbor_keys, sim in zip(keys, sims):
        for key in neighbor_keys:
            summed[key] += float(sim)
    return min(votes, key=lambda key: (-votes[key], -summed[key], key))


def with_prior(scores: dict[str, float], counts: dict[str, int], weight: float) -> dict[str, float]:
    """Scores plus `weight` times each sense's share of the training vectors (its SemCor frequency):
    0 leaves them as they are; a large weight tends to the most frequent sense."""
    if not weight or not counts:
        return scores
    total = sum(counts.values())
    keys = set(scores) | set(counts)
    return {key: scores.get(key, 0.0) + weight * counts.get(key, 0) / total for key in keys}


def with_centroids(votes: dict[str, float], cosines: dict[str, float], weight: float) -> dict[str, float]:
    """The knn votes as shares of their total plus `weight` times the cosine of each sense's centroid: the
    neighbors decide, and the senses' whole clouds break their ties and near ties. 0 leaves the votes."""
    if not weight:
        return votes
    total = sum(votes.values()) or 1.0
    keys = set(votes) | set(cosines)
    return {key: votes.get(key, 0.0) / total + weight * cosines.get(key, 0.0) for key in keys}


def confidence(scores: dict[str, float], chosen: str, mode: Mode) -> float:
    """The winner's share of the (non-negative) scores; for centroid and sense modes, its cosine."""
    if mode != Mode.KNN:
        return max(0.0, min(1.0, scores[chosen]))
    total = sum(max(v, 0.0) for v in scores.values())
    return scores[chosen] / total if total else 0.0


def margin(scores: dict[str, float], chosen: str, mode: Mode) -> float:
    """How far the winner leads the runner-up (a runner-up that did not score counts 0): in knn mode the
    difference of their vote shares, in centroid and sense modes the difference of their cosines."""
    lead = scores[chosen] - max((v for key, v in scores.items() if key != chosen), default=0.0)
    if mode != Mode.KNN:
        return lead
    total = sum(max(v, 0.0) for v in scores.values())
    return lead / total if total else 0.0


class Disambiguator:
    """kNN / centroid sense decisions over one index folder, with explanations."""

    def __init__(
        self,
        folder: IndexFolder,
        backend: EmbeddingBackend | None = None,
        inventory: SenseInventory | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.folder = folder
        self.backend = backend
        self.inventory = inventory or SenseInventory()
        self.settings = settings or Settings()
        self.calibration: Calibration | None = None  # maps the knn vote share to a calibrated confidence
        self._centroid_cache: dict[tuple[str, str], tuple[list[str], np.ndarray]] = {}
        self._sense_vectors: dict[Mode, SenseVectors] = {}  # built on first use of a sense mode

    @property
    def name(self) -> str:
        return self.folder.name

    def ensure_backend(self) -> EmbeddingBackend:
        """The index's own embedder, rebuilt from the manifest's spec on first use."""
        if self.backend is None:
            self.backend = create_backend(**self.folder.backend_spec)
        return self.backend

    # -- embedding -------------------------------------------------------------------------------

    def embed(self, queries: Sequence[Query]) -> np.ndarray:
        """Normalised vectors of the query targets; each distinct sentence is embedded once."""
        backend = self.ensure_backend()
        sentences = list(dict.fromkeys(q.tokens for q in queries))
        position = {s: i for i, s in enumerate(sentences)}
        vectors = backend.embed([list(s) for s in sentences]) if sentences else []
        rows = [vectors[position[q.tokens]][q.position] for q in queries]
        return normalise_rows(np.stack(rows)) if rows else np.zeros((0, backend.dim), np.float32)

    # -- lemma and POS ---------------------------------------------------------------------------

    @staticmethod
    def resolve(query: Query) -> Query:
        """The query with its lemma and POS: given ones win; missing ones come from tagging its sentence in
        context (spaCy, checked against WordNet: `index_builder.text`). A function word gets no POS."""
        if query.tagged:
            return query
        lemma, pos = resolve_in(query.tokens, query.position, query.lemma, query.pos)
        return replace(query, lemma=lemma, pos=pos)

    def groups_for(self, lemma: str, pos: str | None, pos_filter: bool) -> list[Group]:
        if pos_filter and pos:
            group = self.folder.groups.get((lemma, pos))
            return [group] if group else []
        return list(self.folder.groups_by_lemma.get(lemma, []))

    # -- deciding --------------------------------------------------------------------------------

    def _centroids(self, group: Group) -> tuple[list[str], np.ndarray]:
        """Sense names and normalised mean vectors of one group (computed once per group)."""
        cached = self._centroid_cache.get((group.lemma, group.pos))
        if cached is not None:
            return cached
        vectors = self.folder.group_vectors(group)
        keys = self.folder.vector_keys[group.first_id : group.first_id + group.count]
        members: dict[str, list[int]] = defaultdict(list)
        for row, row_keys in enumerate(keys):
            for key in row_keys:
                members[key].append(row)
        names = sorted(members)
        cached = names, normalise_rows(np.stack([vectors[members[n]].mean(axis=0) for n in names]))
        self._centroid_cache[(group.lemma, group.pos)] = cached
        return cached

    def _neighbors(self, groups: list[Group], vector: np.ndarray, k: int) -> tuple[list[int], list[float]]:
        found: list[tuple[float, int]] = []
        for group in groups:
            sims, ids = self.folder.search(group, vector, k)
            found.extend(zip(sims[0].tolist(), ids[0].tolist()))
        found.sort(key=lambda pair: (-pair[0], pair[1]))
        return [i for _, i in found[:k]], [s for s, _ in found[:k]]

    def decide(
        self,
        vector: np.ndarray,
        lemma: str,
        pos: str | None,
        settings: Settings | None = None,
        explain: bool = True,
    ) -> Answer:
        """The sense of one embedded target; `explain=False` skips the neighbor texts (benchmark)."""
        s = settings or self.settings
        groups = self.groups_for(lemma, pos, s.pos_filter) if pos else []  # no POS: a function word
        answer = Answer(sense=None, confidence=0.0, method=Method.NONE, lemma=lemma, pos=pos)
        if explain:
            answer.candidates = self.candidates(lemma, pos, groups)
        if not groups and s.mode not in SENSE_MODES:
            return self._backoff(answer, s)
        ids, sims = self._neighbors(groups, vector, s.k)
        keys = [self.folder.vector_keys[i] for i in ids]
        answer.k_used, answer.neighbor_ids = len(ids), ids
        counts = train_counts(groups)
        if s.mode in SENSE_MODES:
            answer.votes, answer.propagated = self._sense_scores(lemma, pos, vector, s.mode)
            if not answer.votes:
                return self._backoff(answer, s)
        elif s.mode == Mode.CENTROID:
            answer.votes = self._centroid_scores(groups, vector)
        else:
            if s.vote == VoteRule.PAPER:
                answer.k_used = min(len(ids), min(counts.values()))
            answer.votes = vote(keys, sims, s.vote, max(answer.k_used, 1))
        scores = answer.votes
        if s.mode == Mode.KNN and s.centroid:
            scores = with_centroids(scores, self._centroid_scores(groups, vector), s.centroid)
        scores = with_prior(scores, counts, s.prior)
        chosen = winner(scores, keys, sims)
        answer.method = METHOD_OF_MODE[s.mode]
        answer.confidence, answer.confidence_kind = self._confidence(scores, chosen, s)
        answer.margin = margin(scores, chosen, s.mode)
        answer.sense = self.inventory.sense(chosen)
        if answer.sense is None:  # a training key WordNet 3.0 does not know: never in the shipped data
            answer.message = f"training key {chosen} is not in WordNet 3.0"
        if explain:
            answer.neighbors = self._explain(ids, sims)
        return answer

    def _confidence(self, scores: dict[str, float], chosen: str, s: Settings) -> tuple[float, ConfidenceKind]:
        """The winner's confidence and what it is: a cosine (centroid, sense), the vote share, or the vote
        share mapped by the index's calibration when that was fitted for these settings."""
        raw = confidence(scores, chosen, s.mode)
        if s.mode != Mode.KNN:
            return raw, ConfidenceKind.COSINE
        if self.calibration is not None and self.calibration.fits(s):
            return self.calibration.apply(raw), ConfidenceKind.CALIBRATED
        return raw, ConfidenceKind.VOTE_SHARE

    def _centroid_scores(self, groups: list[Group], vector: np.ndarray) -> dict[str, float]:
        """The cosine of every sense centroid of the groups (the best one where a sense is in several)."""
        scores: dict[str, float] = {}
        for group in groups:
            names, centroids = self._centroids(group)
            for name, sim in zip(names, (centroids @ vector).tolist()):
                scores[name] = max(sim, scores.get(name, -2.0))
        return scores

    def _sense_scores(
        self, lemma: str, pos: str | None, vector: np.ndarray, mode: Mode
    ) -> tuple[dict[str, float], dict]:
        """Cosine with the sense vector of every WordNet sense of the lemma, and which were propagated."""
        if mode not in self._sense_vectors:
            self._sense_vectors[mode] = SenseVectors(
                self.folder, self.inventory, with_glosses=mode == Mode.SENSE_GLOSS
            )
        scores, sources = self._sense_vectors[mode].scores(self.inventory.senses(lemma, pos), vector)
        return scores, {key: source for key, source in sources.items() if source != Source.OWN}

    def _backoff(self, answer: Answer, s: Settings) -> Answer:
        senses = self.inventory.senses(answer.lemma, answer.pos) if answer.pos else ()
        if not senses:
            answer.message = self._no_sense(answer.lemma, answer.pos)
            return answer
        if s.backoff == Backoff.NONE:
            answer.message = "no training vectors for this lemma and POS; left unanswered (backoff none)"
            return answer
        answer.sense, answer.method, answer.confidence = senses[0], Method.BACKOFF, 0.0
        answer.message = "no training vectors for this lemma and POS; WordNet first sense"
        return answer

    def _no_sense(self, lemma: str, pos: str | None) -> str:
        known = self.inventory.known_pos(lemma) if lemma.strip() else []
        if pos is None and known:
            return (
                f"{lemma!r} is not a content word in this sentence (the tagger reads it as a function "
                f"word); give pos ({', '.join(known)}) to disambiguate it anyway"
            )
        return f"WordNet has no sense for {lemma!r}" + (f" as {pos}" if pos else "")

    def candidates(self, lemma: str, pos: str | None, groups: list[Group]) -> list[Candidate]:
        """All WordNet senses of the lemma (and any other sense the groups were trained on), with the
        number of training vectors of each."""
        counts = train_counts(groups)
        senses = list(self.inventory.senses(lemma, pos if pos else None))
        known = {sense.key for sense in senses}
        senses += [sense for key in counts if key not in known and (sense := self.inventory.sense(key))]
        return [Candidate(s.key, s.synset, s.id, s.gloss, counts.get(s.key, 0)) for s in senses]

    def _explain(self, ids: list[int], sims: list[float]) -> list[Neighbor]:
        records = self.folder.records(ids)
        texts = self.folder.sentences(list({r.sentence_id for r in records}))
        out = []
        for record, sim in zip(records, sims):
            sense = self.inventory.sense(record.keys[0])
            out.append(
                Neighbor(
                    sense_key=record.keys[0],
                    synset=sense.synset if sense else None,
                    gloss=sense.gloss if sense else None,
                    similarity=round(float(sim), 4),
                    sentence=texts.get(record.sentence_id, ""),
                    span=record.span,
                    sentence_id=record.sentence_id,
                    instance_id=record.instance_id,
                    source=source_of(record.instance_id),
                )
            )
        return out

    def disambiguate(
        self, queries: Sequence[Query], settings: Settings | None = None, explain: bool = True
    ) -> list[Answer]:
        """Embed the queries together and decide each one (with explanations unless `explain` is False)."""
        resolved = [self.resolve(q) for q in queries]
        vectors = self.embed(resolved)
        answers = [self.decide(v, q.lemma or "", q.pos, settings, explain) for q, v in zip(resolved, vectors)]
        for answer, vector in zip(answers, vectors):
            answer.vector = vector
        return answers
