"""Arguments that several `wsd` commands take, each declared once: the index folders, the layer views, and
flags that set one field of a settings dataclass."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wsd_service.settings import DEFAULT_INDEX


def add_index_folder(parser: argparse.ArgumentParser) -> None:
    """`--index DIR`: the one index folder a command loads (default DEFAULT_INDEX)."""
    parser.add_argument(
        "--index",
        type=Path,
        default=DEFAULT_INDEX,
        metavar="DIR",
        help=f"index folder (default {DEFAULT_INDEX})",
    )


def add_index_folders(parser: argparse.ArgumentParser, help: str, required: bool = False) -> None:
    """`--index DIR`, repeatable: the index folders of a command that takes several, in order."""
    parser.add_argument("--index", action="append", type=Path, required=required, metavar="DIR", help=help)


def add_settings_flag(
    parser: argparse._ActionsContainer, flag: str, defaults: Any, field: str, help: str
) -> None:
    """`flag` sets `field` of a settings dataclass: its type and default are those of the field in `defaults`,
    which `help` may name as {default}."""
    default = getattr(defaults, field)
    parser.add_argument(flag, type=type(default), default=default, help=help.format(default=default))


def layer_specs(text: str) -> list[str]:
    """'6;5;3,4' -> ['6', '5', '3,4']: the layer views, each a comma-separated list of layers summed."""
    return text.split(";")


def add_layer_views(parser: argparse.ArgumentParser, help: str) -> None:
    """`--layers SPEC;SPEC`: layer views of indexes built with --combine concat."""
    parser.add_argument("--layers", type=layer_specs, metavar="SPEC;SPEC", help=help)
