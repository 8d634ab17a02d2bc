from __future__ import annotations

import numpy as np
import pytest

from wsd_service.disambiguator import Disambiguator, Query, vote, winner, with_centroids
from wsd_service.settings import Settings

KEYS = [("a",), ("b",), ("b",), ("a",), ("c",)]
SIMS = [0.9, 0.8, 0.7, 0.6, 0.5]


def test_majority_weighted_and_paper_votes():
    assert vote(KEYS, SIMS, "majority", 99) == {"a": 2, "b": 2, "c": 1}
    assert vote(KEYS, SIMS, "weighted", 99) == pytest.approx({"a": 1.5, "b": 1.5, "c": 0.5})
    # paper: only the top k' neighbors vote
    assert vote(KEYS, SIMS, "paper", 1) == {"a": 1}
    assert vote(KEYS, SIMS, "paper", 3) == {"a": 1, "b": 2}


def test_ties_go_to_summed_similarity():
    votes = vote(KEYS[:4], [0.9, 0.8, 0.75, 0.6], "majority", 99)  # a: 0.9+0.6=1.5, b: 1.55
    assert winner(votes, KEYS[:4], [0.9, 0.8, 0.75, 0.6]) == "b"
    assert winner(votes, KEYS[:4], [0.9, 0.8, 0.7, 0.65]) == "a"


def test_neighbor_with_two_keys_votes_for_both():
    assert vote([("a", "b"), ("b",)], [0.5, 0.4], "majority", 2) == {"a": 1, "b": 2}


@pytest.fixture(scope="module", params=["fake", pytest.param("bert", marks=pytest.mark.slow)])
def disambiguator(request: pytest.FixtureRequest) -> Disambiguator:
    """The same checks over the fake backend's tiny index (fast) and the real MiniLM one."""
    return request.getfixturevalue("tiny_disambiguator" if request.param == "fake" else "bert_disambiguator")


def test_knn_answer_with_explanation(disambiguator: Disambiguator):
    tokens = ("The", "jury", "said", "the", "election", "was", "fair", ".")
    answer = disambiguator.disambiguate([Query(tokens, 2)], Settings(k=5, vote="majority"))[0]
    assert (answer.lemma, answer.pos, answer.method) == ("say", "VERB", "knn")
    assert answer.sense.key in answer.votes
    assert len(answer.neighbors) == 5
    sims = [n.similarity for n in answer.neighbors]
    assert sims == sorted(sims, reverse=True)
    assert sum(answer.votes.values()) == 5
    assert answer.confidence == pytest.approx(max(answer.votes.values()) / 5)
    first = answer.neighbors[0]
    assert first.sentence[first.span[0] : first.span[1]].lower().startswith("sa")
    assert {c.key for c in answer.candidates} >= set(answer.votes)
    assert sum(c.train_count for c in answer.candidates) >= 5


def test_paper_rule_caps_k_by_the_rarest_sense(disambiguator: Disambiguator):
    group = disambiguator.folder.groups[("say", "VERB")]
    rarest = min(group.sense_counts.values())
    tokens = ("He", "said", "no", ".")
    answer = disambiguator.disambiguate([Query(tokens, 1)], Settings(k=50, vote="paper"))[0]
    assert answer.k_used == min(50, rarest, group.count)
    assert sum(answer.votes.values()) == answer.k_used


def test_centroid_mode(disambiguator: Disambiguator):
    tokens = ("He", "said", "no", ".")
    answer = disambiguator.disambiguate([Query(tokens, 1)], Settings(mode="centroid"))[0]
    assert answer.method == "centroid"
    names, centroids = disambiguator._centroids(disambiguator.folder.groups[("say", "VERB")])
    vector = disambiguator.embed([Query(tokens, 1, "say", "VERB")])[0]
    assert answer.sense.key == names[int(np.argmax(centroids @ vector))]


def test_backoff_and_unknown_words(disambiguator: Disambiguator):
    tokens = ("The", "zebra", "grazed", ".")
    answer = disambiguator.disambiguate([Query(tokens, 1, pos="NOUN")])[0]
    assert (answer.method, answer.sense.synset, answer.lemma) == ("backoff", "zebra.n.01", "zebra")
    unanswered = disambiguator.disambiguate([Query(tokens, 1, pos="NOUN")], Settings(backoff="none"))[0]
    assert unanswered.sense is None and unanswered.method == "none"
    nonsense = disambiguator.disambiguate([Query(("a", "qwxzy", "b"), 1)])[0]
    assert nonsense.sense is None and "no sense" in nonsense.message


