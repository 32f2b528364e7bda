"""Synthetic readers: a paper library and a rating log for the replay evaluation.

``generate(out_dir)`` writes ``papers.jsonl`` and ``ratings.jsonl`` (the formats
``papersift.evaluate`` reads) and returns their paths. Deterministic for a seed.

* **Topics.** 15 to 22 topics, each with its own ML-like vocabulary (a few words are shared
  by related topics, as "alignment" or "embedding" are), plus common research words every
  paper uses. A topic's words are Zipf-distributed, and every paper draws on its own subset
  of them, so papers of one topic differ.
* **Papers** mix one or two topics (60/40 to 80/20), are dated over two years (2023-2024)
  and have Zipf-ish upvotes.
* **Readers** have 2 to 4 interests with unequal weights (one dominant) and rate 30 to 150
  papers over their active months. Each rating is of a recent paper they came across:
  mostly one of their interests (chosen by weight), otherwise anything (popular papers more
  often). A paper is liked when at least 40% of it is on a current interest, else disliked,
  and 12% of labels are flipped (noise). Interests drift: halfway through a reader's
  active period a new interest appears, or a minor one fades: its papers still come up (half
  as often, as a feed trained on the past would show them) and are now disliked.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson

START = date(2023, 1, 1)
SPAN_DAYS = 730
FLIP_RATE = 0.12
LIKE_THRESHOLD = 0.4
ON_INTEREST_RATE = 0.6
RECENT_DAYS = 90

TOPICS: tuple[str, ...] = (
    "policy reward agent environment trajectory actor critic exploration bandit qlearning "
    "markov episode return advantage offpolicy rollout planning horizon discount regret "
    "curriculum simulator value",
    "image detection segmentation pixel bounding box object convolutional backbone resnet "
    "imagenet coco anchor mask instance semantic panoptic pyramid resolution crop "
    "augmentation recognition camera",
    "language token transformer pretraining prompt instruction finetuning decoder vocabulary "
    "perplexity corpus llm chat alignment context generation autoregressive tokenizer "
    "reasoning chainofthought sampling text dialogue",
    "graph node edge message passing gnn neighborhood adjacency spectral laplacian molecule "
    "link subgraph heterophily homophily oversmoothing readout hypergraph relational citation "
    "aggregation walk community embedding",
    "gradient convergence stochastic sgd adam momentum warmup schedule convex nonconvex "
    "stepsize curvature hessian saddle landscape minibatch variance preconditioning decay "
    "lipschitz smoothness optimizer iterate",
    "diffusion denoising score noise sampler latent vae gan generator discriminator "
    "likelihood normalizing flow sde reverse guidance classifierfree synthesis fid "
    "inpainting unet timestep variational",
    "speech audio acoustic phoneme asr spectrogram speaker waveform vocoder pitch prosody "
    "transcription utterance wav2vec mel microphone music listening voice streaming keyword",
    "robot manipulation grasp locomotion arm gripper controller sim2real kinematics torque "
    "navigation legged humanoid teleoperation dexterous contact motor actuator tactile "
    "planner pick place trajectory",
    "privacy differential attack adversarial robustness membership poisoning backdoor "
    "federated clients secure encryption leakage defense perturbation certified threat "
    "watermark jailbreak audit epsilon noise",
    "causal treatment effect confounder intervention counterfactual instrumental "
    "observational estimator propensity identification structural dag randomized outcome "
    "heterogeneous experiment bias regression policy",
    "clinical patient medical diagnosis radiology hospital ehr disease mri tumor pathology "
    "health cohort biomarker survival drug trial records icu screening ecg imaging",
    "bound generalization complexity sample pac rademacher theorem proof lower upper minimax "
    "vc dimension kernel overparameterized implicit regularization margin stability risk "
    "asymptotic",
    "recommendation user item collaborative filtering ranking click session implicit "
    "feedback factorization coldstart retrieval candidate ctr personalization engagement "
    "catalog sequential preference",
    "quantization pruning distillation sparsity compression latency hardware accelerator "
    "memory int8 throughput fpga mobile edge efficient lowrank bitwidth student teacher "
    "footprint kernel",
    "multimodal vision caption clip contrastive grounding visual question answering "
    "crossmodal zeroshot paired vqa video image text alignment retrieval embedding",
    "forecasting timeseries temporal seasonality trend anomaly sensor traffic weather demand "
    "lag stationarity multivariate recurrent lstm probabilistic interval energy horizon "
    "autoregressive",
    "nerf radiance field rendering view synthesis mesh pointcloud depth reconstruction "
    "volumetric ray gaussian splatting geometry scene pose voxel surface camera implicit",
    "pde physics operator fluid simulation solver equation navier stokes turbulence climate "
    "molecular dynamics quantum chemistry protein folding material discovery informed",
    "fairness demographic group disparity discrimination equity protected attribute "
    "accountability harm ethical social gender race interpretability transparency "
    "stakeholder explanation bias audit",
    "continual catastrophic forgetting task incremental replay meta fewshot adaptation "
    "episodic prototype support query lifelong plasticity rehearsal domain shift transfer",
    "translation multilingual lowresource parallel bleu named entity extraction parsing "
    "syntax morphology annotation crosslingual summarization sentiment relation tagging "
    "treebank alignment",
    "distributed parallel cluster gpu communication pipeline sharding allreduce straggler "
    "bandwidth asynchronous scheduling datacenter checkpoint serving fault throughput "
    "federated memory",
)

COMMON = (
    "model models method approach propose proposed results show demonstrate performance "
    "benchmark benchmarks dataset datasets experiments evaluation framework novel existing "
    "prior work significantly outperforms baseline baselines improve improvement training "
    "learning network networks neural deep data large scale task tasks analysis study problem "
    "effective simple robust accuracy achieve competitive code available extensive empirical "
    "theoretical key challenge address limitations recent introduce present settings "
    "strong state art"
).split()
GLUE = "the of and to a in for with on that we our this is by".split()
OPENERS = ("We propose", "In this paper we study", "We introduce", "This work presents", "We show")
FIRST = "Ada Alan Grace Tomás Mei Ravi Ingrid Kwame Lena Omar Sofia Yuki Priya Jonas".split()
LAST = "Lovelace Turing Hopper Okafor Chen Patel Berg Mensah Novak Haddad Rossi Sato Iyer".split()


@dataclass
class _Paper:
    topics: list[tuple[int, float]]  # (topic, share), shares sum to 1
    day: int
    upvotes: int
    record: dict[str, object] = field(default_factory=dict)


@dataclass
class _Library:
    papers: list[_Paper]  # by date
    days: list[int]
    by_topic: list[list[int]]  # topic -> indices of its papers


@dataclass
class _Reader:
    name: str
    interests: dict[int, float]  # topic -> weight
    start_day: int
    change_day: int
    new_topic: int | None  # appears at change_day
    faded_topic: int | None  # fades at change_day

    def current(self, day: int) -> dict[int, float]:
        """The topics liked on ``day``, with their weights."""
        if day < self.change_day:
            return self.interests
        now = {t: w for t, w in self.interests.items() if t != self.faded_topic}
        if self.new_topic is not None:
            now[self.new_topic] = 0.35
        return now

    def seen_topics(self, day: int) -> dict[int, float]:
        """The topics the reader's feeds show on ``day``: a faded interest keeps coming up
        (half as often), and is now disliked."""
        now = self.current(day)
        if day >= self.change_day and self.faded_topic is not None:
            now = {**now, self.faded_topic: self.interests[self.faded_topic] / 2}
        return now


def generate(
    out_dir: Path, *, papers: int = 3000, users: int = 40, seed: int = 0
) -> tuple[Path, Path]:
    """Write ``papers.jsonl`` and ``ratings.jsonl`` under ``out_dir``; return their paths."""
    rng = np.random.default_rng(seed)
    n_topics = int(rng.integers(15, len(TOPICS) + 1))
    order = rng.permutation(len(TOPICS))[:n_topics]
    vocab = [_shuffled_words(TOPICS[i], rng) for i in order]
    library = [_make_paper(i, vocab, rng) for i in range(papers)]
    library.sort(key=lambda p: p.day)
    for i, p in enumerate(library):
        p.record["id"] = f"p{i + 1:05d}"
    world = _Library(
        library,
        [p.day for p in library],
        [
            [i for i, p in enumerate(library) if any(t == k for t, _ in p.topics)]
            for k in range(n_topics)
        ],
    )
    readers = [_make_reader(u, n_topics, rng) for u in range(users)]
    ratings = [r for reader in readers for r in _rate(reader, world, rng)]
    ratings.sort(key=lambda r: (str(r["time"]), str(r["user"])))
    out_dir.mkdir(parents=True, exist_ok=True)
    papers_path, ratings_path = out_dir / "papers.jsonl", out_dir / "ratings.jsonl"
    _write_jsonl(papers_path, [p.record for p in library])
    _write_jsonl(ratings_path, ratings)
    return papers_path, ratings_path


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("wb") as f:
        for row in rows:
            f.write(orjson.dumps(row) + b"\n")


def _shuffled_words(words: str, rng: np.random.Generator) -> list[str]:
    return [str(w) for w in rng.permutation(words.split())]


def _zipf_choice(words: list[str], n: int, rng: np.random.Generator) -> list[str]:
    weights = 1.0 / np.arange(1, len(words) + 1) ** 0.8
    picks = rng.choice(len(words), size=n, p=weights / weights.sum())
    return [words[i] for i in picks]


def _make_paper(i: int, vocab: list[list[str]], rng: np.random.Generator) -> _Paper:
    first = int(rng.integers(len(vocab)))
    topics = [(first, 1.0)]
    if rng.random() < 0.4:
        second = int((first + rng.integers(1, len(vocab))) % len(vocab))
        share = float(rng.uniform(0.6, 0.8))
        topics = [(first, share), (second, 1.0 - share)]
    # each paper uses its own subset of its topics' words (a sub-topic)
    subsets = [_zipf_choice(vocab[t], 10, rng) for t, _ in topics]
    day = int(rng.integers(SPAN_DAYS))
    upvotes = min(int(rng.zipf(1.8)) - 1, 999)
    paper = _Paper(topics, day, upvotes)
    paper.record = {
        "id": "",
        "title": _title(topics, subsets, rng),
        "abstract": _abstract(topics, subsets, rng),
        "authors": _authors(rng),
        "date": (START + timedelta(days=day)).isoformat(),
        "upvotes": upvotes,
    }
    return paper


def _topic_words(
    topics: list[tuple[int, float]], subsets: list[list[str]], n: int, rng: np.random.Generator
) -> list[str]:
    shares = np.array([s for _, s in topics])
    which = rng.choice(len(topics), size=n, p=shares / shares.sum())
    return [subsets[k][int(rng.integers(len(subsets[k])))] for k in which]


def _title(
    topics: list[tuple[int, float]], subsets: list[list[str]], rng: np.random.Generator
) -> str:
    words = _topic_words(topics, subsets, int(rng.integers(3, 6)), rng)
    words.insert(int(rng.integers(1, len(words))), str(rng.choice(["for", "with", "via", "in"])))
    if rng.random() < 0.5:
        words.insert(0, str(rng.choice(COMMON)))
    return " ".join(words).capitalize()


def _abstract(
    topics: list[tuple[int, float]], subsets: list[list[str]], rng: np.random.Generator
) -> str:
    sentences = []
    for s in range(int(rng.integers(4, 8))):
        n = int(rng.integers(8, 16))
        topical = iter(_topic_words(topics, subsets, n, rng))
        words = []
        for _ in range(n):
            r = rng.random()
            if r < 0.4:
                words.append(next(topical))
            elif r < 0.75:
                words.append(str(rng.choice(COMMON)))
            else:
                words.append(str(rng.choice(GLUE)))
        opener = str(rng.choice(OPENERS)) + " " if s == 0 else ""
        sentences.append((opener + " ".join(words)).capitalize() + ".")
    return " ".join(sentences)


def _authors(rng: np.random.Generator) -> list[str]:
    n = int(rng.integers(1, 6))
    return [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n)]


def _make_reader(u: int, n_topics: int, rng: np.random.Generator) -> _Reader:
    k = int(rng.integers(2, 5))
    topics = [int(t) for t in rng.choice(n_topics, size=k + 1, replace=False)]
    minor = sorted(rng.dirichlet(np.ones(k - 1)) * 0.4, reverse=True)  # dominant keeps >= 0.6
    weights = [float(rng.uniform(0.6, 0.75))] + [float(m) for m in minor]
    weights = [w / sum(weights) for w in weights]
    interests = dict(zip(topics[:k], weights, strict=True))
    start = int(rng.integers(30, 365))
    change = start + (SPAN_DAYS - start) // 2
    if rng.random() < 0.5:  # a new interest appears
        return _Reader(f"u{u + 1:03d}", interests, start, change, topics[k], None)
    faded = topics[int(rng.integers(1, k))]
    return _Reader(f"u{u + 1:03d}", interests, start, change, None, faded)


def _rate(reader: _Reader, world: _Library, rng: np.random.Generator) -> list[dict[str, object]]:
    n = int(rng.integers(30, 151))
    times = np.sort(rng.uniform(reader.start_day, SPAN_DAYS, size=n))
    library = world.papers
    seen: set[int] = set()
    out = []
    for t in times:
        interests = reader.current(int(t))
        pick = _encounter(reader.seen_topics(int(t)), float(t), world, seen, rng)
        if pick is None:
            continue
        seen.add(pick)
        share = sum(s for k, s in library[pick].topics if k in interests)
        label = 1 if share >= LIKE_THRESHOLD else -1
        if rng.random() < FLIP_RATE:
            label = -label
        when = datetime.combine(START, datetime.min.time()) + timedelta(days=float(t))
        out.append(
            {
                "user": reader.name,
                "paper": library[pick].record["id"],
                "label": label,
                "time": when.replace(microsecond=0).isoformat(),
            }
        )
    return out


def _encounter(
    interests: dict[int, float],
    t: float,
    world: _Library,
    seen: set[int],
    rng: np.random.Generator,
) -> int | None:
    """A recent paper the reader comes across: on an interest, or any (popular more often)."""
    end = bisect.bisect_right(world.days, t)
    begin = bisect.bisect_left(world.days, t - RECENT_DAYS)
    if rng.random() < ON_INTEREST_RATE:
        topics, weights = zip(*interests.items(), strict=True)
        w = np.array(weights)
        topic = topics[int(rng.choice(len(topics), p=w / w.sum()))]
        pool = [i for i in world.by_topic[topic] if i < end and i not in seen]
        recent = [i for i in pool if i >= begin]
        pool = recent if len(recent) >= 3 else pool
        return int(rng.choice(pool)) if pool else None
    pool = [i for i in range(begin, end) if i not in seen] or [
        i for i in range(end) if i not in seen
    ]
    if not pool:
        return None
    pop = np.array([math.sqrt(1 + world.papers[i].upvotes) for i in pool])
    return int(pool[int(rng.choice(len(pool), p=pop / pop.sum()))])
