"""Lemma and POS in the benchmark: the evaluation sets' gold ones (the framework's protocol), or predicted
from the raw sentence tokens by the service's own preprocessing (`index_builder.text.predict_lemma_pos`).

With predicted ones a system sees only the sentence's words: a wrong lemma or POS makes it answer with a sense
of that lemma and POS (wrong for the scorer); an instance is resolved as a request's target is
(`index_builder.text.resolve`), and one still without a POS is left unanswered (method `untagged`, lowering R
and F1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from index_builder.corpus import Instance
from index_builder.inventory import normalise_lemma
from index_builder.text import LemmaPos, predict_lemma_pos

if TYPE_CHECKING:  # pragma: no cover
    from wsd_service.bench.runner import EvalSet, Result

UNTAGGED = "untagged"  # the method of an instance left unanswered because its predicted POS is none


class LemmaPosSource(StrEnum):
    GOLD = "gold"
    PREDICTED = "predicted"


class PredictedTags:
    """Predicted (lemma, POS) of the evaluation instances, each distinct sentence tagged once (ALL repeats the
    sentences of the five sets)."""

    def __init__(self) -> None:
        self._by_sentence: dict[tuple[str, ...], list[LemmaPos]] = {}

    def for_set(self, evalset: EvalSet) -> dict[str, LemmaPos]:
        """{instance id: predicted (lemma, POS)} for every instance of the set."""
        missing = [
            s for s in dict.fromkeys(tuple(s.words) for s in evalset.sentences) if s not in self._by_sentence
        ]
        self._by_sentence.update(zip(missing, predict_lemma_pos(missing), strict=True))
        return {
            i.id: self._by_sentence[tuple(s.words)][i.position]
            for s in evalset.sentences
            for i in s.instances
        }


def lemma_pos_of(instance: Instance, predicted: dict[str, LemmaPos] | None) -> LemmaPos:
    """The instance's gold (lemma, POS), or the predicted one when `predicted` is given."""
    return (
        predicted[instance.id]
        if predicted is not None
        else LemmaPos(normalise_lemma(instance.lemma), instance.pos)
    )


@dataclass
class TaggingTally:
    """How often predicted lemma and POS match the gold ones, over instances."""

    instances: int = 0
    pos_right: int = 0
    lemma_right: int = 0
    both_right: int = 0
    by_gold_pos: dict[str, list[int]] = field(default_factory=dict)  # gold POS -> [instances, POS right]

    def add(self, gold: LemmaPos, predicted: LemmaPos) -> None:
        pos_ok = predicted.pos == gold.pos
        lemma_ok = normalise_lemma(predicted.lemma) == normalise_lemma(gold.lemma)
        self.instances += 1
        self.pos_right += pos_ok
        self.lemma_right += lemma_ok
        self.both_right += pos_ok and lemma_ok
        row = self.by_gold_pos.setdefault(str(gold.pos), [0, 0])
        row[0] += 1
        row[1] += pos_ok

    def summary(self) -> dict[str, Any]:
        def pct(n: int) -> float:
            return round(100 * n / self.instances, 2) if self.instances else 0.0

        by_pos = {pos: round(100 * ok / n, 2) for pos, (n, ok) in sorted(self.by_gold_pos.items())}
        return {
            "instances": self.instances,
            "pos_accuracy": pct(self.pos_right),
            "lemma_accuracy": pct(self.lemma_right),
            "lemma_and_pos_accuracy": pct(self.both_right),
            "pos_accuracy_by_gold_pos": by_pos,
        }


def tagging_accuracy(evalset: EvalSet, tags: PredictedTags) -> TaggingTally:
    predicted = tags.for_set(evalset)
    tally = TaggingTally()
    for sentence in evalset.sentences:
        for instance in sentence.instances:
            tally.add(LemmaPos(instance.lemma, instance.pos), predicted[instance.id])
    return tally


def side_by_side(results: Sequence[Result]) -> list[dict[str, Any]]:
    """A row per system, setting and dataset scored both ways: F1 with gold and with predicted lemma/POS."""
    pairs: dict[tuple[str, str, str], dict[str, Result]] = {}
    for r in results:
        setting = {k: v for k, v in r.setting.items() if k != "lemma_pos"}
        key = (r.system, ",".join(f"{k}={v}" for k, v in setting.items()), r.dataset)
        pairs.setdefault(key, {})[r.setting.get("lemma_pos", LemmaPosSource.GOLD)] = r
    rows = []
    for (system, setting, dataset), both in pairs.items():
        gold, predicted = both.get(LemmaPosSource.GOLD), both.get(LemmaPosSource.PREDICTED)
        if gold is None or predicted is None:
            continue
        rows.append(
            {
                "system": system,
                "setting": setting,
                "dataset": dataset,
                "F1_gold": round(gold.score.f1, 2),
                "F1_predicted": round(predicted.score.f1, 2),
                "difference": round(predicted.score.f1 - gold.score.f1, 2),
                "untagged": predicted.coverage.get(UNTAGGED, 0),
            }
        )
    return rows


def format_report(
    tagging: dict[str, dict[str, Any]], rows: Sequence[dict[str, Any]], short: dict[str, str]
) -> str:
    """The tagging accuracy per dataset, then F1 with gold and with predicted lemma and POS side by side."""
    lines = [
        "Lemma and POS predicted from the raw tokens vs gold, on the instances (percent)",
        f"  {'dataset':<8}{'instances':>10}{'POS':>8}{'lemma':>8}{'both':>8}",
    ]
    for dataset, row in tagging.items():
        lines.append(
            f"  {short.get(dataset, dataset):<8}{row['instances']:>10}{row['pos_accuracy']:>8.2f}"
            f"{row['lemma_accuracy']:>8.2f}{row['lemma_and_pos_accuracy']:>8.2f}"
        )
    lines += [
        "F1 with gold and with predicted lemma and POS",
        f"  {'dataset':<8}{'gold':>7}{'pred.':>7}{'diff.':>7}{'untagged':>10}  system setting",
    ]
    for row in rows:
        lines.append(
            f"  {short.get(row['dataset'], row['dataset']):<8}{row['F1_gold']:>7.1f}"
            f"{row['F1_predicted']:>7.1f}{row['difference']:>+7.1f}{row['untagged']:>10}  "
            f"{row['system']} {row['setting'] or '-'}"
        )
    return "\n".join(lines)
