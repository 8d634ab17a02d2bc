"""`wsd bench`: score baselines and index folders on the standard evaluation sets."""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from index_builder.command import add_command
from index_builder.errors import WsdError
from index_builder.paths import EVAL_DATASETS
from wsd_service.bench.baselines import PUBLISHED_F1
from wsd_service.bench.lemma_pos import LemmaPosSource
from wsd_service.cli_arguments import add_index_folders, add_layer_views
from wsd_service.settings import Backoff, Mode, Settings, VoteRule

BASELINES = ("mfs", "wn1st")

# Published with other models and not re-run here; printed apart from the measured rows.
PUBLISHED = [
    ("kNN-BERT, bert-large (Wiedemann et al. 2019)", "SE07 (task 17)", 60.94),
    ("kNN-BERT, bert-large + POS filter (Wiedemann et al. 2019)", "SE07 (task 17)", 63.17),
    ("BERT nearest neighbor (Loureiro & Jorge 2019)", "ALL", 71.6),
    ("ELMo 1-NN (Peters et al. 2018 via Loureiro & Jorge 2019)", "ALL", 69.2),
    ("LMMS, BERT-large sense vectors (Loureiro & Jorge 2019)", "ALL", 75.4),
    ("MFS-SemCor (Raganato et al. 2017)", "ALL", PUBLISHED_F1["mfs"]["ALL"]),
    ("WordNet first sense (Raganato et al. 2017)", "ALL", PUBLISHED_F1["wn1st"]["ALL"]),
]


def _baseline_systems(names: list[str], sources: list) -> list:
    from index_builder.corpus import read_corpus
    from index_builder.inventory import SenseInventory
    from index_builder.paths import semcor_paths
    from index_builder.sense_counts import count_senses
    from wsd_service.bench.baselines import FirstSense, MostFrequentSense
    from wsd_service.bench.runner import InstanceSystem

    inventory = SenseInventory()
    systems = []
    for name in names:
        if name == "wn1st":
            answer = FirstSense(inventory).answer
        else:
            answer = MostFrequentSense(inventory, count_senses(read_corpus(*semcor_paths()))).answer
        systems += [InstanceSystem(name, answer, tags) for tags in sources]
    return systems


def _comma_list(kind: type) -> Callable[[str], list]:
    def parse(text: str) -> list:
        try:
            return [kind(x) for x in text.split(",") if x]
        except ValueError:
            choices = f"choose from {', '.join(kind)}" if issubclass(kind, StrEnum) else "numbers expected"
            raise argparse.ArgumentTypeError(f"{text!r}: {choices}") from None

    return parse


# The grid of `wsd bench`: (flag, element type, Settings field, help); each flag takes a comma-separated list
# and defaults to the one value Settings has.
GRID_FLAGS = (
    ("--k", int, "k", "neighbor counts, e.g. 1,3,5,10"),
    (
        "--vote",
        VoteRule,
        "vote",
        "vote rules, comma-separated: paper (k' = min(k, rarest sense)), majority, weighted",
    ),
    (
        "--mode",
        Mode,
        "mode",
        (
            "knn, centroid (nearest sense centroid), sense (nearest sense vector, unseen senses "
            "propagated from synset, hypernyms or lexicographer file) and/or sense-gloss (sense vector and "
            "WordNet gloss vector averaged: an index built with --evidence wordnet-glosses)"
        ),
    ),
    (
        "--prior",
        float,
        "prior",
        "weights of the senses' training frequency added to their scores, e.g. 0,0.5,1",
    ),
    (
        "--centroid",
        float,
        "centroid",
        "knn: weights of each sense centroid's cosine added to the vote shares, e.g. 0,0.5,1",
    ),
    (
        "--backoff",
        Backoff,
        "backoff",
        (
            "for lemmas without training vectors: wn1st (WordNet first sense) and/or none "
            "(unanswered: the paper's protocol)"
        ),
    ),
)


