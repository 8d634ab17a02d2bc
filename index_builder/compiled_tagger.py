"""spaCy's tok2vec and tagger of `en_core_web_sm` as one numpy function: the same tags, with thinc's layer calls
(most of a request's tagging time) replaced by a few array operations.

The weights are read from the loaded pipeline's own models, and each step mirrors the thinc layer it replaces
(hash embeddings of the token attributes, maxout, layer norm, residual window blocks with thinc's padding
between docs, the tagger's affine layer). Two shortcuts change only the order of float sums: the first maxout
reads its product from tables of embedding rows already multiplied by its weights, and the window blocks skip
the padding rows no token depends on. The vectors agree with spaCy's to about 1e-5 and the tags are the same
(`tests/test_compiled_tagger.py`). `compile_tagger` returns None for a pipeline built otherwise, which then
runs as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc


@dataclass(frozen=True)
class HashEmbed:
    column: int  # which extracted attribute
    seed: int
    table: np.ndarray  # (rows, width)


@dataclass(frozen=True)
class MaxoutNorm:
    """A maxout layer followed by a layer norm, in the order of thinc's operations."""

    weights: np.ndarray  # (pieces * out, in): piece by piece, so that the maximum is over whole column blocks
    bias: np.ndarray  # (pieces * out,)
    pieces: int
    gain: np.ndarray
    shift: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.activate(np.dot(x, self.weights.T))

    def activate(self, y: np.ndarray) -> np.ndarray:
        """The layer's output from its product with the input (`y`, changed in place)."""
        y += self.bias
        width = len(self.gain)
        best = y[:, :width]
        for piece in range(1, self.pieces):
            best = np.maximum(best, y[:, piece * width : (piece + 1) * width])
        # numpy's mean and var, step by step: thinc normalises with them
        mean = np.add.reduce(best, axis=1, keepdims=True) / np.float32(width)
        centred = best - mean
        var = np.add.reduce(centred * centred, axis=1, keepdims=True) / np.float32(width) + 1e-08
        out = centred * var ** (-1.0 / 2.0)
        out *= self.gain
        out += self.shift
        return out


def _window(x: np.ndarray) -> np.ndarray:
    """Each row with its left and right neighbours (zeros past the ends): thinc's seq2col with window 1."""
    cols = np.zeros((len(x), 3, x.shape[1]), dtype=x.dtype)
    cols[1:, 0] = x[:-1]
    cols[:, 1] = x
    cols[:-1, 2] = x[1:]
    return cols.reshape(len(x), -1)


def _distance_to_tokens(size: int, starts: list[int], lengths: list[int]) -> np.ndarray:
    """For each row of the padded array, how many rows away the nearest token row is (0 for a token)."""
    distance = np.full(size, size, dtype=np.int64)
    where = np.arange(size)
    for start, n in zip(starts, lengths, strict=True):
        if n:
            distance = np.minimum(distance, np.maximum(start - where, where - (start + n - 1)).clip(min=0))
    return distance


