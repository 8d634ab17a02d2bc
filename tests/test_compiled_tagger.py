"""The compiled tok2vec and tagger tag exactly as spaCy's own components, on real text and odd inputs."""

from __future__ import annotations

from itertools import islice

import numpy as np
import pytest

from index_builder.compiled_tagger import compile_tagger
from index_builder.corpus import read_corpus
from index_builder.paths import eval_paths
from index_builder.text import _words_doc, pipeline

ODD = [
    ["He", "sat", "on", "the", "bank", "of", "the", "river", "."],
    ["Word"],
    [],  # an empty doc
    ["  ", "double", " ", "spaces", "\n\n"],  # whitespace tokens
    ["😀", "ÄÖÜ", "中文", "text"],
    ["very"] * 300,  # longer than any window reaches
]


def sentences() -> list[list[str]]:
    real = [s.words for s in islice(read_corpus(*eval_paths("senseval2")), 100)]
    return ODD + real


def docs(words_lists: list[list[str]]):
    return [_words_doc(tuple(words))[0] for words in words_lists]


@pytest.fixture(scope="module")
def components():
    nlp = pipeline()
    tok2vec, tagger = nlp.get_pipe("tok2vec"), nlp.get_pipe("tagger")
    compiled = compile_tagger(tok2vec, tagger)
    assert compiled is not None
    return tok2vec, tagger, compiled


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_same_tags_and_vectors_as_spacys_components(components, batch_size):
    tok2vec, tagger, compiled = components
    words = sentences()
    stock = list(tagger.pipe(tok2vec.pipe(docs(words), batch_size=batch_size), batch_size=batch_size))
    ours = list(compiled.pipe(docs(words), batch_size=batch_size))
    assert [[t.tag_ for t in d] for d in ours] == [[t.tag_ for t in d] for d in stock]
    for a, b in zip(ours, stock, strict=True):
        assert a.tensor.shape == b.tensor.shape
        if len(a):
            np.testing.assert_allclose(a.tensor, b.tensor, atol=2e-5)


def test_a_doc_tags_the_same_alone_as_in_a_batch(components):
    _, _, compiled = components
    words = sentences()[:20]
    alone = [[t.tag_ for t in next(compiled.pipe(docs([w])))] for w in words]
    together = [[t.tag_ for t in d] for d in compiled.pipe(docs(words), batch_size=64)]
    assert alone == together


def test_another_architecture_is_left_to_spacy():
    nlp = pipeline()  # the sentence splitter embeds with its own layers, not on tok2vec's listener
    assert compile_tagger(nlp.get_pipe("tok2vec"), nlp.get_pipe("senter")) is None
