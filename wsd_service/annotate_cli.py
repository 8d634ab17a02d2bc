"""`wsd annotate`: every content word of a text file disambiguated, written as JSON lines (one sentence a
line) or as the evaluation framework's XML + key file, which `index-builder build --corpus --keys` reads
back."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple, TextIO
from xml.sax.saxutils import escape, quoteattr

from index_builder.cli import backend_options
from index_builder.command import add_command
from index_builder.errors import WsdError
from index_builder.text import TaggedToken
from wsd_service.annotate import BATCH_SENTENCES, AnnotatedSentence
from wsd_service.cli_arguments import add_index_folder

FORMATS = ("jsonl", "xml")
# spaCy's universal tags -> the framework's (the universal tagset of Petrov et al. 2012), for words WordNet
# gives no POS; the others keep their own (NOUN, VERB, ADJ, ADV, PRON, DET, ADP, NUM).
FRAMEWORK_POS = {
    "PROPN": "NOUN",
    "AUX": "VERB",
    "CCONJ": "CONJ",
    "SCONJ": "CONJ",
    "PART": "PRT",
    "PUNCT": ".",
    "SYM": ".",
    "INTJ": "X",
    "SPACE": "X",
}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # not allowed in XML 1.0


class Written(NamedTuple):
    sentences: int
    senses: int


def write_jsonl(annotated: Iterable[AnnotatedSentence], out: TextIO) -> Written:
    """One JSON object per sentence and line, as `sentences` of POST /v1/annotate."""
    from wsd_service.api.schemas import SentenceOut

    sentences = senses = 0
    for sentence in annotated:
        out.write(SentenceOut.of(sentence).model_dump_json(exclude_unset=True) + "\n")
        sentences += 1
        senses += sum(1 for _ in sentence.instances())
    return Written(sentences, senses)


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", " ".join(text.split()))


def _token_xml(token: TaggedToken, instance_id: str | None) -> str:
    pos = token.pos or FRAMEWORK_POS.get(token.upos, token.upos if token.upos else "X")
    attributes = f"lemma={quoteattr(_xml(token.lemma))} pos={quoteattr(pos)}"
    if instance_id is None:
        return f"<wf {attributes}>{escape(_xml(token.text))}</wf>\n"
    return f"<instance id={quoteattr(instance_id)} {attributes}>{escape(_xml(token.text))}</instance>\n"


def write_framework(
    annotated: Iterable[AnnotatedSentence], xml: TextIO, keys: TextIO, source: str
) -> Written:
    """The corpus as `*.data.xml` (a `<text>` per paragraph, a word that got a sense as an `<instance>`) and
    its `*.gold.key.txt` (`instance_id sense_key` lines)."""
    xml.write(f'<?xml version="1.0" encoding="UTF-8" ?>\n<corpus lang="en" source={quoteattr(source)}>\n')
    doc_id = None
    sentences = senses = 0
    for sentence in annotated:
        if sentence.doc_id != doc_id:
            xml.write(("</text>\n" if doc_id else "") + f"<text id={quoteattr(sentence.doc_id)}>\n")
            doc_id = sentence.doc_id
        ids = {token.start: instance_id for instance_id, token, _ in sentence.instances()}
        xml.write(f"<sentence id={quoteattr(sentence.id)}>\n")
        xml.writelines(_token_xml(token, ids.get(token.start)) for token in sentence.sentence.tokens)
        xml.write("</sentence>\n")
        keys.writelines(
            f"{instance_id} {answer.sense.key}\n" for instance_id, _, answer in sentence.instances()
        )
        sentences += 1
        senses += len(ids)
    xml.write(("</text>\n" if doc_id else "") + "</corpus>\n")
    return Written(sentences, senses)


def read_input(name: str) -> str:
    """The text of FILE, or of standard input for '-'."""
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise WsdError(f"cannot read {name}: {err}") from err


def cmd_annotate(args: argparse.Namespace) -> int:
    """disambiguate every content word of a text file

    All-words annotation: the text is split into paragraphs (at blank lines) and sentences, WordNet compounds
    (ice cream, take place) are one token, and every word WordNet has senses for gets one. Example: wsd
    annotate story.txt --out story.jsonl; wsd annotate story.txt --format xml --out story (story.data.xml +
    story.gold.key.txt, a corpus for index-builder build --corpus --keys)"""
    from wsd_service.annotate import annotate_text
    from wsd_service.loading import load_indexes
    from wsd_service.service_cli import overrides_from

    if args.format == "xml" and args.out is None:
        raise WsdError("--format xml needs --out X: it writes X.data.xml and X.gold.key.txt")
    text = read_input(args.file)
    (disambiguator,) = load_indexes(
        [args.index], overrides_from(args), options=backend_options(args)
    ).values()
    annotated = annotate_text(
        disambiguator, text, disambiguator.settings, explain=False, batch_sentences=args.batch_sentences
    )
    if args.format == "xml":
        xml_path, keys_path = Path(f"{args.out}.data.xml"), Path(f"{args.out}.gold.key.txt")
        with xml_path.open("w", encoding="utf-8") as xml, keys_path.open("w", encoding="utf-8") as keys:
            written = write_framework(annotated, xml, keys, f"wsd annotate {disambiguator.name}")
        where = f"{xml_path} and {keys_path}"
    elif args.out is None:
        written, where = write_jsonl(annotated, sys.stdout), "standard output"
    else:
        with args.out.open("w", encoding="utf-8") as out:
            written = write_jsonl(annotated, out)
        where = str(args.out)
    print(
        f"wsd: annotated {written.sentences} sentences, {written.senses} senses -> {where}", file=sys.stderr
    )
    return 0


def add_annotate_parser(sub: argparse._SubParsersAction) -> None:
    from wsd_service.service_cli import add_decision_arguments

    annotate = add_command(sub, "annotate", cmd_annotate)
    annotate.add_argument("file", help="UTF-8 text file, or - for standard input")
    annotate.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="jsonl: the output file (default: standard output); xml: the prefix X of "
        "X.data.xml and X.gold.key.txt (required)",
    )
    annotate.add_argument(
        "--format",
        choices=FORMATS,
        default="jsonl",
        help="jsonl: one sentence a line, every token with offsets, lemma, POS and sense; "
        "xml: the evaluation framework's corpus and key file (default jsonl)",
    )
    add_index_folder(annotate)
    add_decision_arguments(annotate)
    annotate.add_argument(
        "--batch-sentences",
        type=int,
        default=BATCH_SENTENCES,
        metavar="N",
        help=f"sentences embedded together (default {BATCH_SENTENCES})",
    )
    annotate.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
