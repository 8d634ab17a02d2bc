"""`wsd serve` and `wsd query`: the real command in a subprocess for the end-to-end checks, in-process otherwise."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.server_process import free_port, serving
from wsd_service import loading
from wsd_service.cli import main

SENTENCE = "He sat on the bank of the river"


def _wsd(*args: str) -> list[str]:
    """The installed `wsd` command of this interpreter's environment (else `python -m`)."""
    script = Path(sys.executable).parent / "wsd"
    return [str(script), *args] if script.is_file() else [sys.executable, "-m", "wsd_service.cli", *args]


@pytest.fixture
def corrupted_index(tiny_index, tmp_path) -> Path:
    copy = tmp_path / "corrupted"
    shutil.copytree(tiny_index, copy)
    vectors = copy / "vectors.faiss"
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0xFF
    vectors.write_bytes(bytes(data))
    return copy


# -- end to end: the real server process (slow: each boots a Python with torch, spaCy and WordNet; the
# in-process tests below check the same app and the same refusal) -------------------------------------------


@pytest.mark.slow
def test_serve_answers_over_http(tiny_index):
    process, base = serving(_wsd("serve", "--index", str(tiny_index), "--threads", "1"))
    port = int(base.rsplit(":", 1)[1])
    try:
        answer = httpx.post(
            f"{base}/v1/disambiguate", json={"text": SENTENCE, "target": {"start": 14, "end": 18}}, timeout=30
        ).json()
        assert answer["target"]["token"] == "bank" and answer["sense"]["key"].startswith("bank%1:")
        assert "/static/app.js" in httpx.get(f"{base}/", timeout=10).text
        bad = httpx.post(
            f"{base}/v1/disambiguate", content=b"{", headers={"content-type": "application/json"}
        )
        assert bad.status_code == 400 and "not valid JSON" in bad.json()["detail"]
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert f"serving tiny on http://127.0.0.1:{port}/" in stderr
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_serve_refuses_a_corrupted_index(corrupted_index):
    result = subprocess.run(
        _wsd("serve", "--index", str(corrupted_index), "--port", str(free_port())),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("wsd: error: refusing to start:") and "vectors.faiss" in lines[0]
    assert "checksum" in lines[0]


# -- serve, in-process (uvicorn.run replaced) ---------------------------------------------------------------


@pytest.fixture
def no_uvicorn(monkeypatch) -> list:
    """Record what `wsd serve` would serve instead of serving it."""
    import uvicorn

    served: list = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append((app, options)))
    return served


