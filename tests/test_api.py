"""The REST API contract over a real tiny index (2 SemCor documents, the real MiniLM backend).

Long on purpose: the whole contract in one file, every endpoint's cases beside each other.
"""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from tests.conftest import _client

SENTENCE = "He sat on the bank of the river."
BANK = {"text": SENTENCE, "target": {"start": 14, "end": 18}}


def post(client, path: str, body) -> tuple[int, dict]:
    response = client.post(path, json=body)
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code, response.json()


# -- disambiguate ---------------------------------------------------------------------------------------


def test_text_and_span(client):
    status, answer = post(client, "/v1/disambiguate", BANK)
    assert status == 200
    assert answer["target"] == {"index": 4, "token": "bank", "span": [14, 18]}
    assert answer["tokens"] == ["He", "sat", "on", "the", "bank", "of", "the", "river", "."]
    assert (answer["lemma"], answer["pos"], answer["method"]) == ("bank", "NOUN", "knn")
    assert answer["sense"]["key"].startswith("bank%1:")
    assert set(answer["sense"]) >= {"key", "synset", "id", "gloss"}
    assert 0 < answer["confidence"] <= 1
    assert answer["sense"]["key"] in answer["votes"]
    assert 1 <= len(answer["neighbors"]) <= answer["k"]
    for n in answer["neighbors"]:
        start, end = n["span"]
        assert n["sentence"][start:end].lower().startswith("bank")
        assert set(n) >= {"sense_key", "gloss", "similarity", "sentence", "sentence_id", "instance_id"}
    sims = [n["similarity"] for n in answer["neighbors"]]
    assert sims == sorted(sims, reverse=True)
    trained = {c["key"]: c["train_count"] for c in answer["candidates"]}
    assert trained[answer["sense"]["key"]] > 0 and len(trained) > 1
    assert answer["index"] == "tiny" and "projection" not in answer


def test_tokens_and_index_give_the_same_answer(client):
    _, by_span = post(client, "/v1/disambiguate", BANK)
    status, by_index = post(client, "/v1/disambiguate", {"tokens": by_span["tokens"], "target": {"index": 4}})
    assert status == 200
    assert by_index["target"] == {"index": 4, "token": "bank", "span": None}
    assert by_index["sense"] == by_span["sense"] and by_index["votes"] == by_span["votes"]


def test_text_with_token_index(client):
    status, answer = post(client, "/v1/disambiguate", {"text": SENTENCE, "target": {"index": 4}})
    assert status == 200 and answer["target"]["span"] == [14, 18]


def test_a_span_inside_a_word_selects_it(client):
    status, answer = post(client, "/v1/disambiguate", {"text": SENTENCE, "target": {"start": 15, "end": 16}})
    assert status == 200 and answer["target"]["token"] == "bank"


def test_options_change_the_decision_path(client):
    _, k3 = post(client, "/v1/disambiguate", {**BANK, "k": 3, "vote": "majority"})
    assert k3["k"] == 3 and len(k3["neighbors"]) == 3
    assert all(v == int(v) for v in k3["votes"].values())  # majority counts
    _, centroid = post(client, "/v1/disambiguate", {**BANK, "mode": "centroid"})
    assert centroid["method"] == "centroid"
    _, verb = post(client, "/v1/disambiguate", {**BANK, "lemma": "bank", "pos": "VERB"})
    assert verb["pos"] == "VERB" and (verb["sense"] is None or "%2:" in verb["sense"]["key"])


def test_projection_places_query_and_neighbors(client):
    status, answer = post(client, "/v1/disambiguate", {**BANK, "projection": True})
    assert status == 200
    projection = answer["projection"]
    assert len(projection["query"]) == 2
    assert len(projection["neighbors"]) == len(answer["neighbors"])
    assert all(-1.0 <= c <= 1.0 for point in [projection["query"], *projection["neighbors"]] for c in point)


