"""Write the lemmas of the evaluation sets, one per line, for `index-builder build --evidence-lemmas`: an
index whose WordNet evidence covers only these lemmas answers them as the full-evidence index would in the
knn and centroid modes (each decision sees only its lemma's own vectors), at a fraction of the build time.

    .venv/bin/python benchmarks/eval_lemmas.py --out results/tmp/eval_lemmas.txt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index_builder.corpus import read_corpus
from index_builder.inventory import normalise_lemma
from index_builder.paths import eval_paths


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="ALL", help="evaluation set (default ALL, all five)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lemmas = sorted(
        {
            normalise_lemma(i.lemma)
            for sentence in read_corpus(*eval_paths(args.dataset))
            for i in sentence.instances
        }
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(f"{lemma}\n" for lemma in lemmas), encoding="utf-8")
    print(f"wrote {len(lemmas)} lemmas of {args.dataset} to {args.out}")


if __name__ == "__main__":
    main()
