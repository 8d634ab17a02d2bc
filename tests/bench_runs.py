"""`wsd bench` run in-process, for the tests of the benchmark: the JSON report it writes."""

from __future__ import annotations

import json
from pathlib import Path

from wsd_service.cli import main

DEVELOPMENT = ("semeval2007",)  # the smallest set (455 instances): what most bench tests score


def bench_json(out: Path, *args: str | Path, datasets: tuple[str, ...] = DEVELOPMENT) -> dict:
    """`wsd bench ARGS --datasets DATASETS --json OUT` (all the sets when `datasets` is empty): exit status 0
    asserted, the JSON it wrote returned."""
    sets = ["--datasets", *datasets] if datasets else []
    assert main(["bench", *map(str, args), *sets, "--json", str(out)]) == 0
    return json.loads(out.read_text())
