from __future__ import annotations

from collections import Counter

from index_builder.corpus import Instance, read_corpus
from index_builder.inventory import SenseInventory
from index_builder.sense_counts import count_senses
from wsd_service.bench.baselines import FirstSense, MostFrequentSense, most_frequent_key


def _instance(lemma: str, pos: str) -> Instance:
    return Instance("x", 0, lemma, pos, ())


def test_first_sense():
    inv = SenseInventory()
    assert FirstSense(inv).answer(_instance("bank", "NOUN")) == "bank%1:17:01::"
    assert FirstSense(inv).answer(_instance("qwxzy", "NOUN")) is None


def test_tie_goes_to_lower_sense_number():
    order = ["a%1", "b%1", "c%1"]
    assert most_frequent_key(Counter({"c%1": 2, "b%1": 2, "a%1": 1}), order) == "b%1"
    assert most_frequent_key(Counter({"c%1": 3, "b%1": 2}), order) == "c%1"


def test_mfs_from_counts_and_backoff(small_corpus):
    inv = SenseInventory()
    counts = count_senses(read_corpus(*small_corpus))
    # bank: 17:01 once, 14:00 once and 06:00 once -> tie, WordNet sense 1 (17:01) wins
    assert counts[("bank", "NOUN")] == Counter(
        {"bank%1:17:01::": 1, "bank%1:14:00::": 1, "bank%1:06:00::": 1}
    )
    mfs = MostFrequentSense(inv, counts)
    assert mfs.answer(_instance("bank", "NOUN")) == "bank%1:17:01::"
    assert mfs.answer(_instance("close", "VERB")) == "close%2:41:00::"  # not WordNet's first sense
    assert inv.first_sense("close", "VERB").key != "close%2:41:00::"
    assert mfs.answer(_instance("dog", "NOUN")) == "dog%1:05:00::"  # unseen: WordNet first sense
