"""`wsd serve` and `wsd query`: the service's own commands."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from index_builder.cli import add_backend_arguments, backend_options
from index_builder.command import add_command
from index_builder.errors import WsdError
from index_builder.inventory import CONTENT_POS
from index_builder.text import tag_words
from wsd_service.calibration import attach_calibrations
from wsd_service.cli_arguments import add_index_folder, add_index_folders, add_settings_flag
from wsd_service.serving import add_serving_arguments
from wsd_service.settings import DECISION_FIELDS, DEFAULT_INDEX, Limits, Mode, Settings, VoteRule

log = logging.getLogger(__name__)


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The decision settings given on the command line (the others come from the index or the defaults)."""
    return {f: getattr(args, f) for f in DECISION_FIELDS if getattr(args, f, None) is not None}


def cmd_serve(args: argparse.Namespace) -> int:
    """serve the REST API and the web page

    Serve the REST API (/v1, docs at /docs) and the web page (/) over verified index folders. Example: wsd
    serve --index indexes/minilm-wordnet --build-missing"""
    from wsd_service.loading import load_indexes
    from wsd_service.serving import batch_settings, run_server

    folders = args.index or [DEFAULT_INDEX]
    batch_settings(args)  # a bad serving flag refuses at once, before the indexes load
    try:
        disambiguators = load_indexes(
            folders, overrides_from(args), args.build_missing, backend_options(args)
        )
    except WsdError as err:
        raise WsdError(f"refusing to start: {err}") from err
    attach_calibrations(disambiguators, args.calibration or [])
    limits = Limits(max_text_chars=args.max_text_chars, max_batch_items=args.max_batch_items)
    names = ", ".join(disambiguators)
    print(
        f"wsd: serving {names} on http://{args.host}:{args.port}/ (web page; API docs at /docs)",
        file=sys.stderr,
    )
    run_server(disambiguators, args, limits)
    return 0


def _marked(sentence: str, span: list[int] | tuple[int, int] | None) -> str:
    if not span:
        return sentence
    start, end = span
    return f"{sentence[:start]}[{sentence[start:end]}]{sentence[end:]}"


def format_answer(answer: dict[str, Any], sentence: str) -> str:
    """A terminal view of an answer: the sense, why, and the nearest training sentences."""
    sense = answer["sense"]
    lines = [
        _marked(sentence, answer["target"]["span"]),
        f"word        {answer['target']['token']}  (lemma {answer['lemma']}, {answer['pos'] or 'POS unknown'})",
    ]
    if sense is None:
        lines.append(f"sense       none: {answer.get('message') or 'no answer'}")
        return "\n".join(lines)
    lines += [
        f"sense       {sense['key']}  {sense['synset']}",
        f"gloss       {sense['gloss']}",
        (
            f"confidence  {answer['confidence']:.2f} ({answer['confidence_kind']})  margin "
            f"{answer['margin']:.2f}  method {answer['method']}  k {answer['k']}  index {answer['index']}"
        ),
    ]
    if answer["votes"]:
        votes = sorted(answer["votes"].items(), key=lambda kv: -kv[1])
        lines.append("votes       " + ", ".join(f"{key} {value:g}" for key, value in votes))
    if answer.get("message"):
        lines.append(f"note        {answer['message']}")
    if answer["neighbors"]:
        lines.append("neighbors")
        for n in answer["neighbors"]:
            lines.append(f"  {n['similarity']:.3f}  {n['sense_key']:<24} {_marked(n['sentence'], n['span'])}")
    return "\n".join(lines)


def find_word(tokens: list[str], word: str, occurrence: int) -> int:
    """Token number of the n-th (1-based) case-insensitive occurrence of `word`; WsdError if absent."""
    hits = [i for i, token in enumerate(tokens) if token.lower() == word.strip().lower()]
    if not hits:
        raise WsdError(f"{word!r} is not a word of the sentence; its words are: {' '.join(tokens)}")
    if not 1 <= occurrence <= len(hits):
        raise WsdError(
            f"{word!r} occurs {len(hits)} time(s) in the sentence; --occurrence {occurrence} is out of range"
        )
    return hits[occurrence - 1]


