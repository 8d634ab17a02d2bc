"""Write results/README.md and redraw its plots from the benchmark JSON files in results/ (the numbers are
never typed by hand).

    .venv/bin/python benchmarks/results_page.py

Long on purpose: one generator, a function per section of the page.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.backends.bert import DEFAULT_LAYERS

RESULTS = ROOT / "results"
SETS = ["senseval2", "senseval3", "semeval2007", "semeval2013", "semeval2015", "ALL"]
SHORT = ["SE2", "SE3", "SE07", "SE13", "SE15", "ALL"]
DEV = "semeval2007"


def load(name: str) -> list[dict]:
    path = RESULTS / name
    return json.loads(path.read_text())["results"] if path.is_file() else []


def table_by_setting(rows: list[dict]) -> dict[tuple, dict[str, dict]]:
    out: dict[tuple, dict[str, dict]] = {}
    for r in rows:
        out.setdefault((r["system"], json.dumps(r["setting"], sort_keys=True)), {})[r["dataset"]] = r
    return out


def label(setting: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in setting.items()) or "-"


def read_json(name: str) -> Any:
    """A results file's JSON, or None when that benchmark has not been run."""
    path = RESULTS / name
    return json.loads(path.read_text()) if path.is_file() else None


def table_head(title: str, columns: Sequence[str], intro: str = "") -> list[str]:
    """A section's heading, its optional introduction, and the header rows of its table."""
    lines = [f"## {title}", ""] + ([intro, ""] if intro else [])
    return lines + ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def table(title: str, columns: Sequence[str], rows: list[str], intro: str = "") -> list[str]:
    """A whole section: heading, introduction, table; nothing when there are no rows (not measured)."""
    return [*table_head(title, columns, intro), *rows, ""] if rows else []


def f1_line(name: str, setting: str, by_ds: dict[str, dict]) -> str:
    cells = [f"{by_ds[d]['F1']:.1f}" if d in by_ds else "" for d in SETS]
    return f"| {name} | {setting} | " + " | ".join(cells) + " |"


def best_on_dev(table: dict[tuple, dict], system: str, **fixed) -> tuple[tuple, dict] | None:
    """The setting with the best F1 on the development set; ties go to the first in the grid's order
    (smaller k, then vote rule paper < majority < weighted): the rule that set the service's defaults."""
    best = None
    for key, by_ds in table.items():
        setting = json.loads(key[1])
        if key[0] != system or DEV not in by_ds or any(setting.get(k) != v for k, v in fixed.items()):
            continue
        if best is None or by_ds[DEV]["F1"] > best[1][DEV]["F1"]:
            best = (key, by_ds)
    return best


def redraw_plots() -> None:
    """Draw each results/NAME.png from results/NAME.json with the benchmark's own plotting."""
    from wsd_service.bench.plots import plot_results
    from wsd_service.bench.runner import result_from_json

    for path in sorted(RESULTS.glob("*.json")):
        rows = json.loads(path.read_text()).get("results")
        if not rows or "system" not in rows[0]:  # not a benchmark grid (tagging accuracy, speed, ...)
            continue
        results = [result_from_json(r) for r in rows]
        datasets = [d for d in SETS if any(r.dataset == d for r in results)]
        plot_results(results, datasets, path.with_suffix(".png"))


# (index name on the page, its grid JSON) in the order the page shows them
# (the newest grid of an index first: the best setting on SE07 is the first of the ties, as `wsd bench --tune` picks)
GRIDS = [
    ("mpnet-layer5-wordnet", "grid_mpnet-layer5-wordnet.json"),  # the best layer view, built to serve
    ("mpnet-all-layers-eval-lemmas[layers=5]", "grid_mpnet-layer5.json"),  # the best layer view on SE07
    ("mpnet-wordnet-eval-lemmas", "grid_mpnet-wordnet-eval-lemmas.json"),
    ("mpnet", "grid_mpnet.json"),
    ("minilm-wordnet", "grid_minilm-wordnet.json"),
    ("bert-minilm", "modes_grid.json"),
    ("bert-minilm", "bert_grid.json"),
    ("flair-wordnet-eval-lemmas", "grid_flair-wordnet-eval-lemmas.json"),
    ("flair-news-fast", "flair_grid.json"),
]
BASELINE_NAMES = {"mfs": "MFS-SemCor", "wn1st": "WordNet first sense"}


def grid_tables() -> dict[str, dict]:
    """{index name: its table by setting}, from every grid file (a later file adds to an earlier one)."""
    tables: dict[str, dict] = {}
    for name, file in GRIDS:
        table = {k: v for k, v in table_by_setting(load(file)).items() if k[0] == name}
        if table:
            tables.setdefault(name, {}).update(table)
    return tables


def main_table(tables: dict[str, dict], baselines: dict) -> tuple[list[str], dict]:
    """The main table's rows, and each index's best-on-SE07 row (what the other sections quote)."""
    lines = [
        "## Main table",
        "",
        "| system | setting | " + " | ".join(SHORT) + " |",
        "|---|---|" + "---|" * len(SHORT),
    ]
    for (system, _), by_ds in baselines.items():
        lines.append(f1_line(BASELINE_NAMES[system], "-", by_ds))
    chosen = {}
    for name, table in tables.items():
        dev_best = best_on_dev(table, name, backoff="wn1st", pos_filter=True)
        if dev_best:
            chosen[name] = dev_best
            lines.append(
                f1_line(f"**{name}** (best on SE07)", label(json.loads(dev_best[0][1])), dev_best[1])
            )
        for backoff in ("wn1st", "none"):
            key = (
                name,
                json.dumps(
                    {"k": 10, "vote": "paper", "mode": "knn", "pos_filter": True, "backoff": backoff},
                    sort_keys=True,
                ),
            )
            if key in table:
                what = (
                    "paper protocol + WordNet-first-sense backoff"
                    if backoff == "wn1st"
                    else "paper protocol, no backoff (unseen lemmas unanswered)"
                )
                lines.append(f1_line(f"{name}, {what}", "k=10, vote=paper", table[key]))
        for mode, what in (
            ("centroid", "nearest sense centroid"),
            ("sense", "nearest sense vector (LMMS)"),
            ("sense-gloss", "sense vector + gloss vector (LMMS-2048)"),
        ):
            found = best_on_dev(table, name, mode=mode, backoff="wn1st")
            if found:
                lines.append(f1_line(f"{name}, {what}", label(json.loads(found[0][1])), found[1]))
    return lines, chosen


