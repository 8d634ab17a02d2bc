"""How the builder's cost grows with the corpus: SemCor repeated N times with new ids, built with a cheap
deterministic backend (this measures the builder, not a model).

    .venv/bin/python benchmarks/build_scale.py --copies 10 --work /tmp/scale     # SemCor x10 (2.26M instances)
    .venv/bin/python benchmarks/build_scale.py --copies 2 --limit-docs 3 --work /tmp/scale   # a quick run
    .venv/bin/python benchmarks/build_scale.py --copies 10 --engine ray --work /tmp/scale    # on local Ray

Prints one JSON line: the corpus size, the corpus check's time, the build's wall time, the peak RSS of
this process (the check and the build; with Ray, the driver) and of its process tree (with Ray, also the
local Ray's processes and actors, sampled every 0.2 s), the folder's size. Run it once per size in
separate processes: peak RSS is per process.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from ray_engine import TreePeak  # benchmarks/ is on the path when this runs as a script

from index_builder.backends.fake import FakeBackend
from index_builder.build import BuildSettings, build_index, check_corpus, peak_rss_mb
from index_builder.engines import Engine, LocalEngine, RayEngine
from index_builder.paths import semcor_paths


def _body(limit_docs: int | None) -> Iterator[str]:
    """The lines of SemCor between <corpus ...> and </corpus> (its first `limit_docs` documents), streamed."""
    docs = 0
    with gzip.open(semcor_paths()[0], "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("<text "):
                docs += 1
                if limit_docs is not None and docs > limit_docs:
                    return
            if not line.startswith(("<?xml", "<corpus", "</corpus")):
                yield line


def make_corpus(folder: Path, copies: int, limit_docs: int | None) -> tuple[Path, Path]:
    """SemCor (its first `limit_docs` documents) `copies` times, ids prefixed r0, r1, ...; plain text,
    written line by line (nothing of it stays in this process's memory)."""
    xml_out, keys_out = folder / f"semcor-x{copies}.data.xml", folder / f"semcor-x{copies}.gold.key.txt"
    if xml_out.is_file() and keys_out.is_file():
        return xml_out, keys_out
    folder.mkdir(parents=True, exist_ok=True)
    with open(xml_out, "w", encoding="utf-8") as xml, open(keys_out, "w", encoding="utf-8") as key_file:
        xml.write('<?xml version="1.0" encoding="UTF-8" ?>\n<corpus lang="en" source="semcor-repeated">\n')
        for copy in range(copies):
            xml.writelines(line.replace(' id="d', f' id="r{copy}d') for line in _body(limit_docs))
            with gzip.open(semcor_paths()[1], "rt", encoding="utf-8") as keys:  # d000.s000.t000 key ...
                kept = (line for line in keys if limit_docs is None or int(line[1:4]) < limit_docs)
                key_file.writelines(f"r{copy}{line}" for line in kept)
        xml.write("</corpus>\n")
    return xml_out, keys_out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=10, help="how many times SemCor is repeated")
    parser.add_argument("--limit-docs", type=int, help="take only the first N SemCor documents (quick runs)")
    parser.add_argument("--work", type=Path, required=True, help="folder for the corpus and the index")
    parser.add_argument("--dim", type=int, default=384, help="vector length of the fake backend")
    parser.add_argument("--engine", choices=["local", "ray"], default="local", help="build engine")
    args = parser.parse_args()
    corpus, keys = make_corpus(args.work / "corpus", args.copies, args.limit_docs)
    out = args.work / f"index-x{args.copies}-{args.engine}"
    settings = BuildSettings(corpus, keys, out=out, limit_docs=None)
    engine: Engine = RayEngine() if args.engine == "ray" else LocalEngine()
    with TreePeak() as tree:
        start = time.perf_counter()
        checked = check_corpus(settings)
        check_seconds = time.perf_counter() - start
        build_index(FakeBackend(dim=args.dim), settings, progress=False, checked=checked, engine=engine)
        build_seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "copies": args.copies,
                "engine": args.engine,
                "sentences": sum(summary.sentences for summary in checked),
                "instances": sum(summary.instances for summary in checked),
                "check_s": round(check_seconds, 1),
                "build_s": round(build_seconds, 1),
                "peak_rss_mib": peak_rss_mb(),
                "tree_peak_rss_mib": round(tree.peak / 2**20),
                "folder_mib": round(sum(p.stat().st_size for p in settings.out.iterdir()) / 2**20),
            }
        )
    )


if __name__ == "__main__":
    main()
