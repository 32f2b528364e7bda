"""Turning what a reader types into a safe FTS5 query (BM25 runs in the store).

Words are OR-ed and ranked by BM25, so a question in plain words finds papers that share any
of its content words. Supported syntax, and nothing else reaches FTS5 (so no input can
break the query):

* ``"exact phrase"``: the words in this order;
* ``optim*``: prefix search;
* ``pre-training``: a hyphenated word is the phrase "pre training";
* ``author:Okafor`` or ``author:"Tomás Okafor"``: an author filter (accents and case ignored);
* ``title:word`` or ``title:"a phrase"``: only papers with it in the title (and ranked by it);
* ``-word``, ``-"a phrase"``, ``NOT word``: leave out papers that hold it anywhere.

``AND`` / ``OR``, parentheses and other ``field:`` prefixes are not operators here: the
query runs without them and ``LexicalQuery.notes`` says so (they were silently ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PIECE = re.compile(r'(-|author:|title:)?"([^"]*)"?|(\S+)', re.IGNORECASE)
_FIELD = re.compile(r"([A-Za-z]+):(\S.*)")
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
    #: Parts that must be in the title (``title:``), and parts no result may hold (``-``).
    title: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    #: What the query asked that is not supported (said to the reader, not ignored).
    notes: list[str] = field(default_factory=list)

    @property
    def has_operators(self) -> bool:
        return bool(self.title or self.exclude)

    def meaning_text(self) -> str:
        """The words to search by meaning: the query without its operators."""
        return " ".join(p.strip('"*') for p in self.parts)


def _quote(words: list[str]) -> str:
    return '"' + " ".join(words) + '"'


class _Parser:
    """The state of one ``parse_query``: what was found so far."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.terms: list[str] = []
        self.title: list[str] = []
        self.exclude: list[str] = []
        self.notes: dict[str, None] = {}
        self.author: str | None = None
        self.negate = False

    def phrase(self, words: list[str], prefix: str) -> None:
        part = _quote(words)
        if self.negate or prefix == "-":
            self.exclude.append(part)
        else:
            self.parts.append(part)
            self.terms.extend(w.lower() for w in words)
            if prefix.lower() == "title:":
                self.title.append(part)
        self.negate = False

    def bare(self, token: str) -> None:
        if token == "NOT":
            self.negate = True
            return
        if token in ("AND", "OR"):
            self.notes[
                "AND and OR are not needed: every word counts, and papers with more "
                "of them rank higher (use -word to leave a word out)"
            ] = None
            return
        if token.startswith("-") and len(token) > 1:
            self.negate, token = True, token[1:]
        if "(" in token or ")" in token:
            self.notes["parentheses are not supported: searched as plain words"] = None
        if (m := _FIELD.fullmatch(token)) and m.group(1).lower() not in ("title", "author"):
            self.notes[
                f"{m.group(1)}: is not a search field (title: and author: are): searched as words"
            ] = None
            token = m.group(2)
        prefix = ""
        if token.lower().startswith("title:"):
            prefix, token = "title:", token[len("title:") :]
        self.word(token, prefix)

    def word(self, token: str, prefix: str) -> None:
        words = _WORD.findall(token)
        if not words:
            self.negate = False
            return
        star = token.endswith("*") and len(words[-1]) >= 2
        if len(words) == 1 and words[0].lower() in STOPWORDS and not star and not prefix:
            self.negate = False
            return
        if star and not self.negate:
            self.parts.append(_quote(words) + "*")
            self.terms.extend(w.lower() for w in words)
            if prefix:
                self.title.append(_quote(words) + "*")
            return
        self.phrase(words, prefix)


def parse_query(text: str) -> LexicalQuery:
    state = _Parser()
    for m in _PIECE.finditer(text):
        prefix, quoted, bare = (m.group(1) or "").lower(), m.group(2), m.group(3) or ""
        if prefix == "author:" or bare.lower().startswith("author:"):
            name = quoted if prefix else bare[len("author:") :]
            state.author = " ".join(_WORD.findall(name or "")) or state.author
            continue
        if quoted is not None:
            if words := _WORD.findall(quoted):
                state.phrase(words, prefix)
            continue
        state.bare(bare)
    return LexicalQuery(
        " OR ".join(state.parts) or None,
        state.terms,
        state.author,
        state.parts,
        state.title,
        state.exclude,
        list(state.notes),
    )


#: How many matching papers a keyword query may make FTS5 score (about 1 µs each). A large
#: library (more papers than this) asked about very common words would otherwise score most
#: of itself for words whose IDF is near zero. Smaller libraries always get the plain OR
#: query: leaving words out there cost nDCG@10 on the judged queries (0.925 -> 0.805).
SCORE_BUDGET = 20_000


def plan_match(parts: list[str], counts: list[int], size: int) -> str | None:
    """The FTS5 expression to rank with, given how many papers each part matches.

    The rarest parts (those that carry BM25's weight) are OR-ed while their matches fit the
    budget; if even the rarest word is too common, all parts must match (AND), then all in
    the title; None when nothing fits (the keyword side then stays out of the ranking).
    """
    if not parts:
        return None
    if size <= SCORE_BUDGET or sum(counts) <= SCORE_BUDGET:
        return " OR ".join(parts)
    chosen: list[str] = []
    spent = 0
    for count, part in sorted(zip(counts, parts, strict=True)):
        if spent + count > SCORE_BUDGET:
            break
        chosen.append(part)
        spent += count
    if chosen:
        return " OR ".join(chosen)
    return None


def narrower_matches(parts: list[str]) -> list[str]:
    """Stricter expressions to try, in order, when no single word fits the budget."""
    every = " AND ".join(parts)
    return [every, f"title : ({every})"] if len(parts) > 1 else [f"title : ({parts[0]})"]
