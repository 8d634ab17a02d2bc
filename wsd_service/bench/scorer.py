"""The evaluation framework's scoring rule (Raganato et al. 2017).

An answer is correct if it is any of the instance's gold keys; an instance may be left unanswered.
P = correct/answered, R = correct/total, F1 = 2PR/(P+R), all in percent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Score:
    correct: int
    answered: int
    total: int

    @property
    def precision(self) -> float:
        return 100.0 * self.correct / self.answered if self.answered else 0.0

    @property
    def recall(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(gold: Mapping[str, tuple[str, ...]], answers: Mapping[str, str | None]) -> Score:
    """Score answers {instance_id: key or None} against gold {instance_id: keys}; extra ids are an error."""
    unknown = set(answers) - set(gold)
    if unknown:
        raise ValueError(f"answers for instances not in the gold standard: {sorted(unknown)[:5]}")
    answered = correct = 0
    for instance_id, keys in gold.items():
        answer = answers.get(instance_id)
        if answer is None:
            continue
        answered += 1
        correct += answer in keys
    return Score(correct, answered, len(gold))


def score_by(
    gold: Mapping[str, tuple[str, ...]], answers: Mapping[str, str | None], label: Mapping[str, str]
) -> dict[str, Score]:
    """Scores per label (e.g. per POS): `label` maps each instance id to its group."""
    groups: dict[str, dict[str, tuple[str, ...]]] = {}
    for instance_id, keys in gold.items():
        groups.setdefault(label[instance_id], {})[instance_id] = keys
    return {
        name: score(sub, {i: answers[i] for i in sub if i in answers}) for name, sub in sorted(groups.items())
    }
