"""A new reader's first steps, the parts without a web page: who they are among the
library's authors, and what a paste holds (arXiv ids, DOIs, their URLs, plain abstracts).

``author_candidates`` groups the spellings of a name found in the library, with how many
papers each has and a sample title, so that a reader picks the right people ("Tomás
Okafor" and "T. Okafor") instead of papersift guessing. ``read_paste`` splits pasted text
into identifiers (resolved against the library) and abstracts (with or without an
``Abstract:`` prefix); a listing in a known format (BibTeX, JSON, CSV, prefixed abstracts)
is passed on unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from papersift.contributions import visible_ids
from papersift.errors import UsageError
from papersift.identifiers import normalize_arxiv_id, normalize_doi
from papersift.ingest.names import same_person
from papersift.models import Paper, SearchFilters
from papersift.store import Store

_WORD = re.compile(r"\w+")
_PREFIXED = re.compile(r"^\s*abstract\s*[:.\-–—]", re.IGNORECASE | re.MULTILINE)
#: A line this short that holds an id is a list entry, not prose that cites a paper.
_ID_LINE_WORDS = 8
#: A paragraph needs this many words to be taken as an abstract.
MIN_ABSTRACT_WORDS = 12


def fold(text: str) -> str:
    """Lower case, accents off: "Tomás" -> "tomas"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass
class AuthorCandidate:
    """One spelling of an author name in the library, with its papers."""

    name: str
    paper_ids: list[int] = field(default_factory=list)
    sample: str = ""
    sample_date: str = ""

    @property
    def papers(self) -> int:
        return len(self.paper_ids)


def _matches(query: str, author: str) -> bool:
    words = set(_WORD.findall(fold(author)))
    asked = _WORD.findall(fold(query))
    return bool(asked) and (all(w in words for w in asked) or same_person(query, author))


def group_candidates(query: str, papers: Iterable[Paper], limit: int = 12) -> list[AuthorCandidate]:
    """The author spellings among ``papers`` that may be the person ``query`` names, most
    papers first; each with its newest paper's title as a sample."""
    found: dict[str, AuthorCandidate] = {}
    for paper in papers:
        for author in paper.authors:
            if not _matches(query, author):
                continue
            key = " ".join(_WORD.findall(fold(author)))
            candidate = found.setdefault(key, AuthorCandidate(author.strip()))
            if paper.id not in candidate.paper_ids:
                candidate.paper_ids.append(paper.id)
            if (paper.date or "") >= candidate.sample_date and paper.title:
                candidate.sample, candidate.sample_date = paper.title, paper.date or ""
    ranked = sorted(found.values(), key=lambda c: (-c.papers, fold(c.name)))
    return ranked[:limit]


@dataclass
class Paste:
    """What a paste holds: identifiers, abstracts, a listing to ingest as it is, and the
    bits that are none of these (said back to the reader)."""

    identifiers: list[str] = field(default_factory=list)
    abstracts: list[str] = field(default_factory=list)
    listing: str | None = None
    unread: list[str] = field(default_factory=list)

    def abstracts_listing(self) -> str:
        """The abstracts as papersift's abstract list (one ``Abstract:`` each)."""
        return "".join(f"Abstract: {a}\n\n" for a in self.abstracts)


def identifier_of(line: str) -> str | None:
    """The arXiv id or DOI a short line (a bare id, an arXiv/DOI URL) names, or None."""
    if len(line.split()) > _ID_LINE_WORDS:
        return None
    arxiv = normalize_arxiv_id(line) if "10." not in line or "arxiv" in line.lower() else None
    if arxiv:
        return f"arXiv:{arxiv}"
    doi = normalize_doi(line)
    return f"doi:{doi}" if doi else None


def _is_listing(text: str) -> bool:
    head = text.lstrip()[:1]
    return head in ("@", "{", "[") or bool(_PREFIXED.search(text))


def read_paste(text: str) -> Paste:
    """Split a paste (see the module's docstring)."""
    if not text.strip():
        return Paste()
    if _is_listing(text):
        return Paste(listing=text)
    paste = Paste()
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        ids = [identifier_of(line) for line in lines]
        if all(ids):
            paste.identifiers.extend(i for i in ids if i)
            continue
        prose = " ".join(line for line, i in zip(lines, ids, strict=True) if not i)
        paste.identifiers.extend(i for i in ids if i)
        if len(_WORD.findall(prose)) >= MIN_ABSTRACT_WORDS:
            paste.abstracts.append(prose)
        else:
            paste.unread.append(prose[:80])
    paste.identifiers = list(dict.fromkeys(paste.identifiers))
    return paste


#: How many papers of one family name are read to group its spellings.
CANDIDATE_PAPERS = 5000


def find_authors(store: Store, reader_id: int, query: str) -> list[AuthorCandidate]:
    """The spellings of ``query`` among the papers this reader may see (by family name)."""
    words = _WORD.findall(query)
    if not words:
        raise UsageError("give the name you publish under")
    if store.lexical_pending():  # the author filter reads the full-text index
        with store.transaction():
            store.sync_lexical()
    found = store.filtered_ids(SearchFilters(author=words[-1]))
    ids = [int(i) for i in found[:CANDIDATE_PAPERS]]
    papers = store.get_papers(sorted(visible_ids(store, reader_id, ids)))
    return group_candidates(query, papers.values())


def no_author_error(store: Store, reader_id: int, query: str) -> UsageError:
    """The error for a name with no papers, with what to try instead."""
    words = _WORD.findall(query)
    message = f"no paper in the library has an author named {query.strip()!r}"
    others = find_authors(store, reader_id, words[-1]) if len(words) > 1 else []
    if others:
        names = ", ".join(f"{c.name} ({c.papers})" for c in others[:5])
        return UsageError(f"{message}; with the family name {words[-1]!r}: {names}")
    return UsageError(
        f"{message}: check the spelling, try the family name alone, or give your papers "
        "instead (arXiv ids, DOIs, abstracts or a BibTeX file)"
    )
