"""`wsd serve` and `wsd query`: the service's own commands."""

from __future__ import annotations

import argparse


def add_service_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `serve` and `query` (being written)."""
