"""A calibrated confidence: a monotone map from the kNN vote share to the accuracy observed on a development
set (isotonic regression by pool-adjacent-violators), saved as JSON by `wsd bench --calibration` and read
by `wsd serve --calibration FILE`. It applies only to the index and the decision settings it was fitted for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index_builder.errors import WsdError
from wsd_service.settings import DECISION_FIELDS, Mode, Settings

if TYPE_CHECKING:  # pragma: no cover
    from wsd_service.disambiguator import Disambiguator

FORMAT = "wsd-calibration/1"
FITTED_SETTINGS = DECISION_FIELDS  # the settings that change the vote share


class CalibrationError(WsdError):
    """A calibration file that cannot be read or does not fit the index it names."""


@dataclass
class _Block:
    """A run of adjacent confidence values pooled to one fitted accuracy."""

    total: float  # correct answers in the run
    weight: int  # answers in the run
    values: int  # distinct confidence values in the run

    @property
    def mean(self) -> float:
        return self.total / self.weight


def isotonic(confidences: Sequence[float], correct: Sequence[bool]) -> tuple[list[float], list[float]]:
    """The non-decreasing step function of confidence closest (least squares) to correctness: the distinct
    confidence values and the fitted accuracy at each (pool-adjacent-violators)."""
    values, inverse = np.unique(np.asarray(confidences, np.float64), return_inverse=True)
    if not len(values):
        raise CalibrationError("no answers to fit a calibration on")
    sums = np.bincount(inverse, weights=np.asarray(correct, np.float64), minlength=len(values))
    counts = np.bincount(inverse, minlength=len(values))
    blocks: list[_Block] = []
    for total, weight in zip(sums.tolist(), counts.tolist()):
        blocks.append(_Block(total, weight, 1))
        while len(blocks) > 1 and blocks[-2].mean > blocks[-1].mean:
            last = blocks.pop()
            blocks[-1] = _Block(
                blocks[-1].total + last.total,
                blocks[-1].weight + last.weight,
                blocks[-1].values + last.values,
            )
    fitted = np.repeat([b.mean for b in blocks], [b.values for b in blocks])
    return values.tolist(), fitted.tolist()


@dataclass(frozen=True)
class Calibration:
    """Fitted accuracy at the vote shares seen on the development set; between them it is interpolated,
    outside them held at the nearest end."""

    index: str
    settings: dict[str, Any]  # the FITTED_SETTINGS values the map was fitted for
    x: tuple[float, ...]
    y: tuple[float, ...]
    fitted_on: str
    answers: int
    kind: str = "isotonic"

    @classmethod
    def fit(
        cls,
        index: str,
        settings: Settings,
        confidences: Sequence[float],
        correct: Sequence[bool],
        fitted_on: str,
    ) -> Calibration:
        x, y = isotonic(confidences, correct)
        chosen = {name: getattr(settings, name) for name in FITTED_SETTINGS}
        return cls(index, json.loads(json.dumps(chosen)), tuple(x), tuple(y), fitted_on, len(confidences))

    def apply(self, confidence: float) -> float:
        return float(np.interp(confidence, self.x, self.y))

    def fits(self, settings: Settings) -> bool:
        """True when `settings` decide as the ones the map was fitted for (knn only)."""
        wanted = json.loads(json.dumps({name: getattr(settings, name) for name in FITTED_SETTINGS}))
        return settings.mode == Mode.KNN and wanted == self.settings

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self), "x": list(self.x), "y": list(self.y)}

    def save(self, path: Path, report: dict[str, Any] | None = None) -> None:
        """Write the map (and, under "report", how it was measured: read back by nobody but people)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = self.as_json() | ({"report": report} if report else {})
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def load_calibration(path: Path) -> Calibration:
    """Read a file written by `wsd bench --calibration`; CalibrationError says what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CalibrationError(f"{path}: cannot read a calibration ({err})") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CalibrationError(
            f'{path}: not a calibration file (want "format": "{FORMAT}"); write one with '
            "wsd bench --index DIR --calibration OUT"
        )
    try:
        x, y = tuple(float(v) for v in data["x"]), tuple(float(v) for v in data["y"])
        calibration = Calibration(
            str(data["index"]),
            dict(data["settings"]),
            x,
            y,
            str(data["fitted_on"]),
            int(data["answers"]),
            str(data.get("kind", "isotonic")),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise CalibrationError(f"{path}: calibration field missing or malformed ({err})") from err
    if not x or len(x) != len(y) or list(x) != sorted(x) or list(y) != sorted(y):
        raise CalibrationError(f"{path}: x and y must be equally long, non-empty and non-decreasing")
    return calibration


def attach_calibrations(disambiguators: Mapping[str, Disambiguator], paths: Sequence[Path]) -> None:
    """Give each loaded index the calibration fitted for it (the file names its index)."""
    for path in paths:
        calibration = load_calibration(path)
        if calibration.index not in disambiguators:
            loaded = ", ".join(repr(name) for name in disambiguators)
            raise CalibrationError(
                f"{path}: fitted for index {calibration.index!r}, which is not loaded (loaded: {loaded})"
            )
        disambiguators[calibration.index].calibration = calibration
