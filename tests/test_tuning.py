"""`wsd bench --tune`: each index's best development setting is written into its folder, checksummed, and
used by the service unless overridden."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index_builder.index_folder import IndexFolder, IndexFolderError, verify
from tests.bench_runs import bench_json
from wsd_service.loading import load_indexes


@pytest.fixture(scope="module")
def tuned_index(tiny_index: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """A copy of the tiny index tuned over a small grid, and the grid's rows (once: tests copy it to edit)."""
    tmp = tmp_path_factory.mktemp("tuning")
    folder = tmp / "tuned"
    shutil.copytree(tiny_index, folder)
    grid = ("--k", "1,3,7", "--vote", "majority", "--mode", "knn,sense", "--prior", "0,1")
    return folder, bench_json(tmp / "grid.json", "--index", folder, *grid, "--tune")["results"]


def test_tune_writes_the_best_development_setting(tuned_index):
    folder, rows = tuned_index
    best = max(row["F1"] for row in rows)
    first_best = next(row for row in rows if row["F1"] == best)  # ties go to the earlier grid point
    tuned = IndexFolder(folder).tuned
    assert tuned["chosen_by"]["F1"] == best and tuned["chosen_by"]["dataset"] == "semeval2007"
    assert {k: v for k, v in tuned["settings"].items() if k in first_best["setting"]} == {
        k: v for k, v in first_best["setting"].items()
    }
    assert "tuned.json" in verify(folder)["files"]


def test_the_service_uses_tuned_settings_unless_overridden(tuned_index):
    folder, _ = tuned_index
    settings = IndexFolder(folder).tuned["settings"]
    (loaded,) = load_indexes([folder]).values()
    assert loaded.settings.k == settings["k"] and loaded.settings.mode == settings["mode"]
    (overridden,) = load_indexes([folder], {"k": 2, "mode": "knn"}).values()
    assert (overridden.settings.k, overridden.settings.mode) == (2, "knn")
    assert overridden.settings.prior == settings["prior"]


def test_tuned_settings_are_checksummed(tuned_index, tiny_index, tmp_path):
    folder = shutil.copytree(tuned_index[0], tmp_path / "tuned")
    path = folder / "tuned.json"
    path.write_text(path.read_text().replace('"k": ', '"k": 1'))
    with pytest.raises(IndexFolderError, match="tuned.json"):
        verify(folder)
    handmade = tmp_path / "handmade"
    shutil.copytree(tiny_index, handmade)
    (handmade / "tuned.json").write_text('{"settings": {"k": 1}}')
    with pytest.raises(IndexFolderError, match="not in the manifest"):
        verify(handmade)
