"""Tagger output to WordNet lemma and POS, without spaCy: tags, lemma choice, compounds."""

from __future__ import annotations

import pytest

from index_builder.wordnet_tags import (
    WordTag,
    as_target,
    compound,
    resolve_in_context,
    resolve_word,
    spellings,
    wordnet_lemma,
)


@pytest.mark.parametrize(
    ("word", "tag", "tagger_lemma", "expected"),
    [
        ("runs", "VBZ", "run", ("run", "VERB", True)),
        ("hoped", "VBD", "hop", ("hope", "VERB", True)),  # the tagger's lemma is wrong; tag counts decide
        (
            "founded",
            "VBN",
            "find",
            ("found", "VERB", True),
        ),  # morphology of the word before the tagger's lemma
        ("geese", "NNS", "geese", ("goose", "NOUN", True)),
        ("better", "JJR", "well", ("better", "ADJ", True)),  # WordNet lists the comparative itself
        ("larger", "JJR", "large", ("larger", "ADJ", True)),  # ... and it is common enough (52 of 141)
        ("higher", "JJR", "high", ("high", "ADJ", True)),  # rare beside its base (11 of 204): the base
        ("earlier", "JJR", "early", ("early", "ADJ", True)),
        ("further", "RB", "far", ("further", "ADV", True)),  # an uninflected adverb as written
        ("Mr.", "NNP", "Mr.", ("mr", "NOUN", True)),  # the same synsets without the period: SemCor's spelling
        ("No.", "NN", "no.", ("no.", "NOUN", True)),  # a number, not the word no
        ("Calif.", "NNP", "Calif.", ("calif.", "NOUN", True)),  # California, not the caliph
        ("ft.", "NNP", "ft.", ("ft", "NOUN", True)),  # WordNet has it only without the period
        ("tears", "NNS", "tear", ("tears", "NOUN", True)),  # equal tag counts: the word as written
        ("%", "NN", "%", ("percent", "NOUN", True)),  # a symbol: the noun WordNet has for it
        ("$", "$", "$", ("dollar", "NOUN", True)),
        ("highest-pitched", "JJ", "highest-pitched", ("high-pitched", "ADJ", True)),  # base of the first part
        ("English", "NNP", "English", ("english", "NOUN", True)),
        ("co-signers", "NNS", "co-signer", ("cosigner", "NOUN", True)),  # WordNet spells it without hyphen
        ("up", "RP", "up", ("up", "ADV", True)),  # particles are WordNet adverbs
        ("some", "DT", "some", ("some", "ADJ", True)),  # quantifiers and numbers: adjectives, as in SemCor
        ("two", "CD", "two", ("two", "ADJ", True)),
        ("1990", "CD", "1990", ("1990", None, False)),
        ("the", "DT", "the", ("the", None, False)),
        ("can", "MD", "can", ("can", None, False)),  # modals: never the tin can
        ("in", "IN", "in", ("in", None, False)),
        ("quite", "PDT", "quite", ("quite", "ADV", True)),
        ("unhappily", "JJ", "unhappily", ("unhappily", "ADV", True)),  # not a WordNet adjective: its adverb
        ("Xyzzyx", "NNP", "Xyzzyx", ("xyzzyx", "NOUN", False)),  # unknown: the tag's POS, not content
        ("cos()", "NNP", "cos()", ("cos", "NOUN", True)),  # unknown with punctuation: the word inside
        ("benefit-seeking", "NN", "benefit-seeking", ("benefit", "NOUN", True)),  # unknown: its first part
        ("three-story", "JJ", "three-story", ("three", "ADJ", True)),
        ("districts/states", "NNS", "districts/state", ("district", "NOUN", True)),  # the first alternative
        ("xyzzyx-dog", "NN", "xyzzyx-dog", ("xyzzyx-dog", "NOUN", False)),  # an unknown first part: unknown
        (".", ".", ".", (".", None, False)),
    ],
)
def test_resolve_word(word, tag, tagger_lemma, expected):
    assert resolve_word(word, tag, tagger_lemma) == WordTag(*expected)