def _knn_systems(args: argparse.Namespace, sources: list) -> list:
    from index_builder.index_folder import IndexFolder
    from index_builder.inventory import SenseInventory
    from wsd_service.bench.runner import KnnSystem, QueryVectors, layer_views
    from wsd_service.disambiguator import Disambiguator

    inventory = SenseInventory()
    grid = list(
        itertools.product(
            args.k, args.vote, args.mode, [not args.no_pos_filter], args.backoff, args.prior, args.centroid
        )
    )
    systems = []
    indexes = [IndexFolder(folder) for folder in args.index or []]
    layered = {i.name for i in indexes if args.layers and i.backend_spec.get("combine") == "concat"}
    if args.layers and indexes and not layered:
        layer_views(indexes[0], args.layers)  # raises: says the sweep needs an index built with concat
    for index in indexes:
        base = Disambiguator(index, inventory=inventory)
        vectors = QueryVectors(base)
        views = layer_views(index, args.layers) if index.name in layered else [(None, None)]
        derived = index.derived({f"{index.name}[layers={label}]": t for label, t in views if t is not None})
        for label, transform in views:
            disambiguator = (
                base
                if transform is None
                else Disambiguator(derived[f"{index.name}[layers={label}]"], base.backend, inventory)
            )
            seen = set()
            for k, vote_rule, mode, pos_filter, backoff, prior, centroid in grid:
                if mode != Mode.KNN:  # k, the vote rule and the centroids' weight play no part there
                    k, vote_rule, centroid = Settings.k, Settings.vote, Settings.centroid
                settings = Settings(
                    k=k,
                    vote=vote_rule,
                    mode=mode,
                    pos_filter=pos_filter,
                    backoff=backoff,
                    prior=prior,
                    centroid=centroid,
                )
                if settings in seen:
                    continue
                seen.add(settings)
                extra = {"layers": label} if label else {}
                systems += [
                    KnnSystem(disambiguator, settings, vectors, transform, extra, tags) for tags in sources
                ]
    return systems


def cmd_bench(args: argparse.Namespace) -> int:
    """score baselines and index folders on the standard evaluation sets

    Score systems on the standard all-words WSD sets (Raganato et al. 2017) with the framework's rule: P =
    correct/answered, R = correct/total, F1, in percent. Each --index is scored with the service's own
    Disambiguator for every combination of --k, --vote, --mode and --backoff; each evaluation sentence is
    embedded once per index. Choose settings on semeval2007 (the usual development set), report them on the
    others. Example: wsd bench --index indexes/bert-minilm --system mfs --system wn1st --k 1,3,5,10 --vote
    paper,majority,weighted --json out.json"""
    from wsd_service.bench.lemma_pos import PredictedTags, format_report, side_by_side, tagging_accuracy
    from wsd_service.bench.runner import (
        SHORT_NAMES,
        evaluate,
        format_pos_table,
        format_table,
        load_eval_set,
        write_json,
    )

    if not args.index and not args.system:
        args.system = list(BASELINES)
    if (args.separability or args.calibration) and not args.index:
        raise WsdError("--separability and --calibration need an --index")
    tags = PredictedTags() if args.lemma_pos == LemmaPosSource.PREDICTED else None
    sources = [None] if tags is None else [None, tags]  # predicted: each system scored both ways
    knn = _knn_systems(args, sources)
    systems = _baseline_systems(args.system or [], sources) + knn
    results = evaluate(systems, args.datasets, args.predictions)
    print(format_table(results, args.datasets))
    print()
    print(format_pos_table(results, "ALL" if "ALL" in args.datasets else args.datasets[-1]))
    extra: dict = {}
    if tags is not None:
        tagging = {d: tagging_accuracy(load_eval_set(d), tags).summary() for d in args.datasets}
        extra["lemma_pos"] = {"tagging": tagging, "f1": side_by_side(results)}
        print()
        print(format_report(tagging, extra["lemma_pos"]["f1"], SHORT_NAMES))
    print("\nPublished with other models (not re-run here), F1:")
    for system, dataset, value in PUBLISHED:
        print(f"  {value:5.2f}  {dataset:15s} {system}")
    extra["published"] = [{"system": s, "dataset": d, "F1": v, "published": True} for s, d, v in PUBLISHED]
    extra.update(_studies(args, knn, results))
    if args.json:
        write_json(args.json, results, extra)
        print(f"\nwrote {args.json}")
    if args.plot:
        from wsd_service.bench.plots import plot_results

        plot_results(results, args.datasets, args.plot)
        print(f"wrote {args.plot}")
    if args.tune:
        from wsd_service.bench.tuning import tune

        print("\n".join(tune(knn, results)))
    return 0