def test_unknown_word_is_an_answer_without_sense(client):
    status, answer = post(
        client, "/v1/disambiguate", {"text": "A zqxvbn here.", "target": {"start": 2, "end": 8}}
    )
    assert status == 200
    assert answer["sense"] is None and answer["method"] == "none"
    assert "zqxvbn" in answer["message"]


def test_word_without_training_vectors_backs_off_to_wordnet(client):
    status, answer = post(client, "/v1/disambiguate", {"text": "A flibbertigibbet.", "target": {"index": 1}})
    assert (
        status == 200
        and answer["method"] == "backoff"
        and answer["sense"]["synset"] == "flibbertigibbet.n.01"
    )


# -- lemma and POS -----------------------------------------------------------------------------------

# the issue's three sentences: lemma and POS from the sentence, not from the word form alone
ISSUE = [
    ("She runs a small bakery downtown.", "runs", "run", "VERB"),
    ("The hunter shot the deer at dawn.", "shot", "shoot", "VERB"),
    ("The key opened the old wooden door.", "key", "key", "NOUN"),
]


@pytest.mark.parametrize(("text", "word", "lemma", "pos"), ISSUE)
def test_lemma_and_pos_come_from_the_sentence(client, text, word, lemma, pos):
    start = text.index(word)
    span = {"start": start, "end": start + len(word)}
    _, by_text = post(client, "/v1/disambiguate", {"text": text, "target": span})
    assert (by_text["target"]["token"], by_text["lemma"], by_text["pos"]) == (word, lemma, pos)
    assert by_text["sense"]["key"].startswith(f"{lemma}%{ {'NOUN': 1, 'VERB': 2}[pos] }:")
    index = by_text["target"]["index"]
    _, by_tokens = post(client, "/v1/disambiguate", {"tokens": by_text["tokens"], "target": {"index": index}})
    assert (by_tokens["lemma"], by_tokens["pos"]) == (lemma, pos)
    body = {"tokens": by_text["tokens"], "target": {"index": index}, "pos": "ADJ", "lemma": "Other Word"}
    _, told = post(client, "/v1/disambiguate", body)
    assert (told["lemma"], told["pos"]) == ("other_word", "ADJ")  # explicit lemma and POS always win


def test_a_span_over_a_compound_is_one_token(client):
    text = "Children love ice cream."
    _, unit = post(client, "/v1/disambiguate", {"text": text, "target": {"start": 14, "end": 23}})
    assert unit["target"] == {"index": 2, "token": "ice cream", "span": [14, 23]}
    assert (unit["lemma"], unit["pos"]) == ("ice_cream", "NOUN") and unit["tokens"][2:] == ["ice cream", "."]
    _, first = post(client, "/v1/disambiguate", {"text": text, "target": {"start": 9, "end": 17}})  # love ice
    assert first["target"]["token"] == "love" and first["tokens"][2:4] == ["ice", "cream"]


def test_a_function_word_is_an_answer_without_sense(client):
    body = {"text": "Can you open the can?", "target": {"index": 0}}
    status, answer = post(client, "/v1/disambiguate", body)
    assert status == 200 and answer["sense"] is None and answer["pos"] is None
    assert "not a content word" in answer["message"]


# -- batch -------------------------------------------------------------------------------------------------


def test_batch_answers_in_order_like_single_requests(client):
    items = [
        BANK,
        {"text": "The jury said it.", "target": {"index": 1}},
        {"tokens": ["The", "bank", "closed"], "target": {"index": 1}, "k": 2},
    ]
    status, out = post(client, "/v1/disambiguate/batch", {"items": items})
    assert status == 200 and len(out["results"]) == 3
    for item, result in zip(items, out["results"]):
        _, single = post(client, "/v1/disambiguate", item)
        assert result == single
    assert [r["target"]["token"] for r in out["results"]] == ["bank", "jury", "bank"]


def test_batch_limits(client):
    assert post(client, "/v1/disambiguate/batch", {"items": []}) == (200, {"results": []})
    status, error = post(client, "/v1/disambiguate/batch", {"items": [BANK] * 17})
    assert status == 413 and "17 items" in error["detail"] and "16" in error["detail"]
    status, error = post(client, "/v1/disambiguate/batch", {"items": [BANK, {"text": "x"}]})
    assert status == 422 and error["detail"].startswith("items[1].target")


