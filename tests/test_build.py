from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index_builder.backends.fake import FakeBackend
from index_builder.build import BuildSettings, build_index, work_folder
from index_builder.corpus import CorpusError, read_corpus
from index_builder.index_folder import IndexFolder, IndexFolderError
from index_builder.paths import semcor_paths
from index_builder.validate import CorpusProblems
from tests.index_compare import assert_same_index


def test_counts_match_the_corpus(tiny_index: Path):
    sentences = list(read_corpus(*semcor_paths(), limit_docs=2))
    instances = [i for s in sentences for i in s.instances]
    opened = IndexFolder(tiny_index)
    counts = opened.manifest["counts"]
    assert counts["sentences"] == len(sentences)
    assert counts["instances"] == counts["vectors"] == len(instances) == opened.size
    assert sum(g.count for g in opened.groups.values()) == len(instances)
    assert counts["per_pos"]["NOUN"] == sum(i.pos == "NOUN" for i in instances)
    # groups are contiguous id ranges whose vectors all carry the group's lemma and POS
    group = opened.groups[("say", "VERB")]
    records = opened.records(list(range(group.first_id, group.first_id + group.count)))
    assert {(r.lemma, r.pos) for r in records} == {("say", "VERB")}
    assert sum(group.sense_counts.values()) == sum(len(r.keys) for r in records)
    # spans point at the target word in the stored sentence text
    record = records[0]
    text = opened.sentences([record.sentence_id])[record.sentence_id]
    assert text[record.span[0] : record.span[1]].lower().startswith("sa")
    # vectors are normalised
    assert np.allclose(np.linalg.norm(opened.group_vectors(group), axis=1), 1.0, atol=1e-5)
    assert opened.manifest["backend"]["backend"] == "fake"


def test_group_search_stays_inside_the_group(tiny_index: Path):
    opened = IndexFolder(tiny_index)
    group = opened.groups[("say", "VERB")]
    query = opened.group_vectors(group)[:2]
    sims, ids = opened.search(group, query, 5)
    assert ids.shape == (2, 5)
    assert ((ids >= group.first_id) & (ids < group.first_id + group.count)).all()
    assert ids[0, 0] == group.first_id and sims[0, 0] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_compact_float16_index_finds_the_same_neighbors(tmp_path: Path, bert_backend):
    out = tmp_path / "fp16"
    build_index(
        bert_backend,
        BuildSettings(*semcor_paths(), out=out, limit_docs=1, vector_type="float16"),
        progress=False,
    )
    exact = tmp_path / "exact"
    build_index(bert_backend, BuildSettings(*semcor_paths(), out=exact, limit_docs=1), progress=False)
    small, full = IndexFolder(out), IndexFolder(exact)
    assert (out / "vectors.faiss").stat().st_size < 0.6 * (exact / "vectors.faiss").stat().st_size
    group = full.groups[("say", "VERB")]
    query = full.group_vectors(group)[3:4]
    assert list(small.search(group, query, 5)[1][0]) == list(full.search(group, query, 5)[1][0])


def test_two_builds_of_the_same_corpus_are_bit_identical(
    tmp_path: Path, fake_backend, semcor_head, tiny_index
):
    # the session's tiny index is the first build (conftest: the first 2 SemCor documents, fake backend)
    settings = BuildSettings(*semcor_head, out=tmp_path / "again" / tiny_index.name)
    assert_same_index(build_index(fake_backend, settings, progress=False), tiny_index)


def _build_cmd(out: Path, limit_docs: int, shard: int) -> list[str]:
    options = f"--backend fake --limit-docs {limit_docs} --shard-sentences {shard} --name idx -q"
    return [sys.executable, "-m", "index_builder.cli", "-v", "build", "--out", str(out), *options.split()]


def _vectors(folder: Path) -> np.ndarray:
    opened = IndexFolder(folder)
    return opened.vectors(range(opened.size))


