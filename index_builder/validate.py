"""One streaming pass over a corpus and its key file before anything is embedded.

It finds every problem a user can fix (malformed XML, duplicate ids, instances without a key or without
lemma / POS, keys WordNet 3.0 does not know, empty sentences), each with file:line and what to do, and
refuses the corpus with all of them at once. The same pass counts the sentences and instances and cuts
the corpus into pieces (whole documents, a long document every `piece_sentences` sentences), each with a
digest of everything the builder reads from it, so that the builder can reuse finished shards by content.
"""

from __future__ import annotations

import hashlib
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index_builder.corpus import CorpusError, KeyCursor, KeyLine, key_lines, open_bytes
from index_builder.inventory import is_sense_key
from index_builder.repeated_ids import RepeatedIds, key_file_id, xml_ids

MAX_PROBLEMS = 20  # problems listed in the error; the rest are only counted
ESCAPE_HINT = "escape & < > and quotes inside attribute values as &amp; &lt; &gt; &quot;"


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    what: str  # what is wrong and what to do about it

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}" if self.line else f"{self.path}: {self.what}"


class CorpusProblems(CorpusError):
    """A corpus refused before embedding, with the problems found (the first MAX_PROBLEMS of them)."""

    def __init__(self, problems: list[Problem], total: int) -> None:
        self.problems, self.total = problems, total
        lines = [f"the corpus has {total} problem{'s' * (total != 1)}; nothing was embedded. Fix these:"]
        lines += [f"  {problem}" for problem in problems]
        if total > len(problems):
            lines.append(f"  ... and {total - len(problems)} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Piece:
    """Consecutive sentences of one document: the whole document, or `piece_sentences` of a long one."""

    digest: str  # sha256 of the document id, the elements, attributes, texts and keys of these sentences
    sentences: int
    instances: int


@dataclass
class CorpusSummary:
    """What the pass found in a valid corpus (read with `limit_docs`, cut every `piece_sentences`):
    counts, and the pieces in corpus order."""

    corpus: Path
    keys: Path
    limit_docs: int | None
    piece_sentences: int
    documents: int = 0
    sentences: int = 0
    instances: int = 0
    pieces: list[Piece] = field(default_factory=list)


class _StopReading(Exception):
    """Raised inside the parser once `limit_docs` documents are read."""


class _Problems:
    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.total = 0

    def add(self, path: Path, line: int | None, what: str) -> None:
        self.total += 1
        if len(self.listed) < MAX_PROBLEMS:
            self.listed.append(Problem(path, line, what))


def _checked_key_lines(path: Path, problems: _Problems, ids: RepeatedIds) -> Iterator[KeyLine]:
    """The key file's lines that name at least one key, registered in `ids`; a line without a key or
    naming a key WordNet does not know is a problem."""
    for entry in key_lines(path):
        if not entry.keys:
            problems.add(
                path, entry.line, f"instance {entry.instance_id} has no sense key: add it after the id"
            )
            continue
        ids.add(entry.instance_id, entry.line)
        for key in entry.keys:
            if not is_sense_key(key):
                problems.add(
                    path,
                    entry.line,
                    f"sense key {key!r} of instance {entry.instance_id} is not in WordNet "
                    "3.0: correct it (lemma%ss_type:lex_filenum:lex_id:head_word:head_id)",
                )
        yield entry


class _Pass:
    """The expat handlers of the pass: checks per element, counts, and the digests of the pieces.

    A piece's digest covers its document id, the raw bytes from its first <sentence> to the end of its
    last one, and the keys of its instances: everything the builder reads from those sentences."""

    def __init__(self, summary: CorpusSummary, keys: KeyCursor, problems: _Problems) -> None:
        self.summary, self.keys, self.problems = summary, keys, problems
        self.path, self.limit_docs, self.piece_sentences = (
            summary.corpus,
            summary.limit_docs,
            summary.piece_sentences,
        )
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.buffer, self.buffer_start = bytearray(), 0  # raw bytes read, from stream offset buffer_start on
        self.doc_id = ""
        self.sentence_ids, self.instance_ids = RepeatedIds(), RepeatedIds()
        self.unkeyed: list[tuple[int, str]] = []  # (line, id) of instances the key file has no line for
        self.piece_start: int | None = None  # stream offset of the open piece's first <sentence>
        self.piece_keys = hashlib.sha256()
        self.piece_sentence_count = self.piece_instance_count = 0
        self.sentence_id: str | None = None
        self.sentence_line = self.tokens = self.sentence_instances = 0
        self.read_to_end = False  # the whole corpus (or its first limit_docs documents) parsed

    def problem(self, what: str, line: int | None = None) -> None:
        self.problems.add(self.path, line or self.parser.CurrentLineNumber, what)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag in ("wf", "instance"):
            self.tokens += 1
            if tag == "instance":
                self.check_instance(attrs)
        elif tag == "sentence":
            if self.piece_start is None:
                self.piece_start = self.parser.CurrentByteIndex
            self.sentence_id, self.sentence_line = attrs.get("id"), self.parser.CurrentLineNumber
            self.tokens = self.sentence_instances = 0
        elif tag == "text":
            if self.limit_docs is not None and self.summary.documents >= self.limit_docs:
                raise _StopReading
            self.close_piece()
            self.summary.documents += 1
            self.doc_id = attrs.get("id", "")

    def check_instance(self, attrs: dict[str, str]) -> None:
        instance_id = attrs.get("id", "")
        self.sentence_instances += 1
        if not instance_id:
            self.problem('<instance> without id: give it a unique id="..." and a line in the key file')
            return
        self.instance_ids.add(instance_id, self.parser.CurrentLineNumber)
        for name in ("lemma", "pos"):
            if not attrs.get(name):
                self.problem(f'instance {instance_id} has no {name}="...": add it')
        entry = self.keys.take(instance_id)
        if entry is None:  # a problem unless the id repeats an earlier one (known at the end)
            self.unkeyed.append((self.parser.CurrentLineNumber, instance_id))
        else:
            self.piece_keys.update(" ".join(entry.keys).encode() + b"\n")

    def end(self, tag: str) -> None:
        if tag == "sentence":
            self.end_sentence()
        elif tag == "text":
            self.close_piece()

    def end_sentence(self) -> None:
        sentence_id = self.sentence_id or f"{self.doc_id}.s{self.tokens}"  # as the corpus reader names it
        if self.tokens == 0:
            self.problem(
                f"sentence {sentence_id} has no words: remove it or add its <wf>", self.sentence_line
            )
        self.sentence_ids.add(sentence_id, self.sentence_line, written=self.sentence_id is not None)
        self.summary.sentences += 1
        self.summary.instances += self.sentence_instances
        self.piece_sentence_count += 1
        self.piece_instance_count += self.sentence_instances
        if self.piece_sentence_count == self.piece_sentences:
            self.close_piece()

    def close_piece(self) -> None:
        """Record the open piece (if any) up to the current event; forget the bytes before it."""
        end = self.parser.CurrentByteIndex
        if self.piece_start is not None and self.piece_sentence_count:
            raw = self.buffer[self.piece_start - self.buffer_start : end - self.buffer_start]
            digest = hashlib.sha256(f"{self.doc_id}\n".encode())
            digest.update(hashlib.sha256(raw).digest() + self.piece_keys.digest())
            self.summary.pieces.append(
                Piece(digest.hexdigest(), self.piece_sentence_count, self.piece_instance_count)
            )
        del self.buffer[: end - self.buffer_start]
        self.buffer_start = end
        self.piece_start, self.piece_keys = None, hashlib.sha256()
        self.piece_sentence_count = self.piece_instance_count = 0

    def run(self) -> CorpusSummary:
        try:
            with open_bytes(self.path) as handle:
                while chunk := handle.read(1 << 16):
                    self.buffer += chunk
                    self.parser.Parse(chunk, False)
                self.parser.Parse(b"", True)
            self.read_to_end = True
        except _StopReading:
            self.read_to_end = True
        except xml.parsers.expat.ExpatError as err:
            reason = xml.parsers.expat.ErrorString(err.code)
            self.problem(f"malformed XML at column {err.offset + 1}: {reason}; {ESCAPE_HINT}", err.lineno)
        except (OSError, EOFError) as err:
            raise CorpusError(f"{self.path}: cannot read corpus: {err}") from err
        if self.piece_sentence_count and self.read_to_end:  # a sentence outside any <text>, at the very end
            self.close_piece()
        return self.summary


def validate_corpus(
    corpus: Path, keys: Path, limit_docs: int | None = None, piece_sentences: int = 2000
) -> CorpusSummary:
    """Check a corpus and its key file in one streaming pass; CorpusProblems lists every problem found,
    the corpus's in line order, then the key file's.

    Memory stays flat in the corpus's size when the key file follows the corpus order: ids are kept as
    hashes only (see `repeated_ids`). With `limit_docs`, only the first documents are read, and key lines
    of later instances are allowed."""
    if not corpus.is_file():
        raise CorpusError(f"{corpus}: corpus file not found")
    problems = _Problems()
    key_ids = RepeatedIds()
    cursor = KeyCursor(keys, _checked_key_lines(keys, problems, key_ids))
    checker = _Pass(CorpusSummary(corpus, keys, limit_docs, piece_sentences), cursor, problems)
    summary = checker.run()
    whole = limit_docs is None and checker.read_to_end
    left = list(cursor.rest()) if whole else []  # reads (and checks) the key lines after the last instance
    repeated_instances = set()
    for repeat in checker.instance_ids.repeats(corpus, xml_ids):
        repeated_instances.add(repeat.line)
        problems.add(
            corpus,
            repeat.line,
            f"instance id {repeat.id} is used twice (also on line {repeat.first_line}): make the ids unique",
        )
    for line, instance_id in checker.unkeyed:
        if line not in repeated_instances:
            problems.add(
                corpus,
                line,
                f"instance {instance_id} has no line in the key file: add '{instance_id} <sense key>'",
            )
    for repeat in checker.sentence_ids.repeats(corpus, xml_ids):
        problems.add(corpus, repeat.line, f"sentence id {repeat.id} is used twice: make the ids unique")
    repeated_key_lines = set()
    for repeat in key_ids.repeats(keys, key_file_id):
        repeated_key_lines.add(repeat.line)
        problems.add(
            keys,
            repeat.line,
            f"instance {repeat.id} is listed twice (also on line {repeat.first_line}): "
            "keep one line, with all its keys",
        )
    for entry in left:
        if entry.line not in repeated_key_lines:
            problems.add(
                keys,
                entry.line,
                f"instance {entry.instance_id} is not in {corpus.name}: remove the line or correct the id",
            )
    if problems.total:
        problems.listed.sort(key=lambda problem: (problem.path != corpus, problem.line or 0))
        raise CorpusProblems(problems.listed, problems.total)
    return summary
