"""Bounds on a search query, so that every search costs about what a normal one does.

Issue 13: 3,000 repeated words (21 KB) took 21 s in keyword and hybrid search and held a
web worker that long. A query is cut to ``MAX_QUERY_CHARS`` characters; if it still has more
than ``MAX_QUERY_TERMS`` words (whitespace-separated), a repeated word counts once and the
first ``MAX_QUERY_TERMS`` distinct words are kept; each cut adds a note. Real queries are far
below both limits: the 809 SciFact training claims (/work/shared/eval, statements used as
queries) have at most 39 words and 249 characters (99th percentile 26 and 172); a pasted
abstract, the longest natural query, keeps its first 64 words, which carry its topic.
Measured on the 2-core VM with benchmarks/bench_query_limits.py (20,000 papers): the 21 KB
query of the issue took 340 s in keyword search without the limits on the loaded machine,
and takes what a short query does with them (figures in the README).
"""

from __future__ import annotations

import re

MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 64
_TERM = re.compile(r"\S+")


def bound_query(query: str) -> tuple[str, list[str]]:
    """The query cut to the limits, and a note for each cut made (none: as given)."""
    notes: list[str] = []
    if len(query) > MAX_QUERY_CHARS:
        cut = query[:MAX_QUERY_CHARS]
        query = cut.rsplit(None, 1)[0] if cut[-1:].strip() and " " in cut else cut
        notes.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters")
    terms = _TERM.findall(query)
    if len(terms) > MAX_QUERY_TERMS:
        distinct = list(dict.fromkeys(terms))
        if len(distinct) < len(terms):
            notes.append("a word repeated in the query counts once")
        if len(distinct) > MAX_QUERY_TERMS:
            notes.append(f"the query was cut to its first {MAX_QUERY_TERMS} words")
        query = " ".join(distinct[:MAX_QUERY_TERMS])
    return query, notes
