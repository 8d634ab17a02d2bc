"""Import a library without the optional libraries it would pull in for features this project never uses.

nltk imports scipy, scikit-learn and pandas when they are installed (flair installs them) for Fisher's exact
test and its scikit-learn classifier wrapper; spaCy's thinc imports torch, and asks it for GPUs, for its
PyTorch layers. Both guard those imports, so hiding the optional libraries while the library loads saves
seconds of every start (about 2 s for nltk, 2.3 s of torch for spaCy) and changes nothing this project uses.
A process that imported the library, or the optional one, first is left as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

NLTK_OPTIONAL = ("scipy", "sklearn", "pandas")
SPACY_OPTIONAL = ("torch",)  # en_core_web_sm needs none of thinc's torch layers


@contextmanager
def without(optional: tuple[str, ...], importing: str) -> Iterator[None]:
    """Inside the block, `import NAME` raises ImportError for each `optional` NAME not imported yet, unless
    `importing` (the library the block imports) is imported already."""
    hidden = [name for name in optional if name not in sys.modules] if importing not in sys.modules else []
    sys.modules.update(dict.fromkeys(hidden))
    try:
        yield
    finally:
        for name in hidden:
            sys.modules.pop(name, None)
