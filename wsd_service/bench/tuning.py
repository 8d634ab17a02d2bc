"""`wsd bench --tune`: the best decision settings of each index on the development set, written into
the index folder so that `wsd serve` and `wsd query` use them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from index_builder.errors import WsdError
from index_builder.index_folder import write_tuned
from index_builder.paths import DEV_DATASET
from wsd_service.bench.runner import KnnSystem, Result, setting_label
from wsd_service.settings import Settings


def settings_record(settings: Settings) -> dict[str, Any]:
    """Settings as plain JSON values (what `tuned.json` holds and `Settings(**record)` reads back)."""
    return json.loads(json.dumps(asdict(settings)))


def best_per_index(
    systems: Sequence[KnnSystem], results: Sequence[Result]
) -> dict[Path, tuple[KnnSystem, Result]]:
    """For each index folder, the system with the best F1 on the development set; a tie goes to the system
    earlier in the grid (smaller k, then paper < majority < weighted, ...)."""
    by_setting = {
        (r.system, json.dumps(r.setting, sort_keys=True)): r for r in results if r.dataset == DEV_DATASET
    }
    best: dict[Path, tuple[KnnSystem, Result]] = {}
    for system in systems:
        result = by_setting.get((system.name, json.dumps(system.setting, sort_keys=True)))
        if result is None:
            raise WsdError(f"--tune needs {DEV_DATASET} among --datasets")
        folder = system.disambiguator.folder.path
        if folder not in best or result.score.f1 > best[folder][1].score.f1:
            best[folder] = (system, result)
    return best


def tune(systems: Sequence[KnnSystem], results: Sequence[Result]) -> list[str]:
    """Write each index's best development setting into its folder; one line per index saying what."""
    lines = []
    if any(system.transform is not None for system in systems):
        raise WsdError("--tune chooses settings for whole indexes; leave out --layers")
    for folder, (system, result) in best_per_index(systems, results).items():
        chosen_by = {
            "dataset": DEV_DATASET,
            "F1": round(result.score.f1, 2),
            "candidates": len([s for s in systems if s.disambiguator.folder.path == folder]),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        write_tuned(folder, settings_record(system.settings), chosen_by)
        lines.append(
            f"{folder}: tuned to {setting_label(system.setting)} (F1 {result.score.f1:.1f} on {DEV_DATASET})"
        )
    return lines
