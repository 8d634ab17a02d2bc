"""The sense map of a lemma: every training vector of one (lemma, POS) group in 2D, colored by sense, with
the sense centroids and, when given, a query placed in the same map.

PCA (the default) is fitted on the training points only, so a query never moves the map; t-SNE (when
scikit-learn is installed) embeds the query with them. Groups larger than `cap` vectors per sense are
subsampled per sense with a fixed seed, and the map says how many were left out.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from index_builder.errors import WsdError
from index_builder.evidence import source_of
from index_builder.index_folder import Group, normalise_rows
from index_builder.inventory import CONTENT_POS, normalise_lemma
from wsd_service.disambiguator import Disambiguator
from wsd_service.projection import one_blas_thread, pca_axes, to_centred_box

DEFAULT_CAP = 200  # vectors shown per sense at most
MAX_CAP = 5000
MIN_TSNE_POINTS = 5


class MapMethod(StrEnum):
    """How the vectors are laid out in 2D."""

    PCA = "pca"
    TSNE = "tsne"


class SenseMapError(WsdError):
    """A sense map that cannot be drawn as asked (the message says what to change)."""


class NoTrainingVectors(SenseMapError):
    """The lemma has no training vectors for that POS in the index."""


@dataclass(frozen=True)
class MapPoint:
    """One training vector in the map."""

    x: float
    y: float
    sense_key: str  # the instance's first gold key (its color)
    instance_id: str
    sentence_id: str
    source: str  # semcor, wordnet-examples or wordnet-glosses
    sentence: str = ""
    span: tuple[int, int] = (0, 0)  # the target's characters in `sentence`


@dataclass(frozen=True)
class MapCentroid:
    """The mean position of one sense's points in the map."""

    sense_key: str
    x: float
    y: float


@dataclass(frozen=True)
class LegendEntry:
    """A sense of the map: its WordNet synset and gloss, its training vectors and how many are shown."""

    key: str
    synset: str | None
    gloss: str | None
    count: int
    shown: int


@dataclass
class SenseMap:
    lemma: str
    pos: str
    index: str
    method: MapMethod
    cap: int
    total: int  # training vectors of the group
    points: list[MapPoint] = field(default_factory=list)
    centroids: list[MapCentroid] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)  # most frequent sense first
    dropped: dict[str, int] = field(default_factory=dict)  # per sense, vectors left out by the cap
    query: tuple[float, float] | None = None
    explained: tuple[float, float] | None = None  # PCA: share of the variance on each axis


class Layout(NamedTuple):
    points: np.ndarray  # (n, 2) in [-1, 1] (bounding box centred), query included in the scaling
    query: np.ndarray | None  # (2,)
    explained: tuple[float, float] | None


def tsne_available() -> bool:
    return importlib.util.find_spec("sklearn") is not None


def sample_per_sense(labels: Sequence[str], cap: int, seed: int = 0) -> tuple[np.ndarray, dict[str, int]]:
    """Rows kept (ascending): all rows of a sense with at most `cap` of them, else `cap` drawn with a fixed
    seed; and the number dropped per sense (senses with none dropped left out)."""
    rng = np.random.default_rng(seed)
    by_sense: dict[str, list[int]] = {}
    for row, label in enumerate(labels):
        by_sense.setdefault(label, []).append(row)
    kept, dropped = [], {}
    for label in sorted(by_sense):
        rows = by_sense[label]
        if len(rows) > cap:
            rows = rng.choice(rows, size=cap, replace=False).tolist()
            dropped[label] = len(by_sense[label]) - cap
        kept.extend(rows)
    return np.array(sorted(kept), dtype=np.int64), dropped


def layout(vectors: np.ndarray, method: MapMethod, query: np.ndarray | None = None, seed: int = 0) -> Layout:
    """2D coordinates of the vectors (and of the query) scaled together into [-1, 1]."""
    rows = vectors if query is None else np.vstack([vectors, query[None, :]])
    explained = None
    with one_blas_thread():
        if method == MapMethod.PCA:
            fitted = pca_axes(vectors)
            placed = to_centred_box((rows.astype(np.float64) - fitted.mean) @ fitted.axes.T)
            explained = (round(float(fitted.explained[0]), 4), round(float(fitted.explained[1]), 4))
        else:
            placed = to_centred_box(_tsne(rows, seed))
    if query is None:
        return Layout(placed, None, explained)
    return Layout(placed[:-1], placed[-1], explained)