def margins(chosen: dict, baselines: dict) -> list[str]:
    mfs_all = next(v["ALL"]["F1"] for k, v in baselines.items() if k[0] == "mfs")
    wn_all = next(v["ALL"]["F1"] for k, v in baselines.items() if k[0] == "wn1st")
    lines = ["", "Margins on ALL over the baselines (MFS-SemCor here / WordNet first sense):", ""]
    for name, (_, by_ds) in chosen.items():
        f1 = by_ds["ALL"]["F1"]
        lines.append(
            f"- {name}: {f1:.1f} F1, +{f1 - mfs_all:.1f} over MFS ({mfs_all:.1f}), "
            f"+{f1 - wn_all:.1f} over WordNet first sense ({wn_all:.1f})"
        )
    return lines


def without_dev(by_ds: dict[str, dict]) -> float:
    """F1 on ALL without the SE07 instances: the four other sets pooled (ALL is their concatenation)."""
    parts = [by_ds[d] for d in SETS if d not in ("ALL", DEV) and d in by_ds]
    correct, answered, total = (sum(r[f] for r in parts) for f in ("correct", "answered", "n"))
    p, r = correct / max(answered, 1), correct / max(total, 1)
    return 100 * 2 * p * r / (p + r) if p + r else 0.0


def per_pos(chosen: dict) -> list[str]:
    lines = [
        "",
        "### Per POS on ALL, ALL without SE07, and what answered (best-on-SE07 settings)",
        "",
        "| system | ADJ | ADV | NOUN | VERB | ALL w/o SE07 | answered by | nearest context from |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, (_, by_ds) in chosen.items():
        row = by_ds["ALL"]
        pos = row.get("per_pos", {})
        methods = ", ".join(f"{m} {n}" for m, n in sorted(row.get("coverage", {}).items()))
        sources = ", ".join(f"{s} {n}" for s, n in sorted(row.get("sources", {}).items())) or "-"
        lines.append(
            f"| {name} | "
            + " | ".join(f"{pos[p]['F1']:.1f}" for p in ("ADJ", "ADV", "NOUN", "VERB"))
            + f" | {without_dev(by_ds):.1f} | {methods} | {sources} |"
        )
    return lines


def best_of_mode(table: dict[tuple, dict], name: str, mode: str) -> str:
    found = best_on_dev(table, name, mode=mode, backoff="wn1st", pos_filter=True)
    return f"{found[1]['ALL']['F1']:.1f}" if found else "-"


def models_and_evidence(tables: dict[str, dict], chosen: dict) -> list[str]:
    """Each index side by side: its best setting on SE07, the best of each mode, and what answered on ALL."""
    costs = load_costs()
    lines = [
        "",
        "### Models and evidence side by side (F1; each mode's setting chosen on SE07)",
        "",
        (
            "| index | evidence (vectors) | best on SE07 | SE07 | ALL | ALL w/o SE07 | VERB | knn | centroid "
            "| sense | sense-gloss | answered by (ALL) | nearest context from (ALL) |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, (key, by_ds) in chosen.items():
        row, table = by_ds["ALL"], tables[name]
        sources = costs.get(name, {}).get("sources")
        evidence = ", ".join(f"{s} {n}" for s, n in sources.items()) if sources else "-"
        answered = ", ".join(f"{m} {n}" for m, n in sorted(row.get("coverage", {}).items()))
        nearest = ", ".join(f"{s} {n}" for s, n in sorted(row.get("sources", {}).items())) or "-"
        lines.append(
            f"| {name} | {evidence} | {label(json.loads(key[1]))} | {by_ds[DEV]['F1']:.1f} | {row['F1']:.1f} "
            f"| {without_dev(by_ds):.1f} | {row['per_pos']['VERB']['F1']:.1f} | "
            + " | ".join(
                best_of_mode(table, name, mode) for mode in ("knn", "centroid", "sense", "sense-gloss")
            )
            + f" | {answered} | {nearest} |"
        )
    if any(name.endswith(EVAL_LEMMAS_SUFFIX) for name in chosen):
        lines += ["", EVAL_LEMMAS_NOTE]
    return lines


EVAL_LEMMAS_SUFFIX = "-eval-lemmas"
EVAL_LEMMAS_NOTE = (
    f"An index named `*{EVAL_LEMMAS_SUFFIX}` was built with `--evidence-lemmas` over the lemmas of the evaluation "
    "sets (`benchmarks/eval_lemmas.py`): the WordNet evidence of the other lemmas was left out to save build time. "
    "Its knn and centroid answers are those of the index with all the evidence (a decision sees only its own "
    "lemma's vectors; tested in `tests/test_disambiguator.py`); its sense and sense-gloss answers are not, as "
    "the propagation to senses without context vectors then sees fewer vectors. It is a measuring device, not "
    "an index to serve."
)


def load_costs() -> dict[str, dict]:
    return read_json("index_costs.json") or {}


def index_costs() -> list[str]:
    """Build cost, size and the int8 copy of each index (`benchmarks/index_costs.py`)."""
    costs = load_costs()
    if not costs:
        return []
    lines = table_head(
        "What each index costs (`benchmarks/index_costs.py`)",
        ["index", "model", "vectors", "build s", "sentences embedded / reused", "peak MiB", "MB", "MB int8"]
        + ["F1 ALL", "F1 ALL int8"],
        "Build time and peak memory as the builder recorded them in the folder's manifest (2 CPU cores; an "
        "evidence build that reused the SemCor shards of an earlier build shows only the evidence's cost). "
        "F1 on ALL at the index's tuned settings, float32 beside an `index-builder compact --vector-type "
        "int8` copy.",
    )
    for name, row in costs.items():
        backend = row["backend"]
        model = backend.get("model") or backend.get("package") or backend["backend"]
        if backend.get("layers") not in (None, DEFAULT_LAYERS):
            model += f" (layers {backend['layers']})"
        cost = row["build_cost"]
        built = (
            (
                f"{cost['seconds']:.0f}",
                f"{cost['embedded_sentences']} / {cost['reused_sentences']}",
                cost["peak_rss_mb"],
            )
            if cost
            else ("-", "-", "-")
        )
        lines.append(
            f"| {name} | {model} | {row['vectors']} | {built[0]} | {built[1]} | {built[2]} | "
            f"{row['mb']['float32']:.0f} | {row['mb']['int8']:.0f} | {row['f1_all']['float32']:.1f} | "
            f"{row['f1_all']['int8']:.1f} |"
        )
    return lines + [""]


def publish_best_predictions(chosen: dict) -> list[str]:
    """Copy the ALL answers of the best index on SE07 into results/predictions/ (for an external scorer)."""
    if not chosen:
        return []
    name, (key, by_ds) = max(chosen.items(), key=lambda item: item[1][1][DEV]["F1"])
    source = ROOT / by_ds["ALL"].get("predictions", "")
    target = RESULTS / "predictions" / source.name
    if source.is_file():
        shutil.copyfile(source, target)
    if not target.is_file():
        return []
    return [
        "",
        (
            f"The ALL answers of the best index on SE07 ({name}, {label(json.loads(key[1]))}) are in "
            f"[predictions/{target.name}](predictions/{target.name}), in the framework's key format."
        ),
    ]


def published() -> list[str]:
    path = next(p for p in (RESULTS / "modes_grid.json", RESULTS / "bert_grid.json") if p.is_file())
    rows = json.loads(path.read_text()).get("published", [])
    lines = [
        "",
        "### Published with other models (not re-run here)",
        "",
        "| system | set | F1 |",
        "|---|---|---|",
    ]
    lines += [f"| {r['system']} | {r['dataset']} | {r['F1']} |" for r in rows]
    return lines + [
        "",
        (
            "ELMo: no pretrained ELMo weights can be obtained offline here, so ELMo's accuracy was "
            "**not measured**. The ELMo code path (a PyTorch biLM that loads the original "
            "`options.json` + `weights.hdf5`) is checked against the reference activations of the "
            "tiny fixture model in `tests/fixtures/elmo` (`tests/test_elmo_bilm.py`) and builds and "
            "serves indexes like the other backends."
        ),
        "",
    ]


def full_grids(tables: dict[str, dict]) -> list[str]:
    lines = []
    for name, table in tables.items():
        lines += [
            f"## Full grid: {name} (F1 on SE07 / ALL; POS filter on)",
            "",
            "| k | vote | mode | prior | centroid | backoff | SE07 | ALL |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for (_, key), by_ds in table.items():
            setting = json.loads(key)
            if DEV in by_ds and "ALL" in by_ds:
                lines.append(
                    f"| {setting.get('k', '-')} | {setting.get('vote', '-')} | {setting['mode']} | "
                    f"{setting.get('prior', 0)} | {setting.get('centroid', 0)} | {setting['backoff']} | "
                    f"{by_ds[DEV]['F1']:.1f} | {by_ds['ALL']['F1']:.1f} |"
                )
        lines.append("")
    return lines


def layer_sweep(names: Sequence[str], model: str, layers: str) -> list[str]:
    """One model's layer sweep (`wsd bench --layers` over an index built with --combine concat), from the
    results files `names` (a later round adds views)."""
    sweep = table_by_setting([row for name in names for row in load(name)])
    rows = []
    for view in dict.fromkeys(json.loads(k[1])["layers"] for k in sweep):
        of_view = {k: v for k, v in sweep.items() if json.loads(k[1])["layers"] == view}
        best_key = max(of_view, key=lambda k: of_view[k][DEV]["F1"])
        setting = json.loads(best_key[1])
        paper = next(
            (
                f"{v['ALL']['F1']:.1f}"
                for k, v in of_view.items()
                if json.loads(k[1])["k"] == 10 and json.loads(k[1])["vote"] == "paper"
            ),
            "-",
        )
        rows.append(
            f"| {view} | k={setting['k']}, {setting['vote']} | {of_view[best_key][DEV]['F1']:.1f} | "
            f"{of_view[best_key]['ALL']['F1']:.1f} | {paper} |"
        )
    return table(
        f"Layer sweep: which {model} layer separates senses best",
        ["layers", "best on SE07", "SE07", "ALL", "ALL, paper k=10"],
        rows,
        f"Hidden states {layers}, and sums of several. For each: the best setting on SE07, its F1 on SE07 "
        "and ALL, and ALL under the paper's protocol (k=10, vote=paper, backoff wn1st) where it was run.",
    )


def no_pos_filter() -> list[str]:
    return table(
        "POS filter off (bert-minilm, service defaults)",
        ["setting", "SE07", "ALL"],
        [
            f"| {label(json.loads(key))} | {by_ds[DEV]['F1']:.1f} | {by_ds['ALL']['F1']:.1f} |"
            for (_, key), by_ds in table_by_setting(load("bert_no_pos_filter.json")).items()
        ],
    )


def tagging() -> list[str]:
    report = read_json("tagging_accuracy.json")
    if not report:
        return []
    data, old = report["datasets"], report.get("old_table", {})
    lines = table_head(
        "Lemma and POS from raw text (spaCy, `benchmarks/tagging_accuracy.py`)",
        ["set", "instances", "POS", "lemma", "both", "old table: POS", "lemma", "both"],
        "Share of the instances whose predicted POS, lemma, and both match the gold ones, in percent; "
        '"old table" is the rule used before spaCy (the word form\'s most frequent SemCor tag, blind to '
        "the sentence), where measured.",
    )
    fields = ("pos_accuracy", "lemma_accuracy", "lemma_and_pos_accuracy")
    for name in SETS:
        if name in data:
            row, before = data[name], old.get(name)
            cells = [f"{row[f]:.2f}" for f in fields] + [
                f"{before[f]:.2f}" if before else "-" for f in fields
            ]
            lines.append(f"| {name} | {row['instances']} | " + " | ".join(cells) + " |")
    return lines + [""]


def tagging_rules() -> list[str]:
    report = read_json("tagging_rules.json")
    if not report:
        return []
    n = report["instances"]

    def change(cell: dict) -> str:
        if "gained" not in cell:
            return ""
        p = f"p {cell['p']:.2g}" if cell["p"] else "p < 0.0001"  # the JSON keeps four decimals
        return f"+{cell['gained']} / -{cell['lost']} ({p})"

    shares = ", ".join(
        f"{r['degree_share']:g}: {r['SemCor']['percent']:.3f} / {r['ALL']['percent']:.3f}"
        for r in report["degree_share"]
    )
    return table(
        "Rules of the tagging, chosen on SemCor (`benchmarks/tagging_rules.py`)",
        [
            "rules (switched on one after another)",
            f"SemCor ({n['SemCor']:,} instances)",
            "SemCor: gained / lost",
            f"ALL ({n['ALL']:,})",
            "ALL: gained / lost",
        ],
        [
            f"| {r['rules']} | {r['SemCor']['percent']:.3f} | {change(r['SemCor'])} | {r['ALL']['percent']:.3f} | "
            f"{change(r['ALL'])} |"
            for r in report["variants"]
        ],
        "Lemma and POS both right, in percent of every instance (a multi-word one merged as the service merges "
        "it), and the instances each rule gains and loses against the row before, with the exact sign test's p "
        "for that split. Each rule is kept because it gains on SemCor's gold tags, except the symbols, a "
        "fallback for words WordNet lacks that SemCor never meets (as are the fallbacks on in every row: "
        "punctuation, slashes, hyphens). ALL is shown beside it, never used to choose. The share of its base's "
        f"count a comparative needs to stay its own lemma (SemCor / ALL): {shares}.",
    )


def lemma_pos() -> list[str]:
    """results/lemma_pos*.json (one `wsd bench --lemma-pos predicted` run each, an index at its setting)."""
    rows: dict[tuple[str, str, str], dict] = {}  # the same baseline row from several runs is shown once
    for path in sorted(RESULTS.glob("lemma_pos*.json")):
        for r in json.loads(path.read_text())["lemma_pos"]["f1"]:
            rows.setdefault((r["system"], r["setting"], r["dataset"]), r)
    return table(
        "F1 with gold and with predicted lemma and POS (`wsd bench --lemma-pos predicted`)",
        ["system", "setting", "set", "F1 gold", "F1 predicted", "difference", "untagged"],
        [
            f"| {r['system']} | {r['setting']} | {r['dataset']} | {r['F1_gold']:.1f} | {r['F1_predicted']:.1f} | "
            f"{r['difference']:+.2f} | {r['untagged']} |"
            for r in rows.values()
        ],
    )


def shard_reuse() -> list[str]:
    data = read_json("shard_reuse.json") or {"builds": {}}
    return table(
        f"Shards reused by content (`benchmarks/shard_reuse.py`, backend `{data.get('backend', {}).get('backend')}`)",
        ["build", "wall s", "shards reused", "shards embedded"],
        [
            f"| {name} | {row['seconds']:.1f} | {row['shards_reused']} | {row['shards_embedded']} |"
            for name, row in data["builds"].items()
        ],
    )


def encoder_depth() -> list[str]:
    """Embedding speed of one model at several layer choices (`benchmarks/backend_speed.py --bert-layers`)."""
    data = read_json("encoder_depth.json")
    if not data:
        return []
    first = data["rows"][0]["wrapper_s"]
    rows = [
        f"| {row['backend']} | {data['sentences'] / row['wrapper_s']:.1f} | {first / row['wrapper_s']:.2f}x |"
        for row in data["rows"]
    ]
    return table(
        f"Encoder depth: {data['bert_model'] or 'MiniLM'} at two layer choices (`benchmarks/backend_speed.py`)",
        ["layers", "sentences/s (embed, first SemCor sentences)", "speed against the first row"],
        rows,
        f"{data['sentences']} SemCor sentences embedded by the backend's `embed`, best of the runs. Layers that "
        "stop below the top run only the encoder layers up to the deepest chosen one.",
    )


def service_speed() -> list[str]:
    """The serving figures of results/service_speed.json (`benchmarks/service_speed.py`), goals beside."""
    data = read_json("service_speed.json")
    if not data:
        return []
    single, throughput, soak = data["single"], data["throughput"], data["soak"]
    each = ", ".join(f"{run['ratio']:.2f}" for run in throughput["runs"])
    rows = [
        f"| single request p50 / bare forward pass p50 | {single['ratio_p50']:.2f}x | <= 1.25x |",
        (
            f"| spaCy preprocessing p50 / forward pass p50 | {single['preprocessing']['p50_ms']:.2f} / "
            f"{single['preprocessing']['forward_p50_ms']:.2f} ms = {single['preprocessing']['share']:.0%} | <= 20% |"
        ),
        f"| kNN search + explanation p50 | {data['decide']['p50_ms']:.2f} ms | < 2 ms |",
        (
            f"| {throughput['concurrent']['clients']} single-item clients / batch endpoint, items/s, median of "
            f"{len(throughput['runs'])} alternated runs (each: {each}) | {throughput['ratio']:.2f}x "
            f"({throughput['concurrent']['errors']} errors) | >= 0.7x, 0 errors |"
        ),
        (
            f"| soak: {soak['clients']} clients x {soak['seconds']:.0f} s | {soak['errors']} errors, RSS "
            f"{soak['rss_growth']:+.1%} | 0 errors, < 5% |"
        ),
        (
            f"| server memory: RSS / PSS | {data['memory']['total_rss_mib']:.0f} / "
            f"{data['memory']['total_pss_mib']:.0f} MiB | reported |"
        ),
    ]
    return table(
        f"Serving (`benchmarks/service_speed.py`, index {Path(data['index']).name}, {data['workers']} worker)",
        ["measure", "result", "goal"],
        rows,
        "Side-by-side ratios from one run on a 2-core machine: the real server on a loopback port against the "
        "work it cannot avoid.",
    )


def tagging_speed() -> list[str]:
    """results/tagging_speed.json: the service's tagging against spaCy's own components, alternated."""
    data = read_json("tagging_speed.json")
    if not data:
        return []
    return table(
        "Tagging a request's sentence (`benchmarks/tagging_speed.py`)",
        ["tokens", "spaCy's components p50", "the service's tagging p50", "ratio"],
        [
            f"| {r['tokens']} | {r['stock_ms']:.2f} ms | {r['service_ms']:.2f} ms | {r['service_ms'] / r['stock_ms']:.2f}x |"
            for r in data["rows"]
        ],
        f"The same tags both ways, alternated {data['repeats']:,} times per sentence on one BLAS thread: the "
        "service runs tok2vec and the tagger as one numpy function (`index_builder/compiled_tagger.py`) and "
        "the attribute ruler memoised (`index_builder/attribute_memo.py`).",
    )


def scale_out() -> list[str]:
    """Ray against the local engine (results/ray_engine.json) and the builder on SemCor repeated N times
    (results/build_scale_xN.json, one `benchmarks/build_scale.py` line each)."""
    lines = []
    ray = read_json("ray_engine.json")
    if ray:
        runs = {run["engine"]: run for run in ray["runs"]}
        lines += table(
            f"Ray engine against the local one (`benchmarks/ray_engine.py`, backend {ray['backend']})",
            ["engine", "wall s", "peak RSS MB (process tree)"],
            [f"| {name} | {run['seconds']:.0f} | {run['peak_rss_mb']:.0f} |" for name, run in runs.items()],
            f"Each build in a process of its own, full SemCor unless limited ({ray['limit_docs'] or 'all'} "
            f"documents): ray / local = {ray['ratio']:.2f} (goal <= {ray['goal_ratio']}); identical vectors: "
            f"{ray['same_vectors']}.",
        )
    knn = read_json("knn_scale.json")
    if knn:
        lines += table(
            f"Search time against group size (`benchmarks/knn_scale.py`, k={knn['k']}, one query per call)",
            ["index", "type", "vectors", "group sizes", "groups", "median group", "p50 ms", "p99 ms"],
            [
                f"| {Path(r['index']).name} | {r['vector_type']} | {r['total_vectors']} | {r['sizes']} | "
                f"{r['groups']} | {r['median_group']} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} |"
                for r in knn["results"]
            ],
            "The same group sizes in an index ten times larger cost the same: a search costs its (lemma, POS) "
            'group, not the whole index (the "whole index" rows show what it would cost otherwise).',
        )
    scale = sorted(
        (json.loads(p.read_text()) for p in RESULTS.glob("build_scale_x*.json")),
        key=lambda r: (r["engine"], r["copies"]),
    )
    if scale:
        lines += table(
            "The builder on SemCor repeated N times (`benchmarks/build_scale.py`, fake backend)",
            [
                "engine",
                "copies",
                "sentences",
                "instances",
                "check s",
                "build s",
                "peak RSS MiB",
                "process tree peak MiB",
                "folder MiB",
            ],
            [
                f"| {r['engine']} | {r['copies']} | {r['sentences']} | {r['instances']} | "
                f"{r['check_s']} | {r['build_s']} | {r['peak_rss_mib']} | {r['tree_peak_rss_mib']} | "
                f"{r['folder_mib']} |"
                for r in scale
            ],
            "Peak RSS is the building process's (with Ray, the driver's); the process tree adds, with Ray, the "
            "local Ray's own processes and actors, sampled every 0.2 s. "
            + "; ".join(_growth(scale, engine) for engine in dict.fromkeys(r["engine"] for r in scale))
            + " (goal: at most 1.5x).",
        )
    return lines


def _growth(scale: list[dict], engine: str) -> str:
    """'engine: xN / x1 peak ...' for the largest and smallest copies of one engine: the process, and with
    Ray the process tree too."""
    runs = [r for r in scale if r["engine"] == engine]
    small, large = runs[0], runs[-1]
    ratios = [f"process {large['peak_rss_mib'] / small['peak_rss_mib']:.2f}x"]
    if engine == "ray":
        ratios.append(f"process tree {large['tree_peak_rss_mib'] / small['tree_peak_rss_mib']:.2f}x")
    return f"{engine}, x{large['copies']} / x{small['copies']} peak: {', '.join(ratios)}"


def readme_block(chosen: dict, baselines: dict) -> list[str]:
    """The README's summary of the results, every figure from the JSON files."""
    lines = [
        (
            "F1 on ALL, settings chosen on SemEval-2007 only (details and commands in "
            "[results/README.md](results/README.md)):"
        ),
        "",
    ]
    for name, (key, by_ds) in chosen.items():
        lines.append(
            f"- `{name}` ({label(json.loads(key[1]))}): **{by_ds['ALL']['F1']:.1f}** "
            f"(SE07 {by_ds[DEV]['F1']:.1f})"
        )
    for (system, _), by_ds in baselines.items():
        lines.append(f"- {BASELINE_NAMES[system]}: {by_ds['ALL']['F1']:.1f}")
    return lines


def replace_block(path: Path, name: str, lines: list[str]) -> None:
    """Put `lines` between the markers `<!-- results:NAME -->` and `<!-- /results:NAME -->` of a file."""
    text = path.read_text()
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(head + start + "\n" + "\n".join(lines) + "\n" + end + tail)


def main() -> None:
    redraw_plots()
    tables = grid_tables()
    baselines = table_by_setting([r for r in load("bert_grid.json") if r["system"] in BASELINE_NAMES])
    rows, chosen = main_table(tables, baselines)
    lines = [
        "# Results: kNN word sense disambiguation on the standard evaluation sets",
        "",
        "F1 in percent with the evaluation framework's scorer (Raganato et al. 2017): an answer is correct if it is",
        "any gold key; P = correct/answered, R = correct/total. Settings (k, vote rule, mode, prior, layers) are",
        "chosen on SemEval-2007 (SE07, the development set) and then reported on every set; ALL is never used to",
        "choose. Generated by `benchmarks/results_page.py` from the JSON files in this folder; the commands are below.",
        "",
        *rows,
        *margins(chosen, baselines),
        *per_pos(chosen),
        *models_and_evidence(tables, chosen),
        *publish_best_predictions(chosen),
        *published(),
        *tagging(),
        *tagging_rules(),
        *lemma_pos(),
        *shard_reuse(),
        *index_costs(),
        *encoder_depth(),
        *service_speed(),
        *tagging_speed(),
        *scale_out(),
        *full_grids(tables),
        *layer_sweep(["layer_sweep.json"], "MiniLM", "0 (embeddings) to 6 (last)"),
        *layer_sweep(
            ["layer_sweep_mpnet.json", "layer_sweep_mpnet_middle.json"],
            "MPNet",
            "0 (embeddings) to 12 (last)",
        ),
        *no_pos_filter(),
        *separability_section(),
        *sense_map_speed(),
        *calibration_section(),
        *sense_maps(),
        "## Plots",
        "",
        (
            "Left: F1 per dataset at each system's best setting on SE07. Middle: F1 on ALL "
            "against k. Right (layer sweep): F1 on SE07 at each layer view's best setting "
            "there, and F1 on ALL at that same setting."
        ),
        "",
        *[f"![{p.stem}]({p.name})" for p in sorted(RESULTS.glob("*.png"))],
        "",
        "## Commands",
        "",
        "```bash",
        COMMANDS.strip(),
        "```",
        "",
    ]
    (RESULTS / "README.md").write_text("\n".join(lines))
    replace_block(ROOT / "README.md", "summary", readme_block(chosen, baselines))
    print(f"wrote {RESULTS / 'README.md'} and the summary in {ROOT / 'README.md'}")


def separability_section() -> list[str]:
    """The separability table of results/separability.json (wsd bench --separability), if there is one."""
    path = RESULTS / "separability.json"
    report = json.loads(path.read_text()).get("separability") if path.is_file() else None
    if not report:
        return []
    lines = [
        "## Sense separability: which layer knows sense, and does it predict F1?",
        "",
        (
            f"Over SemCor's (lemma, POS) groups with at least {report['min_senses']} senses of at least "
            f"{report['min_examples']} training vectors each: leave-one-out kNN accuracy within the group (k=10, "
            "majority) and the mean silhouette of the senses (cosine), both averaged over groups; beside them "
            "the F1 of the same view at its best setting on SE07."
        ),
        "",
        "| index / view | groups | vectors | LOO kNN | silhouette | SE07 | ALL |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        f1 = row.get("f1") or {}
        lines.append(
            f"| {row['system']} | {row['groups']} | {row['vectors']} | {row['loo_accuracy']:.3f} | "
            f"{row['silhouette']:.3f} | "
            + " | ".join(f"{f1[name]:.1f}" if name in f1 else "-" for name in ("SE07", "ALL"))
            + " |"
        )
    corr = report["correlation"]
    lines.append("")
    for name in ("spearman", "pearson"):
        values = ", ".join(
            f"{measure} {value:+.2f}" for measure, value in corr[name].items() if value is not None
        )
        lines.append(
            f"- {name.capitalize()} correlation with SE07 F1 across {corr['views']} views: {values or 'n/a'}"
        )
    return lines + [""]


def sense_maps() -> list[str]:
    """Every picture `wsd map` drew into results/maps/, under one heading."""
    pictures = sorted((RESULTS / "maps").glob("*.png"))
    if not pictures:
        return []
    return ["## Sense maps (`wsd map`)", ""] + [f"![{p.stem}](maps/{p.name})\n" for p in pictures]


def sense_map_speed() -> list[str]:
    """The sense map endpoint's time (results/sense_map_speed.json, `benchmarks/sense_map_speed.py`)."""
    data = read_json("sense_map_speed.json")
    if not data:
        return []
    group = data["group"]
    return table(
        f"Sense map speed (`benchmarks/sense_map_speed.py`, index {data['index']}, "
        f"{group['lemma']}/{group['pos']}: {group['vectors']} vectors, {data['calls']} calls)",
        ["call", "p50 ms", "p90 ms"],
        [
            f"| {name} | {data[key]['p50_ms']:.1f} | {data[key]['p90_ms']:.1f} |"
            for key, name in [
                ("get", "GET /v1/senses/{lemma}/map"),
                ("post", "POST, with a query sentence"),
                ("in_process", "sense_map() in-process"),
            ]
        ],
        "Goal: GET p50 under 200 ms for a group of about 1,000 vectors.",
    )


def calibration_section() -> list[str]:
    """Reliability of the confidence from results/calibration/*.calibration.json (wsd bench --calibration)."""
    paths = sorted((RESULTS / "calibration").glob("*.calibration.json"))
    if not paths:
        return []
    lines = [
        "## Calibration of the confidence",
        "",
        (
            "Expected calibration error (10 bins) of the kNN answers' vote share, and of the calibrated "
            "confidence (isotonic regression fitted on SE07 only; ALL contains SE07, so ALL without it is the "
            "held-out figure). Serve it with `wsd serve --calibration results/calibration/INDEX.calibration.json`."
        ),
        "",
        "| index | setting | set | answers | accuracy | ECE vote share | ECE calibrated |",
        "|---|---|---|---|---|---|---|",
    ]
    for path in paths:
        report = json.loads(path.read_text())["report"]
        for before, after in zip(report["before"], report["after"]):
            lines.append(
                f"| {report['system']} | {label(report['settings'])} | {before['dataset']} | "
                f"{before['answers']} | {before['accuracy']:.3f} | {before['ece']:.3f} | {after['ece']:.3f} |"
            )
    lines += [""] + [
        f"![{p.stem}](calibration/{p.name})" for p in sorted((RESULTS / "calibration").glob("*.png"))
    ]
    return lines + [""]


COMMANDS = """
make env && source .venv/bin/activate
index-builder build --backend bert  --out indexes/bert-minilm          # default MiniLM, layers -4..-1 summed
index-builder build --backend flair --out indexes/flair-news-fast
index-builder build --backend bert --layers 0,1,2,3,4,5,6 --combine concat --out indexes/bert-minilm-all-layers
wsd bench --index indexes/bert-minilm --system mfs --system wn1st --k 1,3,5,7,10,15,20,30 \\
    --vote paper,majority,weighted --mode knn,centroid --backoff wn1st,none --json results/bert_grid.json
wsd bench --index indexes/flair-news-fast --k 1,3,5,7,10,15,20,30 --vote paper,majority,weighted \\
    --mode knn,centroid --backoff wn1st,none --json results/flair_grid.json
wsd bench --index indexes/bert-minilm --no-pos-filter --datasets semeval2007 ALL --json results/bert_no_pos_filter.json
wsd bench --index indexes/bert-minilm --index indexes/flair-news-fast --system mfs --system wn1st \\
    --k 5,10 --vote paper,majority --backoff wn1st,none --json results/main.json --predictions results/predictions
wsd bench --index indexes/bert-minilm-all-layers --layers "0;1;2;3;4;5;6;5,6;4,5,6;3,4,5,6;1,2,3,4,5,6" \\
    --k 1,3,5,10,20 --vote paper,majority,weighted --json results/layer_sweep.json
wsd bench --index indexes/bert-minilm-all-layers --layers "0;1;2;3;4;5;6;3,4,5,6" --index indexes/flair-news-fast \\
    --index indexes/bert-minilm --index indexes/mpnet --k 1,5,10 --vote majority,weighted --datasets semeval2007 ALL \\
    --separability --json results/separability.json --plot results/separability.png
wsd bench --index indexes/bert-minilm --datasets semeval2007 ALL --k 7 --vote weighted --prior 0.5 \\
    --calibration results/calibration
wsd bench --index indexes/minilm-wordnet --datasets semeval2007 ALL --k 7 --vote majority --prior 1 --centroid 2 \\
    --calibration results/calibration
wsd bench --index indexes/mpnet --datasets semeval2007 ALL --k 3 --vote majority --prior 0 \\
    --calibration results/calibration
for w in bank plant interest; do
  wsd map $w --index indexes/bert-minilm --index indexes/mpnet --index indexes/flair-news-fast --png results/maps/$w.png
done
wsd map run --pos VERB --index indexes/bert-minilm --index indexes/mpnet --index indexes/flair-news-fast \\
    --png results/maps/run-verb.png
wsd map bank --index indexes/bert-minilm-all-layers --layers "0;2;4;6" --png results/maps/bank-minilm-layers.png
index-builder build --backend bert --model mpnet --out indexes/mpnet --keep-shards
index-builder build --backend bert --evidence wordnet-examples,wordnet-glosses --out indexes/minilm-wordnet
python benchmarks/eval_lemmas.py --out results/tmp/eval_lemmas.txt
cp -r indexes/.mpnet.work indexes/.mpnet-wordnet-eval-lemmas.work    # reuse MPNet's SemCor shards
index-builder build --backend bert --model mpnet --evidence wordnet-examples,wordnet-glosses \\
    --evidence-lemmas results/tmp/eval_lemmas.txt --out indexes/mpnet-wordnet-eval-lemmas
for i in mpnet mpnet-wordnet-eval-lemmas; do    # mpnet without sense-gloss: it has no glosses
  wsd bench --index indexes/$i --k 1,3,5,7,10,15 --vote majority,weighted --prior 0,0.5,1,2 \\
    --mode knn,centroid,sense,sense-gloss --json results/grid_$i.json --predictions results/tmp/$i-preds --tune
done
wsd bench --index indexes/minilm-wordnet --k 1,3,5,7,10,15 --vote majority,weighted --prior 0,0.5,1,2 \\
  --centroid 0,0.5,1,2 --mode knn,centroid,sense,sense-gloss --json results/grid_minilm-wordnet.json \\
  --predictions results/tmp/minilm-wordnet-preds --tune
index-builder build --backend bert --model mpnet --layers 0,1,2,3,4,5,6,7,8,9,10,11,12 --combine concat \\
  --evidence wordnet-examples,wordnet-glosses --evidence-lemmas results/tmp/eval_lemmas.txt \\
  --out indexes/mpnet-all-layers-eval-lemmas            # 10 GB: every MPNet layer, for the sweeps below
wsd bench --index indexes/mpnet-all-layers-eval-lemmas --k 1,3,5,10 --vote majority,weighted \\
  --layers "0;2;4;6;7;8;9;10;11;12;11,12;10,11,12;9,10,11,12;8,9,10,11,12;6,7,8,9,10,11,12" \\
  --datasets semeval2007 ALL --json results/layer_sweep_mpnet.json
wsd bench --index indexes/mpnet-all-layers-eval-lemmas --k 1,3,5,10 --vote majority,weighted \\
  --layers "5;3,4,5,6;4,5,6;5,6,7;4,5,6,7,8;6,7" --datasets semeval2007 ALL \\
  --json results/layer_sweep_mpnet_middle.json          # round 2: around the best of round 1 on SE07 (6)
wsd bench --index indexes/mpnet-all-layers-eval-lemmas --layers 5 --k 1,3,5,7,10,15 --vote majority,weighted \\
  --prior 0,0.5,1,2 --centroid 0,0.5,1,2 --mode knn,centroid,sense --json results/grid_mpnet-layer5.json \\
  --predictions results/tmp/mpnet-layer5-preds          # the best view on SE07 (layer 5), the whole grid
index-builder build --backend flair --evidence wordnet-examples,wordnet-glosses \\
  --evidence-lemmas results/tmp/eval_lemmas.txt --out indexes/flair-wordnet-eval-lemmas
wsd bench --index indexes/flair-wordnet-eval-lemmas --k 1,3,5,7,10,15 --vote majority,weighted --prior 0,1 \\
  --centroid 0,1 --mode knn,centroid,sense,sense-gloss --json results/grid_flair-wordnet-eval-lemmas.json --tune
index-builder build --backend bert --model mpnet --layers 5 --evidence wordnet-examples,wordnet-glosses \\
  --out indexes/mpnet-layer5-wordnet                    # layer 5 built to serve: the encoder runs 5 of 12 layers
wsd bench --index indexes/mpnet-layer5-wordnet --k 1,3,5,7,10,15 --vote majority,weighted --prior 0,0.5,1,2 \\
  --centroid 0,0.5,1,2 --mode knn,centroid,sense,sense-gloss --json results/grid_mpnet-layer5-wordnet.json \\
  --predictions results/tmp/mpnet-layer5-wordnet-preds --tune
wsd bench --index indexes/flair-news-fast --datasets semeval2007 --k 1,3,5,7,10,15,20,30 \\
  --vote paper,majority,weighted --mode knn,centroid --backoff wn1st --tune     # its tuned.json, for the costs
python benchmarks/index_costs.py --index indexes/minilm-wordnet --index indexes/mpnet \\
    --index indexes/mpnet-wordnet-eval-lemmas --index indexes/mpnet-layer5-wordnet --index indexes/flair-news-fast \\
    --index indexes/flair-wordnet-eval-lemmas
index-builder build --backend bert --name bert-minilm --out /tmp/bert-minilm    # bert-minilm predates the recorded
wsd bench --index /tmp/bert-minilm --datasets semeval2007 --k 7 --vote weighted --prior 0.5 --tune  # build cost:
python benchmarks/index_costs.py --index /tmp/bert-minilm   # rebuilt (vectors within 2e-7 of it), at its setting
python benchmarks/tagging_accuracy.py --old-table indexes/bert-minilm --json results/tagging_accuracy.json
python benchmarks/tagging_rules.py --json results/tagging_rules.json
wsd bench --index indexes/bert-minilm --system wn1st --k 7 --vote weighted --prior 0.5 --lemma-pos predicted \\
    --json results/lemma_pos.json
wsd bench --index indexes/minilm-wordnet --system wn1st --k 7 --vote majority --prior 1 --centroid 2 \\
    --lemma-pos predicted --json results/lemma_pos_minilm-wordnet.json
python benchmarks/ray_engine.py --threads 2 --json results/ray_engine.json
python benchmarks/build_scale.py --copies 10 --work /tmp/scale > results/build_scale_x10.json      # and --copies 1
python benchmarks/build_scale.py --copies 10 --engine ray --work /tmp/scale > results/build_scale_x10_ray.json
python benchmarks/knn_scale.py --index indexes/bert-minilm --index /tmp/scale10/index-x10 --json results/knn_scale.json
python benchmarks/backend_speed.py --backend bert --bert-model mpnet --bert-layers=-4,-3,-2,-1 --bert-layers 5 \\
    -n 100 --repeat 2 --json results/encoder_depth.json
python benchmarks/service_speed.py --index indexes/minilm-wordnet --json results/service_speed.json
python benchmarks/tagging_speed.py --json results/tagging_speed.json
python benchmarks/sense_map_speed.py --index indexes/minilm-wordnet --json results/sense_map_speed.json
git worktree add ../ab-old 123d86d && cp benchmarks/service_speed.py ../ab-old/benchmarks/  # last round's server
for i in 1 2; do for side in old main; do    # alternated, same index and benchmark: results/serving_ab/
  (cd $([ $side = old ] && echo ../ab-old || echo .) && python benchmarks/service_speed.py --soak-seconds 0 \\
    --index $OLDPWD/indexes/bert-minilm --repeats 3 -n 100 --json $OLDPWD/results/serving_ab/${side}_$i.json)
done; done
python benchmarks/results_page.py    # this page and every results/*.png, from the JSON files
"""


if __name__ == "__main__":
    main()
