from __future__ import annotations

import sys
import threading

from index_builder.inventory import SenseInventory, normalise_lemma


def test_candidates_in_wordnet_order():
    inv = SenseInventory()
    senses = inv.senses("bank", "NOUN")
    assert len(senses) == 10
    first = senses[0]
    assert (first.key, first.synset, first.id, first.pos) == (
        "bank%1:17:01::",
        "bank.n.01",
        "wn:09213565n",
        "NOUN",
    )
    assert "sloping land" in first.gloss
    assert first.examples
    assert senses[1].synset == "depository_financial_institution.n.01"


def test_standard_offsets_and_first_sense():
    inv = SenseInventory()
    assert inv.first_sense("dog", "NOUN").id == "wn:02084071n"
    assert inv.first_sense("run", "VERB").key == "run%2:38:00::"
    # satellite adjectives get the 'a' id form
    assert inv.sense("dry%5:00:00:humorous:00").id == "wn:01266092a"


def test_key_lookup_and_unknown_keys():
    inv = SenseInventory()
    assert inv.sense("bank%1:14:00::").synset == "depository_financial_institution.n.01"
    assert inv.sense("bank%9:99:99::") is None
    assert inv.sense("not a key") is None


def test_multiword_and_unknown_lemmas():
    inv = SenseInventory()
    assert normalise_lemma("Take Place") == "take_place"
    assert inv.senses("take place", "VERB")[0].key == "take_place%2:30:00::"
    assert inv.senses("qwxzy", "NOUN") == ()
    assert inv.senses("bank", "PRON") == ()


def test_lemmatise():
    inv = SenseInventory()
    assert inv.lemmatise("banks", "NOUN") == "bank"
    assert inv.lemmatise("took", "VERB") == "take"
    assert inv.lemmatise("running", "VERB") == "run"
    assert inv.lemmatise("qwxzy", "NOUN") is None
    assert inv.lemmatise("the", "DET") is None
    assert set(inv.bases("found", "VERB")) == {"found", "find"} and inv.lemmatise("found", "VERB") == "find"
    assert inv.bases("the", "DET") == [] and inv.bases("qwxzy", "NOUN") == []


def test_known_pos():
    inv = SenseInventory()
    assert inv.known_pos("bank")[0] == "NOUN"
    assert set(inv.known_pos("bank")) == {"NOUN", "VERB"}


def test_every_morphological_base_and_wordnet_tag_counts():
    inv = SenseInventory()
    assert set(inv.bases("hoped", "VERB")) == {"hope", "hop"}
    assert inv.bases("better", "ADJ")[0] == "better" and "good" in inv.bases("better", "ADJ")
    assert inv.bases("dogs", "DET") == []
    assert inv.lemmatise("hoped", "VERB") == "hop"  # the shortest base: why text.py ranks by tag counts
    assert inv.tag_count("hope", "VERB") > inv.tag_count("hop", "VERB") > 0
    assert inv.tag_count("bank", "NOUN") == sum(lem.count() for lem in inv.wn.lemmas("bank", "n"))
    assert inv.tag_count("xyzzy", "NOUN") == 0 and inv.tag_count("bank", "DET") == 0


def test_is_sense_key_agrees_with_the_inventory():
    import gzip
    from itertools import islice

    from index_builder.inventory import is_sense_key
    from index_builder.paths import semcor_paths

    with gzip.open(semcor_paths()[1], "rt") as handle:
        keys = [key for line in islice(handle, 0, None, 300) for key in line.split()[1:]]
    odd = [
        "bank",
        "bank%1:17:01",
        "bank%1:17:01::x",
        "Bank%1:17:01::",
        "bank%9:99:99::",
        "zzzq%1:17:01::",
        "",
    ]
    inv = SenseInventory()
    for key in keys + odd:
        assert is_sense_key(key) == (inv.sense(key) is not None), key
    assert sum(map(is_sense_key, odd)) == 1  # only the upper-case spelling of a real key


def _read_synsets_from_threads(wn, offsets: list[tuple[str, int]], threads: int = 4) -> list[list[str]]:
    """Every thread reads every synset from the data files (nltk's cache cleared), switching often."""
    results: list[list[str]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def read(slot: int) -> None:
        start.wait()
        for pos, offset in offsets:
            wn._synset_offset_cache[pos].pop(offset, None)
            try:
                results[slot].append(wn.synset_from_pos_and_offset(pos, offset).name())
            except Exception as err:  # noqa: BLE001  (a torn read shows up as a wrong answer or an error)
                results[slot].append(type(err).__name__)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [threading.Thread(target=read, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(interval)
    return results


def test_the_wordnet_reader_can_be_shared_between_threads():
    wn = SenseInventory().wn
    words = ("bank", "run", "plant", "interest", "key", "shot", "line", "set", "light", "head")
    offsets = [(s.pos(), s.offset()) for word in words for s in wn.synsets(word)][:120]
    expected = [wn.synset_from_pos_and_offset(pos, offset).name() for pos, offset in offsets]
    assert all(result == expected for result in _read_synsets_from_threads(wn, offsets))
