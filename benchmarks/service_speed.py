"""Speed and memory of the REST service next to the work it cannot avoid.

    .venv/bin/python benchmarks/service_speed.py --index indexes/bert-minilm --threads 1

Starts the real service (`wsd serve`, a subprocess) on a free loopback port and measures:
  * single-request latency (p50/p99) of POST /v1/disambiguate over a keep-alive connection, interleaved
    with the bare backend forward pass (`backend.embed`) on the same sentence in this process; goal: p50
    ratio < 1.25x;
  * the spaCy preprocessing (tokens, lemma, POS) of that sentence uncached, next to the forward pass (the
    service caches a repeated text, so the HTTP figure holds it once); goal: at most 20% of the forward pass;
  * the kNN search + explanation alone (`Disambiguator.decide` on a precomputed vector), over targets from
    rare to very frequent lemmas; goal: p50 < 2 ms on the full index;
  * batch throughput (items/s, --batch items per request) next to the same items one request at a time;
    goal: >= 3x;
  * the service's resident memory with the index loaded (psutil).
Both sides use the same torch thread count (--threads; 1 gives the steadiest numbers on a shared machine).
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.index_folder.format import VECTORS
from index_builder.text import tag_text, tag_texts
from wsd_service.disambiguator import Query
from wsd_service.loading import load_indexes

SENTENCE, WORD = "He sat on the bank of the river.", "bank"
# Targets from rare to very frequent lemmas (`was` -> be: the largest group of SemCor).
TARGETS = [
    ("He sat on the bank of the river.", "bank"), ("The jury said it would not vote.", "said"),
    ("She was tired after the long trip.", "was"), ("They made a new plan for the city.", "made"),
    ("The time has come to act.", "time"), ("He took the book from the shelf.", "took"),
    ("The state passed a new law.", "state"), ("We have a problem with the engine.", "have"),
    ("The children played in the park.", "children"), ("A cold wind blew from the north.", "cold"),
    ("He spoke quickly and left.", "quickly"), ("The committee approved the report.", "report"),
    ("Prices rose sharply last year.", "rose"), ("Her voice sounded strange.", "voice"),
    ("The court found him guilty.", "court"), ("He gave her a small gift.", "gave"),
]


def words(text: str) -> list[str]:
    """The tokens of a text as the service tokenises it (spaCy)."""
    return [token.text for sentence in tag_text(text) for token in sentence.tokens]


def request_body(text: str, word: str) -> dict:
    start = text.index(word)
    return {"text": text, "target": {"start": start, "end": start + len(word)}}


def quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


class Client:
    """A keep-alive JSON client on one connection (http.client: the least client overhead)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def post(self, path: str, body: dict) -> dict:
        self.connection.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {data[:200]!r}")
        return json.loads(data)

    def get(self, path: str) -> int:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        response.read()
        return response.status


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(index: Path, threads: int | None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [sys.executable, "-m", "wsd_service.cli", "serve", "--index", str(index), "--port", str(port)]
    if threads:
        command += ["--threads", str(threads)]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service did not start: {process.stderr.read() if process.stderr else ''}")
        try:
            if Client(port).get("/healthz") == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the service did not start in 600 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("indexes/bert-minilm"))
    parser.add_argument("-n", type=int, default=200, help="requests per latency measurement")
    parser.add_argument("--batch", type=int, default=32, help="items per batch request")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the batch comparison")
    parser.add_argument("--threads", type=int, help="torch threads on both sides (default: torch's choice)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

    options = {"threads": args.threads} if args.threads else {}
    (disambiguator,) = load_indexes([args.index], options=options).values()
    backend = disambiguator.ensure_backend()
    counts = disambiguator.folder.manifest["counts"]
    print(f"index            {args.index} ({counts['vectors']} vectors x {disambiguator.folder.dim} "
          f"{disambiguator.folder.vector_type}); torch threads {args.threads or 'default'}")

    process, port = start_service(args.index, args.threads)
    try:
        results = measure(args, disambiguator, backend, Client(port), process)
    finally:
        process.terminate()
        process.wait(timeout=30)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")
    return 0


def measure(args: argparse.Namespace, disambiguator, backend, client: Client, process: subprocess.Popen) -> dict:
    results: dict = {"index": str(args.index), "threads": args.threads}
    tokens = words(SENTENCE)
    body = request_body(SENTENCE, WORD)
    for _ in range(10):  # warm up both sides
        client.post("/v1/disambiguate", body)
        backend.embed([tokens])
    http_times, bare_times = [], []
    for _ in range(args.n):  # interleaved, so that background load hits both alike
        http_times.append(timed(lambda: client.post("/v1/disambiguate", body)))
        bare_times.append(timed(lambda: backend.embed([tokens])))
    (h50, h99), (b50, b99) = quantiles(http_times), quantiles(bare_times)
    ratio = h50 / b50
    print(f"single request   p50 {h50:6.2f} ms  p99 {h99:6.2f} ms   POST /v1/disambiguate, keep-alive, n={args.n}")
    print(f"bare forward     p50 {b50:6.2f} ms  p99 {b99:6.2f} ms   backend.embed on the same sentence")
    print(f"ratio            {ratio:.2f}x  (goal p50 < 1.25x: {'met' if ratio < 1.25 else 'missed'})")
    results["single"] = {"http_p50_ms": h50, "http_p99_ms": h99, "bare_p50_ms": b50, "bare_p99_ms": b99,
                         "ratio_p50": ratio}
    tagging, forward = [], []
    for _ in range(args.n):  # uncached tagging, interleaved with the forward pass
        tagging.append(timed(lambda: next(tag_texts([SENTENCE]))))
        forward.append(timed(lambda: backend.embed([tokens])))
    t50, f50 = quantiles(tagging)[0], quantiles(forward)[0]
    print(f"preprocessing    p50 {t50:6.2f} ms   spaCy tokens, lemma and POS, uncached; "
          f"{100 * t50 / f50:.0f}% of the forward pass p50 {f50:.2f} ms "
          f"(goal <= 20%: {'met' if t50 <= 0.2 * f50 else 'missed'})")
    results["preprocessing"] = {"p50_ms": t50, "forward_p50_ms": f50, "share": t50 / f50}

    queries = []
    for text, word in TARGETS:
        sentence = words(text)
        queries.append(disambiguator.resolve(Query(tuple(sentence), sentence.index(word))))
    vectors = disambiguator.embed(queries)
    first_times = []
    for query, vector in zip(queries, vectors):  # first sight of a lemma: WordNet lookups
        started = time.perf_counter()
        disambiguator.decide(vector, query.lemma, query.pos)
        first_times.append(time.perf_counter() - started)
    decide_times = []
    for _ in range(max(1, args.n // len(TARGETS))):
        for query, vector in zip(queries, vectors):
            started = time.perf_counter()
            disambiguator.decide(vector, query.lemma, query.pos)
            decide_times.append(time.perf_counter() - started)
    d50, d99 = quantiles(decide_times)
    print(f"decide           p50 {d50:6.2f} ms  p99 {d99:6.2f} ms   kNN search + explanation, precomputed vector, "
          f"{len(TARGETS)} targets (goal p50 < 2 ms: {'met' if d50 < 2 else 'missed'}); first call per "
          f"lemma {statistics.mean(first_times) * 1000:.2f} ms on average")
    results["decide"] = {"p50_ms": d50, "p99_ms": d99, "targets": len(TARGETS),
                         "first_call_mean_ms": statistics.mean(first_times) * 1000}

    items = [request_body(*TARGETS[i % len(TARGETS)]) for i in range(args.batch)]
    client.post("/v1/disambiguate/batch", {"items": items})
    batch_time = single_time = 0.0
    for _ in range(args.rounds):
        batch_time += timed(lambda: client.post("/v1/disambiguate/batch", {"items": items}))
        single_time += timed(lambda: [client.post("/v1/disambiguate", item) for item in items])
    total = args.batch * args.rounds
    batch_rate, single_rate = total / batch_time, total / single_time
    print(f"batch            {batch_rate:6.1f} items/s with {args.batch} items per request; one by one "
          f"{single_rate:6.1f} items/s; ratio {batch_rate / single_rate:.2f}x "
          f"(goal >= 3x: {'met' if batch_rate / single_rate >= 3 else 'missed'})")
    results["batch"] = {"items_per_request": args.batch, "batch_items_per_s": batch_rate,
                        "single_items_per_s": single_rate, "ratio": batch_rate / single_rate}

    rss = psutil.Process(process.pid).memory_info().rss
    print(f"memory           service RSS {rss / 2**20:.0f} MiB with the index loaded "
          f"({VECTORS} {(disambiguator.folder.path / VECTORS).stat().st_size / 2**20:.0f} MiB)")
    results["memory"] = {"service_rss_mib": rss / 2**20}
    return results


if __name__ == "__main__":
    sys.exit(main())
