"""Is the confidence a probability? Reliability of the kNN vote share (accuracy per confidence bin, expected
calibration error) and a calibrated confidence fitted on SemEval-2007 only, scored on ALL before and after.

Only answers decided by the vote (method knn) are binned: a backoff answer has no vote share. ALL contains
SemEval-2007, so the after-figures are also given on ALL without it (held out from the fit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wsd_service.bench.runner import EvalSet, KnnSystem, Prediction, QueryVectors, load_eval_set
from wsd_service.calibration import Calibration
from wsd_service.disambiguator import Disambiguator
from wsd_service.settings import Method, Mode, Settings

BINS = 10
BADLY_CALIBRATED = 0.05  # an ECE above this calls for the calibrated confidence
FIT_ON, REPORT_ON = "semeval2007", "ALL"
HELD_OUT = "ALL without SE07"


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    answers: int
    confidence: float  # mean confidence in the bin (nan when empty)
    accuracy: float  # share of right answers in the bin (nan when empty)


@dataclass(frozen=True)
class Reliability:
    dataset: str
    answers: int
    accuracy: float
    ece: float  # expected calibration error: the answer-weighted mean of |accuracy - confidence| per bin
    bins: tuple[Bin, ...]

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["bins"] = [
            {k: (None if isinstance(v, float) and np.isnan(v) else round(v, 4)) for k, v in b.items()}
            for b in out["bins"]
        ]
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def reliability(
    dataset: str, confidences: Sequence[float], correct: Sequence[bool], bins: int = BINS
) -> Reliability:
    """Accuracy per equal-width confidence bin ([0, 0.1), ..., [0.9, 1.0]) and the ECE."""
    conf, right = np.asarray(confidences, np.float64), np.asarray(correct, np.float64)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    out = []
    ece = 0.0
    for b in range(bins):
        mine = which == b
        n = int(mine.sum())
        mean_conf = float(conf[mine].mean()) if n else float("nan")
        accuracy = float(right[mine].mean()) if n else float("nan")
        if n:
            ece += n / len(conf) * abs(accuracy - mean_conf)
        out.append(Bin(b / bins, (b + 1) / bins, n, mean_conf, accuracy))
    return Reliability(
        dataset, len(conf), float(right.mean()) if len(conf) else float("nan"), ece, tuple(out)
    )


@dataclass(frozen=True)
class VoteAnswers:
    """The answers of a set decided by the kNN vote: instance ids, confidences, right or wrong."""

    ids: tuple[str, ...]
    confidences: np.ndarray
    correct: np.ndarray

    @classmethod
    def of(cls, predictions: dict[str, Prediction], evalset: EvalSet) -> VoteAnswers:
        gold = evalset.gold
        chosen = [(i, p) for i, p in predictions.items() if p.method == Method.KNN and p.key is not None]
        return cls(
            tuple(i for i, _ in chosen),
            np.array([p.confidence for _, p in chosen]),
            np.array([p.key in gold[i] for i, p in chosen]),
        )

    def without(self, prefix: str) -> VoteAnswers:
        keep = np.array([not i.startswith(prefix) for i in self.ids], dtype=bool)
        return VoteAnswers(
            tuple(i for i, k in zip(self.ids, keep) if k), self.confidences[keep], self.correct[keep]
        )


@dataclass
class CalibrationStudy:
    system: str
    calibration: Calibration
    before: list[Reliability] = field(default_factory=list)
    after: list[Reliability] = field(default_factory=list)

    @property
    def badly_calibrated(self) -> bool:
        return next(r.ece for r in self.before if r.dataset == REPORT_ON) > BADLY_CALIBRATED

    def as_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "settings": self.calibration.settings,
            "fitted_on": FIT_ON,
            "badly_calibrated": self.badly_calibrated,
            "threshold_ece": BADLY_CALIBRATED,
            "before": [r.as_json() for r in self.before],
            "after": [r.as_json() for r in self.after],
        }


def calibration_study(
    disambiguator: Disambiguator, settings: Settings, vectors: QueryVectors
) -> CalibrationStudy:
    """Vote-share reliability on SE07, ALL and ALL without SE07; the isotonic map fitted on SE07; the
    reliability of the calibrated confidence on the same sets."""
    system = KnnSystem(disambiguator, settings, vectors)
    dev_set, test_set = load_eval_set(FIT_ON), load_eval_set(REPORT_ON)
    dev = VoteAnswers.of(system.predict(dev_set), dev_set)
    test = VoteAnswers.of(system.predict(test_set), test_set)
    held_out = test.without(f"{FIT_ON}.")
    calibration = Calibration.fit(disambiguator.name, settings, dev.confidences, dev.correct, FIT_ON)
    study = CalibrationStudy(disambiguator.name, calibration)
    for name, answers in ((FIT_ON, dev), (REPORT_ON, test), (HELD_OUT, held_out)):
        study.before.append(reliability(name, answers.confidences, answers.correct))
        calibrated = [calibration.apply(c) for c in answers.confidences]
        study.after.append(reliability(name, calibrated, answers.correct))
    return study


def format_study(study: CalibrationStudy) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in study.calibration.settings.items())
    lines = [
        f"Calibration of {study.system} ({settings}): expected calibration error of kNN answers, {BINS} bins"
    ]
    for before, after in zip(study.before, study.after):
        lines.append(
            f"  {before.dataset:18s} n={before.answers:5d} accuracy {before.accuracy:.3f}  "
            f"ECE vote share {before.ece:.3f} -> calibrated {after.ece:.3f}"
        )
    verdict = "badly calibrated" if study.badly_calibrated else "well calibrated"
    lines.append(
        f"  vote share on ALL is {verdict} (ECE threshold {BADLY_CALIBRATED}); the calibrated map is "
        f"fitted on {FIT_ON} only"
    )
    return "\n".join(lines)


def plot_reliability(study: CalibrationStudy, path: Path) -> None:
    """Reliability diagram on ALL: accuracy per confidence bin for the vote share and the calibrated
    confidence, the diagonal being perfect calibration; answers per bin below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5.5, 7), height_ratios=(3, 1))
    top.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for rel, name in (
        (_on(study.before, REPORT_ON), "vote share"),
        (_on(study.after, REPORT_ON), "calibrated"),
        (_on(study.after, HELD_OUT), "calibrated, ALL without SE07"),
    ):
        points = [(b.confidence, b.accuracy) for b in rel.bins if b.answers]
        top.plot(*zip(*points), marker="o", label=f"{name} (ECE {rel.ece:.3f})")
    top.set_ylabel("accuracy in the bin")
    top.set_xlim(0, 1), top.set_ylim(0, 1)
    top.legend(fontsize=8, loc="upper left")
    top.set_title(f"Reliability on ALL: {study.system}")
    top.set_xlabel("mean confidence in the bin")
    top.xaxis.set_tick_params(labelbottom=True)
    bins = _on(study.before, REPORT_ON).bins
    bottom.bar([(b.low + b.high) / 2 for b in bins], [b.answers for b in bins], width=0.09, color="#8aa8d8")
    bottom.set_xlim(0, 1)
    bottom.set_xlabel("vote share (bins of 0.1)")
    bottom.set_title("kNN answers on ALL per vote-share bin", fontsize=9)
    bottom.set_ylabel("answers")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _on(reliabilities: list[Reliability], dataset: str) -> Reliability:
    return next(r for r in reliabilities if r.dataset == dataset)


def write_study(study: CalibrationStudy, folder: Path) -> tuple[Path, Path]:
    """`<index>.calibration.json` (the map `wsd serve --calibration` reads, with this report) and
    `<index>.reliability.png` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in study.system)
    json_path, png_path = folder / f"{stem}.calibration.json", folder / f"{stem}.reliability.png"
    study.calibration.save(json_path, report=study.as_json())
    plot_reliability(study, png_path)
    return json_path, png_path


def calibration_report(systems: Sequence[KnnSystem], folder: Path) -> list[dict[str, Any]]:
    """A calibration study per index (not per layer view) at its first kNN setting of the grid; each map and
    diagram written to `folder`, the reports printed and returned for the JSON output."""
    first: dict[str, KnnSystem] = {}
    for system in systems:
        if system.settings.mode == Mode.KNN and "layers" not in system.setting:
            first.setdefault(system.name, system)
    if not first:
        print("calibration: no kNN setting of a whole index in the grid (layer views are not calibrated)")
    reports = []
    for system in first.values():
        study = calibration_study(system.disambiguator, system.settings, system.vectors)
        print(format_study(study))
        for path in write_study(study, folder):
            print(f"wrote {path}")
        reports.append(study.as_json())
    return reports
