from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index_builder.cli import main
from index_builder.index_folder import IndexFolder, verify, write_tuned


@pytest.mark.slow
def test_compact_copies_are_smaller_verified_and_agree(bert_tiny_index: Path, tmp_path: Path):
    tiny_index = bert_tiny_index  # real vectors: the fake backend gives identical ones to repeated contexts
    full = IndexFolder(tiny_index)
    group = full.groups[("say", "VERB")]
    queries = full.group_vectors(group)[:5]
    want = full.search(group, queries, 5)[1]
    for vector_type, max_ratio in (("float16", 0.55), ("int8", 0.3)):
        out = tmp_path / vector_type
        assert main(["compact", str(tiny_index), "--out", str(out), "--vector-type", vector_type]) == 0
        manifest = verify(out)
        assert manifest["vector_type"] == vector_type
        assert manifest["counts"] == full.manifest["counts"]
        size = (out / "vectors.faiss").stat().st_size
        assert size < max_ratio * (tiny_index / "vectors.faiss").stat().st_size
        small = IndexFolder(out)
        got = small.search(group, queries, 5)[1]
        assert (got[:, 0] == want[:, 0]).all()  # each vector still finds itself first
        assert np.abs(small.group_vectors(group) - full.group_vectors(group)).max() < 0.02


def test_compact_of_a_missing_index_is_one_line(tmp_path: Path, capsys):
    assert (
        main(["compact", str(tmp_path / "nope"), "--out", str(tmp_path / "x"), "--vector-type", "int8"]) == 2
    )
    assert "no such directory" in capsys.readouterr().err


def test_a_compacted_manifest_names_its_source_without_a_path(tiny_index: Path, tmp_path: Path):
    out = tmp_path / "small"
    assert main(["compact", str(tiny_index), "--out", str(out), "--vector-type", "float16"]) == 0
    build = verify(out)["build"]
    assert build["compacted_from"] == "tiny" and str(tmp_path) not in json.dumps(verify(out))


def test_a_compacted_copy_serves_the_settings_tuned_for_its_source(tiny_index: Path, tmp_path: Path):
    source = tmp_path / "tuned"
    shutil.copytree(tiny_index, source)
    write_tuned(source, {"k": 3, "vote": "weighted"}, {"dataset": "semeval2007", "F1": 61.0})
    out = tmp_path / "small"
    assert main(["compact", str(source), "--out", str(out), "--vector-type", "int8"]) == 0
    verify(out)  # tuned.json is listed in the copy's manifest with its checksum
    tuned = IndexFolder(out).tuned
    assert tuned["settings"] == {"k": 3, "vote": "weighted"}
    assert tuned["chosen_by"]["tuned_on"] == "tiny" and tuned["chosen_by"]["F1"] == 61.0
