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
