from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index_builder.cli import main
from index_builder.index_folder import IndexFolder, IndexFolderError, verify


@pytest.fixture
def copy_of(tiny_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(tiny_index, target)
    return target


def test_info_prints_summary_and_verifies(tiny_index: Path, capsys):
    assert main(["info", str(tiny_index)]) == 0
    out = capsys.readouterr().out
    assert "checksums  OK" in out and '"backend": "fake"' in out
    build = IndexFolder(tiny_index).manifest["build"]["cost"]  # what the build cost is recorded and shown
    assert (
        build["embedded_sentences"] + build["reused_sentences"]
        == IndexFolder(tiny_index).manifest["counts"]["sentences"]
    )
    assert f"{build['embedded_sentences']} sentences embedded" in out and build["peak_rss_mb"] > 0


def _fails(folder: Path, capsys, message: str) -> None:
    assert main(["info", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_missing_file_is_refused(copy_of: Path, capsys):
    (copy_of / "metadata.sqlite").unlink()
    _fails(copy_of, capsys, "metadata.sqlite is missing")


def test_truncated_file_is_refused(copy_of: Path, capsys):
    path = copy_of / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:-100])
    _fails(copy_of, capsys, "vectors.faiss has")


def test_altered_byte_is_refused(copy_of: Path, capsys):
    path = copy_of / "vectors.faiss"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    _fails(copy_of, capsys, "does not match its checksum")


def test_bad_manifest_and_no_folder(copy_of: Path, tmp_path: Path, capsys):
    (copy_of / "manifest.json").write_text("{not json")
    _fails(copy_of, capsys, "not valid JSON")
    _fails(tmp_path / "nowhere", capsys, "no such directory")


def test_other_format_version_is_refused(copy_of: Path):
    manifest = json.loads((copy_of / "manifest.json").read_text())
    manifest["format_version"] = 99
    (copy_of / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexFolderError, match="format 99"):
        verify(copy_of)


def _edit_manifest(folder: Path, edit) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    edit(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


# Each edit of a real manifest and the one line that must refuse it (never a KeyError traceback).
BAD_MANIFESTS = {
    "no files at all": (lambda m: m.pop("files"), "manifest has no field 'files'"),
    "empty files": (lambda m: m.update(files={}), "manifest has no field 'files.vectors.faiss'"),
    "an entry removed": (lambda m: m["files"].pop("metadata.sqlite"), "no field 'files.metadata.sqlite'"),
    "an extra entry": (
        lambda m: m["files"].update({"x.bin": {"sha256": "0", "bytes": 0}}),
        "manifest lists 'x.bin', which is no file of this format",
    ),
    "entry without checksum": (
        lambda m: m["files"]["vectors.faiss"].pop("sha256"),
        "no field 'files.vectors.faiss.sha256'",
    ),
    "no dim": (lambda m: m.pop("dim"), "manifest has no field 'dim'"),
    "no backend": (lambda m: m.pop("backend"), "manifest has no field 'backend'"),
    "backend without name": (lambda m: m["backend"].pop("backend"), "no field 'backend.backend'"),
    "dim as text": (lambda m: m.update(dim="384"), "field 'dim' must be an integer, not \"384\""),
    "dim as boolean": (lambda m: m.update(dim=True), "field 'dim' must be an integer, not true"),
    "dim zero": (lambda m: m.update(dim=0), "field 'dim' must be positive"),
    "count as text": (lambda m: m["counts"].update(vectors="x"), "field 'counts.vectors' must be an integer"),
    "files as a list": (lambda m: m.update(files=[]), "field 'files' must be an object, not []"),
    "bytes as text": (
        lambda m: m["files"]["vectors.faiss"].update(bytes="1"),
        "field 'files.vectors.faiss.bytes' must be an integer",
    ),
    "unknown vector type": (lambda m: m.update(vector_type="f64"), "'vector_type' is 'f64', not one of"),
    "no build date": (lambda m: m["build"].pop("date"), "manifest has no field 'build.date'"),
}


@pytest.mark.parametrize("case", list(BAD_MANIFESTS))
def test_manifest_that_fails_its_schema_is_refused_in_one_line(copy_of: Path, capsys, case: str):
    edit, message = BAD_MANIFESTS[case]
    _edit_manifest(copy_of, edit)
    _fails(copy_of, capsys, message)
    with pytest.raises(IndexFolderError, match="manifest"):
        IndexFolder(copy_of, check=False)  # the schema is checked even without the checksums


def test_manifest_that_is_no_object_is_refused(copy_of: Path, capsys):
    (copy_of / "manifest.json").write_text("[1, 2]")
    _fails(copy_of, capsys, "manifest is not a JSON object")


def test_vectors_that_disagree_with_the_manifest_are_refused(copy_of: Path):
    _edit_manifest(copy_of, lambda m: m["counts"].update(vectors=m["counts"]["vectors"] + 1))
    with pytest.raises(IndexFolderError, match=r"vectors.faiss holds \d+ x 32 vectors, the manifest says"):
        IndexFolder(copy_of)


def test_manifest_records_what_the_issue_asks(tiny_index: Path):
    manifest = verify(tiny_index)
    for field in (
        "format_version",
        "backend",
        "dim",
        "metric",
        "vector_type",
        "corpus",
        "counts",
        "build",
        "files",
    ):
        assert field in manifest
    assert set(manifest["corpus"]["files"]) == {"semcor.data.xml.gz", "semcor.gold.key.txt.gz"}
    assert manifest["counts"]["lemmas"] <= manifest["counts"]["groups"]


def test_word_tags_and_derived_view(tiny_index: Path):
    opened = IndexFolder(tiny_index)
    tags = opened.word_tags("said")
    assert tags[0][:2] == ("say", "VERB")
    views = opened.derived({"half": lambda v: v[:, : v.shape[1] // 2], "all": lambda v: v})
    half, whole = views["half"], views["all"]
    assert half.dim == opened.dim // 2 and half.name == "half" and whole.dim == opened.dim
    group = opened.groups[("say", "VERB")]
    assert np.allclose(np.linalg.norm(half.group_vectors(group), axis=1), 1.0, atol=1e-5)
    assert np.allclose(whole.group_vectors(group), opened.group_vectors(group), atol=1e-6)


def test_build_cli_errors_are_one_line(tmp_path: Path, small_corpus, capsys):
    corpus = ["--corpus", str(small_corpus[0]), "--keys", str(small_corpus[1])]  # checked before the backend
    assert main(["build", "--backend", "nope", "--out", str(tmp_path / "x"), *corpus]) == 2
    assert "unknown backend 'nope'" in capsys.readouterr().err
    assert main(["build", "--backend", "bert", "--out", str(tmp_path / "x"), "--corpus", "a.xml"]) == 2
    assert "--corpus and --keys go together" in capsys.readouterr().err
    lemmas = ["--evidence-lemmas", str(tmp_path / "lemmas.txt")]
    assert main(["build", "--backend", "fake", "--out", str(tmp_path / "x"), *corpus, *lemmas]) == 2
    assert "name the sources too" in capsys.readouterr().err
    assert (
        main(
            [
                "build",
                "--backend",
                "fake",
                "--out",
                str(tmp_path / "x"),
                *lemmas,
                "--evidence",
                "wordnet-glosses",
            ]
        )
        == 2
    )
    assert "cannot read the lemma list" in capsys.readouterr().err


def _plain_read(folder: Path):
    """The folder's FAISS index read into memory the ordinary way (no memory map)."""
    import faiss

    return faiss.read_index(str(folder / "vectors.faiss"))


def test_vectors_are_memory_mapped(tiny_index: Path):
    opened = IndexFolder(tiny_index)
    mapped = Path("/proc/self/maps").read_text()
    assert str((tiny_index / "vectors.faiss").resolve()) in mapped
    opened.close()


@pytest.mark.parametrize("vector_type", ["float32", "float16"])
def test_memory_mapped_vectors_search_like_a_plain_read(tiny_index: Path, tmp_path: Path, vector_type: str):
    import faiss

    folder = tiny_index
    if vector_type != "float32":
        folder = tmp_path / vector_type
        assert main(["compact", str(tiny_index), "--out", str(folder), "--vector-type", vector_type]) == 0
    opened, plain = IndexFolder(folder), _plain_read(folder)
    groups = sorted(opened.groups.values(), key=lambda g: -g.count)[:40]
    for group in groups:
        want_vectors = plain.reconstruct_n(group.first_id, group.count)
        np.testing.assert_array_equal(opened.group_vectors(group), want_vectors)
        queries = want_vectors[:3] + 0.01
        k = min(5, group.count)
        if vector_type == "float32":
            selector = faiss.SearchParameters(
                sel=faiss.IDSelectorRange(group.first_id, group.first_id + group.count)
            )
            want_sims, want_ids = plain.search(queries, k, params=selector)
        else:
            sims = queries @ want_vectors.T
            want_ids = np.argsort(-sims, axis=1, kind="stable")[:, :k] + group.first_id
            want_sims = np.take_along_axis(sims, want_ids - group.first_id, axis=1)
        got_sims, got_ids = opened.search(group, queries, k)
        np.testing.assert_array_equal(got_ids, want_ids)
        np.testing.assert_array_equal(got_sims, want_sims)
    ids = [0, opened.size - 1, opened.size // 2, 3]
    np.testing.assert_array_equal(opened.vectors(ids), np.stack([plain.reconstruct(i) for i in ids]))
