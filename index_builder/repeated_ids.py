"""Which ids of a long stream repeat, without keeping the ids: 16 bytes per id (a hash and a line number).

The corpus check registers every instance, sentence and key-line id as it streams past, and asks at the end
which were used twice; only then, and only for those, it reads the ids' own lines again to name them.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import unescape

import numpy as np

from index_builder.corpus import open_text

_XML_ID = re.compile(r'\bid="([^"]*)"')
_LOOK_AHEAD = 10  # lines after a start tag's first line where its id attribute may still be


@dataclass(frozen=True)
class Repeat:
    id: str
    line: int  # the later use
    first_line: int  # the first use


class RepeatedIds:
    """Ids registered in stream order with the line they are on (lines never decrease)."""

    def __init__(self) -> None:
        self._hashes = array("q")
        self._lines = array("q")
        self._unnamed: dict[int, str] = {}  # line -> id, for ids that are not written on their line

    def add(self, name: str, line: int, written: bool = True) -> None:
        """Register `name` at `line`; `written=False` when the id is not on the line (a generated one)."""
        self._hashes.append(hash(name))
        self._lines.append(line)
        if not written:
            self._unnamed[line] = name

    def repeats(self, path: Path, name_on_line: Callable[[list[str]], list[str]]) -> list[Repeat]:
        """Every later use of an id used before, in line order. `name_on_line(lines)`: the candidate ids
        written at `lines[0]` of `path`, given the lines from there on (read again only when some hash
        repeats)."""
        hashes = np.frombuffer(self._hashes, dtype=np.int64)
        if len(hashes) < 2:
            return []
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        starts = np.r_[True, ordered[1:] != ordered[:-1]]
        run_start = np.maximum.accumulate(np.where(starts, np.arange(len(ordered)), 0))
        later = np.flatnonzero(~starts)
        if not len(later):
            return []
        lines = np.frombuffer(self._lines, dtype=np.int64)
        pairs = [(int(lines[order[i]]), int(lines[order[run_start[i]]]), int(ordered[i])) for i in later]
        wanted = {line for pair in pairs for line in pair[:2]} - self._unnamed.keys()
        names = self._names(path, wanted, name_on_line)
        found = []
        for line, first_line, hashed in pairs:
            name, first = self._name(names, line, hashed), self._name(names, first_line, hashed)
            if name is not None and name == first:  # else two ids whose hashes collide
                found.append(Repeat(name, line, first_line))
        return sorted(found, key=lambda repeat: repeat.line)

    def _name(self, names: dict[int, list[str]], line: int, hashed: int) -> str | None:
        if line in self._unnamed:
            return self._unnamed[line]
        return next((name for name in names.get(line, ()) if hash(name) == hashed), None)

    @staticmethod
    def _names(
        path: Path, wanted: set[int], name_on_line: Callable[[list[str]], list[str]]
    ) -> dict[int, list[str]]:
        """The candidate ids at each wanted line, from one more streamed read of the file that keeps only
        the wanted lines and the few after each (where a start tag's attributes may continue)."""
        if not wanted:
            return {}
        kept: dict[int, list[str]] = {line: [] for line in wanted}
        end = max(wanted) + _LOOK_AHEAD
        with open_text(path) as handle:
            for number, text in enumerate(handle, 1):
                if number >= end:
                    break
                for start in range(max(1, number - _LOOK_AHEAD + 1), number + 1):
                    if start in kept:
                        kept[start].append(text)
        return {line: name_on_line(lines) for line, lines in kept.items()}


def xml_ids(lines: list[str]) -> list[str]:
    """The id attributes of the start tag beginning at `lines[0]` (and of the next lines, where its
    attributes may continue), unescaped as the XML parser reads them."""
    values = []
    for line in lines[:_LOOK_AHEAD]:
        values += [unescape(value, {"&quot;": '"', "&apos;": "'"}) for value in _XML_ID.findall(line)]
        if ">" in line:
            break
    return values


def key_file_id(lines: list[str]) -> list[str]:
    """The instance id that starts a key file's line, `lines[0]`."""
    return lines[0].split()[:1] if lines else []
