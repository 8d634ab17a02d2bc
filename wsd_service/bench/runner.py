"""The offline benchmark: score systems (baselines, kNN over index folders) on the standard evaluation sets."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from index_builder.corpus import Instance, Sentence, read_corpus
from index_builder.errors import WsdError
from index_builder.evidence import source_of
from index_builder.index_folder import IndexFolder, normalise_rows
from index_builder.paths import eval_paths
from wsd_service.bench.lemma_pos import UNTAGGED, LemmaPosSource, PredictedTags, lemma_pos_of
from wsd_service.bench.scorer import Score, score, score_by
from wsd_service.disambiguator import Disambiguator
from wsd_service.settings import Mode, Settings

log = logging.getLogger(__name__)

SHORT_NAMES = {
    "senseval2": "SE2",
    "senseval3": "SE3",
    "semeval2007": "SE07",
    "semeval2013": "SE13",
    "semeval2015": "SE15",
    "ALL": "ALL",
}


@dataclass(frozen=True)
class EvalSet:
    name: str
    sentences: tuple[Sentence, ...]

    @property
    def gold(self) -> dict[str, tuple[str, ...]]:
        return {i.id: i.keys for s in self.sentences for i in s.instances}

    @property
    def pos(self) -> dict[str, str]:
        return {i.id: i.pos for s in self.sentences for i in s.instances}


@cache
def load_eval_set(name: str) -> EvalSet:
    return EvalSet(name, tuple(read_corpus(*eval_paths(name))))


@dataclass(frozen=True)
class Prediction:
    key: str | None  # None = left unanswered
    method: str  # how it was reached, e.g. knn, centroid, backoff, mfs
    source: str | None = None  # evidence source of the nearest training context (SemCor, WordNet ...)
    confidence: float = 0.0  # the answer's confidence (kNN systems; calibration studies)


class System(Protocol):
    """Anything that answers every instance of an evaluation set; `setting` labels its result rows."""

    name: str
    setting: dict[str, Any]

    def predict(self, evalset: EvalSet) -> dict[str, Prediction]: ...


def source_setting(tags: PredictedTags | None) -> dict[str, Any]:
    """The setting label of a system given predicted lemma and POS; none for gold ones (the framework's)."""
    return {"lemma_pos": LemmaPosSource.PREDICTED} if tags is not None else {}


class InstanceSystem:
    """Adapts a per-instance answer function (the baselines) to the System protocol; with `tags`, each
    instance carries its predicted lemma and POS instead of the gold ones."""

    def __init__(
        self, name: str, answer: Callable[..., str | None], tags: PredictedTags | None = None
    ) -> None:
        self.name = name
        self.setting: dict[str, Any] = source_setting(tags)
        self._answer = answer
        self.tags = tags

    def predict(self, evalset: EvalSet) -> dict[str, Prediction]:
        def answer(instance: Instance, lemma: str, pos: str) -> Prediction:
            return Prediction(self._answer(replace(instance, lemma=lemma, pos=pos)), self.name)

        return predict_instances(evalset, self.tags, answer)


def predict_instances(
    evalset: EvalSet, tags: PredictedTags | None, answer: Callable[[Instance, str, str], Prediction]
) -> dict[str, Prediction]:
    """Each instance's prediction from `answer(instance, lemma, POS)`, with gold lemma and POS or, given
    `tags`, the predicted ones; an instance the tagger gives no POS is left unanswered (untagged)."""
    predicted = tags.for_set(evalset) if tags else None
    out = {}
    for sentence in evalset.sentences:
        for instance in sentence.instances:
            lemma, pos = lemma_pos_of(instance, predicted)
            out[instance.id] = Prediction(None, UNTAGGED) if pos is None else answer(instance, lemma, pos)
    return out


@dataclass
class Result:
    system: str
    dataset: str
    score: Score
    setting: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)  # answers by the source of their nearest context
    per_pos: dict[str, Score] = field(default_factory=dict)
    predictions: str | None = None

    def as_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "system": self.system,
            "dataset": self.dataset,
            "P": round(self.score.precision, 2),
            "R": round(self.score.recall, 2),
            "F1": round(self.score.f1, 2),
            "n": self.score.total,
            "answered": self.score.answered,
            "correct": self.score.correct,
            "setting": self.setting,
            "coverage": self.coverage,
        }
        if self.sources:
            row["sources"] = self.sources
        if self.per_pos:
            row["per_pos"] = {
                pos: {"P": round(s.precision, 2), "R": round(s.recall, 2), "F1": round(s.f1, 2), "n": s.total}
                for pos, s in self.per_pos.items()
            }
        if self.predictions:
            row["predictions"] = self.predictions
        return row