def _studies(args: argparse.Namespace, knn: list, results: list) -> dict:
    """Sense separability and confidence calibration of the kNN systems, when asked for."""
    out = {}
    if args.separability:
        from wsd_service.bench.separability import separability_report

        print()
        out["separability"] = separability_report(knn, results, args.plot)
    if args.calibration:
        from wsd_service.bench.calibration import calibration_report

        print()
        out["calibration"] = calibration_report(knn, args.calibration)
    return out


def _add_output_arguments(bench: argparse.ArgumentParser) -> None:
    """Where the results go: JSON, plot, prediction files."""
    bench.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    bench.add_argument(
        "--plot", type=Path, metavar="PATH", help="also draw F1 per dataset and F1 against k (PNG)"
    )
    bench.add_argument(
        "--predictions",
        type=Path,
        metavar="DIR",
        help="also write every answer in the framework's key format, one file per system, setting and dataset",
    )


def add_bench_parser(sub: argparse._SubParsersAction) -> None:
    """Register `bench`. Long on purpose: one flat list of the command's flags and their help."""
    bench = add_command(sub, "bench", cmd_bench)
    add_index_folders(bench, help="index folder (repeatable)")
    bench.add_argument(
        "--system",
        action="append",
        choices=BASELINES,
        help="baseline to score (repeatable): mfs = most frequent SemCor sense, wn1st = WordNet first sense "
        "(default without --index: both)",
    )
    bench.add_argument(
        "--datasets",
        nargs="+",
        default=list(EVAL_DATASETS),
        choices=EVAL_DATASETS,
        metavar="SET",
        help=f"evaluation sets (default: all of {' '.join(EVAL_DATASETS)})",
    )
    defaults = Settings()
    for flag, kind, field, text in GRID_FLAGS:
        bench.add_argument(flag, type=_comma_list(kind), default=[getattr(defaults, field)], help=text)
    bench.add_argument("--no-pos-filter", action="store_true", help="search all POS of the lemma")
    bench.add_argument(
        "--lemma-pos",
        type=LemmaPosSource,
        choices=list(LemmaPosSource),
        default=LemmaPosSource.GOLD,
        help="gold: the evaluation sets' lemma and POS (the framework's protocol, default); predicted: also "
        "score every system given only the sentence's words, lemma and POS from the service's spaCy "
        "preprocessing, and report the tagging accuracy and F1 both ways side by side",
    )
    add_layer_views(
        bench,
        help="layer sweep over indexes built with --combine concat (others are scored whole): "
        "semicolon-separated views, each comma-separated layers summed, e.g. '6;5;4;3,4,5,6'",
    )
    bench.add_argument(
        "--separability",
        action="store_true",
        help="also measure sense separability per index and layer view: leave-one-out kNN "
        "accuracy and silhouette within (lemma, POS) groups with >= 2 senses of >= 5 vectors, "
        "beside the F1 of the same view, and their correlation across views",
    )
    bench.add_argument(
        "--calibration",
        type=Path,
        metavar="DIR",
        help="also study the calibration of the vote share (reliability diagram, ECE) on ALL at "
        "each index's first kNN setting of the grid, fit an isotonic map on semeval2007 and "
        "write DIR/INDEX.calibration.json (for wsd serve --calibration) and "
        "DIR/INDEX.reliability.png",
    )
    bench.add_argument(
        "--tune",
        action="store_true",
        help="write each --index's best setting on semeval2007 into its folder (tuned.json); "
        "wsd serve and wsd query then use it unless a flag or request says otherwise",
    )
    _add_output_arguments(bench)