@pytest.mark.parametrize(
    ("word", "tag", "lemma", "before", "after", "expected"),
    [
        ("increased", "VBN", "increase", "DT", "NN", ("increased", "ADJ", True)),  # the increased demand
        ("increased", "VBN", "increase", "VBZ", "NN", ("increase", "VERB", True)),  # has increased demand
        ("increased", "VBN", "increase", "DT", "IN", ("increase", "VERB", True)),  # not before a noun
        ("existing", "VBG", "exist", "", "NNS", ("existing", "ADJ", True)),  # first word: existing laws
        ("existing", "VBG", "exist", "IN", "NNS", ("exist", "VERB", True)),  # (by) existing laws: a verb
        ("European", "NNP", "European", "DT", "NN", ("european", "ADJ", True)),  # a European country
        ("European", "NNP", "European", "DT", "VBZ", ("european", "NOUN", True)),  # the European is
        ("Washington", "NNP", "Washington", "", "NNP", ("washington", "NOUN", True)),  # no such adjective
    ],
)
def test_attributive_participles_and_proper_nouns_are_adjectives(word, tag, lemma, before, after, expected):
    assert resolve_in_context(word, tag, lemma, before, after) == WordTag(*expected)


@pytest.mark.parametrize(
    ("word", "tag", "expected"),
    [
        ("so", "IN", ("so", "ADV", True)),  # WordNet's adverb first
        ("after", "IN", ("after", "ADV", True)),
        ("There", "EX", ("there", "ADV", True)),
        ("Nice", "UH", ("nice", "ADJ", True)),  # no adverb: the POS with most senses
        ("the", "DT", None),  # determiners, pronouns and modals never
        ("I", "PRP", None),
        ("can", "MD", None),
        ("of", "IN", None),  # WordNet has no such content word
    ],
)
def test_a_function_word_asked_about_by_name_is_the_content_word_wordnet_has(word, tag, expected):
    assert as_target(word, tag, word.lower()) == (WordTag(*expected) if expected else None)


def test_spellings_of_compounds_and_abbreviations():
    assert spellings("anti-cancer") == ["anti-cancer", "anti_cancer", "anticancer"]
    assert spellings("paper work") == ["paper work", "paper_work", "paper-work", "paperwork"]
    assert spellings("Mr.") == ["Mr.", "Mr"]
    assert spellings("dog") == ["dog"] and spellings(".") == ["."]


def test_wordnet_lemma_unknown_is_none():
    assert wordnet_lemma("xyzzyx", "xyzzyx", "NOUN") is None
    assert wordnet_lemma("runs", "run", "DET") is None


@pytest.mark.parametrize(
    ("lemmas", "forms", "gaps", "head_pos", "expected"),
    [
        (["take", "place"], ["took", "place"], ["_"], "VERB", ("take_place", "VERB", True)),
        (["ice", "cream"], ["ice", "creams"], ["_"], "NOUN", ("ice_cream", "NOUN", True)),
        (["new", "york"], ["new", "york"], ["_"], "NOUN", ("new_york", "NOUN", True)),
        (
            ["mother", "-", "in", "-", "law"],
            ["mother", "-", "in", "-", "law"],
            ["", "", "", ""],
            "NOUN",
            ("mother-in-law", "NOUN", True),
        ),
        (["of", "course"], ["of", "course"], ["_"], "NOUN", ("of_course", "ADV", True)),  # WordNet: only ADV
        (["red", "dog"], ["red", "dogs"], ["_"], "NOUN", ("red_dog", "NOUN", False)),
        (  # WordNet writes the pronoun of a phrase as "oneself" or "one's"
            ["keep", "to", "himself"],
            ["kept", "to", "himself"],
            ["_", "_"],
            "VERB",
            ("keep_to_oneself", "VERB", True),
        ),
        (
            ["lose", "her", "temper"],
            ["lost", "her", "temper"],
            ["_", "_"],
            "VERB",
            ("lose_one's_temper", "VERB", True),
        ),
    ],
)
def test_compound(lemmas, forms, gaps, head_pos, expected):
    assert compound(lemmas, forms, gaps, head_pos) == WordTag(*expected)
