"""The memoised attribute ruler annotates exactly as spaCy's own, on real text and on its longer patterns."""

from __future__ import annotations

from itertools import islice

import pytest

from index_builder.attribute_memo import MemoAttributeRuler
from index_builder.corpus import read_corpus
from index_builder.paths import eval_paths
from index_builder.text import pipeline

ODD = [
    "I ain't gonna do it, y'all.",
    "Ain't no way. Gonna win! Gotta go, c'mon, let's see.",
    "There is a dog. There were cats, and it's here.",
    "  double  spaces\n\nand\ttabs ",
    "😀 ÄÖÜ 中文 text",
    "He sat on the bank of the river.",
]


def annotations(doc) -> list[tuple[str, str, str, str]]:
    return [(t.text, t.pos_, str(t.morph), t.lemma_) for t in doc]


def tagged(text: str, ruler) -> list[tuple[str, str, str, str]]:
    """The text through tok2vec and tagger, then `ruler`, then the lemmatizer (the lemma reads POS and
    morphology, so a difference in either shows twice)."""
    nlp = pipeline()
    doc = nlp.make_doc(text)
    for name in ("tok2vec", "tagger"):
        doc = nlp.get_pipe(name)(doc)
    return annotations(nlp.get_pipe("lemmatizer")(ruler(doc)))


@pytest.fixture(scope="module")
def rulers():
    stock = pipeline().get_pipe("attribute_ruler")
    return stock, MemoAttributeRuler(stock)


@pytest.mark.slow
def test_same_annotations_as_spacy(rulers) -> None:
    stock, memo = rulers
    texts = ODD + [" ".join(s.words) for s in islice(read_corpus(*eval_paths("senseval2")), 100)]
    for text in texts:
        assert tagged(text, memo) == tagged(text, stock), text
    for text in ODD:  # again, now from the memo
        assert tagged(text, memo) == tagged(text, stock), text


def test_longer_patterns_apply(rulers) -> None:
    _, memo = rulers
    lemmas = {text: lemma for text, _, _, lemma in tagged("I ain't gonna go, y'all.", memo)}
    assert lemmas["ai"] == "be" and lemmas["gon"] == "go" and lemmas["na"] == "to" and lemmas["y'"] == "you"


def test_operators_are_refused(rulers) -> None:
    from spacy.pipeline import AttributeRuler

    ruler = AttributeRuler(pipeline().vocab)
    ruler.add([[{"LOWER": "a", "OP": "?"}, {"LOWER": "b"}]], {"LEMMA": "x"})
    with pytest.raises(ValueError, match="operators"):
        MemoAttributeRuler(ruler)
