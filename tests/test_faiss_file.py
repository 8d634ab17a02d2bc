from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from index_builder.index_folder.faiss_file import write_faiss_file
from index_builder.index_folder.format import normalise_rows

QUANTISERS = {"float16": faiss.ScalarQuantizer.QT_fp16, "int8": faiss.ScalarQuantizer.QT_8bit}


@pytest.mark.parametrize("vector_type", ["float32", "float16", "int8"])
def test_a_file_written_chunk_by_chunk_is_the_file_faiss_writes(tmp_path: Path, vector_type: str):
    vectors = normalise_rows(np.random.default_rng(7).normal(size=(45_001, 24)))
    if vector_type == "float32":
        empty = faiss.IndexFlatIP(24)
    else:
        empty = faiss.IndexScalarQuantizer(24, QUANTISERS[vector_type], faiss.METRIC_INNER_PRODUCT)
        empty.train(vectors[::7])
    whole = faiss.clone_index(empty)
    whole.add(vectors)
    faiss.write_index(whole, str(tmp_path / "whole.faiss"))
    chunks = (vectors[start : start + 20_000] for start in range(0, len(vectors), 20_000))
    write_faiss_file(tmp_path / "chunks.faiss", empty, len(vectors), chunks)
    assert (tmp_path / "chunks.faiss").read_bytes() == (tmp_path / "whole.faiss").read_bytes()
    assert faiss.read_index(str(tmp_path / "chunks.faiss")).ntotal == len(vectors)
