"""WordNet compounds found in tagged text by longest match, merged into one token."""

from __future__ import annotations

import pytest

from index_builder.compounds import compound_spans, lexicon, merge_compounds
from index_builder.text import tag_text


def merged(text: str) -> list[tuple[str, str, str | None]]:
    return [(t.text, t.lemma, t.pos) for s in tag_text(text) for t in merge_compounds(s).tokens]


def test_lexicon_holds_wordnet_compounds_as_words():
    table = lexicon()
    assert len(table.entries) > 60_000
    assert table.entries[("ice", "cream")] == {"NOUN"}
    assert "VERB" in table.entries[("take", "place")]
    assert table.entries[("mother", "-", "in", "-", "law")] == {"NOUN"}
    assert table.longest["new"] >= 3 and table.longest["ice"] >= 2 and "xyzzy" not in table.longest


@pytest.mark.parametrize(
    ("text", "unit", "lemma", "pos"),
    [
        ("The meeting took place in June.", "took place", "take_place", "VERB"),  # found through lemmas
        ("They moved to New York last year.", "New York", "new_york", "NOUN"),
        ("The children ate ice creams.", "ice creams", "ice_cream", "NOUN"),
        ("Of course she gave up smoking.", "Of course", "of_course", "ADV"),
        ("Of course she gave up smoking.", "gave up", "give_up", "VERB"),
        ("I am kind of tired.", "kind of", "kind_of", "ADV"),
        ("My mother-in-law is a well-known writer.", "mother-in-law", "mother-in-law", "NOUN"),
        ("My mother-in-law is a well-known writer.", "well-known", "well-known", "ADJ"),
        ("She lives in New York City.", "New York City", "new_york_city", "NOUN"),  # the longest match
    ],
)
def test_compounds_become_one_token(text, unit, lemma, pos):
    assert (unit, lemma, pos) in merged(text)


def test_no_compound_where_the_head_does_not_fit():
    # "kind of" as a noun phrase, and "the city" as an ordinary noun phrase, stay separate words
    assert ("kind", "kind", "NOUN") in merged("This kind of car is fast.")
    assert ("city", "city", "NOUN") in merged("They walked around the city.")


def test_spans_offsets_and_untouched_sentences():
    sentence = tag_text("We ate ice cream in New York.")[0]
    assert compound_spans(sentence.tokens) == [(2, 4), (5, 7)]
    tokens = merge_compounds(sentence).tokens
    assert [t.text for t in tokens] == ["We", "ate", "ice cream", "in", "New York", "."]
    assert all(sentence.text[t.start - sentence.start : t.end - sentence.start] == t.text for t in tokens)
    plain = tag_text("The dog barked.")[0]
    assert merge_compounds(plain) is plain
    assert compound_spans(()) == []