def _tsne(rows: np.ndarray, seed: int) -> np.ndarray:
    if not tsne_available():
        raise SenseMapError(
            "method tsne needs scikit-learn, which is not installed here; use method pca "
            "(or pip install scikit-learn)"
        )
    if len(rows) < MIN_TSNE_POINTS:
        raise SenseMapError(
            f"t-SNE needs at least {MIN_TSNE_POINTS} points and this map has {len(rows)}; use method pca"
        )
    from sklearn.manifold import TSNE

    perplexity = min(30.0, (len(rows) - 1) / 3)
    tsne = TSNE(
        n_components=2, perplexity=perplexity, init="pca", metric="cosine", random_state=seed, n_jobs=1
    )
    return tsne.fit_transform(np.asarray(rows, np.float64))


def find_group(disambiguator: Disambiguator, lemma: str, pos: str | None) -> Group:
    """The (lemma, POS) group; without a POS, the lemma's group with the most vectors."""
    groups = disambiguator.folder.groups_by_lemma.get(lemma, [])
    found = [g for g in groups if pos is None or g.pos == pos]
    if not found:
        others = ", ".join(sorted(f"{g.pos} ({g.count})" for g in groups))
        where = f"{lemma!r}" + (f" as {pos}" if pos else "")
        hint = f"; it has vectors as {others}" if others else ""
        raise NoTrainingVectors(f"index {disambiguator.name} has no training vectors for {where}{hint}")
    return max(found, key=lambda g: (g.count, g.pos))


def map_lemma(disambiguator: Disambiguator, word: str, pos: str | None) -> tuple[str, str | None]:
    """The lemma to map for a word: itself when it has training vectors, else its base form (banks ->
    bank) when that has them, with a message saying so."""
    name = normalise_lemma(word)
    try:
        find_group(disambiguator, name, pos)
        return name, None
    except NoTrainingVectors:
        base = (
            disambiguator.inventory.lemmatise(word, pos)
            if pos
            else next((b for p in CONTENT_POS if (b := disambiguator.inventory.lemmatise(word, p))), None)
        )
        if base == name or base not in disambiguator.folder.groups_by_lemma:
            return name, None  # the map itself says why there is none
        return base, f"{word!r} has no training vectors; showing its base form {base!r}"


def sense_map(
    disambiguator: Disambiguator,
    lemma: str,
    pos: str | None = None,
    method: MapMethod = MapMethod.PCA,
    cap: int = DEFAULT_CAP,
    query: np.ndarray | None = None,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    seed: int = 0,
) -> SenseMap:
    """The map of one group. `query` is a normalised vector of the index's space; `transform` maps stored
    vectors (and the query) into a view, e.g. one layer of a concatenated index."""
    if not 1 <= cap <= MAX_CAP:
        raise SenseMapError(f"cap must be between 1 and {MAX_CAP}, got {cap}")
    folder = disambiguator.folder
    group = find_group(disambiguator, lemma, pos)
    labels = [keys[0] for keys in folder.vector_keys[group.first_id : group.first_id + group.count]]
    rows, dropped = sample_per_sense(labels, cap, seed)
    vectors = folder.vectors(rows + group.first_id)
    if transform is not None:
        vectors = normalise_rows(transform(vectors))
        query = None if query is None else normalise_rows(transform(query[None, :]))[0]
    placed = layout(vectors, MapMethod(method), query, seed)
    shown = [labels[r] for r in rows]
    result = SenseMap(
        group.lemma,
        group.pos,
        disambiguator.name,
        MapMethod(method),
        cap,
        group.count,
        points=_points(disambiguator, rows + group.first_id, shown, placed.points),
        dropped=dropped,
        explained=placed.explained,
    )
    if placed.query is not None:
        result.query = (round(float(placed.query[0]), 4), round(float(placed.query[1]), 4))
    counts, shown_labels = Counter(labels), np.array(shown)
    for key in sorted(counts, key=lambda k: (-counts[k], k)):
        sense = disambiguator.inventory.sense(key)
        mine = placed.points[shown_labels == key]
        result.legend.append(
            LegendEntry(
                key, sense.synset if sense else None, sense.gloss if sense else None, counts[key], len(mine)
            )
        )
        if len(mine):
            result.centroids.append(MapCentroid(key, *(round(float(v), 4) for v in mine.mean(axis=0))))
    return result


def _points(
    disambiguator: Disambiguator, ids: np.ndarray, labels: list[str], xy: np.ndarray
) -> list[MapPoint]:
    records = disambiguator.folder.records(ids.tolist())
    texts = disambiguator.folder.sentences(list({r.sentence_id for r in records}))
    return [
        MapPoint(
            x,
            y,
            label,
            r.instance_id,
            r.sentence_id,
            source_of(r.instance_id),
            texts.get(r.sentence_id, ""),
            r.span,
        )
        for r, label, (x, y) in zip(records, labels, np.round(xy, 4).tolist())
    ]
