"""Why MFS-SemCor differs from the published figures: score the MFS baseline under alternative choices
(tie rule, how SemCor instances are grouped, keys dropped in the reconversion) side by side.

    .venv/bin/python benchmarks/mfs_differences.py
"""

from __future__ import annotations

from collections import Counter

from index_builder.corpus import read_corpus
from index_builder.inventory import SenseInventory
from index_builder.paths import EVAL_DATASETS, semcor_paths
from index_builder.sense_counts import count_senses, group_of
from wsd_service.bench.baselines import PUBLISHED_F1, MostFrequentSense
from wsd_service.bench.runner import SHORT_NAMES, load_eval_set
from wsd_service.bench.scorer import score

PUBLISHED = PUBLISHED_F1["mfs"]


def key_lemma_counts(inventory: SenseInventory) -> dict:
    """Group SemCor annotations by the lemma and POS written in the sense key itself."""
    counts: dict = {}
    for sentence in read_corpus(*semcor_paths()):
        for instance in sentence.instances:
            for key in instance.keys:
                sense = inventory.sense(key)
                if sense:
                    counts.setdefault((key.split("%")[0], sense.pos), Counter())[key] += 1
    return counts


def main() -> None:
    inventory = SenseInventory()
    counts = count_senses(read_corpus(*semcor_paths()))
    variants = {
        "ours (instance lemma+POS, tie -> lower sense number)": MostFrequentSense(inventory, counts).answer,
        "tie -> higher sense number": None,
        "grouped by the key's own lemma": MostFrequentSense(inventory, key_lemma_counts(inventory)).answer,
    }

    def tie_last(instance):
        c = counts.get(group_of(instance))
        if not c:
            first = inventory.first_sense(instance.lemma, instance.pos)
            return first.key if first else None
        top = max(c.values())
        order = [s.key for s in inventory.senses(instance.lemma, instance.pos)]
        tied = sorted(
            (k for k in c if c[k] == top), key=lambda k: order.index(k) if k in order else len(order)
        )
        return tied[-1]

    variants["tie -> higher sense number"] = tie_last
    print("variant".ljust(55) + "".join(SHORT_NAMES[d].rjust(7) for d in EVAL_DATASETS))
    print(
        "published (Raganato et al. 2017)".ljust(55) + "".join(f"{PUBLISHED[d]:7.1f}" for d in EVAL_DATASETS)
    )
    for name, answer in variants.items():
        cells = []
        for dataset in EVAL_DATASETS:
            evalset = load_eval_set(dataset)
            cells.append(
                score(evalset.gold, {i.id: answer(i) for s in evalset.sentences for i in s.instances}).f1
            )
        print(name.ljust(55) + "".join(f"{c:7.1f}" for c in cells))
    # how much of each set rests on thin SemCor evidence, where a few dropped keys can flip the answer
    for dataset in EVAL_DATASETS:
        evalset = load_eval_set(dataset)
        instances = [i for s in evalset.sentences for i in s.instances]
        thin = sum(1 for i in instances if 0 < sum(counts.get(group_of(i), Counter()).values()) <= 3)
        ties = 0
        for i in instances:
            c = counts.get(group_of(i))
            if c and list(c.values()).count(max(c.values())) > 1:
                ties += 1
        unseen = sum(1 for i in instances if group_of(i) not in counts)
        print(
            f"{SHORT_NAMES[dataset]:5s} instances {len(instances):5d}  unseen lemma+POS {unseen:4d}  "
            f"tied top count {ties:4d}  <=3 SemCor examples {thin:4d}"
        )


if __name__ == "__main__":
    main()
