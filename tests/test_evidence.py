"""Evidence sources: WordNet usage examples (spans of inflected and multi-word lemmas) and gloss contexts as
corpus records, checked against real WordNet 3.0 synsets; the source registry."""

from __future__ import annotations

import pytest

from index_builder.evidence import (
    SOURCES,
    EvidenceCounts,
    EvidenceError,
    evidence_sentences,
    parse_sources,
    source_of,
)
from index_builder.evidence.wordnet import tokenise, wordnet_examples, wordnet_glosses
from index_builder.inventory import SenseInventory, wordnet


@pytest.fixture(scope="module")
def inventory() -> SenseInventory:
    return SenseInventory()


def _synsets(*names: str) -> list:
    return [wordnet().synset(name) for name in names]


def _targets(sentences: list) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    """(sentence id, target text, lemma, POS, keys) of every instance."""
    return [(s.id, s.tokens[i.position].text, i.lemma, i.pos, i.keys) for s in sentences for i in s.instances]


def test_inflected_forms_are_found() -> None:
    found = _targets(list(wordnet_examples(_synsets("run.v.01", "operate.v.01", "run.v.03"))))
    assert ("wn.ex.run.v.01.1", "ran", "run", "VERB", ("run%2:38:00::",)) in found  # The children ran to ...
    assert ("wn.ex.operate.v.01.0", "running", "run", "VERB", ("run%2:41:02::",)) in found
    assert ("wn.ex.run.v.03.0", "runs", "run", "VERB", ("run%2:42:00::",)) in found
    # other lemmas of the synset label its examples too: "My memory extends back ..."
    assert ("wn.ex.run.v.03.2", "extends", "extend", "VERB", ("extend%2:42:03::",)) in found


def test_the_target_token_sits_at_its_position_in_the_example() -> None:
    (sentence,) = [s for s in wordnet_examples(_synsets("bank.n.01")) if s.id.endswith(".1")]
    assert sentence.text == "he sat on the bank of the river and watched the currents"
    (instance,) = sentence.instances
    assert instance.position == 4 and instance.id == "wn.ex.bank.n.01.1.t000"
    start, end = sentence.char_spans()[instance.position]
    assert sentence.text[start:end] == "bank" and sentence.doc_id == "bank.n.01"
    assert [t.pos for t in sentence.tokens] == ["X"] * 4 + ["NOUN"] + ["X"] * 7


def test_multiword_lemmas_become_one_token_and_win_over_a_shorter_overlap() -> None:
    happen = list(wordnet_examples(_synsets("happen.v.01")))
    took = next(s for s in happen if "took place" in s.words)
    assert took.words == ["The", "meeting", "took place", "off", "without", "an", "incidence"]
    assert _targets([took]) == [(took.id, "took place", "take_place", "VERB", ("take_place%2:30:00::",))]
    # savings_bank.n.02 has the lemmas coin_bank and bank: "the coin bank was empty" labels coin_bank only
    (coin,) = wordnet_examples(_synsets("savings_bank.n.02"))
    assert _targets([coin]) == [(coin.id, "coin bank", "coin_bank", "NOUN", ("coin_bank%1:06:00::",))]


def test_hyphenated_compounds_match_their_last_part() -> None:
    found = _targets(list(wordnet_examples(_synsets("yield.v.10"))))
    assert ("wn.ex.yield.v.10.0", "interest-bearing", "bear", "VERB", ("bear%2:40:01::",)) in found


def test_keys_are_valid_and_ids_unique(inventory: SenseInventory) -> None:
    synsets = [*wordnet().synsets("bank"), *wordnet().synsets("run"), *wordnet().synsets("plant")]
    sentences = [*wordnet_examples(synsets), *wordnet_glosses(synsets)]
    ids = [s.id for s in sentences] + [i.id for s in sentences for i in s.instances]
    assert len(ids) == len(set(ids))
    for sentence in sentences:
        assert sentence.instances and source_of(sentence.id) in ("wordnet-examples", "wordnet-glosses")
        for instance in sentence.instances:
            (key,) = instance.keys
            sense = inventory.sense(key)
            assert sense is not None and sense.synset == sentence.doc_id and sense.pos == instance.pos
            assert key in {s.key for s in inventory.senses(instance.lemma, instance.pos)}


def test_counts_add_up() -> None:
    synsets = _synsets("run.v.01", "dampen.v.05", "bank.n.01", "plant.n.02")  # "muffle the message": no damp
    counts = EvidenceCounts()
    sentences = list(wordnet_examples(synsets, counts))
    assert counts.examples_with_span + counts.examples_without_span == sum(len(s.examples()) for s in synsets)
    assert counts.examples_without_span == 1 and counts.sentences == len(sentences) == 4
    assert counts.records == 4 and counts.senses_with_example == 2  # run%2:38:00::, bank%1:17:01::
    glosses = EvidenceCounts()
    assert len(list(wordnet_glosses(synsets, glosses))) == glosses.records == 1 + 3 + 1 + 3