class CompiledTagger:
    """The tok2vec and tagger components as one pipe: sets each doc's tensor and tags as they would."""

    def __init__(
        self,
        columns: list[str],
        embeds: list[HashEmbed],
        reduce: MaxoutNorm,
        blocks: list[MaxoutNorm],
        pad: int,
        output: tuple[np.ndarray, np.ndarray],
        tagger: Any,
    ) -> None:
        from thinc.api import NumpyOps

        self.columns, self.embeds, self.reduce, self.blocks, self.pad = columns, embeds, reduce, blocks, pad
        self.output_weights, self.output_bias = output
        self.tagger = tagger
        self._ops = NumpyOps()
        # The reduction's product with the concatenated embeddings, summed from each table's rows already
        # multiplied by their part of its weights: one gather instead of a product per token.
        width = embeds[0].table.shape[1]
        self._projected = np.concatenate(
            [e.table @ reduce.weights[:, i * width : (i + 1) * width].T for i, e in enumerate(embeds)]
        )
        self._offsets = np.cumsum([0] + [len(e.table) for e in embeds[:-1]]).astype(np.uint64)

    def vectors(self, docs: list[Doc]) -> list[np.ndarray]:
        """tok2vec's vector of every token of each doc."""
        width = len(self.columns)
        rows = np.concatenate(
            [np.zeros((0, width), np.uint64)]
            + [doc.to_array(self.columns).astype(np.uint64).reshape(len(doc), width) for doc in docs]
        )
        keys = [
            self._ops.hash(np.ascontiguousarray(rows[:, embed.column]), embed.seed) % len(embed.table)
            + offset
            for embed, offset in zip(self.embeds, self._offsets, strict=True)
        ]
        x = self.reduce.activate(self._projected[np.concatenate(keys, axis=1)].sum(axis=1))
        lengths = [len(doc) for doc in docs]
        padded, starts = self._flatten(np.split(x, np.cumsum(lengths)[:-1]))
        reach = _distance_to_tokens(len(padded), starts, lengths)
        for depth, block in enumerate(self.blocks, 1):
            # only the rows a token's vector still depends on: each block looks one row further
            needed = np.flatnonzero(reach <= len(self.blocks) - depth)
            padded[needed] += block(_window(padded)[needed])
        return [padded[start : start + n] for start, n in zip(starts, lengths, strict=True)]

    def _flatten(self, seqs: list[np.ndarray]) -> tuple[np.ndarray, list[int]]:
        """The sequences with `pad` zero rows before, between and after them (as thinc's with_array), and
        where each starts."""
        width = self.blocks[0].gain.shape[0]
        parts, starts, at = [], [], 0
        for seq in seqs:
            if not len(seq):  # thinc drops empty sequences when it flattens
                starts.append(at)
                continue
            parts += [np.zeros((self.pad, width), np.float32), seq]
            starts.append(at + self.pad)
            at += self.pad + len(seq)
        parts.append(np.zeros((self.pad, width), np.float32))
        return np.concatenate(parts), starts

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        docs = iter(docs)
        while batch := list(islice(docs, batch_size)):
            vectors = self.vectors(batch)
            for doc, tokvecs in zip(batch, vectors, strict=True):
                doc.tensor = tokvecs
            tags = [(v @ self.output_weights.T + self.output_bias).argmax(axis=1) for v in vectors]
            self.tagger.set_annotations(batch, tags)
            yield from batch


def _layers(model: Any, name: str) -> list[Any]:
    return [layer for layer in model.walk() if layer.name == name]


def _maxout_norm(maxout: Any, norm: Any) -> MaxoutNorm:
    out, pieces, width = maxout.get_param("W").shape  # thinc keeps the pieces of an output together
    return MaxoutNorm(
        np.ascontiguousarray(maxout.get_param("W").transpose(1, 0, 2).reshape(pieces * out, width)),
        np.ascontiguousarray(maxout.get_param("b").T.reshape(pieces * out)),
        pieces,
        norm.get_param("G"),
        norm.get_param("b"),
    )


def compile_tagger(tok2vec: Any, tagger: Any) -> CompiledTagger | None:
    """The compiled pipe for these two components, or None where their models are not the architecture it
    mirrors (hash embeddings, one maxout reduction, residual window-1 maxout blocks, a softmax tagger on
    tok2vec's listener, all on numpy)."""
    from thinc.api import NumpyOps

    model = tok2vec.model
    features, embeds = _layers(model, "extract_features"), _layers(model, "hashembed")
    maxouts, norms = _layers(model, "maxout"), _layers(model, "layernorm")
    windows, residuals = (
        _layers(model, "expand_window"),
        _layers(model, "residual(expand_window>>maxout>>layernorm>>dropout)"),
    )
    softmax = _layers(tagger.model, "softmax")
    padded = [layer for layer in model.walk() if layer.name.startswith("with_array(residual")]
    shaped = (
        len(features) == 1
        and embeds
        and len(maxouts) == len(norms) == len(residuals) + 1 == len(windows) + 1 >= 2
        and all(w.attrs["window_size"] == 1 for w in windows)
        and len(padded) == 1
        and len(softmax) == 1
        and not softmax[0].attrs.get("softmax_normalize")
        and tagger.model.layers[0].name == "tok2vec-listener"
        and isinstance(model.ops, NumpyOps)
    )
    if not shaped:
        return None
    return CompiledTagger(
        columns=list(features[0].attrs["columns"]),
        embeds=[HashEmbed(e.attrs["column"], e.attrs["seed"], e.get_param("E")) for e in embeds],
        reduce=_maxout_norm(maxouts[0], norms[0]),
        blocks=[_maxout_norm(m, n) for m, n in zip(maxouts[1:], norms[1:], strict=True)],
        pad=padded[0].attrs["pad"],
        output=(softmax[0].get_param("W"), softmax[0].get_param("b")),
        tagger=tagger,
    )
