"""GET and POST /v1/senses/{lemma}/map over the fake tiny index."""

from __future__ import annotations

import pytest

SAID = {"text": "The jury said the election was fair.", "target": {"start": 9, "end": 13}}


def test_get_map_of_a_lemma(client):
    response = client.get("/v1/senses/say/map")
    assert response.status_code == 200
    body = response.json()
    assert (body["lemma"], body["pos"], body["index"], body["method"]) == ("say", "VERB", "tiny", "pca")
    assert body["shown"] == body["total"] == len(body["points"]) and body["dropped"] == {}
    assert body["query"] is None and len(body["explained"]) == 2
    point = body["points"][0]
    assert set(point) == {"x", "y", "sense_key", "instance_id", "sentence_id", "source", "sentence", "span"}
    assert point["source"] == "semcor"
    assert {c["sense_key"] for c in body["centroids"]} == {e["key"] for e in body["legend"]}
    assert all(e["gloss"] and e["synset"] for e in body["legend"])


def test_post_places_the_query(client):
    response = client.post("/v1/senses/say/map", json={"pos": "VERB", "cap": 10, "query": SAID})
    assert response.status_code == 200
    body = response.json()
    assert body["query"]["target"] == {"index": 2, "token": "said", "span": [9, 13]}
    assert -1 <= body["query"]["x"] <= 1 and -1 <= body["query"]["y"] <= 1
    assert body["cap"] == 10 and sum(body["dropped"].values()) == body["total"] - body["shown"] > 0
    tokens = {"tokens": ["The", "jury", "said", "no"], "target": {"index": 2}}
    assert (
        client.post("/v1/senses/say/map", json={"query": tokens}).json()["query"]["target"]["token"] == "said"
    )


def test_inflected_form_falls_back_to_its_base(client):
    body = client.get("/v1/senses/said/map").json()
    assert body["lemma"] == "say" and "base form 'say'" in body["message"]


def test_errors_say_what_to_fix(client):
    cases = [
        (client.get("/v1/senses/qwxzy/map"), 404, "no training vectors for 'qwxzy'"),
        (client.get("/v1/senses/say/map?pos=ADV"), 404, "it has vectors as VERB"),
        (client.get("/v1/senses/say/map?index=nope"), 404, "unknown index"),
        (client.get("/v1/senses/say/map?cap=0"), 422, "cap"),
        (client.get("/v1/senses/say/map?method=umap"), 422, "method"),
        (
            client.post(
                "/v1/senses/say/map", json={"query": {"text": "x", "tokens": ["x"], "target": {"index": 0}}}
            ),
            422,
            "query: give either text",
        ),
        (
            client.post("/v1/senses/say/map", json={"query": {**SAID, "target": {"start": 90, "end": 95}}}),
            422,
            "outside the text",
        ),
        (client.post("/v1/senses/say/map", json={"zoom": 2}), 422, "zoom"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, response.json()
        assert words in response.json()["detail"]


def test_tsne_unavailable_is_a_422(client, monkeypatch):
    monkeypatch.setattr("wsd_service.sense_map.tsne_available", lambda: False)
    response = client.get("/v1/senses/say/map?method=tsne")
    assert response.status_code == 422 and "scikit-learn" in response.json()["detail"]


def test_answers_carry_margin_sources_and_confidence_kind(client):
    answer = client.post("/v1/disambiguate", json={**SAID, "k": 5, "vote": "majority"}).json()
    votes = sorted(answer["votes"].values(), reverse=True) + [0]
    assert answer["margin"] == round((votes[0] - votes[1]) / sum(votes), 4)
    assert answer["confidence_kind"] == "vote share"
    assert {n["source"] for n in answer["neighbors"]} == {"semcor"}
    centroid = client.post("/v1/disambiguate", json={**SAID, "mode": "centroid"}).json()
    assert centroid["confidence_kind"] == "cosine" and len(centroid["votes"]) > 1
    cosines = sorted(centroid["votes"].values(), reverse=True)
    assert centroid["margin"] == pytest.approx(cosines[0] - cosines[1], abs=2e-4)  # of unrounded cosines
