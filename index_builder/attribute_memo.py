"""spaCy's attribute ruler (tag -> universal POS, morphology, lemma exceptions) with each kind of token's
pattern matches remembered: the same annotations in a fraction of the time.

The stock ruler runs a `Matcher` of all its patterns over every doc; the Python predicates of its `IN` and
`REGEX` patterns were most of its cost on a request's few tokens. Whether a token fits one position of a
pattern depends only on its own attributes (text, tag, whitespace, dependency), so that is computed once per
distinct token, by a `Matcher` of every position of every pattern; a longer pattern ("ai n't", "gon na")
matches where consecutive tokens fit its positions. The matches are then applied in the stock order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from spacy.pipeline import AttributeRuler
    from spacy.tokens import Doc

MEMO_SIZE = 200_000  # distinct (text, tag, whitespace, dependency) tokens remembered before starting over


class Fit(NamedTuple):
    """What one kind of token fits: one-token rules, longer patterns it may begin, every position key."""

    rules: tuple[int, ...]
    begins: tuple[tuple[int, tuple[int, ...]], ...]  # (rule, position keys) of longer patterns
    keys: frozenset[int]


class MemoAttributeRuler:
    """A drop-in for a loaded `AttributeRuler` in a pipeline's component list (`__call__` and `pipe`)."""

    def __init__(self, ruler: AttributeRuler) -> None:
        from spacy.matcher import Matcher
        from spacy.tokens._retokenize import set_token_attrs  # what the stock ruler applies them with

        self.ruler = ruler
        self._set_attrs = set_token_attrs
        self._positions = Matcher(ruler.vocab, validate=False)
        self._rule_of: dict[int, int] = {}  # key of a one-token rule -> the rule
        self._longer: dict[int, list[tuple[int, tuple[int, ...]]]] = {}  # first position's key -> patterns
        for rule in range(len(ruler.attrs)):
            _, patterns = ruler.matcher.get(str(rule))
            for n, pattern in enumerate(patterns):
                if any("OP" in token for token in pattern):
                    raise ValueError(f"attribute rule {rule}: operators ('OP') are not supported")
                if len(pattern) == 1:
                    key = ruler.vocab.strings.add(str(rule))
                    self._rule_of[key] = rule
                    self._positions.add(key, [pattern])
                    continue
                keys = tuple(ruler.vocab.strings.add(f"{rule}:{n}:{j}") for j in range(len(pattern)))
                for key, token in zip(keys, pattern, strict=True):
                    self._positions.add(key, [[token]])
                self._longer.setdefault(keys[0], []).append((rule, keys))
        self._memo: dict[tuple[int, int, bool, int], Fit] = {}

    def _fit(self, doc: Doc, i: int) -> Fit:
        token = doc[i]
        key = (token.lower, token.tag, token.is_space, token.dep)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            keys = frozenset(m_id for m_id, _, _ in self._positions(doc[i : i + 1], allow_missing=True))
            rules = tuple(self._rule_of[k] for k in keys if k in self._rule_of)
            begins = tuple(p for k in keys for p in self._longer.get(k, ()))
            found = self._memo[key] = Fit(rules, begins, keys)
        return found

    def match(self, doc: Doc) -> list[tuple[int, int, int]]:
        """(rule, start, end) of every match, sorted as the stock ruler sorts them: later rules win."""
        fits = [self._fit(doc, i) for i in range(len(doc))]
        matches = set()
        for start, fit in enumerate(fits):
            matches.update((rule, start, start + 1) for rule in fit.rules)
            for rule, keys in fit.begins:
                end = start + len(keys)
                if end <= len(fits) and all(key in fits[start + j].keys for j, key in enumerate(keys)):
                    matches.add((rule, start, end))
        return sorted(matches)

    def __call__(self, doc: Doc) -> Doc:
        attrs: list[dict[Any, Any]] = self.ruler.attrs
        for rule, start, end in self.match(doc):
            index = self.ruler.indices[rule]
            self._set_attrs(doc[start + index if index >= 0 else end + index], attrs[rule])
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)
