"""all-MiniLM-L6-v2 (any BERT sentence model with mean pooling) in plain numpy, for queries.

A search from the shell used to import sentence-transformers, transformers and torch (5-7 s)
and then load the model, to embed one short query. This module runs the same network with
what a CLI has imported anyway (numpy) plus the Rust ``tokenizers`` package (~10 ms to
import): the weights are memory-mapped from the model's ``model.safetensors`` (only the rows
of the words a query uses are read), the tokenizer is the model's own ``tokenizer.json``.

Vectors equal those of ``SentenceTransformerEmbedder`` to about 1e-6 (float32 arithmetic in
a different order; ``tests/test_cli_imports.py`` checks 1e-5 on queries and whole
abstracts). Each text runs on its own, without padding: there is nothing to mask, which is
what the padded, masked batch computes for it. That is fast for a few texts and slow for
thousands: ``papersift index`` keeps the torch model (``embed.QueryEmbedder`` hands large
batches to it).

The model directory must hold a BERT ``config.json`` (absolute positions, GELU), float32
weights in ``model.safetensors``, a ``tokenizer.json``, and a mean-pooling, normalised
sentence-transformers layout; ``BertNotSupportedError`` otherwise (the caller falls back to
sentence-transformers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papersift.errors import PapersiftError

F32 = NDArray[np.float32]
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class BertNotSupportedError(PapersiftError):
    """The model directory is not one this numpy encoder can run (use sentence-transformers)."""


def read_safetensors(path: Path) -> dict[str, NDArray[Any]]:
    """Every tensor of a ``.safetensors`` file, memory-mapped (read-only, nothing copied)."""
    with path.open("rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    tensors: dict[str, NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise BertNotSupportedError(f"{path}: tensor {name} is {info['dtype']}")
        start, stop = info["data_offsets"]
        tensors[name] = np.asarray(data[start:stop]).view(dtype).reshape(info["shape"])
    return tensors


@dataclass(frozen=True)
class _Layer:
    """One encoder layer's weights, as stored: ``(out, in)`` matrices used transposed."""

    query: tuple[F32, F32]  # (weight, bias)
    key: tuple[F32, F32]
    value: tuple[F32, F32]
    out: tuple[F32, F32]
    norm1: tuple[F32, F32]  # (scale, shift)
    up: tuple[F32, F32]
    down: tuple[F32, F32]
    norm2: tuple[F32, F32]


def _check_config(path: Path) -> dict[str, Any]:
    """The model's config, when it is a BERT this module computes exactly."""
    try:
        config: dict[str, Any] = json.loads((path / "config.json").read_text())
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError) as exc:
        raise BertNotSupportedError(f"{path}: {exc}") from exc
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    wanted = {
        "model_type": config.get("model_type") == "bert",
        "hidden_act": config.get("hidden_act") == "gelu",
        "position_embedding_type": config.get("position_embedding_type", "absolute") == "absolute",
        "pooling": pooling.get("pooling_mode_mean_tokens") is True
        and not any(
            v for k, v in pooling.items() if k.startswith("pooling_mode_") and "mean_t" not in k
        ),
        "modules": kinds == ["Transformer", "Pooling", "Normalize"],
        "files": (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file(),
    }
    if not all(wanted.values()):
        missing = ", ".join(k for k, ok in wanted.items() if not ok)
        raise BertNotSupportedError(f"{path}: not a plain BERT mean-pooling model ({missing})")
    return config


class NumpyBert:
    """A BERT sentence encoder in numpy: ``encode(texts)`` gives unit float32 rows."""

    def __init__(self, path: Path, max_seq_length: int) -> None:
        from tokenizers import Tokenizer

        config = _check_config(path)
        w = read_safetensors(path / "model.safetensors")
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""
        try:
            self._load(w, prefix, config)
        except KeyError as exc:
            raise BertNotSupportedError(f"{path}: no tensor {exc}") from exc
        self.max_seq_length = min(max_seq_length, int(config["max_position_embeddings"]))
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)

    def _load(self, w: dict[str, NDArray[Any]], prefix: str, config: dict[str, Any]) -> None:
        e = prefix + "embeddings."
        self.words: F32 = w[e + "word_embeddings.weight"]
        self.positions: F32 = w[e + "position_embeddings.weight"]
        self.token_type: F32 = w[e + "token_type_embeddings.weight"][0]
        self.norm0 = (w[e + "LayerNorm.weight"], w[e + "LayerNorm.bias"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.layers = [
            _layer(w, f"{prefix}encoder.layer.{i}.")
            for i in range(int(config["num_hidden_layers"]))
        ]
        self.dim = int(self.words.shape[1])

    def encode(self, texts: Sequence[str]) -> F32:
        """One unit vector per text (mean of the last layer over its tokens)."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = self.tokenizer.encode(text.strip()).ids
            out[i] = self._pooled(np.asarray(ids, dtype=np.int64))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        unit: F32 = (out / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
        return unit

    def _pooled(self, ids: NDArray[np.int64]) -> F32:
        n = len(ids)
        h = self.words[ids] + self.positions[:n] + self.token_type
        h = _layer_norm(h, self.norm0, self.eps)
        for layer in self.layers:
            h = self._block(h, layer)
        pooled: F32 = h.mean(axis=0, dtype=np.float32)
        return pooled

    def _block(self, h: F32, layer: _Layer) -> F32:
        n, hidden = h.shape
        size = hidden // self.heads
        q, k, v = (
            _linear(h, p).reshape(n, self.heads, size).transpose(1, 0, 2)  # (heads, n, size)
            for p in (layer.query, layer.key, layer.value)
        )
        scores = (q @ k.transpose(0, 2, 1)) / np.float32(math.sqrt(size))
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, hidden)
        h = _layer_norm(_linear(context, layer.out) + h, layer.norm1, self.eps)
        up = _gelu(_linear(h, layer.up))
        return _layer_norm(_linear(up, layer.down) + h, layer.norm2, self.eps)


def _layer(w: dict[str, NDArray[Any]], p: str) -> _Layer:
    def pair(name: str, first: str = "weight", second: str = "bias") -> tuple[F32, F32]:
        return w[f"{p}{name}.{first}"], w[f"{p}{name}.{second}"]

    a = "attention."
    return _Layer(
        pair(a + "self.query"),
        pair(a + "self.key"),
        pair(a + "self.value"),
        pair(a + "output.dense"),
        pair(a + "output.LayerNorm"),
        pair("intermediate.dense"),
        pair("output.dense"),
        pair("output.LayerNorm"),
    )


def _linear(x: F32, params: tuple[F32, F32]) -> F32:
    """``x @ weight.T + bias`` (a torch ``Linear``; BLAS reads the stored matrix transposed)."""
    out: F32 = x @ params[0].T + params[1]
    return out


def _layer_norm(x: F32, params: tuple[F32, F32], eps: float) -> F32:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    out: F32 = centred / np.sqrt(var + np.float32(eps)) * params[0] + params[1]
    return out


def _gelu(x: F32) -> F32:
    """Exact (erf) GELU, as BERT's ``gelu``; erf from Numerical Recipes' erfc (relative
    error < 1.2e-7, below float32's resolution), computed in float64."""
    z = x.astype(np.float64) / math.sqrt(2.0)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.5 * a)
    poly = (
        -a * a
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t
                            * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    erfc = t * np.exp(poly)
    erf = np.where(z >= 0, 1.0 - erfc, erfc - 1.0)
    out: F32 = (0.5 * x * (1.0 + erf)).astype(np.float32)
    return out
