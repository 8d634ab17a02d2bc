"""Sources of labelled contexts for the index, all as `corpus.Sentence` records whose ids never clash:
SemCor (the shipped corpus), WordNet's usage examples and WordNet's glosses."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from index_builder.corpus import Sentence, read_corpus
from index_builder.corpus_writer import write_corpus
from index_builder.errors import WsdError
from index_builder.evidence.wordnet import (
    EXAMPLE_PREFIX,
    GLOSS_PREFIX,
    EvidenceCounts,
    wordnet_examples,
    wordnet_glosses,
)
from index_builder.index_folder import IndexFolder, sha256_file
from index_builder.inventory import normalise_lemma
from index_builder.paths import default_cache_dir, nltk_data_dir, semcor_paths

SOURCES = ("semcor", "wordnet-examples", "wordnet-glosses")

__all__ = [
    "SOURCES",
    "WORDNET_SOURCES",
    "EvidenceCounts",
    "EvidenceError",
    "evidence_corpora",
    "evidence_corpus",
    "evidence_sentences",
    "only_lemmas",
    "parse_sources",
    "read_lemma_list",
    "source_of",
    "vectors_per_source",
]


class EvidenceError(WsdError):
    """An unknown evidence source."""


def parse_sources(text: str) -> tuple[str, ...]:
    """ "semcor,wordnet-glosses" -> ("semcor", "wordnet-glosses"), each known and named once."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in SOURCES]
    if unknown or not names:
        raise EvidenceError(
            f"unknown evidence source(s) {', '.join(unknown) or repr(text)}; choose from {', '.join(SOURCES)}"
        )
    return names


def evidence_sentences(
    source: str, counts: EvidenceCounts | None = None, ambiguous_only: bool = False
) -> Iterator[Sentence]:
    """The labelled contexts of one source in a fixed order; `counts` (if given) is filled as they stream.
    `ambiguous_only` keeps WordNet's senses of lemmas with several senses in their POS (SemCor stays whole)."""
    if source == "semcor":
        return _counted(read_corpus(*semcor_paths()), counts if counts is not None else EvidenceCounts())
    if source == "wordnet-examples":
        return wordnet_examples(counts=counts, ambiguous_only=ambiguous_only)
    if source == "wordnet-glosses":
        return wordnet_glosses(counts=counts, ambiguous_only=ambiguous_only)
    raise EvidenceError(f"unknown evidence source {source!r}; choose from {', '.join(SOURCES)}")


def _counted(sentences: Iterator[Sentence], counts: EvidenceCounts) -> Iterator[Sentence]:
    for sentence in sentences:
        counts.sentences += 1
        counts.records += len(sentence.instances)
        yield sentence


def source_of(context_id: str) -> str:
    """The source of a sentence or instance id."""
    if context_id.startswith(EXAMPLE_PREFIX):
        return "wordnet-examples"
    if context_id.startswith(GLOSS_PREFIX):
        return "wordnet-glosses"
    return "semcor"


def vectors_per_source(folder: IndexFolder) -> dict[str, int]:
    """How many of an index folder's vectors each evidence source gave, by source name."""
    return dict(sorted(Counter(source_of(i) for i in folder.instance_ids()).items()))


EVIDENCE_VERSION = 2  # bump when the contexts a source yields change: cached corpora are then rebuilt
WORDNET_SOURCES = ("wordnet-examples", "wordnet-glosses")


def only_lemmas(sentences: Iterable[Sentence], lemmas: frozenset[str]) -> Iterator[Sentence]:
    """The sentences with only the instances of the given lemmas labelled (the other words stay, unlabelled,
    so each kept instance has the same context); sentences left without any instance are dropped."""
    for sentence in sentences:
        kept = tuple(i for i in sentence.instances if normalise_lemma(i.lemma) in lemmas)
        if kept:
            yield replace(sentence, instances=kept)


def read_lemma_list(path: Path) -> frozenset[str]:
    """The lemmas of a file with one lemma per line (WordNet spelling; '#' starts a comment)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise EvidenceError(f"cannot read the lemma list {path}: {err}") from err
    lemmas = frozenset(normalise_lemma(w) for line in lines if (w := line.split("#", 1)[0].strip()))
    if not lemmas:
        raise EvidenceError(f"the lemma list {path} names no lemma")
    return lemmas


def evidence_corpora(
    sources: Iterable[str], lemmas: frozenset[str] | None = None
) -> tuple[tuple[Path, Path], ...]:
    """(data XML, gold keys) of each WordNet source among `sources` (SemCor, the shipped corpus, needs none):
    the corpora a build reads after SemCor."""
    return tuple(evidence_corpus(source, lemmas=lemmas) for source in sources if source != "semcor")


def evidence_corpus(
    source: str, cache_dir: Path | None = None, lemmas: frozenset[str] | None = None
) -> tuple[Path, Path]:
    """(data XML, gold keys) of a WordNet source in the framework's format, written once into the cache
    (senses of ambiguous lemmas only: a lemma with one sense needs no vector; with `lemmas`, only those
    lemmas' senses), so the builder checks, shards and reuses it like any corpus."""
    if source not in WORDNET_SOURCES:
        raise EvidenceError(
            f"unknown WordNet evidence source {source!r}; choose from {', '.join(WORDNET_SOURCES)}"
        )
    folder = cache_dir or default_cache_dir() / "evidence"
    stem = f"{source}-v{EVIDENCE_VERSION}-{sha256_file(nltk_data_dir() / 'corpora' / 'wordnet.zip')[:12]}"
    if lemmas is not None:
        stem += "-lemmas-" + hashlib.sha256("\n".join(sorted(lemmas)).encode()).hexdigest()[:12]
    xml, keys = folder / f"{stem}.data.xml.gz", folder / f"{stem}.gold.key.txt.gz"
    if not (xml.is_file() and keys.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        sentences = evidence_sentences(source, ambiguous_only=True)
        write_corpus(
            only_lemmas(sentences, lemmas) if lemmas is not None else sentences, xml, keys, source=source
        )
    return xml, keys
