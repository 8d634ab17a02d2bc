"""Written corpora read back as they were, escaping included."""

from __future__ import annotations

from pathlib import Path

import pytest

from index_builder.corpus import Instance, Sentence, Token, read_corpus
from index_builder.corpus_writer import write_corpus


def _sentence(doc: str, n: int, word: str) -> Sentence:
    tokens = (Token('He "said"', "he", "PRON"), Token(word, "take_place", "VERB"), Token("<&>", "<&>", "."))
    return Sentence(
        f"{doc}.s{n}",
        doc,
        tokens,
        (Instance(f"{doc}.s{n}.t0", 1, "take_place", "VERB", ("take_place%2:30:00::",)),),
    )


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path: Path, small_corpus, suffix: str) -> None:
    original = list(read_corpus(*small_corpus)) + [
        _sentence("wn.ex.x", 0, "took place"),
        _sentence("wn.ex.x", 1, "x"),
    ]
    xml, keys = tmp_path / f"c.data.xml{suffix}", tmp_path / f"c.gold.key.txt{suffix}"
    assert write_corpus(original, xml, keys, source="test") == len(original)
    assert list(read_corpus(xml, keys)) == original
    assert not list(tmp_path.glob(".*.tmp"))