def test_batch_reports_the_bad_item(client):
    status, error = post(
        client, "/v1/disambiguate/batch", {"items": [BANK, {"text": "a b", "target": {"index": 7}}]}
    )
    assert status == 422 and "target.index 7 is out of range" in error["detail"]


# -- annotate -------------------------------------------------------------------------------------------


def test_annotate_disambiguates_content_words_only(client):
    text = "The jury said the election was conducted well."
    status, out = post(client, "/v1/annotate", {"text": text})
    assert status == 200
    assert out["tokens"] == ["The", "jury", "said", "the", "election", "was", "conducted", "well", "."]
    words = [a["target"]["token"] for a in out["annotations"]]
    assert {"jury", "said", "election", "conducted"} <= set(words)
    assert not {"The", "the", "."} & set(words)
    for a in out["annotations"]:
        start, end = a["target"]["span"]
        assert text[start:end] == a["target"]["token"] == out["tokens"][a["target"]["index"]]
        assert a["pos"] in ("NOUN", "VERB", "ADJ", "ADV") and a["sense"] is not None
    jury = next(a for a in out["annotations"] if a["target"]["token"] == "jury")
    assert jury["sense"]["key"].startswith("jury%1:") and jury["neighbors"]


def test_annotate_sentences_compounds_and_offsets(client):
    text = "The children ate ice cream in New York.\n\nShe runs a small bakery. Of course she gave up."
    status, out = post(client, "/v1/annotate", {"text": text})
    assert status == 200 and out["message"] is None
    sentences = out["sentences"]
    assert [s["id"] for s in sentences] == ["d000.s000", "d001.s000", "d001.s001"]
    tokens = [t for s in sentences for t in s["tokens"]]
    assert [t["text"] for t in tokens] == out["tokens"]
    assert [[t["start"], t["end"]] for t in tokens] == out["spans"]
    assert [t["index"] for t in tokens] == list(range(len(tokens)))
    for sentence in sentences:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        assert all(text[t["start"] : t["end"]] == t["text"] for t in sentence["tokens"])
    units = {t["text"]: (t["lemma"], t["pos"]) for t in tokens}
    assert units["ice cream"] == ("ice_cream", "NOUN") and units["New York"] == ("new_york", "NOUN")
    assert units["Of course"] == ("of_course", "ADV") and units["gave up"] == ("give_up", "VERB")
    assert units["runs"] == ("run", "VERB")
    senses = [t for t in tokens if "sense" in t]
    assert [t["index"] for t in senses] == [a["target"]["index"] for a in out["annotations"]]
    for token, answer in zip(senses, out["annotations"]):
        assert token["sense"] == answer["sense"] and token["method"] == answer["method"]
        assert token["sense"]["id"].startswith("wn:") and token["sense"]["gloss"]
    the = tokens[0]
    assert (the["text"], the["pos"]) == ("The", None) and "sense" not in the


@pytest.mark.parametrize("text", ["... !", "😀😀 🎉", "!!! ??? ---", "Hello 世界 مرحبا", "a" * 1999])
def test_annotate_text_without_content_words_says_so(client, text):
    status, out = post(client, "/v1/annotate", {"text": text})
    assert status == 200 and out["annotations"] == [] and "WordNet" in out["message"]


@pytest.mark.parametrize("text", ["😀😀 🎉", "!!! ??? ---", "世界 مرحبا Hello", "a" * 1999])
def test_disambiguate_text_without_content_words_says_so(client, text):
    status, answer = post(client, "/v1/disambiguate", {"text": text, "target": {"index": 0}})
    assert status == 200 and answer["sense"] is None and answer["message"]


