"""spaCy preprocessing: POS and lemma in context, tokens kept as given, bad input. The pipeline loads once."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index_builder.errors import WsdError
from index_builder.text import (
    MAX_CHARS,
    LemmaPos,
    TextError,
    _components,
    predict_lemma_pos,
    resolve,
    resolve_in,
    tag_text,
    tag_token_lists,
    tag_tokens,
    tag_words,
)


def word_in(text: str, word: str, nth: int = 0):
    """The nth tagged token of `text` whose text is `word`."""
    found = [t for s in tag_text(text) for t in s.tokens if t.text == word]
    assert len(found) > nth, f"{word!r} not tokenised in {text!r}"
    return found[nth]


ISSUE = [
    ("She runs a small bakery downtown.", "runs", "run", "VERB"),
    ("The hunter shot the deer at dawn.", "shot", "shoot", "VERB"),
    ("The key opened the old wooden door.", "key", "key", "NOUN"),
]
MORE = [
    ("They book a table for two.", "book", "book", "VERB"),
    ("I read the book yesterday.", "book", "book", "NOUN"),
    ("I read the book yesterday.", "read", "read", "VERB"),
    ("The plant grows quickly.", "plant", "plant", "NOUN"),
    ("The plant grows quickly.", "grows", "grow", "VERB"),
    ("Farmers plant corn in May.", "plant", "plant", "VERB"),
    ("They plant trees in the park.", "trees", "tree", "NOUN"),
    pytest.param(
        "Workers plant trees in spring.",
        "plant",
        "plant",
        "VERB",
        marks=pytest.mark.xfail(
            strict=True,
            reason="en_core_web_sm reads 'Workers plant' (and 'The workers plant') as a compound noun",
        ),
    ),
    ("She drives a fast car.", "fast", "fast", "ADJ"),
    ("They fast on Fridays.", "fast", "fast", "VERB"),
    ("He runs fast.", "fast", "fast", "ADV"),
    ("Please water the flowers.", "water", "water", "VERB"),
    ("I drank a glass of water.", "water", "water", "NOUN"),
    ("We need to address the problem.", "address", "address", "VERB"),
    ("Write your address here.", "address", "address", "NOUN"),
    ("She left the keys on the table.", "left", "leave", "VERB"),
    ("She left the keys on the table.", "keys", "key", "NOUN"),
    ("The wind blew the leaves away.", "leaves", "leaf", "NOUN"),
    ("The wind blew the leaves away.", "blew", "blow", "VERB"),
    ("She leaves the office at five.", "leaves", "leave", "VERB"),
    ("The geese flew south.", "geese", "goose", "NOUN"),
    ("The geese flew south.", "flew", "fly", "VERB"),
    ("He hoped for rain.", "hoped", "hope", "VERB"),
    ("The children were playing in the park.", "children", "child", "NOUN"),
    ("The children were playing in the park.", "playing", "play", "VERB"),
    ("This is the last chance.", "last", "last", "ADJ"),
    ("The meeting lasted two hours.", "lasted", "last", "VERB"),
    ("The meeting lasted two hours.", "meeting", "meeting", "NOUN"),
    ("He is a very happy man.", "very", "very", "ADV"),
    ("He is a very happy man.", "happy", "happy", "ADJ"),
    ("The bank raised interest rates.", "rates", "rate", "NOUN"),
    ("He banks with a small credit union.", "banks", "bank", "VERB"),
    ("A smile crossed her face.", "smile", "smile", "NOUN"),
    ("She smiled at him.", "smiled", "smile", "VERB"),
    ("They face a difficult decision.", "face", "face", "VERB"),
    ("The results were better than expected.", "better", "better", "ADJ"),
    ("The dogs barked loudly.", "loudly", "loudly", "ADV"),
    ("The increased demand surprised the company.", "increased", "increased", "ADJ"),
    ("Sales have increased sharply this year.", "increased", "increase", "VERB"),
    ("She moved to a European country.", "European", "european", "ADJ"),
    ("Prices rose by higher margins.", "higher", "high", "ADJ"),
    ("Mr. Baldwin says so.", "Mr.", "mr", "NOUN"),
    ("Rates rose 20 % last year.", "%", "percent", "NOUN"),
]


@pytest.mark.parametrize(("text", "word", "lemma", "pos"), ISSUE + MORE)
def test_lemma_and_pos_in_context(text, word, lemma, pos):
    token = word_in(text, word)
    assert (token.lemma, token.pos, token.is_content) == (lemma, pos, True)


def test_same_form_different_pos_in_one_sentence():
    assert (word_in("They saw a saw in the shed.", "saw").lemma, word_in("They saw a saw.", "saw").pos) == (
        "see",
        "VERB",
    )
    assert word_in("They saw a saw in the shed.", "saw", 1).pos == "NOUN"
    # a modal gets no POS (its WordNet senses, a tin can, never fit); the container is a noun
    assert word_in("Can you open the can?", "Can").pos is None
    assert word_in("Can you open the can?", "can").pos == "NOUN"


def test_function_words_punctuation_get_no_pos_but_quantifiers_and_particles_do():
    tokens = {t.text: t for t in tag_text("The boys gave up all the toys, and some of them cried.")[0].tokens}
    assert all(tokens[w].pos is None and not tokens[w].is_content for w in ("The", "and", "of", "them", ","))
    assert (tokens["up"].pos, tokens["all"].pos, tokens["some"].pos) == ("ADV", "ADJ", "ADJ")


def test_sentences_and_character_offsets():
    text = "  She runs a bakery.\n\nThe hunter shot the deer.  "
    sentences = tag_text(text)
    assert [s.text for s in sentences] == ["She runs a bakery.", "The hunter shot the deer."]
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert all(text[t.start : t.end] == t.text for t in sentence.tokens)
    assert sentences[1].tokens[2].text == "shot" and sentences[1].tokens[2].start == text.index("shot")


def test_a_request_text_is_tagged_whole_as_its_sentences_are():
    text = "  She runs a bakery.\n\nThe hunter shot the deer.  "
    assert tag_words(text) == tuple(t for s in tag_text(text) for t in s.tokens)
    assert tag_words(" \n ") == ()


def test_the_tagger_multiplies_through_numpy_on_one_blas_thread(monkeypatch: pytest.MonkeyPatch):
    from threadpoolctl import threadpool_info

    from index_builder.text import pipeline

    models = [model for _, component in pipeline().components if (model := getattr(component, "model", None))]
    layers = [node for model in models for node in model.walk()]
    assert layers and all(node.ops.use_blis is False for node in layers)

    def numpy_blas_threads() -> list[int]:  # numpy's own BLAS: the one the tagger's products go through
        return [
            i["num_threads"]
            for i in threadpool_info()
            if i["user_api"] == "blas" and "numpy" in i["filepath"]
        ]

    before, seen = numpy_blas_threads(), []
    tagger = dict(_components())["tok2vec+tagger"]  # the compiled tok2vec and tagger
    original = tagger.pipe

    def pipe(docs, **kwargs):
        seen.extend(numpy_blas_threads())
        return original(docs, **kwargs)

    monkeypatch.setattr(tagger, "pipe", pipe)
    tag_words("The key opened the old wooden door, which they painted.")
    assert before and seen == [1] and numpy_blas_threads() == before


def test_tokens_are_tagged_as_given_never_retokenised():
    words = ["She", "doesn't", "live", "in", "New York", "or", "mother-in-law's", "house", "."]
    tokens = tag_tokens(words)
    assert [t.text for t in tokens] == words
    joined = " ".join(words)
    assert all(joined[t.start : t.end] == t.text for t in tokens)
    new_york = tokens[4]
    assert (new_york.lemma, new_york.pos, new_york.is_content) == ("new_york", "NOUN", True)
    assert tokens[2].pos == "VERB"


@pytest.mark.parametrize(
    ("words", "position", "lemma", "pos"),
    [
        (["The", "wedding", "took place", "in", "June", "."], 2, "take_place", "VERB"),
        (["Children", "love", "ice cream", "."], 2, "ice_cream", "NOUN"),
        (["She", "gave up", "smoking", "."], 1, "give_up", "VERB"),
        (["The", "paper work", "was", "done", "."], 1, "paperwork", "NOUN"),
        (["He", "kept to himself", "."], 1, "keep_to_oneself", "VERB"),
    ],
)
def test_multi_word_token_is_one_unit(words, position, lemma, pos):
    token = tag_tokens(words)[position]
    assert (token.text, token.lemma, token.pos, token.is_content) == (words[position], lemma, pos, True)


def test_tokens_agree_with_text_and_batches_agree_with_single_calls():
    words = ["She", "runs", "a", "small", "bakery", "downtown", "."]
    from_text = [(t.text, t.lemma, t.pos) for t in tag_text(" ".join(words))[0].tokens]
    assert [(t.text, t.lemma, t.pos) for t in tag_tokens(words)] == from_text
    many = [words, ["The", "key", "opened", "the", "door"], []]
    assert list(tag_token_lists(many, batch_size=2)) == [tag_tokens(w) for w in many]


def test_empty_and_blank_tokens_are_kept_without_pos():
    tokens = tag_tokens(["", "  ", "dog"])
    assert [(t.text, t.pos) for t in tokens] == [("", None), ("  ", None), ("dog", "NOUN")]
    assert tag_tokens([]) == ()


def test_resolve_explicit_lemma_and_pos_win():
    runs = word_in("She runs a small bakery downtown.", "runs")
    assert resolve(runs) == LemmaPos("run", "VERB")
    assert resolve(runs, pos="NOUN") == LemmaPos("run", "NOUN")
    assert resolve(runs, lemma="Run", pos="NOUN") == LemmaPos("run", "NOUN")
    assert resolve(runs, lemma="operate") == LemmaPos("operate", "VERB")
    leaves = word_in("The wind blew the leaves away.", "leaves")
    assert resolve(leaves, pos="VERB") == LemmaPos("leave", "VERB")
    assert resolve(leaves, lemma="bakery") == LemmaPos("bakery", "NOUN")


def test_a_function_word_asked_about_is_taken_as_wordnets_content_word():
    tokens = ["No", ",", "he", "came", "after", "the", "dinner", "."]
    assert [resolve_in(tokens, i).pos for i in (0, 2, 4, 5)] == ["ADV", None, "ADV", None]
    assert next(predict_lemma_pos([tokens]))[4] == LemmaPos("after", "ADV")  # the benchmark does the same


def test_resolve_in_a_tokenised_sentence():
    words = ["She", "runs", "a", "small", "bakery", "downtown", "."]
    assert resolve_in(words, 1) == LemmaPos("run", "VERB")
    assert resolve_in(words, 1, pos="NOUN") == LemmaPos("run", "NOUN")
    assert resolve_in(["anything"], 5, lemma="Ice cream", pos="NOUN") == LemmaPos("ice_cream", "NOUN")
    with pytest.raises(TextError, match="position 7"):
        resolve_in(words, 7)


def test_predicted_lemma_pos_for_benchmarks():
    sentences = [["He", "sat", "on", "the", "bank", "."], ["The", "meeting", "took place", "."]]
    assert list(predict_lemma_pos(sentences)) == [
        [("he", None), ("sit", "VERB"), ("on", "ADV"), ("the", None), ("bank", "NOUN"), (".", None)],
        [("the", None), ("meeting", "NOUN"), ("take_place", "VERB"), (".", None)],
    ]


BAD_TEXTS = [
    "",
    "   \n\t ",
    "!!! ??? ... ---",
    "😀😀 🎉",
    "Hello 世界 مرحبا Привет",
    "a" * 5000,
    "\x00\x01\x7f",
    "ab" * 2500 + " " + "é" * 3000,
]


@pytest.mark.parametrize("text", BAD_TEXTS, ids=range(len(BAD_TEXTS)))
def test_bad_text_gives_no_content_and_no_error(text):
    tokens = [t for s in tag_text(text) for t in s.tokens]
    assert not [t for t in tokens if t.is_content]
    assert not [t for t in tag_tokens(text.split()) if t.is_content]


@pytest.mark.parametrize("bad", [123, None, b"bytes"])
def test_not_a_string_is_a_project_error(bad):
    with pytest.raises(TextError, match="string"):
        tag_text(bad)
    with pytest.raises(TextError, match="string"):
        tag_tokens(["ok", bad])
    assert issubclass(TextError, WsdError)


def test_too_long_and_one_string_as_tokens_are_project_errors():
    with pytest.raises(TextError, match="longer"):
        tag_text("a" * (MAX_CHARS + 1))
    with pytest.raises(TextError, match="list of strings"):
        tag_tokens("She runs")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=120))
def test_any_text_tags_without_error(text):
    for sentence in tag_text(text):
        assert text[sentence.start : sentence.end] == sentence.text
        for token in sentence.tokens:
            assert token.pos in (None, "NOUN", "VERB", "ADJ", "ADV")
            assert text[token.start : token.end] == token.text
