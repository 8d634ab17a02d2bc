"""PNG pictures of benchmark results: F1 per dataset per system, F1 against k, F1 per layer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from wsd_service.bench import SHORT_NAMES, Result, setting_label


def _best_per_system(results: Sequence[Result], dataset: str = "semeval2007") -> dict[str, str]:
    """For each system, the setting with the best F1 on the development set (or the first seen)."""
    best: dict[str, tuple[float, str]] = {}
    for r in results:
        if r.dataset == dataset and (r.system not in best or r.score.f1 > best[r.system][0]):
            best[r.system] = (r.score.f1, setting_label(r.setting))
    return {system: label for system, (_, label) in best.items()}


def plot_results(results: Sequence[Result], datasets: Sequence[str], path: Path) -> None:
    """Left: F1 per dataset for each system at its best development setting. Middle: F1 on ALL against k
    per vote rule. Right: F1 on ALL per layer view (when a layer sweep was run)."""
    best = _best_per_system(results)
    chosen = [r for r in results if setting_label(r.setting) == best.get(r.system, setting_label(r.setting))]
    systems = list(dict.fromkeys(r.system for r in chosen))
    knn = [r for r in results if "k" in r.setting]
    layered = [r for r in results if "layers" in r.setting]
    panels = 1 + bool(knn) + bool(layered)
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.5), squeeze=False)
    ax = axes[0][0]
    width = 0.8 / max(len(systems), 1)
    for n, system in enumerate(systems):
        values = {r.dataset: r.score.f1 for r in chosen if r.system == system}
        xs = [i + n * width for i in range(len(datasets))]
        ax.bar(xs, [values.get(d, 0.0) for d in datasets], width, label=system)
    ax.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(datasets))])
    ax.set_xticklabels([SHORT_NAMES.get(d, d) for d in datasets])
    ax.set_ylabel("F1 (%)")
    ax.set_ylim(40, 80)
    ax.set_title("F1 per dataset (best setting on SE07)")
    ax.legend(fontsize=7)
    column = 1
    target = "ALL" if "ALL" in datasets else datasets[-1]
    if knn:
        ax = axes[0][column]
        column += 1
        lines: dict[str, list[tuple[int, float]]] = {}
        for r in knn:
            if r.dataset == target:
                rest = {k: v for k, v in r.setting.items() if k != "k"}
                lines.setdefault(f"{r.system} {setting_label(rest)}", []).append((r.setting["k"], r.score.f1))
        for label, points in lines.items():
            points.sort()
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
        ax.set_xlabel("k")
        ax.set_ylabel(f"F1 on {SHORT_NAMES.get(target, target)} (%)")
        ax.set_title("F1 against k")
        ax.legend(fontsize=6)
    if layered:
        ax = axes[0][column]
        by_view: dict[str, float] = {}
        for r in layered:
            if r.dataset == target:
                view = str(r.setting["layers"])
                by_view[view] = max(by_view.get(view, 0.0), r.score.f1)
        ax.plot(list(by_view), list(by_view.values()), marker="o")
        ax.set_xlabel("layers (summed)")
        ax.set_ylabel(f"best F1 on {SHORT_NAMES.get(target, target)} (%)")
        ax.set_title("Layer sweep")
        ax.tick_params(axis="x", labelrotation=45)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
