"""Sense vectors: own means, and propagation to senses without training vectors (synset, hypernyms, lexname)."""

from __future__ import annotations

import numpy as np
import pytest

from index_builder.index_folder import IndexFolder
from wsd_service.sense_vectors import SenseVectors, Source


@pytest.fixture(scope="module")
def sense_vectors(tiny_disambiguator) -> SenseVectors:
    return SenseVectors(tiny_disambiguator.folder, tiny_disambiguator.inventory)


def test_own_vector_is_the_mean_of_the_sense_training_vectors(sense_vectors, tiny_disambiguator):
    folder: IndexFolder = tiny_disambiguator.folder
    group = folder.groups[("say", "VERB")]
    key = max(group.sense_counts, key=group.sense_counts.get)
    rows = [i for i in range(group.first_id, group.first_id + group.count) if key in folder.vector_keys[i]]
    mean = folder.vectors(rows).mean(axis=0)
    vector, source = sense_vectors.vector(tiny_disambiguator.inventory.sense(key))
    assert source == Source.OWN
    np.testing.assert_allclose(vector, mean / np.linalg.norm(mean), atol=1e-5)


def test_every_sense_of_a_trained_lemma_gets_a_vector(sense_vectors, tiny_disambiguator):
    inventory = tiny_disambiguator.inventory
    sources = {}
    for sense in inventory.senses("say", "VERB") + inventory.senses("jury", "NOUN"):
        vector, source = sense_vectors.vector(sense)
        assert vector.shape == (tiny_disambiguator.folder.dim,) and np.isclose(np.linalg.norm(vector), 1.0)
        sources[sense.key] = source
    assert Source.OWN in sources.values() and set(sources.values()) - {Source.OWN}


def test_propagation_prefers_the_synset_then_hypernyms(sense_vectors, tiny_disambiguator):
    inventory = tiny_disambiguator.inventory
    trained = [inventory.wn.synset(inventory.sense(key).synset) for key in sorted(sense_vectors.own)]
    siblings = [lem for synset in trained for lem in synset.lemmas() if lem.key() not in sense_vectors.own]
    assert siblings, "the tiny index has a synonym of a trained sense that is untrained itself"
    assert sense_vectors.vector(inventory.sense(siblings[0].key()))[1] == Source.SYNSET
    untrained = [
        h
        for synset in trained
        for h in synset.hyponyms()
        if all(lem.key() not in sense_vectors.own for lem in h.lemmas())
    ]
    assert untrained, "the tiny index has an untrained hyponym of a trained synset"
    assert sense_vectors.vector(inventory.sense(untrained[0].lemmas()[0].key()))[1] == Source.HYPERNYM


@pytest.fixture
def gloss_index(tmp_path, small_corpus, fake_backend) -> IndexFolder:
    """The small corpus plus the WordNet gloss contexts of two senses of bank (fake backend)."""
    from index_builder.build import BuildSettings, build_index
    from index_builder.corpus_writer import write_corpus
    from index_builder.evidence import wordnet_glosses
    from index_builder.inventory import wordnet

    glosses = tmp_path / "wn.data.xml", tmp_path / "wn.gold.key.txt"
    bank = [wordnet().synset("bank.n.01"), wordnet().synset("depository_financial_institution.n.01")]
    write_corpus(wordnet_glosses(synsets=bank), *glosses, source="wordnet-glosses")
    settings = BuildSettings(*small_corpus, out=tmp_path / "idx", extra=(glosses,))
    return IndexFolder(build_index(fake_backend, settings, progress=False))


def test_with_glosses_a_sense_scores_the_mean_of_its_context_and_gloss_cosines(
    gloss_index, tiny_disambiguator
):
    inventory = tiny_disambiguator.inventory
    plain = SenseVectors(gloss_index, inventory)
    lmms = SenseVectors(gloss_index, inventory, with_glosses=True)
    ids = list(gloss_index.instance_ids())
    gloss_rows = {
        gloss_index.vector_keys[i][0]: i for i, name in enumerate(ids) if name.startswith("wn.gloss.")
    }
    synsets = ("bank.n.01", "depository_financial_institution.n.01")  # one gloss context per lemma of each
    glossed = {lemma.key() for name in synsets for lemma in inventory.wn.synset(name).lemmas()}
    assert set(lmms.glosses) == set(gloss_rows) == glossed and not plain.glosses
    river = inventory.sense("bank%1:17:01::")  # trained in the small corpus and glossed
    np.testing.assert_allclose(lmms.glosses[river.key], gloss_index.vectors([gloss_rows[river.key]])[0])
    own_rows = [
        i
        for i, keys in enumerate(gloss_index.vector_keys)
        if river.key in keys and i != gloss_rows[river.key]
    ]
    mean = gloss_index.vectors(own_rows).mean(axis=0)
    np.testing.assert_allclose(
        lmms.vector(river)[0], mean / np.linalg.norm(mean), atol=1e-5
    )  # glosses kept apart
    query = lmms.glosses[river.key]
    scores, _ = lmms.scores([river], query)
    assert scores[river.key] == pytest.approx((float(lmms.vector(river)[0] @ query) + 1.0) / 2, abs=1e-5)
    assert plain.scores([river], query)[0][river.key] != pytest.approx(scores[river.key])


def test_the_sense_gloss_mode_answers_from_sense_vectors(gloss_index, fake_backend):
    from wsd_service.disambiguator import Disambiguator
    from wsd_service.settings import Method, Mode, Settings

    disambiguator = Disambiguator(gloss_index, backend=fake_backend)
    vector = disambiguator.folder.vectors([0])[0]
    answer = disambiguator.decide(vector, "bank", "NOUN", Settings(mode=Mode.SENSE_GLOSS))
    assert answer.method == Method.SENSE and answer.sense is not None and answer.sense.key.startswith("bank%")
    assert (
        {"bank%1:17:01::", "bank%1:14:00::"}
        <= set(answer.votes)
        <= {s.key for s in disambiguator.inventory.senses("bank", "NOUN")}
    )
