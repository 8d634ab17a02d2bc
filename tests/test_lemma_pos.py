"""Lemma and POS in the benchmark: gold or predicted, tagging accuracy, F1 side by side."""

from __future__ import annotations

from index_builder.corpus import Instance, Sentence, Token
from index_builder.text import LemmaPos
from wsd_service.bench.lemma_pos import (
    PredictedTags,
    TaggingTally,
    lemma_pos_of,
    side_by_side,
    tagging_accuracy,
)
from wsd_service.bench.runner import EvalSet, InstanceSystem, Result
from wsd_service.bench.scorer import Score


def _set() -> EvalSet:
    words = [
        ("The", "the", "DET"),
        ("key", "key", "NOUN"),
        ("opened", "open", "VERB"),
        ("the", "the", "DET"),
        ("door", "door", "NOUN"),
        ("Can", "can", "VERB"),
    ]
    tokens = tuple(Token(*w) for w in words)
    instances = (
        Instance("s.t0", 1, "key", "NOUN", ("key%1:06:00::",)),
        Instance("s.t1", 2, "open", "VERB", ("open%2:35:00::",)),
        Instance("s.t2", 5, "can", "VERB", ("can%2:30:00::",)),
    )  # a gold verb the tagger calls a modal
    return EvalSet("tiny", (Sentence("s", "d", tokens, instances),))


def test_predicted_tags_and_their_accuracy():
    evalset, tags = _set(), PredictedTags()
    predicted = tags.for_set(evalset)
    assert predicted == {"s.t0": ("key", "NOUN"), "s.t1": ("open", "VERB"), "s.t2": ("can", None)}
    instance = evalset.sentences[0].instances[0]
    assert lemma_pos_of(instance, None) == LemmaPos("key", "NOUN") and lemma_pos_of(instance, predicted) == (
        "key",
        "NOUN",
    )
    summary = tagging_accuracy(evalset, tags).summary()
    assert (summary["instances"], summary["pos_accuracy"], summary["lemma_accuracy"]) == (3, 66.67, 100.0)
    assert summary["pos_accuracy_by_gold_pos"] == {"NOUN": 100.0, "VERB": 50.0}


def test_an_untagged_instance_is_left_unanswered():
    evalset, tags = _set(), PredictedTags()
    seen = []

    def answer(instance: Instance) -> str:
        seen.append((instance.lemma, instance.pos))
        return f"{instance.lemma}%x"

    predictions = InstanceSystem("echo", answer, tags).predict(evalset)
    assert seen == [("key", "NOUN"), ("open", "VERB")]
    assert (predictions["s.t2"].key, predictions["s.t2"].method) == (None, "untagged")
    assert InstanceSystem("echo", answer).setting == {} and InstanceSystem("echo", answer, tags).setting


def test_tally_and_side_by_side_rows():
    tally = TaggingTally()
    tally.add(LemmaPos("Take_Place", "VERB"), LemmaPos("take_place", "VERB"))
    tally.add(LemmaPos("shot", "NOUN"), LemmaPos("shoot", "VERB"))
    assert tally.summary()["lemma_and_pos_accuracy"] == 50.0
    gold = Result("s", "ALL", Score(70, 100, 100), {"k": 1})
    predicted = Result("s", "ALL", Score(60, 95, 100), {"k": 1, "lemma_pos": "predicted"}, {"untagged": 5})
    lonely = Result("t", "ALL", Score(1, 1, 1), {})
    (row,) = side_by_side([gold, predicted, lonely])
    assert row == {
        "system": "s",
        "setting": "k=1",
        "dataset": "ALL",
        "F1_gold": 70.0,
        "F1_predicted": round(predicted.score.f1, 2),
        "difference": round(predicted.score.f1 - 70, 2),
        "untagged": 5,
    }