def cmd_query(args: argparse.Namespace) -> int:
    """disambiguate one word of a sentence and show why

    Example: wsd query "He sat on the bank of the river" --word bank"""
    from pydantic import ValidationError

    from wsd_service.api.errors import describe_validation
    from wsd_service.api.schemas import DisambiguateRequest, Target
    from wsd_service.loading import load_indexes
    from wsd_service.service import Service

    tagged = list(tag_words(args.sentence))
    word = tagged[find_word([t.text for t in tagged], args.word, args.occurrence)]
    try:
        request = DisambiguateRequest(
            text=args.sentence,
            target=Target(start=word.start, end=word.end),
            lemma=args.lemma,
            pos=args.pos,
            k=args.k,
            vote=args.vote,
            mode=args.mode,
        )
    except ValidationError as err:
        raise WsdError(describe_validation(err.errors())[1]) from None
    disambiguators = load_indexes([args.index], overrides_from(args), options=backend_options(args))
    attach_calibrations(disambiguators, args.calibration or [])
    answer = Service(disambiguators).disambiguate([request])[0].model_dump(mode="json")
    print(
        json.dumps(answer, indent=2, ensure_ascii=False)
        if args.json
        else format_answer(answer, args.sentence)
    )
    return 0


def add_decision_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Settings()
    parser.add_argument(
        "--k", type=int, help=f"neighbors that vote (default: the index's tuned k, else {defaults.k})"
    )
    parser.add_argument(
        "--vote",
        type=VoteRule,
        choices=list(VoteRule),
        help=f"vote rule (default: the index's tuned rule, else {defaults.vote})",
    )
    parser.add_argument(
        "--mode",
        type=Mode,
        choices=list(Mode),
        help=f"kNN vote, nearest sense centroid or nearest sense vector (default: the index's "
        f"tuned mode, else {defaults.mode})",
    )
    parser.add_argument(
        "--prior",
        type=float,
        help=f"weight of the senses' training frequency (default: the "
        f"index's tuned weight, else {defaults.prior})",
    )
    parser.add_argument(
        "--centroid",
        type=float,
        help=f"knn: weight of each sense centroid's cosine added to the vote shares (default: the "
        f"index's tuned weight, else {defaults.centroid})",
    )
    parser.add_argument(
        "--calibration",
        action="append",
        type=Path,
        metavar="FILE",
        help="calibrated confidence for the index the file names, written by wsd bench "
        "--calibration (repeatable); it applies to kNN answers at the settings it was fitted "
        "for, and answers say confidence_kind",
    )


def add_service_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `serve` and `query`. Long on purpose: the flags of two commands and their help, read top to
    bottom."""
    serve = add_command(sub, "serve", cmd_serve)
    add_index_folders(
        serve, help=f"index folder (repeatable; the first is the default; default {DEFAULT_INDEX})"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    add_decision_arguments(serve)
    limits = Limits()
    add_settings_flag(
        serve, "--max-text-chars", limits, "max_text_chars", "longest text accepted (default {default})"
    )
    add_settings_flag(
        serve,
        "--max-batch-items",
        limits,
        "max_batch_items",
        "most items per batch request (default {default})",
    )
    serve.add_argument(
        "--build-missing",
        action="store_true",
        help="build an --index folder that does not exist (default bert backend over SemCor)",
    )
    add_backend_arguments(serve)
    add_serving_arguments(serve)

    query = add_command(sub, "query", cmd_query)
    query.add_argument("sentence", help="the sentence, as one argument")
    query.add_argument("--word", required=True, help="the word to disambiguate (as written in the sentence)")
    query.add_argument("--occurrence", type=int, default=1, help="which occurrence of the word (default 1)")
    add_index_folder(query)
    query.add_argument("--lemma", help="lemma of the word (default: derived)")
    query.add_argument("--pos", choices=CONTENT_POS, help="POS of the word (default: derived)")
    add_decision_arguments(query)
    query.add_argument("--json", action="store_true", help="print the answer as JSON (as the API returns it)")
    query.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
