"""Turning what a reader types into a safe FTS5 query (BM25 runs in the store).

Words are OR-ed and ranked by BM25, so a question in plain words finds papers that share any
of its content words. Supported syntax, and nothing else reaches FTS5 (so no input can
break the query):

* ``"exact phrase"``: the words in this order;
* ``optim*``: prefix search;
* ``pre-training``: a hyphenated word is the phrase "pre training";
* ``author:Okafor`` or ``author:"Tomás Okafor"``: an author filter (accents and case ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PIECE = re.compile(r'(author:)?"([^"]*)"?|(\S+)', re.IGNORECASE)
_WORD = re.compile(r"\w+")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my no nor not now of off on once only or other our out over own same
    she should so some such than that the their them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with
    would you your paper papers""".split()
)


@dataclass(frozen=True, slots=True)
class LexicalQuery:
    """The FTS5 expression (None when nothing searchable is left), its words, and filters."""

    match: str | None
    terms: list[str] = field(default_factory=list)
    author: str | None = None
    #: The OR-ed pieces of ``match``, one per word or phrase.
    parts: list[str] = field(default_factory=list)


def _quote(words: list[str]) -> str:
    return '"' + " ".join(words) + '"'


def parse_query(text: str) -> LexicalQuery:
    parts: list[str] = []
    terms: list[str] = []
    author: str | None = None
    for m in _PIECE.finditer(text):
        bare = m.group(3) or ""
        if m.group(1) or bare.lower().startswith("author:"):
            name = m.group(2) if m.group(1) else bare[len("author:") :]
            author = " ".join(_WORD.findall(name)) or author
            continue
        if m.group(2) is not None:  # a quoted phrase
            if words := _WORD.findall(m.group(2)):
                parts.append(_quote(words))
                terms.extend(w.lower() for w in words)
            continue
        words = _WORD.findall(bare)
        if not words:
            continue
        prefix = bare.endswith("*") and len(words[-1]) >= 2
        if len(words) == 1 and words[0].lower() in STOPWORDS and not prefix:
            continue
        parts.append(_quote(words) + ("*" if prefix else ""))
        terms.extend(w.lower() for w in words)
    return LexicalQuery(" OR ".join(parts) or None, terms, author, parts)


#: A word in more than this share of a large library barely moves BM25 (its IDF is near
#: zero) but makes FTS5 score a large part of the library: it is left out when rarer words
#: remain. Only for speed, so small libraries (under COMMON_MIN_MATCHES) keep every word:
#: there, leaving words out cost nDCG@10 on the judged queries (0.925 -> 0.805).
COMMON_SHARE = 0.2
COMMON_MIN_MATCHES = 10_000


def without_common_words(parts: list[str], counts: list[int], total: int) -> str | None:
    """The OR query of the pieces that are not in most papers (all of them if none is rare)."""
    limit = max(COMMON_SHARE * total, COMMON_MIN_MATCHES)
    rare = [p for p, n in zip(parts, counts, strict=True) if n <= limit]
    return " OR ".join(rare or parts) or None
