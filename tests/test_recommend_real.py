"""The floor on real readers: papersift's reader model beats arxiv-sanity-lite's TF-IDF +
SVM and Scholar Inbox's MiniLM regression on the CiteULike development set.

``../shared/eval/citeulike_dev`` (412 real CiteULike libraries over 1,929 papers, no
times: a seeded random 20% of each reader's saved papers held out, ranked among 100
random unsaved papers; README "Evaluation"). Measured when this was written (seed 0, all
readers, nDCG@10): papersift's model 0.582, the MiniLM regression 0.556, TF-IDF + SVM
0.535. The floor keeps papersift's model 0.03 above the SVM and 0.01 above the regression
(the spread between two draws of the reference papers alone is about 0.004).

The vectors are the packaged model's (title + abstract, 256 tokens), cached by paper id
and text in /tmp/papersift-eval-cache (embedding the 1,929 papers takes minutes on CPU).
Skipped when ../shared/eval is absent.
"""

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from papersift.embed import Embedder, content_hash, load_embedder
from papersift.evaluate import METHODS, evaluate, read_papers

pytestmark = [pytest.mark.model, pytest.mark.slow]
DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "citeulike_dev"
CACHE = Path("/tmp/papersift-eval-cache/citeulike_minilm_by_text.npz")


class CachedEmbedder:
    """The packaged model, remembered by text hash across runs."""

    def __init__(self, real: Embedder) -> None:
        self.real, self.name, self.dim = real, real.name, real.dim

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> NDArray[np.float32]:
        keys = [content_hash(t) for t in texts]
        known: dict[str, NDArray[np.float32]] = {}
        if CACHE.exists():
            with np.load(CACHE) as saved:
                known = dict(zip(saved["keys"].tolist(), saved["vectors"], strict=True))
        missing = [i for i, k in enumerate(keys) if k not in known]
        if missing:
            new = self.real.encode([texts[i] for i in missing], batch_size=batch_size)
            known.update({keys[i]: new[j] for j, i in enumerate(missing)})
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            tmp = CACHE.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
            tmp.replace(CACHE)
        return np.stack([known[k] for k in keys]).astype(np.float32)


def test_papersift_beats_tfidf_svm_and_the_minilm_regression_on_real_readers() -> None:
    if not (DEV / "ratings.jsonl.gz").exists():
        pytest.skip(f"no real rating set at {DEV}")
    assert len(read_papers(DEV / "papers.jsonl.gz")) == 1929
    names = ("papersift-model", "tfidf-svm", "minilm-logreg")
    report = evaluate(
        DEV / "papers.jsonl.gz",
        DEV / "ratings.jsonl.gz",
        CachedEmbedder(load_embedder("default")),
        seed=0,
        methods={name: METHODS[name] for name in names},
    )
    ndcg = {name: m.ndcg10 for name, m in report.methods.items()}
    assert report.users == 412 and "random 20% per reader" in report.split
    assert ndcg["papersift-model"] >= ndcg["tfidf-svm"] + 0.03, ndcg
    assert ndcg["papersift-model"] >= ndcg["minilm-logreg"] + 0.01, ndcg