def test_five_thousand_characters_of_one_word_under_the_default_limit(tiny_disambiguator):
    from fastapi.testclient import TestClient

    from wsd_service.api.app import create_app

    with TestClient(create_app({"tiny": tiny_disambiguator})) as default_limits:
        text = "a" * 5000
        status, out = post(default_limits, "/v1/annotate", {"text": text})
        assert status == 200 and out["annotations"] == [] and out["message"]
        status, answer = post(default_limits, "/v1/disambiguate", {"text": text, "target": {"index": 0}})
        assert status == 200 and answer["sense"] is None and answer["message"]


def test_annotate_edge_cases(client):
    assert post(client, "/v1/annotate", {"text": "  "})[0] == 422
    assert post(client, "/v1/annotate", {"text": "word " * 500})[0] == 413
    assert post(client, "/v1/annotate", {"text": "a" * 5000})[0] == 413
    assert post(client, "/v1/annotate", {"text": "The jury", "index": "nope"})[0] == 404
    assert post(client, "/v1/annotate", {"text": "The jury", "k": 0})[0] == 422


# -- indexes, senses, health, pages ---------------------------------------------------------------------


def test_integral_numbers_are_integers(client):
    status, answer = post(
        client, "/v1/disambiguate", {**BANK, "target": {"start": 14.0, "end": 18.0}, "k": 3.0}
    )
    assert status == 200 and answer["target"]["token"] == "bank" and answer["k"] == 3


def test_the_schema_states_the_shapes_and_the_limits(client):
    models = client.get("/openapi.json").json()["components"]["schemas"]
    shapes = models["Target"]["oneOf"]
    assert [sorted(shape["required"]) for shape in shapes] == [["end", "start"], ["index"]]
    assert all(shape["additionalProperties"] is False for shape in shapes)
    text = next(
        s for s in models["DisambiguateRequest"]["properties"]["text"]["anyOf"] if s["type"] == "string"
    )
    assert (text["minLength"], text["pattern"], text["maxLength"]) == (1, r"\S", 2000)
    assert models["AnnotateRequest"]["properties"]["text"]["maxLength"] == 2000
    assert models["BatchRequest"]["properties"]["items"]["maxItems"] == 16
    assert len(models["DisambiguateRequest"]["oneOf"]) == 2  # text, or tokens with a token number


