"""The ELMo bidirectional language model (Peters et al. 2018) in plain PyTorch, loaded from the original
`options.json` + `weights.hdf5` pair: character ids, char CNN, highway, projection, and a biLSTM with
cell/projection clipping and residual connections. Inference only; every batch starts from a zero LSTM
state unless the caller passes the previous batch's final state (the original's stateful mode)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch import nn

MAX_CHARS = 50  # characters per token, markers included
N_CHAR_IDS = 262  # 256 bytes + 5 markers, +1 because 0 is batch padding
BOS_CHAR, EOS_CHAR, BOW_CHAR, EOW_CHAR, PAD_CHAR = 256, 257, 258, 259, 260
BOS_TOKEN, EOS_TOKEN = "<S>", "</S>"

LstmState = tuple[torch.Tensor, torch.Tensor]  # (cell, projected output), each (batch, dim)


def _marker_ids(marker: int) -> list[int]:
    ids = [PAD_CHAR] * MAX_CHARS
    ids[:3] = [BOW_CHAR, marker, EOW_CHAR]
    return [c + 1 for c in ids]


_BOS_IDS = _marker_ids(BOS_CHAR)
_EOS_IDS = _marker_ids(EOS_CHAR)


def word_char_ids(word: str) -> list[int]:
    """The 50 ELMo character ids of one word: begin-of-word, its UTF-8 bytes (at most 48), end-of-word,
    padding; every id +1 so that 0 stays free for batch padding. `<S>`/`</S>` are the sentence markers."""
    if word == BOS_TOKEN:
        return list(_BOS_IDS)
    if word == EOS_TOKEN:
        return list(_EOS_IDS)
    encoded = word.encode("utf-8", "ignore")[: MAX_CHARS - 2]
    ids = [PAD_CHAR] * MAX_CHARS
    ids[0] = BOW_CHAR
    ids[1 : len(encoded) + 1] = list(encoded)
    ids[len(encoded) + 1] = EOW_CHAR
    return [c + 1 for c in ids]


def batch_char_ids(sentences: Sequence[Sequence[str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """(batch, longest + 2, 50) int64 ids with bos/eos around every sentence and zero padding,
    and the lengths including the two markers."""
    lengths = torch.tensor([len(s) + 2 for s in sentences], dtype=torch.long)
    ids = torch.zeros(
        (len(sentences), max((len(s) + 2 for s in sentences), default=0), MAX_CHARS), dtype=torch.long
    )
    for b, sentence in enumerate(sentences):
        rows = [_BOS_IDS, *(word_char_ids(w) for w in sentence), _EOS_IDS]
        ids[b, : len(rows)] = torch.tensor(rows, dtype=torch.long)
    return ids, lengths


class CharEncoder(nn.Module):
    """Context-independent token vectors: char embedding, CNN max-pooled over characters, highway layers,
    projection."""

    def __init__(self, options: dict[str, Any], weights: h5py.File) -> None:
        super().__init__()
        cnn = options["char_cnn"]
        if cnn.get("activation", "relu") not in ("relu", "tanh"):
            raise ValueError(f"unsupported char_cnn activation {cnn['activation']!r}")
        self.activation = torch.relu if cnn.get("activation", "relu") == "relu" else torch.tanh
        table = np.asarray(weights["char_embed"], dtype=np.float32)  # (261, dim): ids without the +1
        if table.shape[0] + 1 != N_CHAR_IDS:
            raise ValueError(f"char_embed has {table.shape[0]} rows, expected {N_CHAR_IDS - 1}")
        self.char_embed = nn.Parameter(torch.from_numpy(np.concatenate([np.zeros_like(table[:1]), table])))
        self.convs = nn.ModuleList()
        for i, (width, n_filters) in enumerate(cnn["filters"]):
            conv = nn.Conv1d(table.shape[1], n_filters, kernel_size=width)
            w = np.asarray(weights[f"CNN/W_cnn_{i}"], dtype=np.float32)[0]  # (width, in, out)
            conv.weight.data = torch.from_numpy(np.ascontiguousarray(w.transpose(2, 1, 0)))
            conv.bias.data = torch.from_numpy(np.asarray(weights[f"CNN/b_cnn_{i}"], dtype=np.float32))
            self.convs.append(conv)
        # Highway as in bilm-tf: g = sigmoid(x W_carry + b_carry); y = g * relu(x W_tr + b_tr) + (1 - g) * x
        self.highways = nn.ParameterList()
        for k in range(cnn["n_highway"]):
            for name in ("W_carry", "b_carry", "W_transform", "b_transform"):
                data = np.asarray(weights[f"CNN_high_{k}/{name}"], dtype=np.float32)
                self.highways.append(nn.Parameter(torch.from_numpy(data)))
        self.n_highway = cnn["n_highway"]
        self.w_proj = nn.Parameter(torch.from_numpy(np.asarray(weights["CNN_proj/W_proj"], dtype=np.float32)))
        self.b_proj = nn.Parameter(torch.from_numpy(np.asarray(weights["CNN_proj/b_proj"], dtype=np.float32)))

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        """(batch, tokens, 50) ids -> (batch, tokens, projection_dim)."""
        batch, tokens, chars = char_ids.shape
        x = self.char_embed[char_ids.reshape(-1, chars)].transpose(1, 2)  # (batch*tokens, dim, chars)
        x = torch.cat([self.activation(conv(x).max(dim=-1).values) for conv in self.convs], dim=-1)
        for k in range(self.n_highway):
            w_carry, b_carry, w_tr, b_tr = self.highways[4 * k : 4 * k + 4]
            gate = torch.sigmoid(x @ w_carry + b_carry)
            x = gate * torch.relu(x @ w_tr + b_tr) + (1.0 - gate) * x
        return (x @ self.w_proj + self.b_proj).reshape(batch, tokens, -1)


class LstmDirection(nn.Module):
    """One LSTM layer in one direction as in TensorFlow's LSTMCell: gates i, j, f, o, forget bias 1,
    cell clipping, a projection of the output, projection clipping."""

    def __init__(
        self, w: np.ndarray, b: np.ndarray, w_proj: np.ndarray, cell_clip: float, proj_clip: float
    ) -> None:
        super().__init__()
        self.input_dim = w.shape[0] - w_proj.shape[1]
        self.w = nn.Parameter(torch.from_numpy(np.asarray(w, dtype=np.float32)))  # (in + proj, 4 * cell)
        self.b = nn.Parameter(torch.from_numpy(np.asarray(b, dtype=np.float32)))
        self.w_proj = nn.Parameter(torch.from_numpy(np.asarray(w_proj, dtype=np.float32)))  # (cell, proj)
        self.cell_clip = cell_clip
        self.proj_clip = proj_clip

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor, state: LstmState | None = None
    ) -> tuple[torch.Tensor, LstmState]:
        """(batch, time, in) -> (batch, time, proj) left to right from `state` (zero if None), and the
        (cell, output) state after each row's last valid step."""
        batch, time, _ = x.shape
        cell_dim, proj_dim = self.w_proj.shape
        w_x, w_h = self.w[: self.input_dim], self.w[self.input_dim :]
        x_part = x @ w_x + self.b
        c, h = state if state is not None else (x.new_zeros(batch, cell_dim), x.new_zeros(batch, proj_dim))
        outputs = []
        for t in range(time):
            i, j, f, o = (x_part[:, t] + h @ w_h).chunk(4, dim=-1)
            c_new = torch.sigmoid(f + 1.0) * c + torch.sigmoid(i) * torch.tanh(j)
            if self.cell_clip:
                c_new = c_new.clamp(-self.cell_clip, self.cell_clip)
            h_new = (torch.sigmoid(o) * torch.tanh(c_new)) @ self.w_proj
            if self.proj_clip:
                h_new = h_new.clamp(-self.proj_clip, self.proj_clip)
            active = (t < lengths)[:, None]
            c, h = torch.where(active, c_new, c), torch.where(active, h_new, h)
            outputs.append(h_new)
        out = torch.stack(outputs, dim=1) if outputs else x.new_zeros(batch, 0, proj_dim)
        return out, (c, h)


