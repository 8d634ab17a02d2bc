"""The engines that embed a build's shards: the local loop, and Ray Data on a local Ray started by the build.

The Ray tests run the CLI in a subprocess under a timeout (a Ray that cannot schedule its tasks hangs
rather than fails); without Ray they are skipped, except under CI, where they fail."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index_builder.build import BuildSettings, build_index, work_folder
from index_builder.cli import main
from index_builder.corpus import read_corpus
from index_builder.engines import RayEngine, ShardSource
from index_builder.paths import semcor_paths
from index_builder.shards import IndexBuildError, ShardPlan
from tests.index_compare import assert_same_index

RAY_TIMEOUT_S = 300  # a Ray build of 2 documents: about 10 s on an idle 2-CPU machine, a minute under load


@pytest.fixture
def ray_installed() -> None:
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("CI"):
            pytest.fail("Ray is not installed; CI runs the Ray engine's tests: pip install -e '.[test,ray]'")
        pytest.skip("Ray is not installed (pip install -e '.[ray]')")


def _build_cmd(out: Path, engine: str) -> list[str]:
    options = f"--backend fake --engine {engine} --limit-docs 2 --shard-sentences 5 --name idx -q"
    return [sys.executable, "-m", "index_builder.cli", "-v", "build", "--out", str(out), *options.split()]


def _local_reference(folder: Path) -> Path:
    """The same index as `_build_cmd` gives, built in this process by the local engine."""
    from index_builder.backends import create_backend

    settings = BuildSettings(*semcor_paths(), out=folder, limit_docs=2, shard_sentences=5, name="idx")
    return build_index(create_backend("fake"), settings, progress=False)


def _engine(folder: Path) -> str:
    return json.loads((folder / "manifest.json").read_text())["build"]["engine"]


def _stop_group(proc: subprocess.Popen) -> None:
    """End a build started in a session of its own and every process it left: Ray's dashboard and
    runtime-env agents outlive a driver killed with SIGKILL, in the driver's process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # the group is gone: nothing left
        pass
    proc.wait()


def test_the_local_engine_is_the_default_and_is_recorded(tiny_index: Path):
    assert _engine(tiny_index) == "local"


def test_a_shard_source_reads_only_the_shards_to_embed_in_corpus_order(semcor_head):
    sentences = list(read_corpus(*semcor_head, limit_docs=1))
    plans = tuple(
        ShardPlan(f"p{n}", 10, sum(len(s.instances) for s in sentences[10 * n : 10 * n + 10]))
        for n in range(3)
    )
    source = ShardSource(((*semcor_head, 1),), plans, frozenset({"p0", "p2"}))
    read = list(source.read())
    assert [shard.plan.fingerprint for shard in read] == ["p0", "p2"]
    assert [s.id for s in read[1].sentences] == [s.id for s in sentences[20:30]]
    changed = ShardSource(
        ((*semcor_head, 1),), (ShardPlan("p0", 10, plans[0].instances + 1),), frozenset({"p0"})
    )
    with pytest.raises(IndexBuildError, match="corpus changed"):
        list(changed.read())


def test_a_local_ray_leaves_the_reader_a_cpu(ray_installed):
    engine = RayEngine(workers=3, threads=2)
    assert engine.cpus_per_worker == 2 and engine.local_cpus() >= 3 * 2 + 1


def test_without_ray_the_ray_engine_is_refused_in_one_line(tmp_path: Path, monkeypatch, capsys):
    real_find_spec = importlib.util.find_spec

    def find_spec_without_ray(name: str, *args):
        return None if name == "ray" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec_without_ray)
    out = tmp_path / "idx"
    assert (
        main(["build", "--backend", "fake", "--engine", "ray", "--out", str(out), "--limit-docs", "1"]) == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'wsd-service[ray]'" in err, err
    assert not out.exists() and not work_folder(out).exists()


def test_ray_options_need_the_ray_engine(tmp_path: Path, capsys):
    assert main(["build", "--backend", "fake", "--out", str(tmp_path / "idx"), "--workers", "2"]) == 2
    assert "need --engine ray" in capsys.readouterr().err


def _ray_build(out: Path) -> tuple[int, str]:
    """`_build_cmd(out, "ray")` run to the end, or stopped at the timeout: exit status and stderr."""
    proc = subprocess.Popen(_build_cmd(out, "ray"), stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=RAY_TIMEOUT_S)
    finally:
        _stop_group(proc)
    return proc.returncode, stderr


@pytest.mark.slow
def test_the_ray_engine_builds_the_local_engines_index_bit_for_bit(tmp_path: Path, ray_installed):
    out = tmp_path / "ray" / "idx"
    status, stderr = _ray_build(out)
    assert status == 0, stderr[-3000:]
    assert "starting a local Ray with" in stderr and not work_folder(out).exists()
    reference = _local_reference(tmp_path / "local" / "idx")
    assert_same_index(out, reference)
    assert (_engine(out), _engine(reference)) == ("ray", "local")


@pytest.mark.slow
def test_a_ray_build_killed_mid_way_resumes_from_its_saved_shards(tmp_path: Path, ray_installed):
    out = tmp_path / "idx"
    work = work_folder(out.resolve())
    log = tmp_path / "killed-build.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(_build_cmd(out, "ray"), stderr=stderr, start_new_session=True)
    try:
        deadline = time.monotonic() + RAY_TIMEOUT_S
        while not any(work.glob("shard-*.json")):
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no shard saved in time"
            time.sleep(0.02)
    finally:
        _stop_group(proc)
    assert not out.exists()  # nothing half-written at --out
    saved = len(list(work.glob("shard-*.json")))
    status, stderr = _ray_build(out)
    assert status == 0, stderr[-3000:]
    reused = re.search(r"(\d+) shards: (\d+) finished earlier and reused", stderr)
    assert reused and int(reused.group(2)) == saved, stderr[-3000:]
    assert_same_index(out, _local_reference(tmp_path / "local" / "idx"))
