"""Sense separability: the numpy measures against brute force, and `wsd bench --separability` on the tiny
fake index, with layer views of a copy described as two concatenated layers."""

from __future__ import annotations

import numpy as np
import pytest

from index_builder.index_folder import normalise_rows
from tests.bench_runs import bench_json
from wsd_service.bench.runner import Result
from wsd_service.bench.scorer import Score
from wsd_service.bench.separability import (
    Separability,
    attach_f1,
    correlations,
    loo_hits,
    sense_labels,
    separability,
    silhouettes,
)
from wsd_service.cli import main
from wsd_service.disambiguator import vote, winner


def _clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 8))
    labels = np.repeat([0, 1, 2], [7, 5, 9])
    return normalise_rows(centres[labels] + rng.normal(scale=0.9, size=(len(labels), 8))), labels


def test_sense_labels_keep_senses_with_five_vectors():
    keys = [("a",)] * 5 + [("b", "a")] * 5 + [("c",)] * 4
    rows, labels = sense_labels(keys)
    assert list(rows) == list(range(10)) and list(labels) == [0] * 5 + [1] * 5
    assert sense_labels([("a",)] * 9 + [("b",)] * 4) is None


def test_leave_one_out_agrees_with_the_service_vote():
    vectors, labels = _clusters()
    for k in (1, 3, 10):
        hits = 0
        for i in range(len(vectors)):
            sims = vectors @ vectors[i]
            sims[i] = -np.inf
            order = np.argsort(-sims, kind="stable")[:k]
            keys, top = [(str(labels[j]),) for j in order], sims[order].tolist()
            hits += winner(vote(keys, top, "majority", k), keys, top) == str(labels[i])
        assert loo_hits(vectors, labels, k) == hits


def test_silhouettes_match_their_definition():
    vectors, labels = _clusters(1)
    distance = 1.0 - vectors @ vectors.T
    expected = []
    for i, label in enumerate(labels):
        own = [distance[i, j] for j in range(len(labels)) if labels[j] == label and j != i]
        others = [np.mean(distance[i, labels == other]) for other in set(labels.tolist()) - {label}]
        a, b = np.mean(own), min(others)
        expected.append((b - a) / max(a, b))
    np.testing.assert_allclose(silhouettes(vectors, labels), expected, atol=1e-6)


def test_separability_of_the_tiny_index(tiny_disambiguator):
    row = separability(tiny_disambiguator.folder, "tiny")
    assert row.groups >= 2 and row.vectors >= 20
    assert 0 <= row.loo_accuracy <= 1 and -1 <= row.silhouette <= 1
    qualifying = [
        g
        for g in tiny_disambiguator.folder.groups.values()
        if sense_labels(tiny_disambiguator.folder.vector_keys[g.first_id : g.first_id + g.count])
    ]
    assert row.groups == len(qualifying)


def _row(name: str, loo: float, silhouette: float) -> Separability:
    return Separability(name, name, 10, 1, 10, loo, silhouette, loo, silhouette)


def test_f1_beside_each_view_and_the_correlations():
    rows = [_row("v1", 0.5, 0.1), _row("v2", 0.7, 0.05), _row("v3", 0.9, 0.2)]
    results = [
        Result(f"v{i}", ds, Score(correct, 100, 100), {"k": k})
        for i, correct in ((1, 50), (2, 60), (3, 70))
        for ds in ("semeval2007", "ALL")
        for k in (1, 5)
    ]
    results.append(Result("v1", "semeval2007", Score(55, 100, 100), {"k": 10}))
    attach_f1(rows, results)
    assert rows[0].f1 == {"SE07": 55.0} and rows[0].setting == {"k": 10}  # no ALL row at k=10
    assert rows[1].f1 == {"SE07": 60.0, "ALL": 60.0} and rows[1].setting == {"k": 1}
    corr = correlations(rows)
    assert corr["views"] == 3
    assert corr["spearman"] == {"loo_accuracy": 1.0, "silhouette": 0.5}
    assert corr["pearson"]["loo_accuracy"] == pytest.approx(3.0 / (0.08**0.5 * (350 / 3) ** 0.5), abs=1e-4)
    assert correlations(rows[:2])["spearman"]["loo_accuracy"] is None


def test_bench_separability_over_layer_views(layer_sweep, tmp_path, capsys):
    args = (*layer_sweep, "--separability", "--plot", tmp_path / "sep.png")
    report = bench_json(tmp_path / "sep.json", *args)["separability"]
    assert [(r["system"], r["layers"]) for r in report["rows"]] == [
        ("layered[layers=0]", "0"),
        ("layered[layers=1]", "1"),
        ("layered[layers=0,1]", "0,1"),
        ("tiny", None),
    ]
    assert all(r["f1"]["SE07"] > 0 and r["groups"] > 0 for r in report["rows"])
    whole, summed = report["rows"][3], report["rows"][2]  # layers 0 and 1 summed is not the concatenation
    assert whole["groups"] == summed["groups"] and whole["loo_accuracy"] != summed["loo_accuracy"]
    assert report["correlation"]["views"] == 4 and set(report["correlation"]["spearman"]) == {
        "loo_accuracy",
        "silhouette",
    }
    assert (tmp_path / "sep_separability.png").read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "Sense separability" in printed and "Spearman correlation with SE07 F1 across 4 views" in printed


def test_separability_needs_an_index_and_layers_a_concat_one(tiny_index, capsys):
    assert main(["bench", "--system", "wn1st", "--separability"]) == 2
    assert "need an --index" in capsys.readouterr().err
    assert main(["bench", "--index", str(tiny_index), "--layers", "0", "--separability"]) == 2
    assert "needs an index built with --combine concat" in capsys.readouterr().err
