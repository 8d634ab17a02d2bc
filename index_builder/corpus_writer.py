"""Write sentences in the evaluation framework's format (`*.data.xml` + `*.gold.key.txt`, gzipped when the
name ends in .gz), so any labelled text can be read back by `corpus.read_corpus` and built into an index."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from index_builder.corpus import Sentence


def _open(path: Path, final: Path) -> IO[str]:
    """`path` for writing text, gzipped when the final name ends in .gz."""
    return (
        gzip.open(path, "wt", encoding="utf-8")
        if final.suffix == ".gz"
        else open(path, "w", encoding="utf-8")
    )


def write_corpus(sentences: Iterable[Sentence], xml_path: Path, keys_path: Path, source: str = "") -> int:
    """Write the sentences (consecutive ones of one doc_id form one <text>) and their keys; both files
    appear whole or not at all. Returns the number of sentences written."""
    tmp_xml, tmp_keys = (p.with_name(f".{p.name}.{os.getpid()}.tmp") for p in (xml_path, keys_path))
    written, doc = 0, None
    with ExitStack() as stack:
        xml = stack.enter_context(_open(tmp_xml, xml_path))
        keys = stack.enter_context(_open(tmp_keys, keys_path))
        xml.write(f'<?xml version="1.0" encoding="UTF-8" ?>\n<corpus lang="en" source={quoteattr(source)}>\n')
        for sentence in sentences:
            if sentence.doc_id != doc:
                xml.write("</text>\n" if doc is not None else "")
                xml.write(f"<text id={quoteattr(sentence.doc_id)}>\n")
                doc = sentence.doc_id
            _write_sentence(xml, keys, sentence)
            written += 1
        xml.write(("</text>\n" if doc is not None else "") + "</corpus>\n")
    os.replace(tmp_keys, keys_path)
    os.replace(tmp_xml, xml_path)
    return written


def _write_sentence(xml: IO[str], keys: IO[str], sentence: Sentence) -> None:
    instances = {instance.position: instance for instance in sentence.instances}
    xml.write(f"<sentence id={quoteattr(sentence.id)}>\n")
    for position, token in enumerate(sentence.tokens):
        instance = instances.get(position)
        attributes = f"lemma={quoteattr(token.lemma)} pos={quoteattr(token.pos)}"
        if instance is None:
            xml.write(f"<wf {attributes}>{escape(token.text)}</wf>\n")
        else:
            xml.write(f"<instance id={quoteattr(instance.id)} {attributes}>{escape(token.text)}</instance>\n")
            keys.write(f"{instance.id} {' '.join(instance.keys)}\n")
    xml.write("</sentence>\n")
