"""`wsd bench`: score baselines and index folders on the standard evaluation sets."""

from __future__ import annotations

import argparse
from pathlib import Path

from index_builder.paths import EVAL_DATASETS

BASELINES = ("mfs", "wn1st")


def _baseline_systems(names: list[str]) -> list:
    from index_builder.corpus import read_corpus
    from index_builder.inventory import SenseInventory
    from index_builder.paths import semcor_paths
    from index_builder.sense_counts import count_senses
    from wsd_service.baselines import FirstSense, MostFrequentSense
    from wsd_service.bench import InstanceSystem

    inventory = SenseInventory()
    systems = []
    for name in names:
        if name == "wn1st":
            systems.append(InstanceSystem(name, FirstSense(inventory).answer))
        else:
            mfs = MostFrequentSense(inventory, count_senses(read_corpus(*semcor_paths())))
            systems.append(InstanceSystem(name, mfs.answer))
    return systems


def cmd_bench(args: argparse.Namespace) -> int:
    from wsd_service.bench import evaluate, format_pos_table, format_table, write_json

    systems = _baseline_systems(args.system or list(BASELINES))
    results = evaluate(systems, args.datasets, args.predictions)
    print(format_table(results, args.datasets))
    print()
    print(format_pos_table(results, "ALL" if "ALL" in args.datasets else args.datasets[-1]))
    if args.json:
        write_json(args.json, results)
        print(f"\nwrote {args.json}")
    return 0


def add_bench_parser(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser(
        "bench",
        help="score systems on the standard evaluation sets",
        description="Score systems on the standard all-words WSD sets (Raganato et al. 2017) with the "
        "framework's rule: P = correct/answered, R = correct/total, F1, in percent.",
    )
    bench.add_argument(
        "--system", action="append", choices=BASELINES,
        help="baseline to score (repeatable): mfs = most frequent SemCor sense, wn1st = WordNet first sense",
    )
    bench.add_argument(
        "--datasets", nargs="+", default=list(EVAL_DATASETS), choices=EVAL_DATASETS, metavar="SET",
        help=f"evaluation sets (default: all of {' '.join(EVAL_DATASETS)})",
    )
    bench.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    bench.add_argument(
        "--predictions", type=Path, metavar="DIR",
        help="also write every answer in the framework's key format, one file per system and dataset",
    )
    bench.set_defaults(func=cmd_bench)
