from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index_builder.build import BuildSettings, IndexBuildError, build_index, work_folder
from index_builder.corpus import CorpusError, read_corpus
from index_builder.index_folder import IndexFolder, IndexFolderError
from index_builder.paths import semcor_paths
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


def test_compact_float16_index_finds_the_same_neighbors(tmp_path: Path, bert_backend):
    out = tmp_path / "fp16"
    build_index(bert_backend, BuildSettings(*semcor_paths(), out=out, limit_docs=1, vector_type="float16"),
                progress=False)
    exact = tmp_path / "exact"
    build_index(bert_backend, BuildSettings(*semcor_paths(), out=exact, limit_docs=1), progress=False)
    small, full = IndexFolder(out), IndexFolder(exact)
    assert (out / "vectors.faiss").stat().st_size < 0.6 * (exact / "vectors.faiss").stat().st_size
    group = full.groups[("say", "VERB")]
    query = full.group_vectors(group)[3:4]
    assert list(small.search(group, query, 5)[1][0]) == list(full.search(group, query, 5)[1][0])


def test_two_builds_of_the_same_corpus_are_bit_identical(tmp_path: Path, bert_backend):
    folders = []
    for run in ("first", "second"):
        settings = BuildSettings(*semcor_paths(), out=tmp_path / run / "idx", limit_docs=1)
        folders.append(build_index(bert_backend, settings, progress=False))
    assert_same_index(*folders)


def _build_cmd(out: Path, limit_docs: int, shard: int) -> list[str]:
    return [sys.executable, "-m", "index_builder.cli", "build", "--backend", "bert", "--out", str(out),
            "--limit-docs", str(limit_docs), "--shard-sentences", str(shard), "-q"]


def _dump(folder: Path) -> tuple[np.ndarray, list]:
    opened = IndexFolder(folder)
    vectors = opened.vectors(range(opened.size))
    db = sqlite3.connect(folder / "metadata.sqlite")
    rows = [db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in ("vectors", "sentences", "groups")]
    return vectors, rows


@pytest.mark.slow
def test_resume_after_kill_9_gives_identical_index(tmp_path: Path, bert_tiny_index: Path):
    out = tmp_path / "resumed"
    proc = subprocess.Popen(_build_cmd(out, 2, 25), stderr=subprocess.PIPE)
    work = work_folder(out.resolve())
    deadline = time.time() + 120
    while not (work / "shard-00002.json").exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()  # nothing half-written at --out
    done_before = len(list(work.glob("shard-*.json")))
    assert done_before >= 3
    result = subprocess.run(_build_cmd(out, 2, 25), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert not work.exists()
    reference = tmp_path / "reference"
    assert subprocess.run(_build_cmd(reference, 2, 25), capture_output=True, check=False).returncode == 0
    got, want = _dump(out), _dump(reference)
    np.testing.assert_allclose(got[0], want[0], atol=1e-6)
    assert got[1] == want[1]
    # and the same content as the session index built in one go with the default shard size
    np.testing.assert_allclose(got[0], _dump(bert_tiny_index)[0], atol=1e-5)


def test_resume_refuses_a_work_folder_of_other_settings(tmp_path: Path, bert_backend):
    out = tmp_path / "idx"
    work = work_folder(out.resolve())
    work.mkdir(parents=True)
    (work / "state.json").write_text(json.dumps({"fingerprint": "something else"}))
    (work / "shard-00000.npy").write_bytes(b"")
    (work / "shard-00000.json").write_text("{}")
    with pytest.raises(IndexBuildError, match="other settings"):
        build_index(bert_backend, BuildSettings(*semcor_paths(), out=out, limit_docs=1), progress=False)


def test_out_over_an_existing_index_is_safe(tmp_path: Path, bert_backend, small_corpus):
    out = tmp_path / "idx"
    build_index(bert_backend, BuildSettings(*semcor_paths(), out=out, limit_docs=1), progress=False)
    first = IndexFolder(out).manifest["counts"]["instances"]
    # a failing build (bad corpus) leaves the old index untouched and valid
    xml, keys = small_corpus
    xml.write_text(xml.read_text().replace("</corpus>", ""))
    with pytest.raises(CorpusError):
        build_index(bert_backend, BuildSettings(xml, keys, out=out), progress=False)
    assert IndexFolder(out).manifest["counts"]["instances"] == first
    # a successful one replaces it whole, leaving no temporary folders behind
    xml.write_text(xml.read_text() + "</corpus>\n")
    build_index(bert_backend, BuildSettings(xml, keys, out=out), progress=False)
    assert IndexFolder(out).manifest["counts"]["instances"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["idx", "tiny.data.xml", "tiny.gold.key.txt"])


def test_out_refuses_to_replace_a_folder_that_is_not_an_index(tmp_path: Path, bert_backend, small_corpus):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(IndexFolderError, match="not an index folder"):
        build_index(bert_backend, BuildSettings(*small_corpus, out=out), progress=False)
    assert (out / "notes.txt").read_text() == "keep me"
