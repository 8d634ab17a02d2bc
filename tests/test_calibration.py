"""The calibrated confidence: pool-adjacent-violators, the JSON file, and its use by the Disambiguator and
the command lines."""

from __future__ import annotations

import json

import pytest

from wsd_service.calibration import (
    Calibration,
    CalibrationError,
    attach_calibrations,
    isotonic,
    load_calibration,
)
from wsd_service.cli import main
from wsd_service.disambiguator import Query
from wsd_service.settings import Settings

SAID = Query(("The", "jury", "said", "no", "."), 2)


def test_isotonic_pools_adjacent_violators():
    assert isotonic([0.1, 0.2, 0.3, 0.4], [1, 0, 1, 1]) == ([0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 1.0, 1.0])
    # equal confidences are pooled first; a violation two steps back is pooled too
    x, y = isotonic([0.5, 0.5, 0.2, 0.9, 0.7, 0.7], [1, 0, 1, 0, 0, 0])
    assert x == [0.2, 0.5, 0.7, 0.9] and y == pytest.approx([1 / 3] * 4)
    assert isotonic([0.3, 0.6], [0, 1]) == ([0.3, 0.6], [0.0, 1.0])
    with pytest.raises(CalibrationError):
        isotonic([], [])


def _calibration(index: str = "tiny", **settings) -> Calibration:
    return Calibration.fit(index, Settings(**settings), [0.2, 0.4, 0.6, 1.0], [0, 1, 0, 1], "semeval2007")


def test_apply_interpolates_and_holds_the_ends():
    calibration = _calibration()
    assert calibration.y == (0.0, 0.5, 0.5, 1.0)
    assert calibration.apply(0.1) == 0.0 and calibration.apply(0.3) == pytest.approx(0.25)
    assert calibration.apply(0.8) == pytest.approx(0.75) and calibration.apply(1.0) == 1.0


def test_fits_only_the_settings_it_was_fitted_for():
    calibration = _calibration(k=10, vote="majority")
    assert calibration.fits(Settings(k=10, vote="majority", backoff="none"))  # backoff plays no part
    assert not calibration.fits(Settings(k=5))
    assert not calibration.fits(Settings(vote="weighted"))
    assert not calibration.fits(Settings(mode="centroid"))


def test_file_round_trip_and_its_errors(tmp_path):
    calibration, path = _calibration(), tmp_path / "c.json"
    calibration.save(path, report={"note": "kept for people"})
    assert load_calibration(path) == calibration
    assert json.loads(path.read_text())["report"] == {"note": "kept for people"}
    for text, words in (
        ("{", "cannot read"),
        ('{"x": []}', "not a calibration file"),
        ('{"format": "wsd-calibration/1", "x": [0.5]}', "missing or malformed"),
        (json.dumps({**calibration.as_json(), "y": [1, 0, 0, 0]}), "non-decreasing"),
    ):
        path.write_text(text)
        with pytest.raises(CalibrationError, match=words):
            load_calibration(path)


def test_disambiguator_says_which_confidence_it_gives(tiny_disambiguator):
    raw = tiny_disambiguator.disambiguate([SAID])[0]
    assert raw.confidence_kind == "vote share"
    tiny_disambiguator.calibration = _calibration()
    try:
        calibrated = tiny_disambiguator.disambiguate([SAID])[0]
        assert calibrated.confidence_kind == "calibrated"
        assert calibrated.confidence == pytest.approx(tiny_disambiguator.calibration.apply(raw.confidence))
        assert calibrated.sense == raw.sense and calibrated.margin == raw.margin
        other_k = tiny_disambiguator.disambiguate([SAID], Settings(k=3))[0]
        assert other_k.confidence_kind == "vote share"
    finally:
        tiny_disambiguator.calibration = None


def test_attach_refuses_a_file_for_an_index_not_loaded(tmp_path, tiny_disambiguator):
    path = tmp_path / "other.json"
    _calibration("other").save(path)
    with pytest.raises(CalibrationError, match="fitted for index 'other', which is not loaded"):
        attach_calibrations({"tiny": tiny_disambiguator}, [path])


def test_query_with_a_calibration(tiny_index, tmp_path, capsys):
    path = tmp_path / "tiny.calibration.json"
    _calibration().save(path)
    args = ["query", "The jury said no.", "--word", "said", "--index", str(tiny_index)]
    assert main([*args, "--calibration", str(path), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["confidence_kind"] == "calibrated" and 0 <= answer["confidence"] <= 1
    assert main(args) == 0
    assert "(vote share)  margin" in capsys.readouterr().out
    path.write_text("{}")
    assert main([*args, "--calibration", str(path)]) == 2
    assert "not a calibration file" in capsys.readouterr().err
