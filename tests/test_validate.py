from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from index_builder.cli import main
from index_builder.corpus import CorpusError
from index_builder.validate import MAX_PROBLEMS, CorpusProblems, validate_corpus
from tests.conftest import SMALL_KEYS, SMALL_XML


def _write(tmp_path: Path, xml: str, keys: str = SMALL_KEYS) -> tuple[Path, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    paths = tmp_path / "c.data.xml", tmp_path / "c.gold.key.txt"
    paths[0].write_text(xml, encoding="utf-8")
    paths[1].write_text(keys, encoding="utf-8")
    return paths


def _problems(tmp_path: Path, xml: str = SMALL_XML, keys: str = SMALL_KEYS) -> list[str]:
    with pytest.raises(CorpusProblems) as caught:
        validate_corpus(*_write(tmp_path, xml, keys))
    assert caught.value.total == len(caught.value.problems)
    return [str(p) for p in caught.value.problems]


def _lines_of(text: str, fragment: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]


def test_a_valid_corpus_gives_its_counts_and_one_piece_per_document(small_corpus):
    summary = validate_corpus(*small_corpus)
    assert (summary.documents, summary.sentences, summary.instances) == (2, 3, 5)
    assert [(p.sentences, p.instances) for p in summary.pieces] == [(2, 3), (1, 2)]
    assert summary.pieces[0].digest != summary.pieces[1].digest


def test_a_long_document_is_cut_into_pieces(small_corpus):
    pieces = validate_corpus(*small_corpus, piece_sentences=1).pieces
    assert [(p.sentences, p.instances) for p in pieces] == [(1, 2), (1, 1), (1, 2)]


def test_limit_docs_reads_the_first_documents_only(small_corpus):
    summary = validate_corpus(*small_corpus, limit_docs=1)
    assert (summary.documents, summary.sentences, summary.instances) == (1, 2, 3)


def test_unescaped_quote_inside_an_attribute_is_reported_with_its_line(tmp_path: Path):
    xml = SMALL_XML.replace('lemma="close"', 'lemma="clo"se"')
    [problem] = _problems(tmp_path, xml)
    [line] = _lines_of(xml, "clo")
    column = xml.splitlines()[line - 1].index('se"') + 1  # where the attribute value has already ended
    where = f"{tmp_path / 'c.data.xml'}:{line}"
    assert problem.startswith(f"{where}: malformed XML at column {column}: not well-formed")
    assert "&quot;" in problem  # says how to fix it


def test_every_problem_is_reported_at_once(tmp_path: Path):
    xml = (
        SMALL_XML.replace('id="d000.s001.t000"', 'id="d000.s000.t000"')  # duplicate instance id
        .replace('<sentence id="d001.s000">', '<sentence id="d000.s001">')  # duplicate sentence id
        .replace('lemma="sit" pos="VERB"', 'pos="VERB"')  # no lemma
        .replace("</text>\n</corpus>", '<sentence id="d001.s001">\n</sentence>\n</text>\n</corpus>')  # empty
    )
    keys = SMALL_KEYS.replace("close%2:41:00::", "close%2:99:99::")  # not in WordNet
    keys = keys.replace("d001.s000.t000 bank%1:14:00:: bank%1:06:00::\n", "")  # an instance without a key
    problems = _problems(tmp_path, xml, keys)
    corpus, key_file = tmp_path / "c.data.xml", tmp_path / "c.gold.key.txt"
    second_sentence = _lines_of(xml, 'sentence id="d000.s001"')[1]
    sat, took_place = _lines_of(xml, ">sat<")[0], _lines_of(xml, "took place")[0]
    expected = [  # the corpus's problems in line order, then the key file's
        f"{corpus}:{sat}: instance d000.s000.t000 has no lemma",
        # the repeated id's key was handed to its first use: not also "no line in the key file"
        f"{corpus}:{took_place}: instance id d000.s000.t000 is used twice (also on line {sat})",
        f"{corpus}:{second_sentence}: sentence id d000.s001 is used twice",
        f"{corpus}:{_lines_of(xml, '>bank<')[1]}: instance d001.s000.t000 has no line in the key file",
        f"{corpus}:{_lines_of(xml, 'd001.s001')[0]}: sentence d001.s001 has no words",
        f"{key_file}:3: instance d000.s001.t000 is not in c.data.xml",
        f"{key_file}:4: sense key 'close%2:99:99::' of instance d001.s000.t001 is not in WordNet 3.0",
    ]
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), (problem, start)


