"""Search quality on judged queries: MRR, nDCG@10 and recall@10 per search mode.

A judgments file has one JSON object per line::

    {"query": "why does warming up the learning rate help", "relevant": {"2502.11873": 2}}

A paper is named by its arXiv id or DOI, by its title (case and punctuation ignored), or by
where a source file describes it: ``"002:line 13"`` is the record at line 13 of the file
whose name starts with ``002``. Grades: 2 = what the query is about, 1 = also relevant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean

import orjson

from papersift.errors import ParseError
from papersift.ingest.dedup import normalize_text
from papersift.rank.metrics import ndcg_at, recall_at, reciprocal_rank
from papersift.search import Mode, Searcher
from papersift.store import Store


@dataclass(frozen=True, slots=True)
class Judged:
    query: str
    relevant: dict[int, float]  # paper id -> grade


@dataclass
class ModeScores:
    mode: str
    mrr: float
    ndcg10: float
    recall10: float
    per_query: list[float] = field(default_factory=list)  # nDCG@10 of each query


def load_judgments(path: Path) -> list[tuple[str, dict[str, float]]]:
    """The (query, {paper key: grade}) pairs of a judgments file."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
            query, relevant = str(item["query"]), dict(item["relevant"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ParseError(str(path), number, f"not a judged query: {exc}") from exc
        found.append((query, {str(k): float(v) for k, v in relevant.items()}))
    if not found:
        raise ParseError(str(path), None, "no judged queries in the file")
    return found


def resolve_keys(store: Store, keys: set[str]) -> dict[str, int]:
    """Paper ids of judgment keys (arXiv id, DOI, title, or 'file-prefix:line N')."""
    titles: dict[str, int] = {}
    places: dict[tuple[str, str], int] = {}
    for paper in store.iter_papers():
        if paper.title:
            titles.setdefault(normalize_text(paper.title), paper.id)
        for s in paper.sources:
            places[(Path(s.file).name, s.locator)] = paper.id
    resolved: dict[str, int] = {}
    for key in keys:
        prefix, sep, locator = key.partition(":")
        if sep and locator.startswith("line "):
            hits = {
                pid
                for (name, loc), pid in places.items()
                if name.startswith(prefix) and loc == locator
            }
            if len(hits) == 1:
                resolved[key] = hits.pop()
            continue
        pid = titles.get(normalize_text(key))
        if pid is None and not key.isdigit():  # an arXiv id or a DOI, never a bare number
            pid = store.resolve_paper_id(key)
        if pid is not None:
            resolved[key] = pid
    return resolved


def judged_queries(
    store: Store, raw: list[tuple[str, dict[str, float]]]
) -> tuple[list[Judged], list[str]]:
    """Judgments with paper ids; keys that name no paper in the library are returned apart."""
    keys = {k for _, rel in raw for k in rel}
    ids = resolve_keys(store, keys)
    judged = []
    for query, relevant in raw:
        grades: dict[int, float] = {}
        for key, grade in relevant.items():
            if key in ids:
                grades[ids[key]] = max(grade, grades.get(ids[key], 0.0))
        if grades:
            judged.append(Judged(query, grades))
    return judged, sorted(keys - set(ids))


def evaluate(
    searcher: Searcher, judged: Sequence[Judged], modes: Sequence[Mode]
) -> list[ModeScores]:
    results = []
    for mode in modes:
        mrr, ndcg, recall = [], [], []
        for item in judged:
            ranked = [hit.paper.id for hit in searcher.search(item.query, mode=mode, limit=10)]
            mrr.append(reciprocal_rank(ranked, item.relevant))
            ndcg.append(ndcg_at(ranked, item.relevant, 10))
            recall.append(recall_at(ranked, item.relevant, 10))
        results.append(ModeScores(mode, fmean(mrr), fmean(ndcg), fmean(recall), ndcg))
    return results
