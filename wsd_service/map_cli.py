"""`wsd map`: the sense maps of one lemma side by side across indexes (backends) and layer views, as a PNG
(the paper's figure for any word)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index_builder.command import add_command
from index_builder.errors import WsdError
from index_builder.inventory import CONTENT_POS
from wsd_service.cli_arguments import add_index_folders, add_layer_views
from wsd_service.sense_map import DEFAULT_CAP, MapMethod, SenseMap, find_group, map_lemma, sense_map

MAX_LEGEND = 12  # senses named in the legend; rarer ones share one grey


@dataclass(frozen=True)
class Panel:
    title: str
    map: SenseMap


def draw_maps(panels: list[list[Panel]], path: Path, title: str) -> None:
    """One row of panels per index (one row in all when every index has one view), sharing the colors of
    the senses; a legend of glosses below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if all(len(row) == 1 for row in panels):
        panels = [[row[0] for row in panels]]
    colours = _sense_colours(panels)
    ncols = max(len(row) for row in panels)
    legend_columns = 2 if ncols > 1 else 1
    legend_rows = -(-(min(len(colours), MAX_LEGEND + 1) + 1) // legend_columns)
    legend_inches = 0.3 + 0.17 * legend_rows
    fig, axes = plt.subplots(
        len(panels),
        ncols,
        squeeze=False,
        figsize=(max(4.2 * ncols, 7.0), 4.2 * len(panels) + 0.5 + legend_inches),
    )
    for r, row in enumerate(panels):
        for c in range(ncols):
            ax = axes[r][c]
            ax.set_xticks([]), ax.set_yticks([])
            if c >= len(row):
                ax.axis("off")
                continue
            _panel(ax, row[c], colours)
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color=colour, label=label)
        for label, colour in _legend(panels, colours)
    ]
    if any(panel.map.query is not None for row in panels for panel in row):
        handles.append(
            plt.Line2D([], [], marker="*", linestyle="", color="black", markersize=12, label="the query")
        )
    fig.legend(handles=handles, loc="lower center", ncol=legend_columns, fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, legend_inches / fig.get_figheight(), 1, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _sense_colours(panels: list[list[Panel]]) -> dict[str, str]:
    """The most frequent senses over all panels get the tab10/tab20 colors; the rest grey."""
    import matplotlib

    totals: dict[str, int] = {}
    for row in panels:
        for panel in row:
            for entry in panel.map.legend:
                totals[entry.key] = max(totals.get(entry.key, 0), entry.count)
    ranked = sorted(totals, key=lambda key: (-totals[key], key))
    palette = matplotlib.colormaps["tab10" if len(ranked) <= 10 else "tab20"].colors
    return {
        key: matplotlib.colors.to_hex(palette[i]) if i < MAX_LEGEND else "#bbbbbb"
        for i, key in enumerate(ranked)
    }


def _legend(panels: list[list[Panel]], colours: dict[str, str]) -> list[tuple[str, str]]:
    entries = {e.key: e for row in panels for panel in row for e in panel.map.legend}
    named = [key for key, colour in colours.items() if colour != "#bbbbbb"]
    out = [(f"{entries[k].synset or k}: {(entries[k].gloss or '')[:60]}", colours[k]) for k in named]
    if len(colours) > len(named):
        out.append((f"{len(colours) - len(named)} rarer senses", "#bbbbbb"))
    return out


def _panel(ax, panel: Panel, colours: dict[str, str]) -> None:
    points = panel.map.points
    ax.scatter(
        [p.x for p in points],
        [p.y for p in points],
        s=9,
        alpha=0.7,
        linewidths=0,
        c=[colours[p.sense_key] for p in points],
    )
    for centroid in panel.map.centroids:
        ax.scatter(
            [centroid.x],
            [centroid.y],
            s=130,
            facecolors="none",
            linewidths=2,
            edgecolors=colours[centroid.sense_key],
        )
    if panel.map.query is not None:
        ax.scatter(
            [panel.map.query[0]],
            [panel.map.query[1]],
            marker="*",
            s=220,
            c="black",
            edgecolors="white",
            linewidths=0.8,
            zorder=5,
        )
    dropped = sum(panel.map.dropped.values())
    note = f"{len(points)} of {panel.map.total} vectors" if dropped else f"{len(points)} vectors"
    ax.set_title(f"{panel.title}\n{note}", fontsize=9)
    ax.set_xlim(-1.08, 1.08), ax.set_ylim(-1.08, 1.08)
    ax.set_aspect("equal")


def _views(
    index, specs: list[str] | None
) -> list[tuple[str | None, Callable[[np.ndarray], np.ndarray] | None]]:
    """The layer views of an index built with --combine concat; any other index is drawn once."""
    from wsd_service.bench.runner import layer_views

    if specs and index.backend_spec.get("combine") == "concat":
        return list(layer_views(index, specs))
    return [(None, None)]


def cmd_map(args: argparse.Namespace) -> int:
    """draw the sense maps of one lemma across indexes and layers (PNG)

    Every training vector of one lemma and POS in 2D, colored by sense, one panel per index and layer view,
    side by side. Example: wsd map bank --index indexes/bert-minilm --index indexes/flair-news-fast --png
    bank.png"""
    from index_builder.index_folder import IndexFolder
    from index_builder.inventory import SenseInventory
    from index_builder.text import tag_words
    from wsd_service.disambiguator import Disambiguator, Query
    from wsd_service.service_cli import find_word

    if args.sentence is not None and args.word is None:
        raise WsdError("--sentence needs --word (the word of the sentence to place in the maps)")
    inventory = SenseInventory()
    disambiguators = [Disambiguator(IndexFolder(folder), inventory=inventory) for folder in args.index]
    lemma, message = map_lemma(disambiguators[0], args.lemma, args.pos)  # the same group in every index
    pos = find_group(disambiguators[0], lemma, args.pos).pos
    if message:
        print(message)
    rows = []
    for disambiguator in disambiguators:
        vector = None
        if args.sentence is not None:
            tokens = [token.text for token in tag_words(args.sentence)]
            query = Query(tuple(tokens), find_word(tokens, args.word, 1), lemma, pos)
            vector = disambiguator.embed([query])[0]
        row = []
        for label, transform in _views(disambiguator.folder, args.layers):
            drawn = sense_map(disambiguator, lemma, pos, args.method, args.cap, vector, transform)
            row.append(Panel(disambiguator.name + (f" [layers {label}]" if label else ""), drawn))
        rows.append(row)
    first = rows[0][0].map
    draw_maps(rows, args.png, f"Sense map of {first.lemma} ({first.pos}), {args.method.upper()}")
    print(f"wrote {args.png}")
    return 0


def add_map_parser(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "map", cmd_map)
    parser.add_argument("lemma", help="the lemma, e.g. bank")
    add_index_folders(parser, help="index folder (repeatable: one row of panels each)", required=True)
    parser.add_argument("--pos", choices=CONTENT_POS, help="POS (default: the lemma's POS with most vectors)")
    add_layer_views(
        parser,
        help="layer views of indexes built with --combine concat, e.g. '6;3,4,5,6' (one panel "
        "each); other indexes get one panel",
    )
    parser.add_argument(
        "--method",
        type=MapMethod,
        choices=list(MapMethod),
        default=MapMethod.PCA,
        help="pca (default) or tsne (needs scikit-learn; slow for large groups)",
    )
    parser.add_argument(
        "--cap",
        type=int,
        default=DEFAULT_CAP,
        help=f"vectors per sense at most, subsampled with a fixed seed (default {DEFAULT_CAP})",
    )
    parser.add_argument("--sentence", help="a sentence whose --word is placed in every map as a star")
    parser.add_argument("--word", help="the word of --sentence to place")
    parser.add_argument("--png", type=Path, required=True, metavar="PATH", help="the picture to write")
