"""Speed and memory of the REST service next to the work it cannot avoid, side by side in one run.

    .venv/bin/python benchmarks/service_speed.py --index indexes/bert-minilm --threads 1 --json speed.json
    .venv/bin/python benchmarks/service_speed.py --index /tmp/fake-idx --soak-seconds 10   # quick, fake index

Starts the real service (`wsd serve`, a subprocess; --workers N) on a free loopback port and measures:
  * single-client latency (p50/p99) of POST /v1/disambiguate over a keep-alive connection, interleaved with
    the bare forward pass (`backend.embed`) on the same sentence in this process; goal: p50 <= 1.25x;
  * the spaCy preprocessing (tokens, lemma, POS) of that sentence uncached, next to the forward pass (the
    service caches a repeated text); goal: at most 20% of the forward pass;
  * the kNN search + explanation alone (`Disambiguator.decide` on a precomputed vector); goal: p50 < 2 ms;
  * throughput of --clients concurrent clients sending single-item requests (micro-batched by the service)
    next to the batch endpoint's items/s (--batch items per request), the two alternated --repeats times and
    their medians compared; goal: >= 0.7x, 0 errors;
  * a bounded soak: --soak-clients clients for --soak-seconds; goal: 0 errors, RSS growth < 5%;
  * the resident memory of every server process (RSS, and PSS, which splits shared pages such as the
    memory-mapped vectors between the processes that map them) and the totals.
The load clients are asyncio streams speaking minimal HTTP/1.1 (keep-alive, Content-Length), so that the
client's own CPU cost, on the same machine, stays small next to the server's.

Long on purpose: one benchmark script whose measurements share their server and clients.
"""

from __future__ import annotations

import argparse
import asyncio
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
from index_builder.text import tag_texts, tag_words
from wsd_service.disambiguator import Query
from wsd_service.loading import load_indexes

SENTENCE, WORD = "He sat on the bank of the river.", "bank"
# Targets from rare to very frequent lemmas (`was` -> be: the largest group of SemCor).
TARGETS = [
    ("He sat on the bank of the river.", "bank"),
    ("The jury said it would not vote.", "said"),
    ("She was tired after the long trip.", "was"),
    ("They made a new plan for the city.", "made"),
    ("The time has come to act.", "time"),
    ("He took the book from the shelf.", "took"),
    ("The state passed a new law.", "state"),
    ("We have a problem with the engine.", "have"),
    ("The children played in the park.", "children"),
    ("A cold wind blew from the north.", "cold"),
    ("He spoke quickly and left.", "quickly"),
    ("The committee approved the report.", "report"),
    ("Prices rose sharply last year.", "rose"),
    ("Her voice sounded strange.", "voice"),
    ("The court found him guilty.", "court"),
    ("He gave her a small gift.", "gave"),
]


def words(text: str) -> list[str]:
    """The tokens of a text as the service tokenises it (spaCy)."""
    return [token.text for token in tag_words(text)]


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


class LoadClient:
    """One keep-alive connection for the concurrent runs: asyncio streams and minimal HTTP/1.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, payload: bytes) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        writer.write(
            f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            f"content-length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        body = await reader.readexactly(int(headers["content-length"]))
        if headers.get("connection") == "close":
            writer.close()
            self.streams = None
        return int(lines[0].split()[1]), body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(args: argparse.Namespace) -> tuple[subprocess.Popen, int]:
    """`wsd serve` on a free port, returned once /readyz says ready."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "wsd_service.cli",
        "serve",
        "--index",
        str(args.index),
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    if args.threads:
        command += ["--threads", str(args.threads)]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service did not start: {process.stderr.read() if process.stderr else ''}")
        try:
            if Client(port).get("/readyz") == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the service did not start in 600 s")


def server_processes(process: subprocess.Popen) -> list[psutil.Process]:
    """The serving process and its uvicorn workers (not multiprocessing's resource tracker)."""
    parent = psutil.Process(process.pid)
    workers = [p for p in parent.children() if "spawn_main" in " ".join(p.cmdline())]
    return [parent, *workers]


def memory(process: subprocess.Popen) -> dict:
    """RSS, PSS and USS (MiB) of every server process, and their totals."""
    rows = []
    for p in server_processes(process):
        info = p.memory_full_info()
        rows.append(
            {
                "pid": p.pid,
                "role": "server" if p.pid == process.pid else "worker",
                "rss_mib": info.rss / 2**20,
                "pss_mib": info.pss / 2**20,
                "uss_mib": info.uss / 2**20,
            }
        )
    return {
        "processes": rows,
        "total_rss_mib": sum(r["rss_mib"] for r in rows),
        "total_pss_mib": sum(r["pss_mib"] for r in rows),
    }


def serving_rss(process: subprocess.Popen) -> float:
    """Resident MiB of the processes that answer requests (the workers, or the one server process)."""
    processes = server_processes(process)
    serving = processes[1:] or processes
    return sum(p.memory_info().rss for p in serving) / 2**20


