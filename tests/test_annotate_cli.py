"""`wsd annotate`: JSON lines, and the framework's XML + keys that the corpus reader and the builder read
back."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from index_builder.corpus import read_corpus
from wsd_service.annotate import annotate_text
from wsd_service.cli import main

TEXT = (
    "The jury said the election was conducted well.\n\n"
    "Children love ice cream & cake <at> \x01 parties. Of course she gave up smoking.\n"
)


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "story.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_json_lines_one_sentence_a_line(tiny_index, text_file, tmp_path, capsys):
    out = tmp_path / "story.jsonl"
    assert main(["annotate", str(text_file), "--index", str(tiny_index), "--out", str(out), "--k", "3"]) == 0
    assert "annotated 3 sentences" in capsys.readouterr().err
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["d000.s000", "d001.s000", "d001.s001"]
    for line in lines:
        assert TEXT[line["start"] : line["end"]] == line["text"]
        for token in line["tokens"]:
            assert TEXT[token["start"] : token["end"]] == token["text"]
            assert set(token) >= {"index", "lemma", "pos"}
            if "sense" in token:
                assert token["pos"] in ("NOUN", "VERB", "ADJ", "ADV") and token["method"] in (
                    "knn",
                    "backoff",
                )
                assert token["sense"]["id"].startswith("wn:") and 0 <= token["confidence"] <= 1
    jury = lines[0]["tokens"][1]
    assert (jury["text"], jury["lemma"], jury["sense"]["key"][:6]) == ("jury", "jury", "jury%1")


def test_standard_input_to_standard_output(tiny_index, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("She runs a small bakery downtown."))
    assert main(["annotate", "-", "--index", str(tiny_index)]) == 0
    captured = capsys.readouterr()
    (line,) = captured.out.splitlines()
    runs = json.loads(line)["tokens"][1]
    assert (runs["lemma"], runs["pos"]) == ("run", "VERB") and "standard output" in captured.err


def test_xml_and_keys_are_a_corpus_the_reader_and_builder_take_back(
    tiny_index, tiny_disambiguator, text_file, tmp_path, capsys
):
    prefix = tmp_path / "story"
    assert (
        main(
            ["annotate", str(text_file), "--index", str(tiny_index), "--format", "xml", "--out", str(prefix)]
        )
        == 0
    )
    xml, keys = Path(f"{prefix}.data.xml"), Path(f"{prefix}.gold.key.txt")
    sentences = list(read_corpus(xml, keys))
    annotated = list(annotate_text(tiny_disambiguator, TEXT))
    assert [s.id for s in sentences] == [a.id for a in annotated]
    assert [s.doc_id for s in sentences] == ["d000", "d001", "d001"]
    for sentence, expected in zip(sentences, annotated, strict=True):
        assert sentence.words == [t.text.replace("\x01", "\ufffd") for t in expected.sentence.tokens]
        assert [(i.id, i.lemma, i.pos, i.keys) for i in sentence.instances] == [
            (instance_id, token.lemma, token.pos, (answer.sense.key,))
            for instance_id, token, answer in expected.instances()
        ]
        assert [sentence.words[i.position] for i in sentence.instances] == [
            token.text for _, token, _ in expected.instances()
        ]
    words = [w for s in sentences for w in s.words]
    assert {"ice cream", "&", "<", "\ufffd"} <= set(words)  # escaped, and a control character replaced
    assert main(["annotate", str(text_file), "--index", str(tiny_index), "--format", "xml"]) == 2
    assert "--format xml needs --out" in capsys.readouterr().err

    from index_builder.cli import main as index_builder

    assert (
        index_builder(
            [
                "build",
                "--backend",
                "fake",
                "--corpus",
                str(xml),
                "--keys",
                str(keys),
                "--out",
                str(tmp_path / "from-annotation"),
            ]
        )
        == 0
    )
    manifest = json.loads((tmp_path / "from-annotation" / "manifest.json").read_text())
    assert manifest["counts"]["instances"] == sum(len(s.instances) for s in sentences)


def test_a_missing_file_is_a_one_line_error(tiny_index, tmp_path, capsys):
    assert main(["annotate", str(tmp_path / "nothing.txt"), "--index", str(tiny_index)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wsd: error: cannot read") and len(err.strip().splitlines()) == 1
