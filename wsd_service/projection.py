"""2D picture of a query among its neighbors: PCA over the query vector and the neighbors' vectors."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from wsd_service.disambiguator import Answer, Disambiguator


class PcaAxes(NamedTuple):
    """The mean of some rows, their first two principal axes (2, dim) and the share of variance of each."""

    mean: np.ndarray
    axes: np.ndarray
    explained: np.ndarray


EXACT_SIZE = 128  # a Gram matrix up to this size is diagonalised exactly, a larger one by subspace iteration
SUBSPACE, POWER_STEPS = 10, 30


def pca_axes(rows: np.ndarray) -> PcaAxes:
    """First two principal axes of the rows. Deterministic: each axis is signed so that its largest-magnitude
    loading is positive. An axis without variance (fewer than two distinct points) is zero.

    Computed from the Gram matrix of the smaller side (no SVD: LAPACK's is slow on a busy machine); above
    EXACT_SIZE by subspace iteration from a fixed seed, exact to ~1e-6 unless axes 2 and 3 nearly tie."""
    rows = np.asarray(rows, np.float64)
    mean = rows.mean(axis=0) if len(rows) else np.zeros(rows.shape[1])
    axes, explained = np.zeros((2, rows.shape[1])), np.zeros(2)
    if len(rows) < 2:
        return PcaAxes(mean, axes, explained)
    centred = rows - mean
    with one_blas_thread():
        singular, directions = _top_singular(centred)
    total = float((centred**2).sum())
    for axis in range(min(2, len(singular))):
        if singular[axis] <= 1e-6 * max(singular[0], 1e-12):
            continue
        axes[axis] = directions[axis] * np.sign(directions[axis][np.argmax(np.abs(directions[axis]))])
        explained[axis] = singular[axis] ** 2 / total
    return PcaAxes(mean, axes, explained)


def _top_singular(centred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leading singular values (descending) and their right singular vectors (rows) of a centred matrix."""
    wide = centred.shape[1] > centred.shape[0]
    gram = centred @ centred.T if wide else centred.T @ centred
    if len(gram) <= EXACT_SIZE:
        values, vectors = np.linalg.eigh(gram)
    else:
        basis = np.random.default_rng(0).standard_normal((len(gram), SUBSPACE))
        for _ in range(POWER_STEPS):
            basis = np.linalg.qr(gram @ basis)[0]
        values, small = np.linalg.eigh(basis.T @ gram @ basis)
        vectors = basis @ small
    order = np.argsort(values)[::-1][:2]
    singular, directions = np.sqrt(np.maximum(values[order], 0.0)), vectors[:, order].T
    if wide:  # left singular vectors -> right ones
        directions = (directions @ centred) / np.maximum(singular, 1e-300)[:, None]
    return singular, directions


@cache
def _blas_threads() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries (None when threadpoolctl is not installed)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - it comes with scikit-learn
        return None
    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager:
    """Run the enclosed numpy work on one BLAS thread: on matrices of a few thousand rows more threads gain
    nothing, and on a busy machine they wait on each other (a 1000 x 32 PCA: 0.5 ms against 140 ms)."""
    controller = _blas_threads()
    return controller.limit(limits=1, user_api="blas") if controller is not None else nullcontext()


def to_unit_box(points: np.ndarray) -> np.ndarray:
    """Points scaled by one factor so that the largest coordinate magnitude is 1 (zeros stay zeros)."""
    scale = np.abs(points).max() if points.size else 0.0
    return points / scale if scale > 0 else points


def to_centred_box(points: np.ndarray) -> np.ndarray:
    """Points moved so that their bounding box is centred on 0 and scaled by one factor so that it fits
    [-1, 1] in its longer direction (the aspect ratio is kept)."""
    if not len(points):
        return points
    low, high = points.min(axis=0), points.max(axis=0)
    return to_unit_box(points - (low + high) / 2)


def pca_2d(rows: np.ndarray) -> np.ndarray:
    """Coordinates of the rows on their first two principal components, (n, 2), scaled to fit [-1, 1]."""
    fitted = pca_axes(rows)
    return to_unit_box((np.asarray(rows, np.float64) - fitted.mean) @ fitted.axes.T)


def project(
    disambiguator: Disambiguator, answer: Answer, query_vector: np.ndarray, pos_filter: bool
) -> dict[str, list]:
    """{"query": [x, y], "neighbors": [[x, y], ...]} in the order of `answer.neighbors`."""
    groups = disambiguator.groups_for(answer.lemma, answer.pos, pos_filter)
    ids = disambiguator.folder.ids_of_instances((n.instance_id for n in answer.neighbors), groups)
    neighbors = disambiguator.folder.vectors([ids[n.instance_id] for n in answer.neighbors])
    points = pca_2d(np.vstack([query_vector.reshape(1, -1), neighbors]))
    rounded = [[round(float(x), 4), round(float(y), 4)] for x, y in points]
    return {"query": rounded[0], "neighbors": rounded[1:]}
