"""Bounds on a search query, so that every search costs about what a normal one does.

Issue 13: 3,000 repeated words (21 KB) took 21 s in keyword and hybrid search and held a
web worker that long. A query is cut to ``MAX_QUERY_CHARS`` characters and then to
``MAX_QUERY_TERMS`` words (whitespace-separated), with a note saying so. Real queries are far
below both: the 40 queries of the dev evaluation set are at most 14 words and 110 characters;
a pasted abstract (the longest natural query, for meaning search) is ~250 words, whose first
64 carry its topic for the embedding model, which reads 256 word pieces anyway. Measured on the
2-core VM (benchmarks/bench_query_limits.py): a 20 KB query is answered in about the time of
its first 64 words.
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
    terms = list(_TERM.finditer(query))
    if len(terms) > MAX_QUERY_TERMS:
        query = query[: terms[MAX_QUERY_TERMS - 1].end()]
        notes.append(f"the query was cut to its first {MAX_QUERY_TERMS} words")
    return query, notes