async def load(
    port: int,
    clients: int,
    payloads: list[bytes],
    seconds: float | None = None,
    requests_each: int | None = None,
) -> dict:
    """`clients` connections sending single-item requests, for `seconds` or `requests_each` requests each."""
    done, errors, latencies = 0, [], []
    deadline = time.perf_counter() + seconds if seconds else None

    async def client(number: int) -> None:
        nonlocal done
        connection, sent = LoadClient(port), 0
        while (deadline is None or time.perf_counter() < deadline) and (
            requests_each is None or sent < requests_each
        ):
            payload = payloads[(number + sent) % len(payloads)]
            began = time.perf_counter()
            try:
                status, body = await connection.post("/v1/disambiguate", payload)
            except (OSError, asyncio.IncompleteReadError) as err:
                errors.append(f"{type(err).__name__}: {err}")
                connection = LoadClient(port)
                status, body = 0, b""
            latencies.append(time.perf_counter() - began)
            sent += 1
            if status == 200:
                done += 1
            elif status:
                errors.append(f"HTTP {status} {body[:120]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    p50, p99 = quantiles(latencies) if len(latencies) > 1 else (0.0, 0.0)
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
        "seconds": elapsed,
        "items_per_s": done / elapsed,
        "p50_ms": p50,
        "p99_ms": p99,
    }


def measure_single(args: argparse.Namespace, backend, client: Client) -> dict:
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
    print(f"single request   p50 {h50:6.2f} ms  p99 {h99:6.2f} ms   POST /v1/disambiguate, one client")
    print(f"bare forward     p50 {b50:6.2f} ms  p99 {b99:6.2f} ms   backend.embed on the same sentence")
    print(f"ratio            {ratio:.2f}x  (goal p50 <= 1.25x: {'met' if ratio <= 1.25 else 'missed'})")
    return {
        "http_p50_ms": h50,
        "http_p99_ms": h99,
        "bare_p50_ms": b50,
        "bare_p99_ms": b99,
        "ratio_p50": ratio,
        "preprocessing": measure_preprocessing(args, backend, tokens),
    }


def measure_preprocessing(args: argparse.Namespace, backend, tokens: list[str]) -> dict:
    """spaCy's tokens, lemma and POS of the sentence, uncached, interleaved with the forward pass."""
    tagging, forward = [], []
    for _ in range(args.n):
        tagging.append(timed(lambda: next(tag_texts([SENTENCE], split=False))))
        forward.append(timed(lambda: backend.embed([tokens])))
    t50, f50 = quantiles(tagging)[0], quantiles(forward)[0]
    print(
        f"preprocessing    p50 {t50:6.2f} ms   spaCy tokens, lemma and POS, uncached; "
        f"{100 * t50 / f50:.0f}% of the forward pass p50 {f50:.2f} ms "
        f"(goal <= 20%: {'met' if t50 <= 0.2 * f50 else 'missed'})"
    )
    return {"p50_ms": t50, "forward_p50_ms": f50, "share": t50 / f50}


def measure_decide(args: argparse.Namespace, disambiguator) -> dict:
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
    print(
        f"decide           p50 {d50:6.2f} ms  p99 {d99:6.2f} ms   kNN search + explanation, precomputed vector, "
        f"{len(TARGETS)} targets (goal p50 < 2 ms: {'met' if d50 < 2 else 'missed'}); first call per "
        f"lemma {statistics.mean(first_times) * 1000:.2f} ms on average"
    )
    return {
        "p50_ms": d50,
        "p99_ms": d99,
        "targets": len(TARGETS),
        "first_call_mean_ms": statistics.mean(first_times) * 1000,
    }


