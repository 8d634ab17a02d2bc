"""How both command lines run a parsed command: logging, then the project's own errors as one line (with
the traceback under -v), never a traceback for a user error."""

from __future__ import annotations

import argparse
import logging
import sys

from index_builder.errors import WsdError

log = logging.getLogger(__name__)


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
