"""WordNet 3.0 sense inventory, read by nltk from the shipped `data/nltk_data/corpora/wordnet.zip`."""

from __future__ import annotations

import threading
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from index_builder.lean_imports import NLTK_OPTIONAL, without
from index_builder.paths import nltk_data_dir

with without(NLTK_OPTIONAL, importing="nltk"):
    from nltk.corpus.reader.wordnet import WordNetCorpusReader, WordNetError

if TYPE_CHECKING:  # pragma: no cover
    from nltk.corpus.reader.wordnet import Lemma, Synset

# The one POS mapping: universal tags of the evaluation framework <-> WordNet POS letters.
UPOS_TO_WN = {"NOUN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}
WN_TO_UPOS = {"n": "NOUN", "v": "VERB", "a": "ADJ", "s": "ADJ", "r": "ADV"}
CONTENT_POS = tuple(UPOS_TO_WN)


@dataclass(frozen=True)
class Sense:
    key: str  # WordNet 3.0 sense key, e.g. bank%1:17:01::
    synset: str  # nltk synset name, e.g. bank.n.01
    id: str  # offset id, e.g. wn:09213565n
    pos: str  # universal tag
    gloss: str
    examples: tuple[str, ...]


class _WordNet30(WordNetCorpusReader):
    """nltk's WordNet reader, safe to share between threads, without its map of another WordNet version.

    The three methods that read WordNet's files after loading do it through file handles shared by every
    caller (seek, then read): they hold one lock, so that tagging a request and deciding another may run at
    the same time. The map of another WordNet version onto this one is used only by nltk's multilingual
    (OMW) functions, which nothing here calls; nltk builds it on every load, comparing this WordNet's
    version ("3.0") with a corpus name ("wordnet"), which never match: it read index.sense twice to map
    WordNet 3.0 onto itself, about half of the load time."""

    def __init__(self, root: object, omw_reader: object) -> None:
        self._files = threading.RLock()  # before the load, which already reads through the handles
        super().__init__(root, omw_reader)

    def map_wn(self, version: str = "wordnet") -> None:
        return None

    def synset_from_pos_and_offset(self, pos: str, offset: int) -> Synset | None:
        with self._files:
            return super().synset_from_pos_and_offset(pos, offset)

    def lemma_from_key(self, key: str) -> Lemma:
        with self._files:
            return super().lemma_from_key(key)

    def lemma_count(self, lemma: Lemma) -> int:
        with self._files:
            return super().lemma_count(lemma)


@lru_cache(maxsize=1)
def wordnet() -> WordNetCorpusReader:
    """nltk's WordNet reader over the shipped WordNet 3.0 (never `nltk.download`)."""
    import nltk
    from nltk.corpus.reader import CorpusReader
    from nltk.corpus.util import LazyCorpusLoader

    path = str(nltk_data_dir())
    if path not in nltk.data.path:
        nltk.data.path.insert(0, path)
    omw = LazyCorpusLoader("omw-1.4", CorpusReader, r".*/wn-data-.*\.tab", encoding="utf8")  # never read
    return _WordNet30(nltk.data.find("corpora/wordnet.zip/wordnet/"), omw)


@lru_cache(maxsize=1)
def sense_keys() -> frozenset[str]:
    """Every sense key of WordNet 3.0 (its index.sense), read straight from the shipped zip without loading
    nltk's reader: a fast membership test for a whole corpus's keys, agreeing with `SenseInventory.sense`."""
    with zipfile.ZipFile(nltk_data_dir() / "corpora" / "wordnet.zip") as archive:
        lines = archive.read("wordnet/index.sense").decode().splitlines()
    return frozenset(line.split(" ", 1)[0] for line in lines)


def is_sense_key(key: str) -> bool:
    """Whether WordNet 3.0 knows this sense key (as `SenseInventory().sense(key) is not None`, but fast)."""
    return key.lower() in sense_keys()


def normalise_lemma(lemma: str) -> str:
    """WordNet's spelling of a lemma: lower case, words joined by underscores."""
    return "_".join(lemma.lower().split()).replace(" ", "_")


def _sense_from_lemma(lemma: Lemma) -> Sense:
    synset = lemma.synset()
    return Sense(
        key=lemma.key(),
        synset=synset.name(),
        id=f"wn:{synset.offset():08d}{'a' if synset.pos() == 's' else synset.pos()}",
        pos=WN_TO_UPOS[synset.pos()],
        gloss=synset.definition(),
        examples=tuple(synset.examples()),
    )


class SenseInventory:
    """Candidate senses of a (lemma, POS), sense-key lookup, first senses and lemmatisation."""

    def __init__(self) -> None:
        self.wn = wordnet()
        self._by_key: dict[str, Sense | None] = {}
        self._senses: dict[tuple[str, str | None], tuple[Sense, ...]] = {}

    def senses(self, lemma: str, pos: str | None = None) -> tuple[Sense, ...]:
        """Senses of the exact lemma in WordNet order (sense 1 first); all POS when `pos` is None."""
        name = normalise_lemma(lemma)
        cached = self._senses.get((name, pos))
        if cached is None:
            wn_pos = UPOS_TO_WN.get(pos) if pos else None
            found = () if pos and wn_pos is None else self.wn.lemmas(name, pos=wn_pos)
            cached = self._senses[(name, pos)] = tuple(_sense_from_lemma(lem) for lem in found)
        return cached

    def first_sense(self, lemma: str, pos: str) -> Sense | None:
        senses = self.senses(lemma, pos)
        return senses[0] if senses else None

    def sense(self, key: str) -> Sense | None:
        """The sense of a sense key, or None if WordNet 3.0 does not know it."""
        if key not in self._by_key:
            try:
                self._by_key[key] = _sense_from_lemma(self.wn.lemma_from_key(key))
            except (WordNetError, ValueError, KeyError, IndexError):  # unknown or malformed key
                self._by_key[key] = None
        return self._by_key[key]

    def lemmatise(self, word: str, pos: str) -> str | None:
        """The WordNet base form of an inflected word for a POS (e.g. 'banks', NOUN -> 'bank'), or None."""
        bases = self.bases(word, pos)
        return min(bases, key=len) if bases else None

    def bases(self, word: str, pos: str) -> list[str]:
        """Every lemma WordNet's morphology finds for a word under a POS ('hoped', VERB -> hope, hop)."""
        wn_pos = UPOS_TO_WN.get(pos)
        if wn_pos is None:
            return []
        form = normalise_lemma(word)
        return self.wn._morphy(form, wn_pos) or (self.wn._morphy(form, "s") if wn_pos == "a" else [])

    def tag_count(self, lemma: str, pos: str) -> int:
        """How often WordNet's tagged texts use the lemma under the POS (its `cntlist` counts, summed)."""
        wn_pos = UPOS_TO_WN.get(pos)
        return sum(lem.count() for lem in self.wn.lemmas(normalise_lemma(lemma), pos=wn_pos)) if wn_pos else 0

    def known_pos(self, lemma: str) -> list[str]:
        """The universal POS tags under which a lemma has WordNet senses, most senses first."""
        counts: dict[str, int] = {}
        for sense in self.senses(lemma):
            counts[sense.pos] = counts.get(sense.pos, 0) + 1
        return sorted(counts, key=lambda p: -counts[p])
