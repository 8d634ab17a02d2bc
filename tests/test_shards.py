from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index_builder.index_folder import SentenceRecord, VectorRecord
from index_builder.shards import IndexBuildError, ShardMeta, TokenTag, WorkFolder, plan_shards
from index_builder.validate import Piece

SALT = {"backend": {"backend": "bert"}, "batch": 32}


def _pieces(*sizes: int) -> list[Piece]:
    return [Piece(f"digest-{n}-{size}", size, 2 * size) for n, size in enumerate(sizes)]


def test_pieces_are_packed_in_order_up_to_the_shard_size():
    plans = plan_shards(_pieces(2, 2, 2, 5, 1), 4, SALT)
    assert [(p.sentences, p.instances) for p in plans] == [(4, 8), (2, 4), (5, 10), (1, 2)]
    assert len({p.fingerprint for p in plans}) == 4


def test_a_fingerprint_depends_on_its_own_pieces_and_the_settings_only():
    plans = plan_shards(_pieces(2, 2, 2, 5, 1), 4, SALT)
    changed = _pieces(2, 2, 2, 5, 1)
    changed[4] = Piece("another", 1, 2)
    appended = _pieces(2, 2, 2, 5, 1, 3)
    assert [p.fingerprint for p in plan_shards(changed, 4, SALT)][:3] == [p.fingerprint for p in plans][:3]
    assert plan_shards(changed, 4, SALT)[3] != plans[3]
    assert plan_shards(appended, 4, SALT)[:3] == plans[:3]  # the new piece joins the last shard
    other_backend = {**SALT, "backend": {"backend": "flair"}}
    assert not {p.fingerprint for p in plan_shards(_pieces(2, 2, 2, 5, 1), 4, other_backend)} & {
        p.fingerprint for p in plans
    }


def test_shard_metadata_is_json_with_named_fields_and_reads_back(tmp_path: Path):
    meta = ShardMeta(
        [SentenceRecord("d0.s0", "He sat")],
        [VectorRecord("d0.s0.t1", "d0.s0", "sit", "VERB", ("sit%2:35:00::",), (3, 6))],
        {TokenTag("sat", "sit", "VERB"): 1},
    )
    assert b'"instance_id": "d0.s0.t1"' in meta.to_json() and b'"word": "sat"' in meta.to_json()
    assert ShardMeta.from_json(meta.to_json()) == meta
    work = WorkFolder(tmp_path / "work")
    [plan] = plan_shards([Piece("x", 1, 1)], 10, SALT)
    work.prepare([plan], fresh=False)
    assert not work.is_complete(plan)
    work.save(plan, np.ones((1, 2), np.float32), meta)
    assert work.is_complete(plan) and work.meta(plan) == meta
    [other] = plan_shards([Piece("x", 1, 3)], 10, SALT)  # same name would need the same content
    work.save(other, np.ones((1, 2), np.float32), meta)
    with pytest.raises(IndexBuildError, match="1 records, the corpus has 3 instances there"):
        work.meta(other)