def test_key_file_problems_name_their_lines(tmp_path: Path):
    keys = SMALL_KEYS + "d000.s000.t000 sit%2:35:00::\nd009.s000.t000 bank%1:17:01::\nd000.s000.t001\n"
    problems = _problems(tmp_path, keys=keys)
    key_path = tmp_path / "c.gold.key.txt"
    assert f"{key_path}:6: instance d000.s000.t000 is listed twice (also on line 1)" in problems[0]
    assert f"{key_path}:7: instance d009.s000.t000 is not in c.data.xml" in problems[1]
    assert f"{key_path}:8: instance d000.s000.t001 has no sense key" in problems[2]
    assert len(problems) == 3


def test_many_problems_are_listed_up_to_a_limit_and_counted(tmp_path: Path):
    keys = "\n".join(f"{line.split()[0]} bad%1:00:00::" for line in SMALL_KEYS.splitlines()) * 5
    with pytest.raises(CorpusProblems) as caught:
        validate_corpus(*_write(tmp_path, SMALL_XML, keys.replace("::d", "::\nd")))
    assert caught.value.total > MAX_PROBLEMS == len(caught.value.problems)
    assert str(caught.value).splitlines()[-1] == f"  ... and {caught.value.total - MAX_PROBLEMS} more"


def test_a_missing_key_file_is_refused_before_the_corpus_is_read(tmp_path: Path):
    corpus, keys = _write(tmp_path, SMALL_XML)
    keys.unlink()
    with pytest.raises(CorpusError, match="c.gold.key.txt: key file not found"):
        validate_corpus(corpus, keys, limit_docs=0)  # not one instance read


def test_a_key_file_in_another_order_gives_the_same_summary(tmp_path: Path):
    in_order = validate_corpus(*_write(tmp_path, SMALL_XML))
    reversed_keys = "\n".join(reversed(SMALL_KEYS.splitlines())) + "\n"
    assert validate_corpus(*_write(tmp_path, SMALL_XML, reversed_keys)) == in_order


def _synthetic(tmp_path: Path, sentences: int) -> tuple[Path, Path]:
    """`sentences` sentences of four instances each, 50 to a document, keys in corpus order."""
    xml, keys = ['<?xml version="1.0"?>\n<corpus lang="en">'], []
    for s in range(sentences):
        if s % 50 == 0:
            xml.append(("</text>\n" if s else "") + f'<text id="d{s}">')
        xml.append(f'<sentence id="d0.s{s}">')
        for t in range(4):
            xml.append(f'<instance id="d0.s{s}.t{t}" lemma="bank" pos="NOUN">bank</instance>')
            keys.append(f"d0.s{s}.t{t} bank%1:14:00::")
        xml.append("</sentence>")
    xml.append("</text>\n</corpus>")
    return _write(tmp_path / str(sentences), "\n".join(xml) + "\n", "\n".join(keys) + "\n")


def test_the_check_keeps_ids_as_hashes_only(tmp_path: Path):
    """Memory grows by a few bytes per instance: four times the corpus costs well under 1 MB more (dicts of
    the ids and key lines, as before, cost about 3 MB more)."""

    def peak(sentences: int) -> int:
        paths = _synthetic(tmp_path, sentences)
        tracemalloc.start()
        validate_corpus(*paths)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak(500)  # loads WordNet's sense keys once
    assert peak(2000) - peak(500) < 2**20


def test_a_piece_digest_changes_with_its_own_content_only(tmp_path: Path):
    def digests(xml: str, keys: str = SMALL_KEYS) -> list[str]:
        return [p.digest for p in validate_corpus(*_write(tmp_path, xml, keys)).pieces]

    first, second = digests(SMALL_XML)
    edited = digests(SMALL_XML.replace(">closed<", ">shut<"))  # one word of the second document
    assert edited[0] == first and edited[1] != second
    assert digests(SMALL_XML.replace(">sat<", ">sits<"))[1] == second
    assert digests(SMALL_XML, SMALL_KEYS.replace(" bank%1:06:00::", ""))[1] != second  # keys are content
    appended = SMALL_XML.replace(
        "</corpus>",
        '<text id="d002">\n<sentence id="d002.s000">\n'
        '<wf lemma="hi" pos="X">hi</wf>\n</sentence>\n</text>\n</corpus>',
    )
    assert digests(appended)[:2] == [first, second]


def test_check_command_prints_counts_or_every_problem(tmp_path: Path, small_corpus, capsys):
    xml, keys = small_corpus
    assert main(["check", "--corpus", str(xml), "--keys", str(keys)]) == 0
    assert "OK, 2 documents, 3 sentences, 5 instances" in capsys.readouterr().out
    xml.write_text(SMALL_XML.replace(">took place<", "><"))
    keys.write_text(SMALL_KEYS.replace("sit%2:35:00::", "sit%9:00:00::"))
    assert main(["check", "--corpus", str(xml), "--keys", str(keys)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "index-builder: error: the corpus has 1 problem; nothing was embedded. Fix these:"
    assert "sit%9:00:00::" in err[1] and len(err) == 2
