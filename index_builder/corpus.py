"""Stream a corpus in the evaluation framework's format (Raganato et al. 2017) into typed records.

`*.data.xml` holds `<text>/<sentence>/<wf|instance>` tokens; `*.gold.key.txt` holds `instance_id key [key ...]`.
Both may be gzipped. Both are read incrementally, so memory stays bounded by one sentence plus the key lines
read ahead of the corpus (none when the key file follows the corpus order).
"""

from __future__ import annotations

import gzip
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

from index_builder.errors import WsdError


class CorpusError(WsdError):
    """A corpus or key file that cannot be read; the message names the file and the offending line or id."""


@dataclass(frozen=True)
class Token:
    text: str  # surface form; a multi-word expression keeps its words joined by spaces
    lemma: str
    pos: str  # universal tag as in the XML (NOUN, VERB, ADJ, ADV, DET, ...)


@dataclass(frozen=True)
class Instance:
    id: str
    position: int  # where the token is in its sentence, from 0
    lemma: str
    pos: str
    keys: tuple[str, ...]  # gold sense keys; empty when the corpus is read without keys


@dataclass(frozen=True)
class Sentence:
    id: str
    doc_id: str
    tokens: tuple[Token, ...]
    instances: tuple[Instance, ...]

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]

    @property
    def text(self) -> str:
        """The tokens joined by single spaces (the sentence text stored with every neighbor)."""
        return " ".join(self.words)

    def char_spans(self) -> list[tuple[int, int]]:
        """Character span of each token in `text`."""
        spans, start = [], 0
        for token in self.tokens:
            spans.append((start, start + len(token.text)))
            start += len(token.text) + 1
        return spans


def open_bytes(path: Path) -> IO[bytes]:
    """A byte stream over a plain or gzipped file; the caller closes it (`with`)."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def open_text(path: Path) -> IO[str]:
    """A UTF-8 text stream over a plain or gzipped file; the caller closes it (`with`)."""
    return io.TextIOWrapper(open_bytes(path), encoding="utf-8")


class KeyLine(NamedTuple):
    """One non-empty line of a key file: `instance_id key [key ...]` (keys may be empty: a problem)."""

    line: int
    instance_id: str
    keys: tuple[str, ...]


def key_lines(path: Path) -> Iterator[KeyLine]:
    """The non-empty lines of a key file, as read; CorpusError if the file is missing or unreadable."""
    if not path.is_file():
        raise CorpusError(f"{path}: key file not found")
    try:
        with open_text(path) as handle:
            for line_no, line in enumerate(handle, 1):
                if fields := line.split():
                    yield KeyLine(line_no, fields[0], tuple(fields[1:]))
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise CorpusError(f"{path}: cannot read key file: {err}") from err


class KeyCursor:
    """The lines of a key file, handed out by instance id in the order a corpus asks for them.

    One pass over the file keeps only the lines read ahead of the corpus: a few when the key file follows
    the corpus order (as SemCor's and the evaluation sets' do), all of them when it does not."""

    def __init__(self, path: Path, lines: Iterator[KeyLine] | None = None) -> None:
        if not path.is_file():
            raise CorpusError(f"{path}: key file not found")
        self.path = path
        self._lines = key_lines(path) if lines is None else lines  # `lines`: key_lines(path), already wrapped
        self._ahead: dict[str, KeyLine] = {}

    def take(self, instance_id: str) -> KeyLine | None:
        """The line of `instance_id` (each line is handed out once); None if the file has none left."""
        if (entry := self._ahead.pop(instance_id, None)) is not None:
            return entry
        for entry in self._lines:
            if entry.instance_id == instance_id:
                return entry
            self._ahead.setdefault(entry.instance_id, entry)
        return None

    def rest(self) -> Iterator[KeyLine]:
        """The lines never handed out, in file order as far as the file was followed."""
        yield from sorted(self._ahead.values(), key=lambda entry: entry.line)
        self._ahead.clear()
        yield from self._lines


def read_corpus(
    xml_path: str | Path, keys_path: str | Path | None = None, limit_docs: int | None = None
) -> Iterator[Sentence]:
    """Yield the sentences of a corpus, with gold keys attached when `keys_path` is given.

    With keys, every instance must have a key and every key line must name an instance of the corpus
    (checked at the end, unless `limit_docs` cuts the corpus short).

    Long on purpose: one streaming parser loop whose states read best together."""
    xml_path = Path(xml_path)
    if not xml_path.is_file():
        raise CorpusError(f"{xml_path}: corpus file not found")
    gold = KeyCursor(Path(keys_path)) if keys_path is not None else None
    docs = 0
    doc_id = ""
    tokens: list[Token] = []
    instances: list[Instance] = []
    with open_text(xml_path) as handle:
        parser = ET.iterparse(handle, events=("start", "end"))
        try:
            for event, elem in parser:
                tag = elem.tag
                if event == "start":
                    if tag == "text":
                        if limit_docs is not None and docs >= limit_docs:
                            return
                        docs += 1
                        doc_id = elem.get("id", "")
                    elif tag == "sentence":
                        tokens, instances = [], []
                    continue
                if tag in ("wf", "instance"):
                    text = " ".join((elem.text or "").split())
                    lemma = elem.get("lemma", text.lower())
                    pos = elem.get("pos", "X")
                    if tag == "instance":
                        instance_id = elem.get("id")
                        if not instance_id:
                            raise CorpusError(f"{xml_path}: <instance> without id in sentence after {doc_id}")
                        keys: tuple[str, ...] = ()
                        if gold is not None:
                            keys = _gold_keys(gold, instance_id, xml_path)
                        instances.append(Instance(instance_id, len(tokens), lemma, pos, keys))
                    tokens.append(Token(text, lemma, pos))
                elif tag == "sentence":
                    sentence_id = elem.get("id", f"{doc_id}.s{len(tokens)}")
                    yield Sentence(
                        sentence_id, doc_id or sentence_id.split(".")[0], tuple(tokens), tuple(instances)
                    )
                    elem.clear()
                elif tag == "text":
                    elem.clear()
        except ET.ParseError as err:
            raise CorpusError(f"{xml_path}: malformed XML: {err}") from err
        except (OSError, EOFError, UnicodeDecodeError) as err:
            raise CorpusError(f"{xml_path}: cannot read corpus: {err}") from err
    if gold is not None and limit_docs is None:
        for entry in gold.rest():
            raise CorpusError(
                f"{gold.path}:{entry.line}: key for unknown instance {entry.instance_id} "
                f"(not in {xml_path.name}, or listed twice)"
            )


def _gold_keys(gold: KeyCursor, instance_id: str, xml_path: Path) -> tuple[str, ...]:
    entry = gold.take(instance_id)
    if entry is None:
        raise CorpusError(f"{xml_path}: instance {instance_id} has no gold key")
    if not entry.keys:
        raise CorpusError(f"{gold.path}:{entry.line}: instance {instance_id!r} has no sense key")
    return entry.keys
