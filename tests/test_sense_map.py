"""Sense maps over the fake backend's tiny index: every vector placed, per-sense caps, centroids, the query."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from wsd_service.disambiguator import Query
from wsd_service.sense_map import (
    MapMethod,
    NoTrainingVectors,
    SenseMapError,
    find_group,
    layout,
    sample_per_sense,
    sense_map,
)


def test_sample_per_sense_caps_each_sense_with_a_fixed_seed():
    labels = ["a"] * 7 + ["b"] * 2 + ["c"] * 5
    rows, dropped = sample_per_sense(labels, cap=3, seed=0)
    assert Counter(labels[r] for r in rows) == {"a": 3, "b": 2, "c": 3}
    assert dropped == {"a": 4, "c": 2}
    assert list(rows) == sorted(rows)
    assert np.array_equal(rows, sample_per_sense(labels, cap=3, seed=0)[0])
    assert not np.array_equal(rows, sample_per_sense(labels, cap=3, seed=1)[0])
    everything, none = sample_per_sense(labels, cap=10)
    assert list(everything) == list(range(len(labels))) and none == {}


def test_map_of_a_group_places_every_vector(tiny_disambiguator):
    group = tiny_disambiguator.folder.groups[("say", "VERB")]
    drawn = sense_map(tiny_disambiguator, "say", "VERB")
    assert (drawn.lemma, drawn.pos, drawn.total, drawn.dropped) == ("say", "VERB", group.count, {})
    assert len(drawn.points) == group.count
    assert all(-1.0 <= c <= 1.0 for p in drawn.points for c in (p.x, p.y))
    assert {p.instance_id for p in drawn.points} == {
        r.instance_id
        for r in tiny_disambiguator.folder.records(list(range(group.first_id, group.first_id + group.count)))
    }
    for point in drawn.points:
        assert point.source == "semcor" and point.sentence_id in point.instance_id
        assert point.sentence[point.span[0] : point.span[1]].lower() in ("say", "says", "said", "saying")
    assert [e.key for e in drawn.legend] == sorted(group.sense_counts, key=lambda k: -group.sense_counts[k])
    assert all(e.synset and e.gloss and e.shown == e.count for e in drawn.legend)
    assert sum(e.count for e in drawn.legend) == group.count
    first = drawn.legend[0].key  # a centroid is the mean of its sense's points
    mine = np.array([[p.x, p.y] for p in drawn.points if p.sense_key == first])
    centroid = next(c for c in drawn.centroids if c.sense_key == first)
    assert (centroid.x, centroid.y) == pytest.approx(tuple(mine.mean(axis=0)), abs=1e-3)
    assert drawn.query is None and 0 < drawn.explained[1] <= drawn.explained[0] < 1
    assert sense_map(tiny_disambiguator, "say", "VERB") == drawn  # deterministic


def test_cap_subsamples_and_says_how_many_were_dropped(tiny_disambiguator):
    counts = tiny_disambiguator.folder.groups[("be", "VERB")].sense_counts
    drawn = sense_map(tiny_disambiguator, "be", "VERB", cap=5)
    shown = Counter(p.sense_key for p in drawn.points)
    assert all(n <= 5 for n in shown.values())
    assert drawn.dropped == {key: n - 5 for key, n in counts.items() if n > 5}
    assert {e.key: e.shown for e in drawn.legend} == {key: min(n, 5) for key, n in counts.items()}


def test_query_lands_in_the_same_map_without_moving_it(tiny_disambiguator):
    query = Query(("The", "jury", "said", "no", "."), 2, "say", "VERB")
    vector = tiny_disambiguator.embed([query])[0]
    alone = sense_map(tiny_disambiguator, "say", "VERB")
    placed = sense_map(tiny_disambiguator, "say", "VERB", query=vector)
    assert placed.query is not None and all(-1 <= c <= 1 for c in placed.query)
    # PCA is fitted on the training points only: the query changes only the scale and offset of the map
    before, after = (np.array([(p.x, p.y) for p in m.points]) for m in (alone, placed))
    before, after = before - before.mean(axis=0), after - after.mean(axis=0)
    np.testing.assert_allclose(after / np.abs(after).max(), before / np.abs(before).max(), atol=2e-3)


def test_layer_transform_maps_a_view(tiny_disambiguator):
    first_half = sense_map(tiny_disambiguator, "say", "VERB", transform=lambda v: v[:, :16])
    whole = sense_map(tiny_disambiguator, "say", "VERB")
    assert len(first_half.points) == len(whole.points)
    assert [(p.x, p.y) for p in first_half.points] != [(p.x, p.y) for p in whole.points]


@pytest.mark.slow  # importing scikit-learn's t-SNE takes about 2.5 s, a tenth of the quick loop
def test_tsne_with_a_fixed_seed(tiny_disambiguator):  # scikit-learn comes with flair, a dependency
    drawn = sense_map(tiny_disambiguator, "say", "VERB", method=MapMethod.TSNE)
    assert drawn.method == "tsne" and drawn.explained is None
    assert drawn == sense_map(tiny_disambiguator, "say", "VERB", method=MapMethod.TSNE)
    with pytest.raises(SenseMapError, match="at least 5 points"):
        layout(np.eye(3, 8), MapMethod.TSNE)


def test_tsne_without_scikit_learn_says_so(monkeypatch):
    monkeypatch.setattr("wsd_service.sense_map.tsne_available", lambda: False)
    with pytest.raises(SenseMapError, match="scikit-learn"):
        layout(np.eye(6, 8), MapMethod.TSNE)


def test_groups_and_their_errors(tiny_disambiguator):
    assert find_group(tiny_disambiguator, "say", None).pos == "VERB"
    with pytest.raises(NoTrainingVectors, match="as ADV; it has vectors as VERB"):
        find_group(tiny_disambiguator, "say", "ADV")
    with pytest.raises(NoTrainingVectors):
        find_group(tiny_disambiguator, "qwxzy", None)
    with pytest.raises(SenseMapError, match="cap"):
        sense_map(tiny_disambiguator, "say", "VERB", cap=0)
