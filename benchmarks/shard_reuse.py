"""What content-keyed shards save (issue 15): a SemCor build with kept shards, then the same corpus with one
character fixed in its last document, then with one document appended; each against a fresh build of the
same corpus. Prints and writes (--json) shards embedded / reused and wall times.

    .venv/bin/python benchmarks/shard_reuse.py --backend fake --json results/shard_reuse.json
    .venv/bin/python benchmarks/shard_reuse.py --backend bert --threads 2 --json results/shard_reuse_bert.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.backends import create_backend
from index_builder.build import BuildSettings, build_index, check_corpus
from index_builder.paths import semcor_paths


class ShardLog(logging.Handler):
    """Catches the builder's "N shards: R finished earlier and reused ..., E to embed" line."""

    def __init__(self) -> None:
        super().__init__()
        self.reused = self.embedded = 0

    def emit(self, record: logging.LogRecord) -> None:
        found = re.match(
            r"(\d+) shards: (\d+) finished earlier and reused .*, (\d+) to embed", record.getMessage()
        )
        if found:
            self.reused, self.embedded = int(found.group(2)), int(found.group(3))


def variants(work: Path) -> dict[str, tuple[Path, Path]]:
    """SemCor as shipped, with one character changed in its last document, and with a document appended."""
    xml, keys = semcor_paths()
    with gzip.open(xml, "rt", encoding="utf-8") as handle:
        text = handle.read()
    last = text.rindex('<text id="')
    fixed = text[:last] + text[last:].replace(
        'lemma="be"', 'lemma="bE"', 1
    )  # one character, late in the corpus
    doc = text[last : text.index("</text>", last) + len("</text>")]
    extra = re.sub(r'id="d(\d+)', r'id="x\1', doc)
    appended = fixed.replace("</corpus>", extra + "\n</corpus>")
    with gzip.open(keys, "rt", encoding="utf-8") as handle:
        key_text = handle.read()
    extra_keys = "".join("x" + line[1:] for line in key_text.splitlines(True) if line.startswith(doc[10:14]))
    out = {}
    for name, corpus, key_lines in (
        ("semcor", text, key_text),
        ("fixed", fixed, key_text),
        ("appended", appended, key_text + extra_keys),
    ):
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "c.data.xml").write_text(corpus, encoding="utf-8")
        (folder / "c.gold.key.txt").write_text(key_lines, encoding="utf-8")
        out[name] = (folder / "c.data.xml", folder / "c.gold.key.txt")
    return out


def timed_build(backend, corpus: tuple[Path, Path], out: Path, fresh: bool, log: ShardLog) -> dict:
    settings = BuildSettings(*corpus, out=out)
    start = time.perf_counter()
    build_index(
        backend, settings, progress=False, fresh=fresh, keep_shards=True, checked=check_corpus(settings)
    )
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "shards_reused": log.reused,
        "shards_embedded": log.embedded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="fake", help="fake (measures the builder) or bert (MiniLM)")
    parser.add_argument("--threads", type=int, help="torch threads for a model backend")
    parser.add_argument("--work", type=Path, default=Path("/tmp/shard-reuse"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    log = ShardLog()
    logging.getLogger("index_builder.build").addHandler(log)
    logging.getLogger("index_builder.build").setLevel(logging.INFO)
    backend = create_backend(args.backend, **({"threads": args.threads} if args.threads else {}))
    corpora = variants(args.work)
    out = args.work / "index"
    rows = {"first build": timed_build(backend, corpora["semcor"], out, True, log)}
    for name, what in (
        ("fixed", "one character fixed in the last document"),
        ("appended", "one document appended"),
    ):
        rows[f"{what}: reusing shards"] = timed_build(backend, corpora[name], out, False, log)
        rows[f"{what}: fresh build"] = timed_build(backend, corpora[name], out, True, log)
    for name, row in rows.items():
        print(
            f"{name:<60} {row['seconds']:>7.1f} s  reused {row['shards_reused']:>3}  embedded {row['shards_embedded']:>3}"
        )
    if args.json:
        args.json.write_text(json.dumps({"backend": backend.spec(), "builds": rows}, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