def measure_throughput(args: argparse.Namespace, port: int) -> dict:
    """The batch endpoint's items/s and the concurrent clients' items/s, measured alternately --repeats
    times; the ratio is of the two medians (one short run of each varied by a third on these machines)."""
    items = [request_body(*TARGETS[i % len(TARGETS)]) for i in range(args.batch)]
    payloads = [json.dumps(request_body(*target)).encode() for target in TARGETS]
    runs = []
    for _ in range(args.repeats):
        fresh = Client(port)  # a new connection each time: the server closes one left idle for seconds
        fresh.post("/v1/disambiguate/batch", {"items": items})  # warm-up
        batch_time = sum(
            timed(lambda c=fresh: c.post("/v1/disambiguate/batch", {"items": items}))
            for _ in range(args.rounds)
        )
        concurrent = asyncio.run(load(port, args.clients, payloads, requests_each=args.requests))
        rate = args.batch * args.rounds / batch_time
        runs.append(
            {"batch_items_per_s": rate, "concurrent": concurrent, "ratio": concurrent["items_per_s"] / rate}
        )
    batch_rate = statistics.median(r["batch_items_per_s"] for r in runs)
    median_run = sorted(runs, key=lambda r: r["concurrent"]["items_per_s"])[len(runs) // 2]
    concurrent = {**median_run["concurrent"], "errors": sum(r["concurrent"]["errors"] for r in runs)}
    ratio = concurrent["items_per_s"] / batch_rate
    print(
        f"batch endpoint   {batch_rate:7.1f} items/s  median of {len(runs)} ({args.batch} items per request)"
    )
    print(
        f"{args.clients} clients       {concurrent['items_per_s']:7.1f} items/s  median of {len(runs)}, "
        f"single-item requests, p50 {concurrent['p50_ms']:.0f} ms, p99 {concurrent['p99_ms']:.0f} ms, "
        f"{concurrent['errors']} errors in all"
    )
    each = ", ".join(f"{r['ratio']:.2f}" for r in runs)
    print(
        f"ratio            {ratio:.2f}x  (each run: {each}; goal >= 0.7x "
        f"with 0 errors: {'met' if ratio >= 0.7 and not concurrent['errors'] else 'missed'})"
    )
    return {
        "batch_items_per_s": batch_rate,
        "items_per_batch_request": args.batch,
        "concurrent": concurrent,
        "ratio": ratio,
        "runs": runs,
    }


def measure_soak(args: argparse.Namespace, process: subprocess.Popen, port: int) -> dict:
    payloads = [json.dumps(request_body(*target)).encode() for target in TARGETS]
    asyncio.run(load(port, args.soak_clients, payloads, requests_each=5))  # every connection made once
    before = serving_rss(process)
    soak = asyncio.run(load(port, args.soak_clients, payloads, seconds=args.soak_seconds))
    after = serving_rss(process)
    growth = (after - before) / before
    met = soak["errors"] == 0 and growth < 0.05
    print(
        f"soak             {args.soak_clients} clients x {args.soak_seconds:g} s: {soak['requests']} "
        f"requests, {soak['items_per_s']:.0f}/s, {soak['errors']} errors; "
        f"RSS {before:.0f} -> {after:.0f} MiB "
        f"({growth:+.1%}) (goal 0 errors, growth < 5%: {'met' if met else 'missed'})"
    )
    return {**soak, "rss_before_mib": before, "rss_after_mib": after, "rss_growth": growth}


def measure_memory(process: subprocess.Popen, vectors_mib: float) -> dict:
    found = memory(process)
    for row in found["processes"]:
        print(
            f"memory           {row['role']:<6} {row['pid']}: RSS {row['rss_mib']:6.0f} MiB, "
            f"PSS {row['pss_mib']:6.0f} MiB, USS {row['uss_mib']:6.0f} MiB"
        )
    print(
        f"memory           total RSS {found['total_rss_mib']:.0f} MiB, total PSS "
        f"{found['total_pss_mib']:.0f} MiB ({VECTORS} {vectors_mib:.0f} MiB, memory-mapped, shared)"
    )
    return {**found, "vectors_mib": vectors_mib}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, default=Path("indexes/bert-minilm"))
    parser.add_argument("--threads", type=int, help="torch threads on both sides (default: torch's choice)")
    parser.add_argument("--workers", type=int, default=1, help="wsd serve --workers (default 1)")
    parser.add_argument("-n", type=int, default=200, help="requests per latency measurement (default 200)")
    parser.add_argument("--batch", type=int, default=32, help="items per batch request (default 32)")
    parser.add_argument("--rounds", type=int, default=10, help="batch requests timed (default 10)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent single-item clients (default 64)")
    parser.add_argument("--requests", type=int, default=20, help="requests per concurrent client (20)")
    parser.add_argument(
        "--repeats", type=int, default=5, help="alternate batch and concurrent runs this often (default 5)"
    )
    parser.add_argument("--soak-clients", type=int, default=256, help="clients of the soak (default 256)")
    parser.add_argument("--soak-seconds", type=float, default=60.0, help="soak length (default 60; 0: none)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

    options = {"threads": args.threads} if args.threads else {}
    (disambiguator,) = load_indexes([args.index], options=options).values()
    backend = disambiguator.ensure_backend()
    counts = disambiguator.folder.manifest["counts"]
    print(
        f"index            {args.index} ({counts['vectors']} vectors x {disambiguator.folder.dim} "
        f"{disambiguator.folder.vector_type}); torch threads {args.threads or 'default'}; "
        f"{args.workers} worker(s)"
    )
    results: dict = {"index": str(args.index), "threads": args.threads, "workers": args.workers}
    process, port = start_service(args)
    try:
        client = Client(port)
        results["single"] = measure_single(args, backend, client)
        results["decide"] = measure_decide(args, disambiguator)
        results["throughput"] = measure_throughput(args, port)
        if args.soak_seconds > 0:
            results["soak"] = measure_soak(args, process, port)
        vectors_mib = (disambiguator.folder.path / VECTORS).stat().st_size / 2**20
        results["memory"] = measure_memory(process, vectors_mib)
    finally:
        process.terminate()
        process.wait(timeout=60)
    results["exit_status"] = process.returncode
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
