"""PNG pictures of benchmark results: F1 per dataset per system, F1 against k, F1 per layer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from wsd_service.bench.runner import SHORT_NAMES, Result, setting_label


def _best_per_system(results: Sequence[Result], dataset: str = "semeval2007") -> dict[str, str]:
    """For each system, the setting with the best F1 on the development set (or the first seen)."""
    best: dict[str, tuple[float, str]] = {}
    for r in results:
        if r.dataset == dataset and (r.system not in best or r.score.f1 > best[r.system][0]):
            best[r.system] = (r.score.f1, setting_label(r.setting))
    return {system: label for system, (_, label) in best.items()}


def _varying_fields(settings: list[dict]) -> list[str]:
    """Setting fields whose value differs between curves (the others need no label)."""
    fields = list(dict.fromkeys(k for s in settings for k in s))
    return [k for k in fields if len({s.get(k) for s in settings}) > 1]


def plot_results(results: Sequence[Result], datasets: Sequence[str], path: Path) -> None:
    """Left: F1 per dataset for each system at its best development setting. Middle: F1 on ALL against k
    per vote rule. Right (when a layer sweep was run): per layer view, F1 on SE07 at its best setting there
    and F1 on ALL at that same setting."""
    best = _best_per_system(results)
    chosen = [r for r in results if setting_label(r.setting) == best.get(r.system, setting_label(r.setting))]
    knn = [r for r in results if "k" in r.setting]
    layered = [r for r in results if "layers" in r.setting]
    panels = 1 + bool(knn) + bool(layered)
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.5), squeeze=False)
    target = "ALL" if "ALL" in datasets else datasets[-1]
    _per_dataset(axes[0][0], chosen, datasets)
    if knn:
        _against_k(axes[0][1], knn, chosen, target)
    if layered:
        _layer_sweep(axes[0][panels - 1], layered, target)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _per_dataset(ax: plt.Axes, chosen: list[Result], datasets: Sequence[str]) -> None:
    systems = list(dict.fromkeys(r.system for r in chosen))
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
    ax.legend(fontsize=6, ncol=2, loc="upper left")


def _against_k(ax: plt.Axes, knn: list[Result], chosen: list[Result], target: str) -> None:
    curves: dict[tuple[str, str], list[tuple[int, float]]] = {}
    rests: dict[tuple[str, str], dict] = {}
    for r in knn:
        if r.dataset == target:
            rest = {k: v for k, v in r.setting.items() if k != "k"}
            key = (r.system, setting_label(rest))
            rests[key] = rest
            curves.setdefault(key, []).append((r.setting["k"], r.score.f1))
    if len(curves) > 12:  # a sweep: one curve per system, at its best vote rule and backoff on SE07
        keep = {(r.system, setting_label({k: v for k, v in r.setting.items() if k != "k"})) for r in chosen}
        curves = {key: points for key, points in curves.items() if key in keep}
    varying = _varying_fields([rests[key] for key in curves])
    for key, points in curves.items():
        short = ",".join(f"{k}={rests[key].get(k, '-')}" for k in varying)  # whole indexes have no layers
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=f"{key[0]} {short}".strip())
    ax.set_xlabel("k")
    ax.set_ylabel(f"F1 on {SHORT_NAMES.get(target, target)} (%)")
    ax.set_title("F1 against k")
    ax.legend(fontsize=6, loc="lower right")


def _layer_sweep(ax: plt.Axes, layered: list[Result], target: str) -> None:
    dev: dict[str, Result] = {}
    for r in layered:  # per view, its best setting on the development set ...
        view = str(r.setting["layers"])
        if r.dataset == "semeval2007" and (view not in dev or r.score.f1 > dev[view].score.f1):
            dev[view] = r
    at_target = {
        (str(r.setting["layers"]), setting_label(r.setting)): r.score.f1
        for r in layered
        if r.dataset == target
    }
    views = list(dev)  # ... and the target set's F1 at that same setting
    ax.plot(views, [dev[v].score.f1 for v in views], marker="o", label="SE07 (best setting)")
    ax.plot(
        views,
        [at_target.get((v, setting_label(dev[v].setting)), float("nan")) for v in views],
        marker="s",
        label=f"{SHORT_NAMES.get(target, target)} at that setting",
    )
    ax.legend(fontsize=7)
    ax.set_xlabel("layers (summed)")
    ax.set_ylabel("F1 (%)")
    ax.set_title("Layer sweep")
    ax.tick_params(axis="x", labelrotation=45)