def _reverse_index(lengths: torch.Tensor, time: int) -> torch.Tensor:
    """(batch, time) index that reverses each row within its length and leaves the padding in place."""
    t = torch.arange(time).expand(len(lengths), time)
    return torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)


class ElmoBiLm(nn.Module):
    """The full biLM; `sentence_layers` gives each sentence's layer activations without bos/eos."""

    def __init__(self, options: dict[str, Any], weights: h5py.File) -> None:
        super().__init__()
        lstm = options["lstm"]
        self.n_layers: int = lstm["n_layers"]
        self.projection_dim: int = lstm["projection_dim"]
        self.skip_connections: bool = bool(lstm.get("use_skip_connections", False))
        self.char_encoder = CharEncoder(options, weights)
        self.directions = nn.ModuleList()  # forward layers then backward layers
        for direction in range(2):
            for layer in range(self.n_layers):
                cell = weights[f"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"]
                self.directions.append(
                    LstmDirection(
                        cell["W_0"][...],
                        cell["B"][...],
                        cell["W_P_0"][...],
                        lstm.get("cell_clip") or 0.0,
                        lstm.get("proj_clip") or 0.0,
                    )
                )
        self.eval()

    @classmethod
    def from_files(cls, options_path: str | Path, weights_path: str | Path) -> ElmoBiLm:
        """Load from the original two-file layout."""
        options = json.loads(Path(options_path).read_text(encoding="utf-8"))
        with h5py.File(weights_path, "r") as weights:
            return cls(options, weights)

    @property
    def output_dim(self) -> int:
        return 2 * self.projection_dim

    def forward(
        self, char_ids: torch.Tensor, lengths: torch.Tensor, state: list[LstmState] | None = None
    ) -> tuple[torch.Tensor, list[LstmState]]:
        """Ids (batch, time, 50) with bos/eos, lengths incl. markers -> (n_layers + 1, batch, time, 2 * proj),
        zero at padding, and the final LSTM states (forward layers then backward layers).

        `state=None` starts every direction from zero, as the service always does; passing the previous
        batch's final states reproduces the stateful runs of the original implementation."""
        time = char_ids.shape[1]
        mask = (torch.arange(time)[None, :] < lengths[:, None]).unsqueeze(-1).to(torch.float32)
        tokens = self.char_encoder(char_ids) * mask
        layers = [torch.cat([tokens, tokens], dim=-1)]
        rev = _reverse_index(lengths, time).unsqueeze(-1).expand(-1, -1, self.projection_dim)
        inputs = [tokens, tokens.gather(1, rev)]  # backward direction: each row reversed within its length
        final: dict[int, LstmState] = {}
        for layer in range(self.n_layers):
            outputs = []
            for direction in range(2):
                k = direction * self.n_layers + layer
                out, final[k] = self.directions[k](inputs[direction], lengths, state[k] if state else None)
                out = out * mask
                if self.skip_connections and layer > 0:
                    out = out + inputs[direction]
                outputs.append(out)
            layers.append(torch.cat([outputs[0], outputs[1].gather(1, rev)], dim=-1))
            inputs = outputs
        return torch.stack(layers), [final[k] for k in range(2 * self.n_layers)]

    def sentence_layers(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """One float32 array (n_layers + 1, n_words, 2 * proj) per sentence of words, run as one batch."""
        if not sentences:
            return []
        ids, lengths = batch_char_ids(sentences)
        with torch.inference_mode():
            out = self.forward(ids, lengths)[0].numpy()
        return [out[:, b, 1 : len(s) + 1].copy() for b, s in enumerate(sentences)]