def test_gloss_context_is_lemma_synonyms_gloss() -> None:
    plant = list(wordnet_glosses(_synsets("plant.n.01")))
    assert [s.id for s in plant] == [
        "wn.gloss.plant%1:06:01::",
        "wn.gloss.works%1:06:02::",
        "wn.gloss.industrial_plant%1:06:00::",
    ]
    first, _, last = plant
    assert first.text == "plant - works , industrial plant - buildings for carrying on industrial labor"
    assert last.words[:4] == ["industrial plant", "-", "plant", ","]
    assert [(i.position, i.lemma, i.keys) for i in last.instances] == [
        (0, "industrial_plant", ("industrial_plant%1:06:00::",))
    ]
    lone = list(wordnet_glosses(_synsets("bank.n.03", "a.n.06")))  # a.n.06 lists "A" and "a": one sense key
    assert [s.text for s in lone] == [
        "bank - a long ridge or pile",
        "A - the 1st letter of the Roman alphabet",
    ]


def test_ambiguous_only_leaves_out_lemmas_with_one_sense() -> None:
    plant = wordnet_glosses(_synsets("plant.n.01"), ambiguous_only=True)  # industrial_plant: one sense
    assert [s.id for s in plant] == ["wn.gloss.plant%1:06:01::", "wn.gloss.works%1:06:02::"]
    (coin,) = wordnet_examples(_synsets("savings_bank.n.02"), ambiguous_only=True)  # coin_bank: one sense
    assert _targets([coin]) == [(coin.id, "bank", "bank", "NOUN", ("bank%1:06:01::",))]
    assert coin.words == ["the", "coin", "bank", "was", "empty"]


def test_order_is_deterministic() -> None:
    synsets = wordnet().synsets("run")
    assert list(wordnet_examples(synsets)) == list(wordnet_examples(synsets))
    assert list(wordnet_glosses(synsets)) == list(wordnet_glosses(synsets))


def test_tokenise() -> None:
    assert tokenise("Don't run--you'll be out of breath!") == [
        "Don't",
        "run",
        "-",
        "-",
        "you'll",
        "be",
        "out",
        "of",
        "breath",
        "!",
    ]


def test_sources_and_their_ids() -> None:
    assert parse_sources(" semcor, wordnet-glosses,semcor") == ("semcor", "wordnet-glosses")
    for bad in ("", "semcor,wikipedia"):
        with pytest.raises(EvidenceError, match="choose from"):
            parse_sources(bad)
    with pytest.raises(EvidenceError):
        evidence_sentences("wikipedia")
    assert [
        source_of(i) for i in ("d000.s000.t000", "wn.ex.bank.n.01.0.t000", "wn.gloss.bank%1:17:01::")
    ] == ["semcor", "wordnet-examples", "wordnet-glosses"]
    counts = EvidenceCounts()
    first = next(evidence_sentences("semcor", counts))
    assert source_of(first.id) == "semcor" and counts.records == len(first.instances) > 0
    assert SOURCES == ("semcor", "wordnet-examples", "wordnet-glosses")


@pytest.mark.slow
def test_all_of_wordnet() -> None:
    """Every example and gloss of WordNet 3.0 (about a minute): ids unique, counts as measured."""
    totals = {}
    ids: set[str] = set()
    for source in ("wordnet-examples", "wordnet-glosses"):
        counts = totals[source] = EvidenceCounts()
        for sentence in evidence_sentences(source, counts):
            ids.update([sentence.id, *(i.id for i in sentence.instances)])
    examples, glosses = totals["wordnet-examples"], totals["wordnet-glosses"]
    assert examples.examples_with_span + examples.examples_without_span == 48_339
    assert examples.examples_with_span > 47_000 and examples.senses_with_example > 39_000
    assert glosses.records == glosses.sentences == 206_941  # less 8 keys nltk spells that WordNet lacks
    assert len(ids) == examples.sentences + examples.records + glosses.sentences + glosses.records
    ambiguous = EvidenceCounts()
    assert sum(1 for _ in evidence_sentences("wordnet-glosses", ambiguous, ambiguous_only=True)) == 78_552


def test_every_evidence_key_passes_the_corpus_check():
    """nltk spells a few keys of capitalised lemmas (Earth, Sun, DDC) that WordNet's index lacks: left out."""
    from index_builder.evidence.wordnet import senses
    from index_builder.inventory import is_sense_key, wordnet

    earth = [s for s in wordnet().synsets("earth", "n") if any(lem.name() == "Earth" for lem in s.lemmas())]
    assert earth and all(is_sense_key(lemma.key()) for synset in earth for lemma in senses(synset))


def test_only_lemmas_keeps_the_listed_instances_in_their_whole_context(tmp_path) -> None:
    from index_builder.evidence import only_lemmas, read_lemma_list

    listed = tmp_path / "lemmas.txt"
    listed.write_text("# the vocabulary\nbank\nTake Place  # spelling is normalised\n\n", encoding="utf-8")
    lemmas = read_lemma_list(listed)
    assert lemmas == {"bank", "take_place"}
    full = list(wordnet_glosses(synsets=_synsets("bank.n.01", "depository_financial_institution.n.01")))
    kept = list(only_lemmas(full, lemmas))
    assert {i.lemma for s in kept for i in s.instances} == {"bank"} and len(kept) == 2 < len(full)
    by_id = {s.id: s for s in full}
    assert all(s.tokens == by_id[s.id].tokens for s in kept)  # the same words around each kept instance
    (tmp_path / "empty.txt").write_text("# nothing\n", encoding="utf-8")
    for bad in (tmp_path / "empty.txt", tmp_path / "missing.txt"):
        with pytest.raises(EvidenceError, match="lemma list"):
            read_lemma_list(bad)
