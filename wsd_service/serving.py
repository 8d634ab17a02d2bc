"""How `wsd serve` runs the API under uvicorn: the micro-batching settings and their command-line flags."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from wsd_service.batching import BatchSettings
from wsd_service.settings import Limits

if TYPE_CHECKING:
    from wsd_service.disambiguator import Disambiguator


def add_serving_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of how requests are served (batching), for `wsd serve`."""
    batching = BatchSettings()
    group = parser.add_argument_group("serving")
    group.add_argument("--batch-max-items", type=int, default=batching.max_items,
                       help=f"most concurrent requests answered by one forward pass (default {batching.max_items})")
    group.add_argument("--batch-wait-ms", type=float, default=batching.wait_ms,
                       help="longest wait for requests that have arrived but are still being read, before a "
                       f"forward pass (default {batching.wait_ms}); a lone request never waits")


def batch_settings(args: argparse.Namespace) -> BatchSettings:
    return BatchSettings(max_items=args.batch_max_items, wait_ms=args.batch_wait_ms)


def run_server(disambiguators: Mapping[str, Disambiguator], args: argparse.Namespace, limits: Limits) -> None:
    """Serve the loaded indexes on args.host:args.port until stopped."""
    import uvicorn

    from wsd_service.api.app import create_app

    app = create_app(disambiguators, limits, warm=True, batching=batch_settings(args))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info" if args.verbose else "warning")
