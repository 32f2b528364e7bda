"""A sanity case on the seed files with the real model, read by a person.

Library: the two Hugging Face Daily Papers pages (003, 004). Two readers:

* "tony" is built from 001, a list of ten abstracts he pasted (no titles): machine
  translation at scale (scaling laws for NMT, multilingual models, MBR decoding) and
  optimization (adaptive methods at the edge of stability, loss curvature, multi-task
  optimizers). Reading his feed we found, at the top: scaling laws for downstream
  performance of LLMs, learning-rate scaling at initialization ("No More Adam"), the
  bilingual GLM-130B, scaling laws with learning-rate annealing, and further down SGD noise
  and a comparison of pretraining optimizers. That is what this reader would pick: the same
  two interests, both present. The explanations point at the pasted abstract each paper is
  closest to. (A first version sampled the model's background negatives among papers with
  a vector, which were his own abstracts: the feed turned to OpenELM and RAG. The
  background now leaves the reader's own papers out.)
* "ben" is the author of 002 (a theory-of-deep-learning page: double descent, bias-variance,
  infinite-width kernels, SGD dynamics), added by name and with the page itself. His feed
  opened with SGD noise in different training regimes, when ViTs beat ResNets without
  pretraining, empirical risk minimisation theory, and further on a model-agnostic measure
  of generalization difficulty and how over-parameterization slows gradient descent:
  generalization theory, his topic; none of his own papers.

The assertions below keep those judgements (a topic share in the top of each feed), not the
exact order, which may shift with the machine's floating point.
"""

from pathlib import Path

import pytest

from papersift.embed import load_embedder
from papersift.ingest.pipeline import ingest_file
from papersift.recommend import FeedSettings, Recommender
from papersift.search import Searcher
from papersift.store import Store
from tests.support import seed_file

pytestmark = [pytest.mark.model, pytest.mark.seeds]
EVERYTHING = FeedSettings(since="2000-01-01", limit=8)


def share(titles: list[str], words: tuple[str, ...]) -> int:
    return sum(any(w in t.lower() for w in words) for t in titles)


def test_feeds_of_two_seed_readers(seeds: Path, store: Store) -> None:
    ingest_file(store, seed_file(seeds, "003"))
    ingest_file(store, seed_file(seeds, "004"))
    embedder = load_embedder("default")
    rec = Recommender(store, Searcher(store, lambda: embedder, embedder.name))

    tony = rec.add_reader("tony", papers=[seed_file(seeds, "001")])
    assert tony.from_files == 10
    tony_feed = rec.feed("tony", EVERYTHING)
    titles = [h.paper.title or "" for h in tony_feed]
    topic = ("scaling", "optimi", "adam", "learning rate", "bilingual", "sgd", "translat")
    assert share(titles[:5], topic) >= 3
    assert all("from your list" in h.reasons[0] for h in tony_feed)

    ben = rec.add_reader("ben", authors=["Ben Adlam"], papers=[seed_file(seeds, "002")])
    assert ben.own >= 10  # his name is on most entries of his page (others hide it in "et al.")
    ben_feed = rec.feed("ben", EVERYTHING)
    own = {s.paper_id for s in store.signals(ben.reader.id)}
    assert not own & {h.paper.id for h in ben_feed}
    titles = [h.paper.title or "" for h in ben_feed]
    topic = ("generaliz", "sgd", "noise", "kernel", "descent", "over-param", "risk", "theory")
    assert share(titles, topic) >= 3
