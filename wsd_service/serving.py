"""How `wsd serve` runs the API under uvicorn: one process, or N worker processes over the same read-only
index folders, the micro-batching settings, and the way it stops, with their command-line flags.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections, finishes the requests in flight (at most
--graceful-timeout seconds), lets the batching thread answer what is queued, and the command exits 0.

With `--workers N` this process first loads and verifies the indexes itself, so that a bad index or option
refuses to start in one line before any worker exists, then starts N uvicorn workers sharing its socket.
Each worker loads the same folders again (verified again) from the plan passed in WORKER_ENV. The vectors
are memory-mapped (IndexFolder), so the N workers share one copy of them in the page cache; each holds its
own model and tables.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index_builder.errors import WsdError
from wsd_service.batching import BatchSettings
from wsd_service.cli_arguments import add_settings_flag
from wsd_service.settings import Limits

if TYPE_CHECKING:
    from fastapi import FastAPI

    from wsd_service.disambiguator import Disambiguator

WORKER_ENV = "WSD_SERVE_WORKER"  # the WorkerPlan of `wsd serve --workers N`, as JSON
# uvicorn restarts a worker that does not answer its parent's ping for this long; loading torch, faiss and
# the indexes can hold the GIL for several seconds on a busy machine (uvicorn's default 5 s kills workers).
WORKER_HEALTHCHECK_S = 120


class ServingError(WsdError):
    """A serving flag out of range."""


@dataclass(frozen=True)
class WorkerPlan:
    """What a worker process needs to load and serve the same indexes as its parent."""

    folders: list[str]
    overrides: dict[str, Any]  # decision settings from the command line (each index has its own otherwise)
    options: dict[str, Any]
    limits: dict[str, int]
    batching: dict[str, float]


def add_serving_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of how requests are served (processes, batching), for `wsd serve`."""
    batching = BatchSettings()
    group = parser.add_argument_group("serving")
    group.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes over the same index folders (default 1); the vectors are "
        "memory-mapped, so they are held once whatever N is",
    )
    group.add_argument(
        "--graceful-timeout",
        type=float,
        default=30.0,
        help="on SIGTERM, how long the requests in flight may take to finish (default 30 s)",
    )
    add_settings_flag(
        group,
        "--batch-max-items",
        batching,
        "max_items",
        "most concurrent requests answered by one forward pass (default {default})",
    )
    add_settings_flag(
        group,
        "--batch-wait-ms",
        batching,
        "wait_ms",
        "longest wait for requests that have arrived but are still being read, before a forward pass "
        "(default {default}); a lone request never waits",
    )


def batch_settings(args: argparse.Namespace) -> BatchSettings:
    """The batching flags, checked (a bad one raises a WsdError); also checks --workers."""
    if args.workers < 1:
        raise ServingError(f"--workers must be at least 1, got {args.workers}")
    return BatchSettings(max_items=args.batch_max_items, wait_ms=args.batch_wait_ms)


def run_server(disambiguators: Mapping[str, Disambiguator], args: argparse.Namespace, limits: Limits) -> None:
    """Serve the loaded indexes on args.host:args.port until stopped: in this process, or in --workers
    processes that load the same folders."""
    import uvicorn

    from index_builder.cli import backend_options
    from wsd_service.api.app import create_app

    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": "info" if args.verbose else "warning",
        "timeout_graceful_shutdown": args.graceful_timeout,
    }
    if args.workers == 1:
        app = create_app(disambiguators, limits, warm=True, batching=batch_settings(args))
        with _exit_zero_on_stop():
            uvicorn.run(app, **options)
        return
    from wsd_service.service_cli import overrides_from

    plan = WorkerPlan(
        folders=[str(d.folder.path.resolve()) for d in disambiguators.values()],
        overrides={
            name: str(value) if name in ("vote", "mode") else value
            for name, value in overrides_from(args).items()
        },
        options=backend_options(args),
        limits=asdict(limits),
        batching=asdict(batch_settings(args)),
    )
    os.environ[WORKER_ENV] = json.dumps(asdict(plan))
    uvicorn.run(
        f"{__name__}:worker_app",
        factory=True,
        workers=args.workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        **options,
    )


@contextmanager
def _exit_zero_on_stop() -> Iterator[None]:
    """uvicorn handles SIGTERM and SIGINT itself while it serves: it stops accepting, finishes the requests in
    flight, then raises the signal again under the handler it found. The handler set here turns that (and a
    signal that comes before uvicorn has taken over) into a plain exit 0 instead of death by signal (status
    143); the previous handlers come back afterwards."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def worker_app() -> FastAPI:
    """The app of one worker process (a uvicorn factory), from the plan its parent left in WORKER_ENV."""
    from wsd_service.api.app import create_app
    from wsd_service.loading import load_indexes

    plan = WorkerPlan(**json.loads(os.environ[WORKER_ENV]))
    folders = [Path(folder) for folder in plan.folders]
    disambiguators = load_indexes(folders, plan.overrides, options=plan.options)
    return create_app(
        disambiguators, Limits(**plan.limits), warm=True, batching=BatchSettings(**plan.batching)
    )