def result_from_json(row: dict[str, Any]) -> Result:
    """A result row read back from `--json` output (for redrawing plots)."""
    return Result(
        row["system"],
        row["dataset"],
        Score(row["correct"], row["answered"], row["n"]),
        row["setting"],
        row.get("coverage", {}),
        row.get("sources", {}),
        predictions=row.get("predictions"),
    )


def setting_label(setting: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in setting.items())


WHOLE = "ALL"  # the five sets' sentences together, each instance id prefixed with its set's name


def within(whole: dict[str, Prediction], dataset: str, ids: Iterable[str]) -> dict[str, Prediction]:
    """One set's predictions read off ALL's: each sentence is then decided once, not twice."""
    if dataset == WHOLE:
        return whole
    return {i: whole[f"{dataset}.{i}"] for i in ids}


def evaluate(
    systems: Iterable[System], datasets: Sequence[str], predictions_dir: Path | None = None
) -> list[Result]:
    """Score every system on every dataset; with `predictions_dir`, write each answer file in key format."""
    results = []
    systems = list(systems)
    bar = tqdm(total=len(systems) * len(datasets), unit="run", desc="scoring", leave=False)
    for system in systems:
        whole = system.predict(load_eval_set(WHOLE)) if WHOLE in datasets else None
        for dataset in datasets:
            bar.update()
            evalset = load_eval_set(dataset)
            predictions = (
                system.predict(evalset) if whole is None else within(whole, dataset, evalset.gold.keys())
            )
            answers = {i: p.key for i, p in predictions.items()}
            result = Result(
                system=system.name,
                dataset=dataset,
                score=score(evalset.gold, answers),
                setting=dict(system.setting),
                coverage=dict(
                    Counter(
                        p.method if p.key or p.method == UNTAGGED else "unanswered"
                        for p in predictions.values()
                    )
                ),
                sources=dict(Counter(p.source for p in predictions.values() if p.key and p.source)),
                per_pos=score_by(evalset.gold, answers, evalset.pos),
            )
            if predictions_dir is not None:
                result.predictions = str(write_predictions(predictions_dir, result, answers))
            results.append(result)
            log.info("%s %s %s F1=%.1f", system.name, setting_label(result.setting), dataset, result.score.f1)
    bar.close()
    return results


