"""Property-based: schemathesis generates requests from the app's own OpenAPI schema (in-process ASGI).

Every operation gets valid (positive) and schema-violating (negative) requests, and every response goes
through all of schemathesis's checks (as `schemathesis run --checks all` does) with the settings and the
hook check of schemathesis.toml: no 5xx, documented statuses, content types and bodies, schema-violating
requests refused, schema-valid ones accepted unless a rule across fields refuses them. Run with
`pytest -s` to see what was tried."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS

from index_builder.text import tag_text

MAX_EXAMPLES = 30
ROOT = Path(__file__).resolve().parents[1]


def _run(operation, mode: GenerationMode) -> Counter:
    statuses: Counter = Counter()
    checks = CHECKS.get_all()  # with the hook check schemathesis.toml loads

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        response = case.call_and_validate(checks=checks)
        statuses[response.status_code] += 1

    check()
    return statuses


@pytest.mark.slow
def test_every_operation_survives_generated_requests(api_app, monkeypatch):
    monkeypatch.chdir(ROOT)  # schemathesis.toml and its hook file are found from the repository root
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    assert "refused_only_by_cross_field_rules" in [check.__name__ for check in CHECKS.get_all()]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9
    started, lines, total = time.perf_counter(), [], 0
    for operation in operations:
        has_input = bool(operation.body) or any(True for _ in operation.iter_parameters())
        for mode in [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if has_input else []):
            statuses = _run(operation, mode)
            count = sum(statuses.values())
            total += count
            assert count > 0, f"{operation.label} {mode}: no request generated"
            assert not any(s >= 500 for s in statuses)
            lines.append(
                f"  {operation.label:<34} {mode.value:<8} {count:>3} requests  "
                f"statuses {dict(sorted(statuses.items()))}"
            )
    print(
        f"\nschemathesis: {len(operations)} operations, {total} requests, "
        f"{time.perf_counter() - started:.1f} s (max {MAX_EXAMPLES} examples per operation and mode)"
    )
    print("\n".join(lines))


@pytest.mark.parametrize("path", ["/v1/disambiguate", "/v1/disambiguate/batch", "/v1/annotate"])
def test_documented_errors_use_the_detail_shape(api_app, path):
    spec = api_app.openapi()["paths"][path]["post"]["responses"]
    for code in ("400", "404", "413", "422"):
        ref = spec[code]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorOut")


# -- property-based, own strategies: valid requests over arbitrary Unicode text ---------------------------

WORD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=10)
TEXT = st.lists(WORD, min_size=1, max_size=8).map(" ".join)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow
@PROPERTY
@given(text=TEXT, data=st.data())
def test_any_word_of_any_text_gets_an_answer(client, text, data):
    tokens = [t for sentence in tag_text(text) for t in sentence.tokens]  # as the service tokenises
    assume(tokens)
    i = data.draw(st.integers(0, len(tokens) - 1), label="token")
    start, end = tokens[i].start, tokens[i].end
    response = client.post("/v1/disambiguate", json={"text": text, "target": {"start": start, "end": end}})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["target"] == {"index": i, "token": tokens[i].text, "span": [start, end]}
    assert answer["method"] in ("knn", "centroid", "backoff", "none")
    assert (answer["sense"] is None) == (answer["method"] == "none")


@pytest.mark.slow
@PROPERTY
@given(tokens=st.lists(WORD.filter(str.strip), min_size=1, max_size=8), data=st.data())
def test_any_token_list_gets_an_answer(client, tokens, data):
    i = data.draw(st.integers(0, len(tokens) - 1), label="index")
    response = client.post(
        "/v1/disambiguate", json={"tokens": tokens, "target": {"index": i}, "projection": True}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["tokens"] == tokens and answer["target"]["token"] == tokens[i]
    assert len(answer["projection"]["neighbors"]) == len(answer["neighbors"])


@pytest.mark.slow
@PROPERTY
@given(text=TEXT)
def test_annotate_any_text(client, text):
    response = client.post("/v1/annotate", json={"text": text})
    if not text.strip():
        assert response.status_code == 422
        return
    assert response.status_code == 200, response.text
    out = response.json()
    for a in out["annotations"]:
        start, end = a["target"]["span"]
        assert text[start:end] == a["target"]["token"] and a["pos"] in ("NOUN", "VERB", "ADJ", "ADV")
        assert a["sense"] is not None  # a content word WordNet knows: kNN or its first sense
    tokens = [t for sentence in out["sentences"] for t in sentence["tokens"]]
    assert [t["text"] for t in tokens] == out["tokens"]
    assert [t["index"] for t in tokens] == list(range(len(tokens)))
    for sentence in out["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        assert all(text[t["start"] : t["end"]] == t["text"] for t in sentence["tokens"])
    assert sum("sense" in t for t in tokens) == len(out["annotations"])
    assert (out["message"] is None) == bool(out["annotations"])
