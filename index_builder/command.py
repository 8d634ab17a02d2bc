"""How both command lines register their subcommands and run a parsed one: logging, then the project's own
errors as one line (with the traceback under -v), never a traceback for a user error."""

from __future__ import annotations

import argparse
import inspect
import logging
import sys
from collections.abc import Callable

from index_builder.errors import WsdError

log = logging.getLogger(__name__)


def add_command(
    sub: argparse._SubParsersAction, name: str, func: Callable[[argparse.Namespace], int]
) -> argparse.ArgumentParser:
    """Register the subcommand `name`, which `run_command` runs as `func(args)`, and return its parser for
    its arguments. The command's help is the first line of func's docstring, its description the paragraph
    after it, so each command's text is written once, beside the code that runs it."""
    summary, _, description = (inspect.getdoc(func) or "").partition("\n")
    parser = sub.add_parser(name, help=summary, description=" ".join(description.split()) or None)
    parser.set_defaults(func=func)
    return parser


def run_command(prog: str, args: argparse.Namespace, interrupted: str = "interrupted") -> int:
    """`args.func(args)`'s exit status; 2 with one line on stderr for a WsdError, 130 on Ctrl-C."""
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    try:
        return args.func(args)
    except WsdError as err:  # CorpusError, BackendError, IndexFolderError, RequestError, ...
        if args.verbose:
            log.exception("%s %s failed", prog, args.command)
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return 130
