"""Print how long the recorded build of an index took on this project's 2-core machines (from
results/index_costs.json, which benchmarks/index_costs.py writes), so `make serve` can say it before it builds.

    .venv/bin/python benchmarks/recorded_build_time.py bert-minilm
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COSTS = Path(__file__).resolve().parents[1] / "results" / "index_costs.json"


def recorded_minutes(name: str) -> float | None:
    """Minutes a first build of the index called `name` takes, from its recorded build, or None. A build that
    reused some shards is scaled up to all its sentences (embedding dominates a build's time)."""
    costs = json.loads(COSTS.read_text()) if COSTS.is_file() else {}
    cost = costs.get(name, {}).get("build_cost")
    if not cost or not cost["embedded_sentences"]:
        return None
    total = cost["embedded_sentences"] + cost["reused_sentences"]
    return cost["seconds"] / 60 * total / cost["embedded_sentences"]


def main() -> None:
    name = sys.argv[1]
    minutes = recorded_minutes(name)
    if minutes is None:
        print(
            f"no recorded build of {name} here: expect minutes to an hour on 2 cores (a progress bar shows the rate)"
        )
    else:
        print(f"its recorded first build here took {minutes:.0f} min on 2 CPU cores ({COSTS.name})")


if __name__ == "__main__":
    main()