def test_pos_filter_off_searches_every_pos_of_the_lemma(disambiguator: Disambiguator):
    lemma = next(lem for lem, groups in disambiguator.folder.groups_by_lemma.items() if len(groups) > 1)
    groups = disambiguator.groups_for(lemma, "NOUN", pos_filter=False)
    assert len(groups) > 1 and {g.lemma for g in groups} == {lemma}


def test_lemma_and_pos_come_from_the_sentence(tiny_disambiguator: Disambiguator):
    def resolved(tokens: list[str], position: int, lemma: str | None = None, pos: str | None = None):
        query = tiny_disambiguator.resolve(Query(tuple(tokens), position, lemma, pos))
        return query.lemma, query.pos

    assert resolved(["The", "jury", "said", "no", "."], 2) == ("say", "VERB")
    assert resolved(["She", "runs", "a", "small", "bakery", "downtown", "."], 1) == ("run", "VERB")
    assert resolved(["The", "key", "opened", "the", "old", "wooden", "door", "."], 1) == ("key", "NOUN")
    assert resolved(["The", "banks", "closed", "."], 1) == ("bank", "NOUN")
    assert resolved(["She", "runs", "a", "bakery"], 1, pos="NOUN") == ("run", "NOUN")  # explicit POS wins
    assert resolved(["x"], 0, "Take Place", "VERB") == ("take_place", "VERB")
    assert resolved(["Can", "you", "open", "the", "can", "?"], 0) == ("can", None)  # a modal: no POS
    already = Query(("Can", "you"), 0, "can", None, tagged=True)
    assert tiny_disambiguator.resolve(already) is already


def test_a_function_word_gets_no_sense_but_says_how_to_ask(tiny_disambiguator: Disambiguator):
    tokens = ("Can", "you", "open", "the", "can", "?")
    modal, noun = tiny_disambiguator.disambiguate([Query(tokens, 0), Query(tokens, 4)])
    assert modal.sense is None and modal.method == "none" and modal.pos is None
    assert "not a content word" in modal.message and "NOUN" in modal.message
    assert {c.key for c in modal.candidates} >= {c.key for c in noun.candidates}  # all senses, every POS
    assert noun.pos == "NOUN" and noun.sense.key.startswith("can%1:")


def test_same_answer_alone_and_in_a_batch(disambiguator: Disambiguator):
    one = Query(("The", "jury", "said", "no", "."), 2)
    other = Query(("A", "much", "longer", "sentence", "about", "the", "county", "election", "."), 7)
    alone = disambiguator.disambiguate([one])[0]
    batch = disambiguator.disambiguate([other, one])[1]
    assert alone.sense.key == batch.sense.key
    assert [n.instance_id for n in alone.neighbors] == [n.instance_id for n in batch.neighbors]


def test_sense_mode_compares_every_wordnet_sense(disambiguator: Disambiguator):
    tokens = ("He", "said", "no", ".")
    answer = disambiguator.disambiguate([Query(tokens, 1)], Settings(mode="sense"))[0]
    senses = disambiguator.inventory.senses("say", "VERB")
    assert answer.method == "sense" and set(answer.votes) == {s.key for s in senses}
    trained = disambiguator.folder.groups[("say", "VERB")].sense_counts
    assert set(answer.propagated) == {s.key for s in senses} - set(trained)
    assert answer.sense.key == max(answer.votes, key=answer.votes.get)
    assert answer.confidence == pytest.approx(answer.votes[answer.sense.key])


def test_a_large_prior_tends_to_the_most_frequent_sense(disambiguator: Disambiguator):
    tokens = ("He", "said", "no", ".")
    counts = disambiguator.folder.groups[("say", "VERB")].sense_counts
    most_frequent = max(sorted(counts), key=counts.get)
    for mode in ("knn", "sense"):
        answer = disambiguator.disambiguate([Query(tokens, 1)], Settings(mode=mode, prior=10.0))[0]
        assert answer.sense.key == most_frequent


def test_centroids_add_their_cosines_to_the_vote_shares():
    votes = {"a": 3.0, "b": 1.0}
    assert with_centroids(votes, {"a": 0.2, "b": 0.9, "c": 0.5}, 0.0) is votes
    assert with_centroids(votes, {"a": 0.2, "b": 0.9, "c": 0.5}, 1.0) == pytest.approx(
        {"a": 0.75 + 0.2, "b": 0.25 + 0.9, "c": 0.5}
    )


