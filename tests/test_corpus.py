from __future__ import annotations

import tracemalloc
from itertools import islice
from pathlib import Path

import pytest

from index_builder.corpus import CorpusError, read_corpus
from index_builder.paths import eval_paths, semcor_paths
from tests.conftest import SMALL_KEYS, SMALL_XML


def test_small_corpus_records(small_corpus):
    sentences = list(read_corpus(*small_corpus))
    assert [s.id for s in sentences] == ["d000.s000", "d000.s001", "d001.s000"]
    first = sentences[0]
    assert first.doc_id == "d000"
    assert first.words == ["He", "sat", "on", "the", "bank", "."]
    assert [(i.id, i.position, i.lemma, i.pos) for i in first.instances] == [
        ("d000.s000.t000", 1, "sit", "VERB"),
        ("d000.s000.t001", 4, "bank", "NOUN"),
    ]
    assert first.instances[1].keys == ("bank%1:17:01::",)
    assert sentences[2].instances[0].keys == ("bank%1:14:00::", "bank%1:06:00::")


def test_multiword_token_stays_one_token(small_corpus):
    sentence = list(read_corpus(*small_corpus))[1]
    assert sentence.words == ["took place", "."]
    assert sentence.instances[0].position == 0
    assert sentence.text == "took place ."
    assert sentence.char_spans() == [(0, 10), (11, 12)]


def test_gzip_reads_the_same(small_corpus, small_corpus_gz):
    assert list(read_corpus(*small_corpus)) == list(read_corpus(*small_corpus_gz))


def test_without_keys_and_limit_docs(small_corpus):
    xml, _ = small_corpus
    sentences = list(read_corpus(xml))
    assert all(i.keys == () for s in sentences for i in s.instances)
    assert [s.doc_id for s in read_corpus(xml, limit_docs=1)] == ["d000", "d000"]


def test_malformed_xml_names_the_file(tmp_path: Path):
    xml = tmp_path / "bad.data.xml"
    xml.write_text(SMALL_XML.replace('</sentence>\n<sentence id="d000.s001">', "<sentence>", 1))
    with pytest.raises(CorpusError, match="bad.data.xml: malformed XML"):
        list(read_corpus(xml))


def test_instance_without_key(small_corpus):
    xml, keys = small_corpus
    keys.write_text("\n".join(SMALL_KEYS.splitlines()[1:]) + "\n")
    with pytest.raises(CorpusError, match="instance d000.s000.t000 has no gold key"):
        list(read_corpus(xml, keys))


def test_key_for_unknown_instance(small_corpus):
    xml, keys = small_corpus
    keys.write_text(SMALL_KEYS + "d009.s000.t000 dog%1:05:00::\n")
    with pytest.raises(CorpusError, match="unknown instance d009.s000.t000"):
        list(read_corpus(xml, keys))


def test_key_line_without_key(small_corpus):
    xml, keys = small_corpus
    keys.write_text("d000.s000.t000\n")
    with pytest.raises(CorpusError, match=r"tiny.gold.key.txt:1: instance 'd000.s000.t000' has no sense key"):
        list(read_corpus(xml, keys))


def test_a_key_line_listed_twice_is_refused(small_corpus):
    xml, keys = small_corpus
    keys.write_text(SMALL_KEYS + SMALL_KEYS.splitlines()[0] + "\n")
    with pytest.raises(CorpusError, match=r"tiny.gold.key.txt:6: key for unknown instance d000.s000.t000"):
        list(read_corpus(xml, keys))


def test_a_key_file_in_another_order_gives_the_same_keys(small_corpus):
    xml, keys = small_corpus
    in_order = [[i.keys for i in s.instances] for s in read_corpus(xml, keys)]
    keys.write_text("\n".join(reversed(SMALL_KEYS.splitlines())) + "\n")
    assert [[i.keys for i in s.instances] for s in read_corpus(xml, keys)] == in_order


def test_missing_file(tmp_path: Path):
    with pytest.raises(CorpusError, match="not found"):
        list(read_corpus(tmp_path / "nope.xml"))


# The two tests of the whole shipped SemCor read all its 226,036 keys (the first also all 37,176 sentences,
# the second under tracemalloc): seconds each, so they run in the slow tier. The fast tier reads SemCor's
# first documents (test_build's counts_match_the_corpus, the session's semcor_head) and the corpora above.


@pytest.mark.slow
def test_semcor_and_all_counts():
    """The published counts: SemCor 37,176 sentences / 226,036 instances; ALL 7,253 instances."""
    sentences = instances = 0
    for sentence in read_corpus(*semcor_paths()):
        sentences += 1
        instances += len(sentence.instances)
    assert (sentences, instances) == (37_176, 226_036)
    assert sum(len(s.instances) for s in read_corpus(*eval_paths("ALL"))) == 7_253


@pytest.mark.slow
def test_streaming_memory_is_bounded():
    """Reading the first 2,000 SemCor sentences one by one holds far less than the whole corpus."""
    tracemalloc.start()
    for _ in islice(read_corpus(*semcor_paths()), 2000):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 2**20  # key lines are read as the corpus asks for them; all SemCor's keys take 120 MB
