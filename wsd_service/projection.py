"""2D picture of a query among its neighbours: PCA over the query vector and the neighbours' vectors."""

from __future__ import annotations

import numpy as np

from index_builder.index_folder import IndexFolder
from wsd_service.disambiguator import Answer, Disambiguator


def vector_ids(disambiguator: Disambiguator, answer: Answer, pos_filter: bool) -> list[int]:
    """Vector ids of the answer's neighbours, looked up by instance id inside the id ranges of the
    (lemma, POS) groups the neighbours come from (ids are the table's primary key: a range scan)."""
    wanted = {n.instance_id for n in answer.neighbors}
    if not wanted:
        return []
    found: dict[str, int] = {}
    db = disambiguator.index.db
    for group in disambiguator.groups_for(answer.lemma, answer.pos, pos_filter):
        marks = ",".join("?" * len(wanted))
        rows = db.execute(
            f"SELECT id, instance_id FROM vectors WHERE id >= ? AND id < ? AND instance_id IN ({marks})",
            [group.first_id, group.first_id + group.count, *sorted(wanted)],
        )
        found.update({instance: vector_id for vector_id, instance in rows})
    return [found[n.instance_id] for n in answer.neighbors]


def stored_vectors(index: IndexFolder, ids: list[int]) -> np.ndarray:
    """Training vectors by id, (len(ids), dim) float32; FAISS decodes quantised indexes on reconstruct."""
    if not ids:
        return np.zeros((0, index.dim), np.float32)
    return np.stack([index.index.reconstruct(int(i)) for i in ids]).astype(np.float32)


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
    neighbours = stored_vectors(disambiguator.index, vector_ids(disambiguator, answer, pos_filter))
    points = pca_2d(np.vstack([query_vector.reshape(1, -1), neighbours]))
    rounded = [[round(float(x), 4), round(float(y), 4)] for x, y in points]
    return {"query": rounded[0], "neighbors": rounded[1:]}
