"""2D picture of a query among its neighbors: PCA over the query vector and the neighbors' vectors."""

from __future__ import annotations

import numpy as np

from wsd_service.disambiguator import Answer, Disambiguator


def pca_2d(rows: np.ndarray) -> np.ndarray:
    """Coordinates of the rows on their first two principal components, (n, 2), scaled to fit [-1, 1].

    Deterministic: each axis is signed so that its largest-magnitude loading is positive. Fewer than
    two distinct points (or a single direction of variance) give zeros on the missing axes."""
    n = len(rows)
    out = np.zeros((n, 2), np.float64)
    if n < 2:
        return out
    centred = rows.astype(np.float64) - rows.mean(axis=0, keepdims=True)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    for axis in range(min(2, len(singular))):
        if singular[axis] <= 1e-9 * max(singular[0], 1e-12):
            continue
        direction = vt[axis] * np.sign(vt[axis][np.argmax(np.abs(vt[axis]))])
        out[:, axis] = centred @ direction
    scale = np.abs(out).max()
    return out / scale if scale > 0 else out


def project(disambiguator: Disambiguator, answer: Answer, query_vector: np.ndarray,
            pos_filter: bool) -> dict[str, list]:
    """{"query": [x, y], "neighbors": [[x, y], ...]} in the order of `answer.neighbors`."""
    groups = disambiguator.groups_for(answer.lemma, answer.pos, pos_filter)
    ids = disambiguator.folder.ids_of_instances((n.instance_id for n in answer.neighbors), groups)
    neighbors = disambiguator.folder.vectors([ids[n.instance_id] for n in answer.neighbors])
    points = pca_2d(np.vstack([query_vector.reshape(1, -1), neighbors]))
    rounded = [[round(float(x), 4), round(float(y), 4)] for x, y in points]
    return {"query": rounded[0], "neighbors": rounded[1:]}