def test_the_centroid_weight_adds_each_sense_centroids_cosine(disambiguator: Disambiguator):
    sentences = [
        ("He", "said", "no", "."),
        ("The", "jury", "said", "the", "election", "was", "fair", "."),
        ("They", "said", "it", "would", "rain", "."),
    ]
    queries = [Query(tokens, tokens.index("said")) for tokens in sentences]
    cosines = [a.votes for a in disambiguator.disambiguate(queries, Settings(mode="centroid"))]
    plain = disambiguator.disambiguate(queries, Settings(k=3))
    mixed = disambiguator.disambiguate(queries, Settings(k=3, centroid=10.0))
    for with_cosines, without, cosine in zip(mixed, plain, cosines, strict=True):
        scores = with_centroids(without.votes, cosine, 10.0)
        assert with_cosines.sense.key == max(scores, key=scores.get) and with_cosines.method == "knn"
        assert with_cosines.votes == without.votes  # the explanation shows the neighbors' own votes


def test_a_heavy_centroid_weight_can_overrule_the_neighbors(tiny_disambiguator: Disambiguator, monkeypatch):
    query = Query(("He", "said", "no", "."), 1)
    voted = tiny_disambiguator.disambiguate([query], Settings(k=1))[0].sense.key
    other = next(s.key for s in tiny_disambiguator.inventory.senses("say", "VERB") if s.key != voted)
    monkeypatch.setattr(
        tiny_disambiguator, "_centroid_scores", lambda groups, vector: {other: 0.6, voted: 0.4}
    )
    assert tiny_disambiguator.disambiguate([query], Settings(k=1, centroid=0.5))[0].sense.key == voted
    assert tiny_disambiguator.disambiguate([query], Settings(k=1, centroid=10.0))[0].sense.key == other


def test_margin_is_the_lead_over_the_runner_up():
    from wsd_service.disambiguator import margin

    assert margin({"a": 6, "b": 3, "c": 1}, "a", "knn") == pytest.approx(0.3)  # shares 0.6 - 0.3
    assert margin({"a": 4}, "a", "knn") == 1.0
    assert margin({"a": 0.8, "b": 0.75}, "a", "centroid") == pytest.approx(0.05)
    assert margin({"a": 0.2, "b": -0.3}, "a", "sense") == pytest.approx(0.5)


def test_evidence_restricted_to_a_lemma_gives_that_lemma_the_same_answers(
    tmp_path, small_corpus, fake_backend
):
    """`--evidence-lemmas`: the knn and centroid modes of a listed lemma see only its own vectors."""
    from index_builder.build import BuildSettings, build_index
    from index_builder.corpus_writer import write_corpus
    from index_builder.evidence import only_lemmas
    from index_builder.evidence.wordnet import wordnet_examples, wordnet_glosses
    from index_builder.index_folder import IndexFolder
    from index_builder.inventory import wordnet
    from wsd_service.settings import Mode

    synsets = [
        wordnet().synset(n)
        for n in ("bank.n.01", "bank.v.01", "sit.v.01", "depository_financial_institution.n.01")
    ]
    folders = {}
    for name, lemmas in (("full", None), ("bank-only", frozenset({"bank"}))):
        corpora = []
        for kind, source in (("examples", wordnet_examples), ("glosses", wordnet_glosses)):
            paths = (
                tmp_path / f"{name}-{kind}.data.xml",
                tmp_path / f"{name}-{kind}.keys.txt",
            )
            sentences = source(synsets=synsets)
            write_corpus(only_lemmas(sentences, lemmas) if lemmas else sentences, *paths, source="wordnet")
            corpora.append(paths)
        out = build_index(
            fake_backend,
            BuildSettings(*small_corpus, out=tmp_path / name, extra=tuple(corpora)),
            progress=False,
        )
        folders[name] = Disambiguator(IndexFolder(out), backend=fake_backend)
    full, restricted = folders["full"], folders["bank-only"]
    assert restricted.folder.size < full.folder.size and ("sit", "VERB") in full.folder.groups
    query = Query(("He", "sat", "on", "the", "bank", "."), 4, "bank", "NOUN")
    vector = full.embed([query])[0]
    for settings in (Settings(k=3), Settings(k=10, vote="weighted"), Settings(mode=Mode.CENTROID)):
        got, want = (
            restricted.decide(vector, "bank", "NOUN", settings),
            full.decide(vector, "bank", "NOUN", settings),
        )
        assert got.sense == want.sense and got.votes == pytest.approx(want.votes)
        assert [n.instance_id for n in got.neighbors] == [n.instance_id for n in want.neighbors]