def test_an_oversized_body_is_refused_over_http(live_server):
    import httpx

    body = json.dumps({"text": "word " * 400_000, "target": {"index": 0}})  # 2 MB: over the body limit
    response = httpx.post(
        f"{live_server}/v1/disambiguate",
        content=body,
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413 and response.headers["content-type"] == "application/json"
    assert response.json()["detail"].startswith("the request body is too large (the limit is 1")


def test_an_oversized_streamed_body_is_refused_over_http(live_server):
    import httpx

    def chunks():  # no Content-Length: the limit must count what arrives
        yield b'{"text": "'
        for _ in range(40):
            yield b"word " * 10_000
        yield b'", "target": {"index": 0}}'

    response = httpx.post(
        f"{live_server}/v1/disambiguate",
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413 and response.json()["detail"].startswith(
        "the request body is too large"
    )


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_indexes_show_no_server_path(tiny_index, tmp_path, fake_backend):
    from pathlib import PurePosixPath

    from index_builder.index_folder import IndexFolder
    from wsd_service.api.app import create_app
    from wsd_service.disambiguator import Disambiguator

    copy = tmp_path / "copy"
    shutil.copytree(tiny_index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["build"]["compacted_from"] = str(tmp_path / "source")  # as older versions wrote it
    manifest["backend"]["model"] = f"{tmp_path}/forward.pt,{tmp_path}/backward.pt"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    app = create_app({"tiny": Disambiguator(IndexFolder(copy), backend=fake_backend)})
    with _client(app) as http:
        response = http.get("/v1/indexes")
    assert str(tmp_path) not in response.text
    assert not [
        s for s in _strings(response.json()) for part in s.split(",") if PurePosixPath(part).is_absolute()
    ]
    shown = response.json()["indexes"][0]["manifest"]
    assert (
        shown["build"]["compacted_from"] == "source" and shown["backend"]["model"] == "forward.pt,backward.pt"
    )


def test_indexes(client, tiny_index):
    out = client.get("/v1/indexes").json()
    assert out["default"] == "tiny"
    (index,) = out["indexes"]
    assert index["name"] == "tiny" and "path" not in index
    assert str(tiny_index.parent) not in client.get("/v1/indexes").text  # no server path is shown
    assert index["manifest"]["backend"]["backend"] == "fake" and "vectors.faiss" in index["manifest"]["files"]
    assert index["settings"]["k"] == 10


def test_senses(client):
    out = client.get("/v1/senses/bank").json()
    assert out["lemma"] == "bank" and out["message"] is None
    assert {s["pos"] for s in out["senses"]} == {"NOUN", "VERB"}
    assert any(s["train_count"] > 0 for s in out["senses"])
    verbs = client.get("/v1/senses/bank", params={"pos": "VERB"}).json()
    assert verbs["senses"] and all(s["pos"] == "VERB" for s in verbs["senses"])
    base = client.get("/v1/senses/juries").json()
    assert base["lemma"] == "jury" and "base form" in base["message"] and base["senses"][0]["train_count"] > 0
    unknown = client.get("/v1/senses/zqxvbn").json()
    assert unknown["senses"] == [] and "zqxvbn" in unknown["message"]


def test_senses_errors(client):
    response = client.get("/v1/senses/bank", params={"pos": "NOUNS"})
    assert response.status_code == 422 and "query parameter pos" in response.json()["detail"]
    response = client.get("/v1/senses/bank", params={"index": "nope"})
    assert response.status_code == 404 and "'tiny'" in response.json()["detail"]


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok", "indexes": ["tiny"]}


def test_pages_are_served_from_the_machine(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    docs = client.get("/docs")
    assert docs.status_code == 200 and "openapi.json" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/openapi.json").json()["paths"]["/v1/disambiguate"]["post"]


def test_several_indexes(tiny_disambiguator):
    from fastapi.testclient import TestClient

    from wsd_service.api.app import create_app

    app = create_app({"first": tiny_disambiguator, "second": tiny_disambiguator})
    with TestClient(app) as two:
        assert [i["name"] for i in two.get("/v1/indexes").json()["indexes"]] == ["first", "second"]
        assert two.post("/v1/disambiguate", json=BANK).json()["index"] == "first"
        assert two.post("/v1/disambiguate", json={**BANK, "index": "second"}).json()["index"] == "second"
        assert (
            two.post("/v1/annotate", json={"text": "The jury", "index": "second"}).json()["index"] == "second"
        )
        assert two.get("/v1/senses/bank", params={"index": "second"}).json()["index"] == "second"
        detail = two.post("/v1/disambiguate", json={**BANK, "index": "third"}).json()["detail"]
        assert detail == "unknown index 'third'; loaded indexes: 'first', 'second'"


# -- bad input: always a 4xx JSON {"detail": "<what to fix>"} ------------------------------------------

BAD = [
    ('{"text": "a b", "target": {"index": 0}', 400, "not valid JSON"),
    ("", 422, "body is missing"),
    ("[1, 2]", 422, "must be a JSON object"),
    ('"text"', 422, "must be a JSON object"),
    ({"text": "a b"}, 422, "target: is required"),
    ({"target": {"index": 0}}, 422, "either text"),
    ({"text": "a b", "tokens": ["a"], "target": {"index": 0}}, 422, "not both"),
    ({"text": 5, "target": {"index": 0}}, 422, "text: Input should be a valid string"),
    ({"tokens": "a b", "target": {"index": 0}}, 422, "tokens: Input should be a valid list"),
    ({"text": "a b", "target": {"index": "0"}}, 422, "target.index: Input should be a valid integer"),
    ({"text": "a b", "target": {"index": 0}, "k": 2.5}, 422, "k: Input should be a valid integer"),
    ({"text": "a b", "target": {"index": 0}, "pos_filter": "yes"}, 422, "pos_filter"),
    ({"text": "a b", "target": {"index": 0}, "colour": 1}, 422, "colour: is not a known field"),
    ({"text": "a b", "target": {}}, 422, "give index"),
    ({"text": "a b", "target": {"index": 0, "start": 0, "end": 1}}, 422, "not both"),
    ({"text": "a b", "target": {"index": 0, "start": None}}, 422, "target: start is null"),
    ({"text": "a b", "target": {"index": 1.5}}, 422, "target.index: Input should be a valid integer"),
    ({"text": "a b", "target": {"index": 0}, "prior": False}, 422, "prior: Input should be a valid number"),
    ({"text": "a b", "target": {"index": 0}, "centroid": 11}, 422, "centroid: Input should be less than"),
    ({"text": "a b", "target": {"start": 2, "end": 1}}, 422, "must be greater than start"),
    ({"text": "a b", "target": {"start": -1, "end": 1}}, 422, "target.start"),
    ({"text": "a b", "target": {"index": 2}}, 422, "target.index 2 is out of range"),
    ({"text": "a b", "target": {"index": -1}}, 422, "target.index"),
    ({"text": "a b", "target": {"start": 1, "end": 9}}, 422, "outside the text"),
    ({"text": "a   b", "target": {"start": 2, "end": 3}}, 422, "covers no word"),
    ({"text": "", "target": {"index": 0}}, 422, "text is empty"),
    ({"text": " \n ", "target": {"index": 0}}, 422, "text is empty"),
    ({"tokens": [], "target": {"index": 0}}, 422, "tokens is empty"),
    ({"tokens": ["a", " "], "target": {"index": 0}}, 422, "tokens[1] is empty"),
    (
        {"tokens": ["a", "b"], "target": {"start": 0, "end": 1}},
        422,
        "with tokens, give the word as target.index",
    ),
    ({"text": "x" * 2001, "target": {"index": 0}}, 413, "limit is 2000"),
    ({"tokens": ["x" * 1000] * 3, "target": {"index": 0}}, 413, "limit is 2000"),
    ({**BANK, "index": "nope"}, 404, "unknown index 'nope'; loaded indexes: 'tiny'"),
    ({**BANK, "pos": "noun"}, 422, "pos: Input should be 'NOUN', 'VERB', 'ADJ' or 'ADV'"),
    ({**BANK, "k": 0}, 422, "k: Input should be greater than or equal to 1"),
    ({**BANK, "k": 101}, 422, "k: Input should be less than or equal to 100"),
    ({**BANK, "mode": "nearest"}, 422, "mode"),
    ({**BANK, "vote": "loudest"}, 422, "vote"),
    ({**BANK, "lemma": " "}, 422, "lemma is empty"),
    ('{"text": "\\ud800 b", "target": {"index": 0}}', 422, "invalid character"),
]


@pytest.mark.parametrize(("body", "status", "message"), BAD, ids=[f"{i}-{b[1]}" for i, b in enumerate(BAD)])
def test_bad_input_gets_a_4xx_that_says_what_to_fix(client, body, status, message):
    raw = body if isinstance(body, str) else json.dumps(body)
    response = client.post("/v1/disambiguate", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and message in detail
    assert "Traceback" not in response.text and "\n" not in detail


def test_wrong_method_and_unknown_path(client):
    assert client.get("/v1/disambiguate").status_code == 405
    response = client.get("/v1/nothing")
    assert response.status_code == 404 and "/docs" in response.json()["detail"]


def test_unexpected_errors_are_logged_and_answered_with_a_short_500(tiny_disambiguator, caplog):
    from fastapi.testclient import TestClient

    from wsd_service.api.app import create_app

    class Broken:
        name = "broken"
        settings = tiny_disambiguator.settings

        def disambiguate(self, queries, settings=None):
            raise RuntimeError("boom")

    app = create_app({"broken": Broken()})
    with TestClient(app, raise_server_exceptions=False) as broken, caplog.at_level(logging.ERROR):
        response = broken.post("/v1/disambiguate", json=BANK)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; the service log has the details"}
    assert "boom" not in response.text
    assert any("internal error" in r.message and r.exc_info for r in caplog.records)
