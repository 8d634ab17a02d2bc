"""Speed of the sense map endpoint for a group of about 1,000 training vectors.

    .venv/bin/python benchmarks/sense_map_speed.py                       # fake index of all SemCor (built once)
    .venv/bin/python benchmarks/sense_map_speed.py --index indexes/bert-minilm --calls 50

Serves the index with the real app (uvicorn in a thread, HTTP over loopback, keep-alive) and times, over
--calls requests each: GET /v1/senses/{lemma}/map (every vector of the group: --cap is large enough), the
POST variant placing a query sentence (its embedding included), and the map alone in-process
(`sense_map`, no HTTP or JSON). Without --lemma it maps the group whose size is nearest 1,000 among those
with several senses. Goal: GET p50 < 200 ms for 1,000 vectors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.backends import create_backend
from index_builder.build import BuildSettings, build_index
from index_builder.index_folder import Group
from index_builder.paths import semcor_paths
from tests.server_thread import running_server
from wsd_service.api.app import create_app
from wsd_service.loading import load_indexes
from wsd_service.sense_map import MAX_CAP, sense_map

FAKE_INDEX = Path("/tmp/wsd-fake-full")
TARGET_SIZE = 1000


def timed(call: Callable[[], object], calls: int) -> list[float]:
    """Milliseconds of each call after one warm-up call."""
    call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(samples),
        "p90_ms": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "min_ms": ordered[0],
    }


def summary(name: str, times: dict[str, float]) -> str:
    return f"{name:44s} p50 {times['p50_ms']:7.1f} ms   p90 {times['p90_ms']:7.1f} ms   min {times['min_ms']:7.1f} ms"


def pick_group(groups: dict[tuple[str, str], Group]) -> Group:
    several = [g for g in groups.values() if len(g.sense_counts) > 1]
    return min(several, key=lambda g: (abs(g.count - TARGET_SIZE), -len(g.sense_counts), g.lemma, g.pos))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--index",
        type=Path,
        help=f"index folder (default: a fake index of SemCor, built once "
        f"into {FAKE_INDEX} in about a minute)",
    )
    parser.add_argument("--lemma", help="lemma to map (default: the group nearest 1,000 vectors)")
    parser.add_argument("--pos", help="its POS")
    parser.add_argument("--calls", type=int, default=30, help="timed requests per measurement (default 30)")
    parser.add_argument(
        "--cap", type=int, default=MAX_CAP, help=f"vectors per sense (default {MAX_CAP}: all)"
    )
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

    folder = args.index or FAKE_INDEX
    if args.index is None and not FAKE_INDEX.exists():
        print(f"building {FAKE_INDEX} with the fake backend (once)...", file=sys.stderr)
        build_index(create_backend("fake"), BuildSettings(*semcor_paths(), out=FAKE_INDEX), progress=True)
    disambiguators = load_indexes([folder])
    disambiguator = next(iter(disambiguators.values()))
    folder_groups = disambiguator.folder.groups
    group = folder_groups[(args.lemma, args.pos)] if args.lemma else pick_group(folder_groups)
    drawn = sense_map(disambiguator, group.lemma, group.pos, cap=args.cap)
    print(
        f"index {disambiguator.name} ({disambiguator.folder.dim} dims); group {group.lemma}/{group.pos}: "
        f"{group.count} vectors, {len(group.sense_counts)} senses; {len(drawn.points)} points in the map"
    )

    query = {"tokens": ["They", "could", "not", "see", "the", group.lemma, "."], "target": {"index": 5}}
    with running_server(create_app(disambiguators, warm=True)) as url:
        connection = http.client.HTTPConnection(urlparse(url).hostname, urlparse(url).port)
        path = f"/v1/senses/{group.lemma}/map?pos={group.pos}&cap={args.cap}"
        body = json.dumps({"pos": group.pos, "cap": args.cap, "query": query})

        def get() -> bytes:
            connection.request("GET", path)
            return connection.getresponse().read()

        def post() -> bytes:
            connection.request(
                "POST", f"/v1/senses/{group.lemma}/map", body, {"content-type": "application/json"}
            )
            return connection.getresponse().read()

        size = len(get())
        times = {"get": quantiles(timed(get, args.calls)), "post": quantiles(timed(post, args.calls))}
        connection.close()
    in_process = timed(lambda: sense_map(disambiguator, group.lemma, group.pos, cap=args.cap), args.calls)
    times["in_process"] = quantiles(in_process)
    print(summary("GET  /v1/senses/{lemma}/map", times["get"]))
    print(summary("POST /v1/senses/{lemma}/map (with a query)", times["post"]))
    print(summary("sense_map() in-process (no HTTP, no JSON)", times["in_process"]))
    print(f"response: {size / 1024:.0f} KiB of JSON ({size / max(len(drawn.points), 1):.0f} bytes per point)")
    if args.json:
        result = {
            "index": disambiguator.name,
            "group": {"lemma": group.lemma, "pos": group.pos, "vectors": group.count},
            "points": len(drawn.points),
            "calls": args.calls,
            "response_bytes": size,
            **times,
        }
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
