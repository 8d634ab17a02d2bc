"""`wsd serve` and `wsd query`: the service's own commands."""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
from pathlib import Path
from typing import Any

from index_builder.cli import add_backend_arguments, backend_options
from index_builder.errors import WsdError
from index_builder.inventory import CONTENT_POS
from wsd_service.disambiguator import MODES, VOTE_RULES, Settings

log = logging.getLogger(__name__)

DEFAULT_INDEX = Path("indexes/bert-minilm")
RUNTIME_OPTIONS = ("threads", "batch_size")  # backend options that apply when serving, not only building


def build_missing_index(folder: Path, options: dict[str, Any]) -> None:
    """Build the default bert index over the shipped SemCor into `folder` (progress bar on stderr)."""
    from index_builder.backends import create_backend
    from index_builder.build import BuildSettings, build_index
    from index_builder.paths import semcor_paths

    print(f"wsd: {folder} does not exist; building it from SemCor with the default bert backend "
          "(once; a killed build resumes)", file=sys.stderr)
    build_index(create_backend("bert", **options), BuildSettings(*semcor_paths(), out=folder), progress=True)


def load_indexes(folders: list[Path], settings: Any = None, build_missing: bool = False,
                 options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Verified indexes by name, each with its own backend (shared between identical specs).

    Raises ValueError with a one-line message for a missing, altered or duplicate index."""
    from index_builder.backends import create_backend
    from index_builder.index_folder import IndexFolder, IndexFolderError
    from wsd_service.disambiguator import Disambiguator

    options = options or {}
    runtime = {k: v for k, v in options.items() if k in RUNTIME_OPTIONS}
    loaded: dict[str, Disambiguator] = {}
    backends: dict[str, Any] = {}
    for folder in folders:
        if build_missing and not folder.exists():
            build_missing_index(folder, options)
        if not folder.exists():
            raise ValueError(f"{folder}: no such index folder; build it with `make serve`, `wsd serve "
                             f"--build-missing` or `index-builder build --backend bert --out {folder}`")
        try:
            index = IndexFolder(folder)
        except IndexFolderError as err:
            raise ValueError(str(err)) from None
        except (RuntimeError, sqlite3.Error) as err:  # unreadable despite matching checksums
            raise ValueError(f"{folder}: cannot open the index ({err})") from None
        if index.name in loaded:
            raise ValueError(f"two indexes are named {index.name!r} ({loaded[index.name].index.path} and "
                             f"{folder}); rebuild one with index-builder build --name")
        spec = {**index.backend_spec, **runtime}
        key = json.dumps(spec, sort_keys=True)
        if key not in backends:
            backends[key] = create_backend(**spec)
        loaded[index.name] = Disambiguator(index, backend=backends[key], settings=settings)
    return loaded


def _settings(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from wsd_service.disambiguator import Settings

    overrides = {f: getattr(args, f) for f in ("k", "vote", "mode") if getattr(args, f, None) is not None}
    return replace(Settings(), **overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from wsd_service.api import create_app

    folders = args.index or [DEFAULT_INDEX]
    try:
        disambiguators = load_indexes(folders, _settings(args), args.build_missing, backend_options(args))
    except (WsdError, ValueError) as err:  # BackendError from an index's backend spec, ...
        raise ValueError(f"refusing to start: {err}") from None
    app = create_app(disambiguators, max_text_chars=args.max_text_chars, max_batch_items=args.max_batch_items,
                     warm=True)
    names = ", ".join(disambiguators)
    print(f"wsd: serving {names} on http://{args.host}:{args.port}/ (web page; API docs at /docs)",
          file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info" if args.verbose else "warning")
    return 0


def _marked(sentence: str, span: list[int] | tuple[int, int] | None) -> str:
    if not span:
        return sentence
    start, end = span
    return f"{sentence[:start]}[{sentence[start:end]}]{sentence[end:]}"


def format_answer(answer: dict[str, Any], sentence: str) -> str:
    """A terminal view of an answer: the sense, why, and the nearest training sentences."""
    sense = answer["sense"]
    lines = [_marked(sentence, answer["target"]["span"]),
             f"word        {answer['target']['token']}  (lemma {answer['lemma']}, {answer['pos'] or 'POS unknown'})"]
    if sense is None:
        lines.append(f"sense       none: {answer.get('message') or 'no answer'}")
        return "\n".join(lines)
    lines += [f"sense       {sense['key']}  {sense['synset']}",
              f"gloss       {sense['gloss']}",
              f"confidence  {answer['confidence']:.2f}  method {answer['method']}  k {answer['k']}  index "
              + answer["index"]]
    if answer["votes"]:
        votes = sorted(answer["votes"].items(), key=lambda kv: -kv[1])
        lines.append("votes       " + ", ".join(f"{key} {value:g}" for key, value in votes))
    if answer.get("message"):
        lines.append(f"note        {answer['message']}")
    if answer["neighbors"]:
        lines.append("neighbours")
        for n in answer["neighbors"]:
            lines.append(f"  {n['similarity']:.3f}  {n['sense_key']:<24} {_marked(n['sentence'], n['span'])}")
    return "\n".join(lines)


def find_word(tokens: list[str], word: str, occurrence: int) -> int:
    """Token number of the n-th (1-based) case-insensitive occurrence of `word`; ValueError if absent."""
    hits = [i for i, token in enumerate(tokens) if token.lower() == word.strip().lower()]
    if not hits:
        raise ValueError(f"{word!r} is not a word of the sentence; its words are: {' '.join(tokens)}")
    if not 1 <= occurrence <= len(hits):
        raise ValueError(f"{word!r} occurs {len(hits)} time(s) in the sentence; --occurrence {occurrence} "
                         "is out of range")
    return hits[occurrence - 1]


def cmd_query(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from wsd_service.api_errors import describe_validation
    from wsd_service.schemas import DisambiguateRequest, Target
    from wsd_service.service import Service
    from wsd_service.tokenize import tokenize

    tokens, spans = tokenize(args.sentence)
    index = find_word(tokens, args.word, args.occurrence)
    try:
        request = DisambiguateRequest(text=args.sentence, target=Target(start=spans[index][0], end=spans[index][1]),
                                      lemma=args.lemma, pos=args.pos, k=args.k, vote=args.vote, mode=args.mode)
    except ValidationError as err:
        raise ValueError(describe_validation(err.errors())[1]) from None
    disambiguators = load_indexes([args.index], options=backend_options(args))
    answer = Service(disambiguators).disambiguate([request])[0]
    print(json.dumps(answer, indent=2, ensure_ascii=False) if args.json else format_answer(answer, args.sentence))
    return 0


def _decision_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Settings()
    parser.add_argument("--k", type=int, help=f"neighbours that vote (default {defaults.k})")
    parser.add_argument("--vote", choices=VOTE_RULES, help=f"vote rule (default {defaults.vote}; chosen on SemEval-2007)")
    parser.add_argument("--mode", choices=MODES, help=f"kNN vote or nearest sense centroid (default {defaults.mode})")


def add_service_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `serve` and `query`."""
    serve = sub.add_parser(
        "serve", help="serve the REST API and the web page",
        description="Serve the REST API (/v1, docs at /docs) and the web page (/) over verified index folders. "
        "Example: wsd serve --index indexes/bert-minilm --build-missing")
    serve.add_argument("--index", action="append", type=Path, metavar="DIR",
                       help=f"index folder (repeatable; the first is the default; default {DEFAULT_INDEX})")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    _decision_arguments(serve)
    serve.add_argument("--max-text-chars", type=int, default=5000, help="longest text accepted (default 5000)")
    serve.add_argument("--max-batch-items", type=int, default=64, help="most items per batch request (default 64)")
    serve.add_argument("--build-missing", action="store_true",
                       help="build an --index folder that does not exist (default bert backend over SemCor)")
    add_backend_arguments(serve)
    serve.set_defaults(func=cmd_serve)

    query = sub.add_parser(
        "query", help="disambiguate one word of a sentence and show why",
        description='Example: wsd query "He sat on the bank of the river" --word bank')
    query.add_argument("sentence", help="the sentence, as one argument")
    query.add_argument("--word", required=True, help="the word to disambiguate (as written in the sentence)")
    query.add_argument("--occurrence", type=int, default=1, help="which occurrence of the word (default 1)")
    query.add_argument("--index", type=Path, default=DEFAULT_INDEX, metavar="DIR",
                       help=f"index folder (default {DEFAULT_INDEX})")
    query.add_argument("--lemma", help="lemma of the word (default: derived)")
    query.add_argument("--pos", choices=CONTENT_POS, help="POS of the word (default: derived)")
    _decision_arguments(query)
    query.add_argument("--json", action="store_true", help="print the answer as JSON (as the API returns it)")
    query.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    query.set_defaults(func=cmd_query)