def test_serve_answers_the_api_and_the_page_in_process(tiny_index, no_uvicorn, client_of, capsys):
    """The app `wsd serve` hands uvicorn, over HTTP in this process (the subprocess test does it on a port)."""
    assert main(["serve", "--index", str(tiny_index), "--threads", "1"]) == 0
    ((app, _),) = no_uvicorn
    assert "serving tiny on http://127.0.0.1:8000/" in capsys.readouterr().err
    http = client_of(app)
    answer = http.post("/v1/disambiguate", json={"text": SENTENCE, "target": {"start": 14, "end": 18}}).json()
    assert answer["target"]["token"] == "bank" and answer["sense"]["key"].startswith("bank%1:")
    assert "/static/app.js" in http.get("/").text
    bad = http.post("/v1/disambiguate", content=b"{", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["detail"]


def test_serve_refuses_a_corrupted_index_in_one_line(corrupted_index, no_uvicorn, capsys):
    assert main(["serve", "--index", str(corrupted_index)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert (
        line.startswith("wsd: error: refusing to start:") and "vectors.faiss" in line and "checksum" in line
    )
    assert not no_uvicorn


def test_serve_defaults_to_loopback(tiny_index, no_uvicorn):
    assert main(["serve", "--index", str(tiny_index), "--k", "3", "--vote", "majority"]) == 0
    ((app, options),) = no_uvicorn
    assert options["host"] == "127.0.0.1" and options["port"] == 8000
    settings = app.state.service.get(None).settings
    assert (settings.k, settings.vote) == (3, "majority")


def test_serve_refuses_duplicate_names(tiny_index, tmp_path, no_uvicorn, capsys):
    shutil.copytree(tiny_index, tmp_path / "again")
    assert main(["serve", "--index", str(tiny_index), "--index", str(tmp_path / "again")]) == 2
    assert "two indexes are named 'tiny'" in capsys.readouterr().err and not no_uvicorn


def test_serve_refuses_a_missing_index(tmp_path, no_uvicorn, capsys):
    assert main(["serve", "--index", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "no such index folder" in err and "--build-missing" in err and len(err.strip().splitlines()) == 1


def test_serve_build_missing_builds_then_serves(tiny_index, tmp_path, monkeypatch, no_uvicorn):
    built = []

    def fake_build(folder: Path, options: dict) -> None:  # the real one embeds all of SemCor
        built.append((folder, options))
        shutil.copytree(tiny_index, folder)

    monkeypatch.setattr(loading, "build_missing_index", fake_build)
    target = tmp_path / "new-index"
    assert main(["serve", "--index", str(target), "--build-missing", "--threads", "1"]) == 0
    assert built == [(target, {"threads": 1})]
    assert list(no_uvicorn[0][0].state.service.disambiguators) == ["tiny"]


# -- query ---------------------------------------------------------------------------------------------------


def test_query_prints_sense_and_marked_neighbors(tiny_index, capsys):
    assert main(["query", SENTENCE, "--word", "bank", "--index", str(tiny_index), "--k", "3"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "He sat on the [bank] of the river"
    assert "sense       bank%1:" in out and "gloss" in out and "confidence" in out and "method knn" in out
    neighbors = out.split("neighbors\n")[1].splitlines()
    assert len(neighbors) == 3 and all("[" in line and "bank" in line for line in neighbors)


def test_query_json(tiny_index, capsys):
    assert (
        main(["query", SENTENCE, "--word", "Bank", "--index", str(tiny_index), "--json", "--pos", "NOUN"])
        == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["target"] == {"index": 4, "token": "bank", "span": [14, 18]} and answer["pos"] == "NOUN"


@pytest.mark.parametrize(
    ("sentence", "word", "lemma", "pos"),
    [
        ("She runs a small bakery downtown.", "runs", "run", "VERB"),
        ("The hunter shot the deer at dawn.", "shot", "shoot", "VERB"),
        ("The key opened the old wooden door.", "key", "key", "NOUN"),
    ],
)
def test_query_takes_lemma_and_pos_from_the_sentence(tiny_index, capsys, sentence, word, lemma, pos):
    assert main(["query", sentence, "--word", word, "--index", str(tiny_index), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["target"]["token"], answer["lemma"], answer["pos"]) == (word, lemma, pos)
    assert (
        main(["query", sentence, "--word", word, "--index", str(tiny_index), "--json", "--pos", "ADJ"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["pos"] == "ADJ"  # an explicit POS wins


def test_query_unknown_word_has_no_sense(tiny_index, capsys):
    assert main(["query", "A zqxvbn here", "--word", "zqxvbn", "--index", str(tiny_index)]) == 0
    assert "sense       none: WordNet has no sense for 'zqxvbn'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--word", "banks"], "'banks' is not a word of the sentence"),
        (["--word", "bank", "--occurrence", "2"], "occurs 1 time(s)"),
        (["--word", "bank", "--k", "0"], "k: Input should be greater than or equal to 1"),
        (["--word", "bank", "--index", "does/not/exist"], "no such index folder"),
    ],
)
def test_query_errors_are_one_line(tiny_index, capsys, args, message):
    argv = ["query", SENTENCE, "--index", str(tiny_index), *args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and err.startswith("wsd: error:")


def test_query_default_index_is_relative_to_the_current_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["query", SENTENCE, "--word", "bank"]) == 2
    err = capsys.readouterr().err  # the default index, and how to build it
    assert (
        "indexes/minilm-wordnet: no such index folder" in err
        and "--evidence wordnet-examples,wordnet-glosses" in err
    )


def test_serve_refuses_a_bad_backend_option(small_corpus, tmp_path, no_uvicorn, capsys):
    from index_builder.backends import create_backend
    from index_builder.build import BuildSettings, build_index

    folder = build_index(
        create_backend("fake"), BuildSettings(*small_corpus, out=tmp_path / "fake"), progress=False
    )
    assert main(["serve", "--index", str(folder), "--batch-size", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wsd: error: refusing to start: fake: batch_size") and not no_uvicorn


def test_serve_batching_flags(tiny_index, no_uvicorn):
    assert (
        main(["serve", "--index", str(tiny_index), "--batch-max-items", "4", "--batch-wait-ms", "0.5"]) == 0
    )
    ((app, _),) = no_uvicorn
    assert (app.state.batcher.settings.max_items, app.state.batcher.settings.wait_ms) == (4, 0.5)


def test_serve_refuses_bad_batching_flags(tiny_index, no_uvicorn, capsys):
    assert main(["serve", "--index", str(tiny_index), "--batch-max-items", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wsd: error: batch max items must be at least 1") and not no_uvicorn


@pytest.mark.slow
def test_serve_with_workers(tiny_index):
    import psutil

    process, base = serving(_wsd("serve", "--index", str(tiny_index), "--threads", "1", "--workers", "2"))
    try:
        workers = [p for p in psutil.Process(process.pid).children() if "spawn_main" in " ".join(p.cmdline())]
        assert len(workers) == 2
        for _ in range(4):
            answer = httpx.post(
                f"{base}/v1/disambiguate",
                json={"text": SENTENCE, "target": {"start": 14, "end": 18}},
                timeout=30,
            ).json()
            assert answer["target"]["token"] == "bank"
        vectors = str((tiny_index / "vectors.faiss").resolve())
        assert all(
            any(m.path == vectors for m in worker.memory_maps()) for worker in workers
        )  # mapped, not copied
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.pop("files"), "manifest has no field 'files'"),
        (lambda m: m.update(files={}), "manifest has no field 'files.vectors.faiss'"),
        (lambda m: m["files"].pop("metadata.sqlite"), "manifest has no field 'files.metadata.sqlite'"),
    ],
)
def test_serve_refuses_a_manifest_that_would_skip_a_check(
    tiny_index, tmp_path, no_uvicorn, capsys, edit, message
):
    copy = tmp_path / "edited"
    shutil.copytree(tiny_index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    edit(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    for command in (
        ["serve", "--index", str(copy)],
        ["query", SENTENCE, "--word", "bank", "--index", str(copy)],
    ):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith("wsd: error:") and message in err and len(err.strip().splitlines()) == 1
    assert not no_uvicorn