def write_predictions(folder: Path, result: Result, answers: dict[str, str | None]) -> Path:
    """One file per system, setting and dataset: `instance_id sense_key` lines, unanswered ids left out."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = [result.system] + [f"{k}-{v}" for k, v in result.setting.items()] + [result.dataset]
    name = "_".join(str(p).replace("/", "-").replace(" ", "") for p in parts) + ".key.txt"
    path = folder / name
    path.write_text("".join(f"{i} {k}\n" for i, k in answers.items() if k is not None), encoding="utf-8")
    return path


def format_table(results: Sequence[Result], datasets: Sequence[str]) -> str:
    """Rows = system + setting; columns = F1 per dataset, with P and R of ALL (or the last dataset)."""
    rows: dict[tuple[str, str], dict[str, Result]] = {}
    for r in results:
        rows.setdefault((r.system, setting_label(r.setting)), {})[r.dataset] = r
    headline = "ALL" if "ALL" in datasets else datasets[-1]
    head = (
        ["system", "setting"]
        + [SHORT_NAMES.get(d, d) for d in datasets]
        + [f"P({headline})", f"R({headline})"]
    )
    lines = [head]
    for (system, setting), by_ds in rows.items():
        cells = [system, setting or "-"]
        cells += [f"{by_ds[d].score.f1:.1f}" if d in by_ds else "" for d in datasets]
        main = by_ds.get(headline)
        cells += [f"{main.score.precision:.1f}", f"{main.score.recall:.1f}"] if main else ["", ""]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "F1 per dataset (framework scorer, percent)\n" + "\n".join(out)


def format_pos_table(results: Sequence[Result], dataset: str = "ALL") -> str:
    """F1 per POS and coverage on one dataset."""
    lines = [f"Per POS on {dataset} (F1) and coverage"]
    for r in results:
        if r.dataset != dataset:
            continue
        pos = "  ".join(f"{p}={s.f1:.1f}(n={s.total})" for p, s in r.per_pos.items())
        cov = ", ".join(f"{m}={n}" for m, n in sorted(r.coverage.items()))
        lines.append(f"{r.system} {setting_label(r.setting) or '-'}: {pos}  [{cov}]")
    return "\n".join(lines)


def write_json(path: Path, results: Sequence[Result], extra: dict[str, Any] | None = None) -> None:
    payload: dict[str, Any] = {"results": [r.as_json() for r in results]}
    if extra:
        payload.update(extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


class QueryVectors:
    """Embeddings of evaluation targets, computed once per index and reused across settings and datasets
    (ALL repeats the sentences of the five sets, so they are embedded once)."""

    def __init__(self, disambiguator: Disambiguator, batch_sentences: int = 64) -> None:
        self.disambiguator = disambiguator
        self.batch_sentences = batch_sentences
        self._by_sentence: dict[tuple[str, ...], np.ndarray] = {}

    def for_set(self, evalset: EvalSet) -> dict[str, np.ndarray]:
        """{instance_id: normalised vector} for every instance of the set."""
        missing = [
            s for s in dict.fromkeys(tuple(s.words) for s in evalset.sentences) if s not in self._by_sentence
        ]
        backend = self.disambiguator.ensure_backend()
        with tqdm(
            total=len(missing),
            unit="sent",
            desc=f"embedding {evalset.name} ({self.disambiguator.name})",
            disable=not missing,
            leave=False,
        ) as bar:
            for start in range(0, len(missing), self.batch_sentences):
                chunk = missing[start : start + self.batch_sentences]
                for tokens, vectors in zip(chunk, backend.embed([list(t) for t in chunk])):
                    self._by_sentence[tokens] = normalise_rows(vectors)
                bar.update(len(chunk))
        return {
            i.id: self._by_sentence[tuple(s.words)][i.position]
            for s in evalset.sentences
            for i in s.instances
        }


class KnnSystem:
    """The service's Disambiguator as a benchmark system: one setting, gold lemma and POS or (with `tags`) the
    ones predicted from the sentence's words."""

    def __init__(
        self,
        disambiguator: Disambiguator,
        settings: Settings,
        vectors: QueryVectors,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
        label: dict[str, Any] | None = None,
        tags: PredictedTags | None = None,
    ):
        self.disambiguator = disambiguator
        self.settings = settings
        self.vectors = vectors
        self.transform = transform
        self.tags = tags
        self.name = disambiguator.name
        self.setting = {
            **(label or {}),
            "k": settings.k,
            "vote": settings.vote,
            "mode": settings.mode,
            "pos_filter": settings.pos_filter,
            "backoff": settings.backoff,
            **source_setting(tags),
        }
        if settings.mode != Mode.KNN:  # k and the vote rule play no part in the decision
            del self.setting["k"], self.setting["vote"]
        for extra in ("prior", "centroid"):  # rows without them keep the shape of earlier result files
            if getattr(settings, extra):
                self.setting[extra] = getattr(settings, extra)

    def predict(self, evalset: EvalSet) -> dict[str, Prediction]:
        vectors = self.vectors.for_set(evalset)

        def decide(instance: Instance, lemma: str, pos: str) -> Prediction:
            vector = vectors[instance.id]
            if self.transform is not None:
                vector = normalise_rows(self.transform(vector[None, :]))[0]
            answer = self.disambiguator.decide(vector, lemma, pos, self.settings, explain=False)
            source = self._sources[answer.neighbor_ids[0]] if answer.neighbor_ids else None
            return Prediction(
                answer.sense.key if answer.sense else None,
                answer.method,
                confidence=answer.confidence,
                source=source,
            )

        return predict_instances(evalset, self.tags, decide)

    @cached_property
    def _sources(self) -> list[str]:
        """The evidence source of every training vector, by id."""
        return [source_of(i) for i in self.disambiguator.folder.instance_ids()]


def layer_views(
    index: IndexFolder, specs: Sequence[str]
) -> list[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """Transforms that pick and sum layers out of an index built with `--combine concat` (one block of
    `hidden` dims per layer), so one build answers a whole layer sweep. Specs: "6", "3,4,5,6", ..."""
    spec = index.backend_spec
    if spec.get("combine") != "concat":
        raise WsdError(f"index {index.name}: a layer sweep needs an index built with --combine concat")
    built = [int(x) for x in str(spec["layers"]).split(",")]
    hidden = index.dim // len(built)
    views = []
    for text in specs:
        try:
            wanted = [int(x) for x in text.split(",")]
        except ValueError as err:
            raise WsdError(f"layer view {text!r}: comma-separated layer numbers expected") from err
        if any(w not in built for w in wanted):
            raise WsdError(f"layer view {text!r}: index {index.name} holds layers {spec['layers']}")
        blocks = [built.index(w) for w in wanted]

        def transform(vectors: np.ndarray, blocks: list[int] = blocks) -> np.ndarray:
            return sum(vectors[:, b * hidden : (b + 1) * hidden] for b in blocks)

        views.append((text, transform))
    return views
