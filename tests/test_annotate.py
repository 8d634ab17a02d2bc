"""All-words annotation of raw text: paragraphs, sentences, compounds, offsets, numbering (fake backend)."""

from __future__ import annotations

import pytest

from wsd_service.annotate import annotate_text, paragraphs

TEXT = "The children ate ice cream.\r\n \r\nShe runs a small bakery. Of course she gave up.\n\n\n  \n"


def test_paragraphs_are_split_at_blank_lines_with_offsets():
    parts = paragraphs(TEXT)
    assert [part for _, part in parts] == [
        "The children ate ice cream.\r",
        "She runs a small bakery. Of course she gave up.",
    ]
    assert all(TEXT[offset : offset + len(part)] == part for offset, part in parts)
    assert paragraphs("") == [] and paragraphs(" \n\n \n") == []
    assert paragraphs("one\ntwo") == [(0, "one\ntwo")]  # a single line break keeps the paragraph


def test_sentences_tokens_and_answers(tiny_disambiguator):
    annotated = list(annotate_text(tiny_disambiguator, TEXT))
    assert [(a.doc_id, a.id) for a in annotated] == [
        ("d000", "d000.s000"),
        ("d001", "d001.s000"),
        ("d001", "d001.s001"),
    ]
    first = 0
    for a in annotated:
        assert a.first == first and TEXT[a.sentence.start : a.sentence.end] == a.sentence.text
        assert all(TEXT[t.start : t.end] == t.text for t in a.sentence.tokens)
        for token, answer in zip(a.sentence.tokens, a.answers, strict=True):
            assert (answer is not None) == token.is_content
            if answer is not None:
                assert (answer.lemma, answer.pos) == (token.lemma, token.pos) and answer.sense is not None
        first += len(a.sentence.tokens)
    words = {t.text: t for a in annotated for t in a.sentence.tokens}
    assert (words["ice cream"].lemma, words["gave up"].lemma, words["Of course"].pos) == (
        "ice_cream",
        "give_up",
        "ADV",
    )
    assert words["runs"].pos == "VERB"
    ids = [(i, t.text) for a in annotated for i, t, _ in a.instances()]
    assert ids[:3] == [
        ("d000.s000.t000", "children"),
        ("d000.s000.t001", "ate"),
        ("d000.s000.t002", "ice cream"),
    ]
    assert ids[-2:] == [("d001.s001.t000", "Of course"), ("d001.s001.t001", "gave up")]


def test_batches_and_explanations_do_not_change_the_senses(tiny_disambiguator):
    def senses(**options) -> list:
        return [
            a.sense.key if a and a.sense else None
            for s in annotate_text(tiny_disambiguator, TEXT, **options)
            for a in s.answers
        ]

    assert senses(batch_sentences=1, explain=False) == senses()
    lean = [a for s in annotate_text(tiny_disambiguator, TEXT, explain=False) for a in s.answers if a]
    assert lean and not any(a.neighbors or a.candidates for a in lean)


@pytest.mark.parametrize("text", ["", "  \n\n ", "!!! ...", "😀 🎉", "x" * 5000])
def test_text_without_content_words_gives_no_answers(tiny_disambiguator, text):
    assert not [a for s in annotate_text(tiny_disambiguator, text) for a in s.answers if a]
