from __future__ import annotations

import pytest

from wsd_service.bench.scorer import score, score_by

GOLD = {"a": ("k1",), "b": ("k2", "k3"), "c": ("k4",), "d": ("k5",)}


def test_all_answered():
    s = score(GOLD, {"a": "k1", "b": "k3", "c": "x", "d": "k5"})
    assert (s.correct, s.answered, s.total) == (3, 4, 4)
    assert s.precision == s.recall == s.f1 == 75.0


def test_any_gold_key_counts():
    assert score(GOLD, {"b": "k2"}).correct == 1
    assert score(GOLD, {"b": "k3"}).correct == 1
    assert score(GOLD, {"b": "k1"}).correct == 0


def test_unanswered_count_against_recall():
    s = score(GOLD, {"a": "k1", "b": "k2", "c": None})  # d missing, c explicitly unanswered
    assert (s.correct, s.answered, s.total) == (2, 2, 4)
    assert s.precision == 100.0
    assert s.recall == 50.0
    assert s.f1 == pytest.approx(2 * 100 * 50 / 150)


def test_nothing_answered():
    s = score(GOLD, {})
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)


def test_unknown_answer_ids_rejected():
    with pytest.raises(ValueError, match="not in the gold standard"):
        score(GOLD, {"zz": "k1"})


def test_score_by_label():
    by = score_by(
        GOLD, {"a": "k1", "b": "no", "c": "k4"}, {"a": "NOUN", "b": "NOUN", "c": "VERB", "d": "VERB"}
    )
    assert by["NOUN"].f1 == 50.0
    assert (by["VERB"].correct, by["VERB"].answered, by["VERB"].total) == (1, 1, 2)
