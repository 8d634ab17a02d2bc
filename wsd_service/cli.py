"""`wsd`: the service's command line: serve, query, annotate, bench, map."""

from __future__ import annotations

import argparse
import logging
import sys

from index_builder.command import run_command
from wsd_service.annotate_cli import add_annotate_parser
from wsd_service.bench.cli import add_bench_parser
from wsd_service.map_cli import add_map_parser
from wsd_service.service_cli import add_service_parsers

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsd",
        description="Interpretable word sense disambiguation: kNN over contextual embeddings of SemCor.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    add_bench_parser(sub)
    add_map_parser(sub)
    add_service_parsers(sub)
    add_annotate_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command("wsd", build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
