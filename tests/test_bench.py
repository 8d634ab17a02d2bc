from __future__ import annotations

import json
from pathlib import Path

from wsd_service.cli import main


def test_baselines_reproduce_published_wn1st(tmp_path, capsys):
    """wn1st depends only on WordNet and the test sets: it must match the published figures to 0.1."""
    out = tmp_path / "bench.json"
    preds = tmp_path / "preds"
    assert main(["bench", "--system", "wn1st", "--system", "mfs", "--json", str(out), "--predictions", str(preds)]) == 0
    rows = json.loads(out.read_text())["results"]
    f1 = {(r["system"], r["dataset"]): r["F1"] for r in rows}
    published_wn1st = {"senseval2": 66.8, "senseval3": 66.2, "semeval2007": 55.2, "semeval2013": 63.0,
                       "semeval2015": 67.8, "ALL": 65.2}
    published_mfs = {"senseval2": 65.6, "senseval3": 66.0, "semeval2007": 54.5, "semeval2013": 63.8,
                     "semeval2015": 67.1, "ALL": 64.8}
    for dataset, value in published_wn1st.items():
        assert abs(f1[("wn1st", dataset)] - value) <= 0.1, dataset
    for dataset, value in published_mfs.items():
        assert abs(f1[("mfs", dataset)] - value) <= 1.5, dataset
    # each row names its key file, which an external scorer can re-read
    row = next(r for r in rows if r["system"] == "wn1st" and r["dataset"] == "semeval2007")
    lines = Path(row["predictions"]).read_text().splitlines()
    assert len(lines) == row["answered"] == 455
    assert lines[0].split()[0] == "d000.s000.t000"
    assert "F1 per dataset" in capsys.readouterr().out


def test_unknown_dataset_is_a_usage_error(capsys):
    import pytest

    with pytest.raises(SystemExit) as err:
        main(["bench", "--datasets", "nope"])
    assert err.value.code == 2
