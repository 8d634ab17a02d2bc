"""Load: 64 concurrent clients, 20 requests each, against a real uvicorn server on loopback."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
import pytest

CLIENTS, REQUESTS = 64, 20
# Short sentences, each with a different target word, so that a mixed-up answer would show.
CASES = [
    ("The bank closed early.", "bank"),
    ("The jury said nothing.", "jury"),
    ("They held an election.", "election"),
    ("He sat on the bank.", "bank"),
    ("The court ruled today.", "court"),
    ("She read the report.", "report"),
    ("The city grew fast.", "city"),
    ("Taxes went up again.", "Taxes"),
]


async def _client(http: httpx.AsyncClient, number: int, latencies: list[float], failures: list[str]) -> None:
    for request in range(REQUESTS):
        text, word = CASES[(number + request) % len(CASES)]
        start = text.index(word)
        began = time.perf_counter()
        response = await http.post(
            "/v1/disambiguate", json={"text": text, "target": {"start": start, "end": start + len(word)}}
        )
        latencies.append(time.perf_counter() - began)
        if response.status_code != 200:
            failures.append(f"{response.status_code} {response.text[:200]}")
        elif response.json()["target"]["token"] != word:
            failures.append(f"asked {word!r}, answered {response.json()['target']['token']!r}")


async def _run(base_url: str) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as http:
        await asyncio.gather(*(_client(http, n, latencies, failures) for n in range(CLIENTS)))
    return latencies, failures


@pytest.mark.load
@pytest.mark.slow
def test_64_concurrent_clients(live_server):
    started = time.perf_counter()
    latencies, failures = asyncio.run(asyncio.wait_for(_run(live_server), timeout=300))
    elapsed = time.perf_counter() - started
    assert failures == []
    assert len(latencies) == CLIENTS * REQUESTS
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"\nload: {CLIENTS} clients x {REQUESTS} requests = {len(latencies)} in {elapsed:.1f} s "
        f"({len(latencies) / elapsed:.0f} req/s); latency p50 {cuts[49] * 1000:.0f} ms, "
        f"p99 {cuts[98] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; 0 errors"
    )
