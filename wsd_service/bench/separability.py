"""Sense separability of an index (or a layer view): how well its vectors keep the senses of a word apart.

Over the (lemma, POS) groups with at least two senses of at least five training vectors each (a vector's
sense is its first gold key; rarer senses are left out): the leave-one-out kNN accuracy within the group
(majority of the k nearest others, ties to the larger summed similarity, as the service decides) and the
mean silhouette of the senses under cosine distance. Both are averaged over groups (each word counts once)
and over vectors. Everything is numpy per group: the largest SemCor group (be/VERB, 15k vectors) is
processed in blocks of rows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index_builder.index_folder import Group, IndexFolder, normalise_rows
from wsd_service.bench.runner import SHORT_NAMES, KnnSystem, Result, setting_label
from wsd_service.projection import one_blas_thread
from wsd_service.settings import Settings

MIN_SENSES, MIN_EXAMPLES = 2, 5
BLOCK = 1024  # rows of the similarity matrix computed at a time
DEV, TEST = "semeval2007", "ALL"


@dataclass(frozen=True)
class GroupScore:
    """Separability of one group: LOO kNN hits and the silhouette summed over its kept vectors."""

    lemma: str
    pos: str
    vectors: int
    senses: int
    hits: int
    silhouette_sum: float


@dataclass
class Separability:
    """One row of the separability table: an index or a layer view of one."""

    system: str  # the benchmark's system name (index, or index[layers=...])
    layers: str | None
    k: int
    groups: int
    vectors: int
    loo_accuracy: float  # mean over groups
    silhouette: float  # mean over groups
    loo_accuracy_vectors: float  # over all kept vectors
    silhouette_vectors: float
    f1: dict[str, float] | None = None  # F1 on SE07 and ALL at the view's best setting on SE07
    setting: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def sense_labels(keys: Sequence[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray] | None:
    """Rows kept and their sense numbers (senses sorted by key) for a group's vector keys, or None when
    fewer than MIN_SENSES senses have MIN_EXAMPLES vectors."""
    first = [k[0] for k in keys]
    counts = Counter(first)
    frequent = sorted(key for key, n in counts.items() if n >= MIN_EXAMPLES)
    if len(frequent) < MIN_SENSES:
        return None
    number = {key: i for i, key in enumerate(frequent)}
    rows = np.array([i for i, key in enumerate(first) if key in number], dtype=np.int64)
    return rows, np.array([number[first[i]] for i in rows], dtype=np.int64)


def loo_hits(vectors: np.ndarray, labels: np.ndarray, k: int) -> int:
    """How many vectors the majority of their k nearest others (cosine) labels right."""
    n, senses = len(vectors), int(labels.max()) + 1
    k = min(k, n - 1)
    hits = 0
    for start in range(0, n, BLOCK):
        sims = vectors[start : start + BLOCK] @ vectors.T
        rows = np.arange(len(sims))
        sims[rows, rows + start] = -np.inf  # leave the vector itself out
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims, top_labels = np.take_along_axis(sims, top, axis=1), labels[top]
        score = np.zeros((len(sims), senses))
        np.add.at(score, (rows[:, None], top_labels), 1.0 + top_sims / (k + 1))  # votes, then similarity
        hits += int((score.argmax(axis=1) == labels[start : start + BLOCK]).sum())
    return hits


def silhouettes(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Silhouette of every (unit) vector under cosine distance, from per-sense sums of vectors."""
    senses = int(labels.max()) + 1
    sizes = np.bincount(labels, minlength=senses).astype(np.float64)
    sums = np.zeros((senses, vectors.shape[1]))
    np.add.at(sums, labels, vectors)
    dots = vectors @ sums.T  # (n, senses): sum of cosines to each sense
    own = np.arange(len(vectors)), labels
    self_sim = np.einsum("ij,ij->i", vectors, vectors)
    a = 1.0 - (dots[own] - self_sim) / np.maximum(sizes[labels] - 1, 1)
    mean_dist = 1.0 - dots / sizes
    mean_dist[own] = np.inf
    b = mean_dist.min(axis=1)
    s = (b - a) / np.maximum(np.maximum(a, b), 1e-12)
    s[sizes[labels] < 2] = 0.0
    return s


def group_score(folder: IndexFolder, group: Group, k: int) -> GroupScore | None:
    kept = sense_labels(folder.vector_keys[group.first_id : group.first_id + group.count])
    if kept is None:
        return None
    rows, labels = kept
    vectors = normalise_rows(folder.group_vectors(group)[rows])
    with one_blas_thread():
        hits = loo_hits(vectors, labels, k)
        silhouette_sum = float(silhouettes(vectors, labels).sum())
    return GroupScore(group.lemma, group.pos, len(rows), int(labels.max()) + 1, hits, silhouette_sum)


