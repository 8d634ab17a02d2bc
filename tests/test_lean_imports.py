from __future__ import annotations

import json
import subprocess
import sys

import pytest

from index_builder.lean_imports import without


def test_modules_are_hidden_only_while_the_library_loads_for_the_first_time():
    with without(("json", "wsd_never_imported"), importing="wsd_library_not_imported_yet"):
        assert sys.modules["json"] is json  # imported before: left as it is
        with pytest.raises(ImportError):
            import wsd_never_imported  # noqa: F401
    assert "wsd_never_imported" not in sys.modules


def test_nothing_is_hidden_once_the_library_is_imported():
    with without(("wsd_never_imported",), importing="json"):
        assert "wsd_never_imported" not in sys.modules


@pytest.mark.slow
def test_wordnet_and_the_tagger_load_without_the_optional_libraries_which_still_work_after():
    """A fresh process: WordNet and the spaCy pipeline load and tag without importing scipy, scikit-learn,
    pandas or torch; each imports normally afterwards."""
    code = (
        "import sys; from index_builder.text import tag_words; "
        "assert [t.lemma for t in tag_words('Banks ran.')] == ['bank', 'run', '.']; "
        "print(sorted(m for m in ('scipy', 'sklearn', 'pandas', 'torch') if m in sys.modules)); "
        "import sklearn.manifold, torch; print(torch.ones(1).item())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "1.0"]