@pytest.mark.slow  # three builds in fresh Pythons; test_an_interrupted_build_resumes_... is the fast check
def test_resume_after_kill_9_reuses_the_finished_shards_and_gives_the_same_index(
    tmp_path: Path, tiny_index: Path
):
    out = tmp_path / "resumed"
    proc = subprocess.Popen(_build_cmd(out, 2, 25), stderr=subprocess.PIPE)
    work = work_folder(out.resolve())
    deadline = time.time() + 120
    while len(list(work.glob("shard-*.json"))) < 3:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()  # nothing half-written at --out
    done_before = len(list(work.glob("shard-*.json")))
    result = subprocess.run(_build_cmd(out, 2, 25), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    reused = re.search(r"(\d+) shards: (\d+) finished earlier and reused", result.stderr)
    assert reused and int(reused.group(2)) == done_before < int(reused.group(1)), result.stderr
    assert not work.exists()
    reference = tmp_path / "reference"
    assert subprocess.run(_build_cmd(reference, 2, 25), capture_output=True, check=False).returncode == 0
    assert_same_index(out, reference)
    # and the same content as the session index built in one go with the default shard size
    np.testing.assert_allclose(_vectors(out), _vectors(tiny_index), atol=1e-5)


class CountingBackend(FakeBackend):
    """The fake backend's vectors and spec, counting the sentences it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.sentences = 0

    def _embed_words(self, batch: list[list[str]]) -> list[np.ndarray]:
        self.sentences += len(batch)
        return super()._embed_words(batch)


def _document(number: int, sentences: int = 2, word: str = "He") -> tuple[str, str]:
    """One <text> of `sentences` annotated sentences and its key lines."""
    xml, keys = [f'<text id="d{number:03d}">'], []
    for s in range(sentences):
        sid = f"d{number:03d}.s{s:03d}"
        xml += [
            f'<sentence id="{sid}">',
            f'<wf lemma="he" pos="PRON">{word}</wf>',
            f'<instance id="{sid}.t000" lemma="sit" pos="VERB">sat</instance>',
            '<wf lemma="on" pos="ADP">on</wf>',
            f'<wf lemma="page" pos="NOUN">page {number} {s}</wf>',
            f'<instance id="{sid}.t001" lemma="bank" pos="NOUN">bank</instance>',
            "</sentence>",
        ]
        keys += [f"{sid}.t000 sit%2:35:00::", f"{sid}.t001 bank%1:17:01::"]
    return "\n".join([*xml, "</text>"]), "\n".join(keys)


def _write_corpus(folder: Path, documents: list[tuple[str, str]]) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    xml, keys = folder / "c.data.xml", folder / "c.gold.key.txt"
    body = "\n".join(d[0] for d in documents)
    xml.write_text(f'<?xml version="1.0" encoding="UTF-8" ?>\n<corpus lang="en">\n{body}\n</corpus>\n')
    keys.write_text("\n".join(d[1] for d in documents) + "\n")
    return xml, keys


def test_a_corrected_or_extended_corpus_embeds_only_changed_shards_and_matches_a_build_in_one_go(
    tmp_path: Path, fake_backend
):
    backend = CountingBackend()
    corpus = tmp_path / "corpus"
    out = tmp_path / "pieces" / "idx"

    def build(documents: list[tuple[str, str]], **options) -> int:
        """Sentences embedded by one build of `documents` into `out`, shards of 4 sentences kept."""
        before = backend.sentences
        settings = BuildSettings(*_write_corpus(corpus, documents), out=out, shard_sentences=4, name="idx")
        build_index(backend, settings, progress=False, keep_shards=True, **options)
        return backend.sentences - before

    documents = [_document(n) for n in range(5)]  # shards: d0+d1, d2+d3, d4
    assert build(documents) == 10
    documents[3] = _document(3, word="She")  # one word of a late document
    assert build(documents) == 4  # only the shard of d2+d3
    documents.append(_document(5))  # a new document joins the last shard: d4+d5
    assert build(documents) == 4
    assert build(documents) == 0  # nothing changed: nothing embedded, the index written again
    assert len(list(work_folder(out).glob("shard-*.json"))) == 3  # the stale shards were dropped

    one_go = tmp_path / "one-go" / "idx"
    build_index(
        CountingBackend(),
        BuildSettings(
            corpus / "c.data.xml", corpus / "c.gold.key.txt", out=one_go, shard_sentences=4, name="idx"
        ),
        progress=False,
    )
    assert_same_index(out, one_go)
    assert build(documents, fresh=True) == 12


class InterruptedBackend(FakeBackend):
    """The fake backend, interrupted (as by Ctrl-C) when asked for more than `left` sentences."""

    def __init__(self, left: int) -> None:
        super().__init__()
        self.left = left

    def _embed_words(self, batch: list[list[str]]) -> list[np.ndarray]:
        if len(batch) > self.left:
            raise KeyboardInterrupt
        self.left -= len(batch)
        return super()._embed_words(batch)


def test_an_interrupted_build_resumes_from_its_finished_shards_and_gives_the_same_index(
    tmp_path: Path, caplog
):
    corpus = _write_corpus(tmp_path / "corpus", [_document(n) for n in range(5)])  # shards: d0+d1, d2+d3, d4
    out = tmp_path / "resumed" / "idx"
    settings = BuildSettings(*corpus, out=out, shard_sentences=4, name="idx")
    with pytest.raises(KeyboardInterrupt):
        build_index(InterruptedBackend(left=4), settings, progress=False)  # stopped in the second shard
    assert not out.exists()  # nothing half-written at --out
    assert len(list(work_folder(out.resolve()).glob("shard-*.json"))) == 1
    backend = CountingBackend()
    with caplog.at_level(logging.INFO, logger="index_builder"):
        build_index(backend, settings, progress=False)
    assert "3 shards: 1 finished earlier and reused" in caplog.text and backend.sentences == 6
    assert not work_folder(out.resolve()).exists()
    one_go = BuildSettings(*corpus, out=tmp_path / "one-go" / "idx", shard_sentences=4, name="idx")
    assert_same_index(out, build_index(CountingBackend(), one_go, progress=False))


def test_a_corpus_with_problems_is_refused_before_any_embedding(tmp_path: Path, fake_backend):
    backend = CountingBackend()
    xml, keys = _write_corpus(tmp_path / "corpus", [_document(0), _document(1)])
    xml.write_text(xml.read_text().replace('lemma="bank"', 'lemma="bank"s"'))
    out = tmp_path / "idx"
    with pytest.raises(CorpusProblems, match="malformed XML"):
        build_index(backend, BuildSettings(xml, keys, out=out), progress=False)
    assert backend.sentences == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # no work folder, no index


def test_stale_files_in_the_work_folder_are_dropped_with_a_log_line(tmp_path: Path, fake_backend, caplog):
    out = tmp_path / "idx"
    work = work_folder(out.resolve())
    work.mkdir(parents=True)
    (work / "state.json").write_text(json.dumps({"fingerprint": "an older build"}))
    (work / "shard-00000.npy").write_bytes(b"")
    (work / "shard-00000.json").write_text("{}")
    with caplog.at_level(logging.INFO, logger="index_builder"):
        build_index(
            fake_backend,
            BuildSettings(*_write_corpus(tmp_path / "c", [_document(0)]), out=out),
            progress=False,
        )
    assert f"dropped 3 stale files from {work}" in caplog.text
    assert IndexFolder(out).size == 4 and not work.exists()


def test_out_over_an_existing_index_is_safe(tmp_path: Path, fake_backend, small_corpus, tiny_index: Path):
    out = tmp_path / "idx"
    shutil.copytree(tiny_index, out)
    first = IndexFolder(out).manifest["counts"]["instances"]
    # a failing build (bad corpus) leaves the old index untouched and valid
    xml, keys = small_corpus
    xml.write_text(xml.read_text().replace("</corpus>", ""))
    with pytest.raises(CorpusError):
        build_index(fake_backend, BuildSettings(xml, keys, out=out), progress=False)
    assert IndexFolder(out).manifest["counts"]["instances"] == first
    # a successful one replaces it whole, leaving no temporary folders behind
    xml.write_text(xml.read_text() + "</corpus>\n")
    build_index(fake_backend, BuildSettings(xml, keys, out=out), progress=False)
    assert IndexFolder(out).manifest["counts"]["instances"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["idx", "tiny.data.xml", "tiny.gold.key.txt"])


def test_out_refuses_to_replace_a_folder_that_is_not_an_index(tmp_path: Path, fake_backend, small_corpus):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(IndexFolderError, match="not an index folder"):
        build_index(fake_backend, BuildSettings(*small_corpus, out=out), progress=False)
    assert (out / "notes.txt").read_text() == "keep me"


def test_evidence_corpora_are_built_after_the_corpus(tmp_path: Path, fake_backend, small_corpus, capsys):
    from index_builder.cli import main
    from index_builder.corpus_writer import write_corpus
    from index_builder.evidence import wordnet_examples
    from index_builder.inventory import wordnet

    bank = [wordnet().synset("bank.n.01"), wordnet().synset("bank.v.01")]
    evidence = tmp_path / "wn.data.xml", tmp_path / "wn.gold.key.txt"
    write_corpus(wordnet_examples(synsets=bank), *evidence, source="wordnet-examples")
    out = build_index(
        fake_backend, BuildSettings(*small_corpus, out=tmp_path / "idx", extra=(evidence,)), progress=False
    )
    opened = IndexFolder(out)
    ids = list(opened.instance_ids())
    assert {i.split(".")[0] for i in ids} == {"d000", "d001", "wn"} and len(ids) == opened.size
    assert set(opened.manifest["corpus"]["files"]) == {p.name for p in (*small_corpus, *evidence)}
    assert main(["info", str(out)]) == 0
    assert "wordnet-examples" in capsys.readouterr().out
