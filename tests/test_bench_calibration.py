"""Reliability of the vote share and `wsd bench --calibration` on the tiny fake index."""

from __future__ import annotations

import numpy as np
import pytest

from tests.bench_runs import bench_json
from wsd_service.bench.calibration import VoteAnswers, reliability
from wsd_service.bench.runner import Prediction, load_eval_set
from wsd_service.calibration import load_calibration
from wsd_service.settings import Settings


def test_bins_accuracy_and_expected_calibration_error():
    rel = reliability("toy", [0.05, 0.15, 0.15, 0.95, 1.0], [False, True, False, True, True])
    assert [b.answers for b in rel.bins] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    first, second, last = rel.bins[0], rel.bins[1], rel.bins[9]
    assert (first.confidence, first.accuracy) == (0.05, 0.0)
    assert (second.confidence, second.accuracy) == pytest.approx((0.15, 0.5))
    assert (last.low, last.high, last.accuracy) == (0.9, 1.0, 1.0)
    assert np.isnan(rel.bins[5].accuracy)
    assert rel.ece == pytest.approx((1 * 0.05 + 2 * 0.35 + 2 * 0.025) / 5)
    assert rel.accuracy == pytest.approx(0.6)
    assert rel.as_json()["bins"][5]["accuracy"] is None


def test_vote_answers_leave_out_backoff_and_a_held_out_set():
    evalset = load_eval_set("semeval2007")
    first, second, third = list(evalset.gold)[:3]
    predictions = {
        first: Prediction(evalset.gold[first][0], "knn", confidence=0.8),
        second: Prediction("nope%1:00:00::", "knn", confidence=0.4),
        third: Prediction(evalset.gold[third][0], "backoff", confidence=0.0),
    }
    answers = VoteAnswers.of(predictions, evalset)
    assert answers.ids == (first, second)
    assert answers.confidences.tolist() == [0.8, 0.4] and answers.correct.tolist() == [True, False]
    assert answers.without("d000.s000").ids == tuple(
        i for i in (first, second) if not i.startswith("d000.s000")
    )


@pytest.mark.slow  # the whole ALL set through the command line: seconds; calibration.py has fast unit tests
def test_bench_calibration_writes_a_map_the_service_reads(tiny_index, tmp_path, capsys):
    folder = tmp_path / "calibration"
    args = ("--index", tiny_index, "--k", "5,10", "--calibration", folder)
    [report] = bench_json(tmp_path / "bench.json", *args)["calibration"]
    assert report["system"] == "tiny" and report["settings"]["k"] == 5  # the first setting of the grid
    assert [r["dataset"] for r in report["before"]] == ["semeval2007", "ALL", "ALL without SE07"]
    before = {r["dataset"]: r for r in report["before"]}
    after = {r["dataset"]: r for r in report["after"]}
    assert after["semeval2007"]["ece"] <= before["semeval2007"]["ece"]  # fitted there: in-sample
    assert (
        before["ALL"]["answers"] == before["semeval2007"]["answers"] + before["ALL without SE07"]["answers"]
    )
    assert report["badly_calibrated"] == (before["ALL"]["ece"] > report["threshold_ece"])
    calibration = load_calibration(folder / "tiny.calibration.json")
    assert calibration.fits(Settings(k=5)) and not calibration.fits(Settings(k=10))
    assert calibration.answers == before["semeval2007"]["answers"]
    assert (folder / "tiny.reliability.png").read_bytes()[:4] == b"\x89PNG"
    assert "ECE vote share" in capsys.readouterr().out