def separability(folder: IndexFolder, system: str, layers: str | None = None, k: int = 10) -> Separability:
    """The separability row of one index (or layer view: a derived folder)."""
    scores = [
        s
        for g in sorted(folder.groups.values(), key=lambda g: g.first_id)
        if (s := group_score(folder, g, k)) is not None
    ]
    vectors = sum(s.vectors for s in scores)
    if not scores:
        return Separability(system, layers, k, 0, 0, math.nan, math.nan, math.nan, math.nan)
    return Separability(
        system,
        layers,
        k,
        len(scores),
        vectors,
        loo_accuracy=float(np.mean([s.hits / s.vectors for s in scores])),
        silhouette=float(np.mean([s.silhouette_sum / s.vectors for s in scores])),
        loo_accuracy_vectors=sum(s.hits for s in scores) / vectors,
        silhouette_vectors=sum(s.silhouette_sum for s in scores) / vectors,
    )


def attach_f1(rows: Iterable[Separability], results: Sequence[Result]) -> None:
    """Give each row the F1 of its system on SE07 and ALL at the system's best setting on SE07."""
    for row in rows:
        mine = [r for r in results if r.system == row.system]
        dev = [r for r in mine if r.dataset == DEV]
        if not dev:
            continue
        best = max(dev, key=lambda r: r.score.f1)  # the first of equals: the grid's order breaks ties
        label = setting_label(best.setting)
        row.setting = dict(best.setting)
        row.f1 = {
            SHORT_NAMES[r.dataset]: round(r.score.f1, 2)
            for r in mine
            if setting_label(r.setting) == label and r.dataset in (DEV, TEST)
        }


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties given their mean rank."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        ties = values == value
        ranks[ties] = ranks[ties].mean()
    return ranks


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return None
    return round(float(np.corrcoef(x, y)[0, 1]), 4)


def correlations(rows: Sequence[Separability]) -> dict[str, Any]:
    """Spearman (rank) and Pearson correlation across rows between each separability measure and SE07 F1
    (None with fewer than three rows or a constant column)."""
    scored = [r for r in rows if r.f1 and SHORT_NAMES[DEV] in r.f1]
    f1 = np.array([r.f1[SHORT_NAMES[DEV]] for r in scored])
    out: dict[str, Any] = {"views": len(scored), "against": "F1 on SE07 at each view's best setting there"}
    for name, transform in (("spearman", _ranks), ("pearson", lambda v: v)):
        out[name] = {
            measure: _pearson(transform(np.array([getattr(r, measure) for r in scored])), transform(f1))
            for measure in ("loo_accuracy", "silhouette")
        }
    return out


def format_separability(rows: Sequence[Separability], corr: dict[str, Any]) -> str:
    head = f"Sense separability (groups with >= {MIN_SENSES} senses of >= {MIN_EXAMPLES} vectors; means over groups)"
    lines = [
        head,
        f"{'system':36s} {'groups':>6s} {'vectors':>8s} {'LOO kNN':>8s} {'silh.':>7s} {'SE07':>6s} {'ALL':>6s}",
    ]
    for r in rows:
        f1 = r.f1 or {}
        lines.append(
            f"{r.system:36s} {r.groups:6d} {r.vectors:8d} {r.loo_accuracy:8.3f} {r.silhouette:7.3f} "
            f"{f1.get('SE07', math.nan):6.2f} {f1.get('ALL', math.nan):6.2f}"
        )
    if corr["views"] >= 3:
        for name in ("spearman", "pearson"):
            values = ", ".join(
                f"{m} {v:+.2f}" if v is not None else f"{m} n/a" for m, v in corr[name].items()
            )
            lines.append(
                f"{name.capitalize()} correlation with SE07 F1 across {corr['views']} views: {values}"
            )
    else:
        lines.append(f"(correlation needs F1 on SE07 for at least 3 views; have {corr['views']})")
    return "\n".join(lines)


def plot_separability(rows: Sequence[Separability], path: Path) -> None:
    """SE07 F1 against each separability measure, one labelled point per view."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scored = [r for r in rows if r.f1 and "SE07" in r.f1]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, measure, name in (
        (axes[0], "loo_accuracy", "leave-one-out kNN accuracy"),
        (axes[1], "silhouette", "silhouette of the senses (cosine)"),
    ):
        xs, ys = [getattr(r, measure) for r in scored], [r.f1["SE07"] for r in scored]
        ax.scatter(xs, ys)
        for r, x, y in zip(scored, xs, ys):
            ax.annotate(r.layers or r.system, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(f"{name}, mean over groups")
        ax.set_ylabel("F1 on SE07 (%)")
    fig.suptitle("Does sense separability predict F1?")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def separability_report(
    systems: Sequence[KnnSystem], results: Sequence[Result], plot: Path | None
) -> dict[str, Any]:
    """One row per index and layer view among the benchmark's kNN systems, with their F1 and the
    correlations; printed, drawn next to `plot` (NAME_separability.png) and returned for the JSON output."""
    first: dict[str, KnnSystem] = {}
    for system in systems:  # one per index or layer view
        first.setdefault(system.name, system)
    rows = [
        separability(s.disambiguator.folder, name, s.setting.get("layers"), Settings().k)
        for name, s in first.items()
    ]
    attach_f1(rows, results)
    corr = correlations(rows)
    print(format_separability(rows, corr))
    if plot is not None:
        path = plot.with_name(f"{plot.stem}_separability.png")
        plot_separability(rows, path)
        print(f"wrote {path}")
    return {
        "min_senses": MIN_SENSES,
        "min_examples": MIN_EXAMPLES,
        "rows": [r.as_json() for r in rows],
        "correlation": corr,
    }
