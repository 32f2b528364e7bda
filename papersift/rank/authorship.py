"""Whose papers these are: the one author most of a reader's given papers share.

A reader made from a file of their own papers (or abstracts that the library matches to
papers with authors) rarely says their name. When one person is on most of those papers,
that is the reader: papersift takes the name as the reader's author name (shown by
``reader show``, removable), so the feed never recommends that person's other papers as
"new" (issue 14: one of the reader's own papers was ranked first). Pure functions.

The rule: among the papers that list authors (at least ``MIN_PAPERS``), the person on the
most of them, if on at least ``MIN_SHARE`` of them and on strictly more than anyone else
(two people who are on every paper together cannot be told apart: no name is taken).
Spellings are one person by ``same_person`` ("B. Ghorbani" = "Behrooz Ghorbani"); the
name taken is the fullest spelling seen, given names first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from papersift.ingest.names import given_names_first, same_person

MIN_PAPERS = 2
MIN_SHARE = 0.5


@dataclass(frozen=True)
class SharedAuthor:
    name: str
    papers: int  # how many of the papers they are on
    of: int  # papers that list authors


def shared_author(author_lists: Sequence[Sequence[str]]) -> SharedAuthor | None:
    """The one author on most of these papers (see the module notes), or None."""
    listed = [authors for authors in author_lists if authors]
    if len(listed) < MIN_PAPERS:
        return None
    people: list[list[str]] = []  # spellings of one person
    counts: list[int] = []
    for authors in listed:
        seen: set[int] = set()
        for name in authors:
            who = _person(people, name)
            if who == len(counts):
                counts.append(0)
            if who not in seen:
                seen.add(who)
                counts[who] += 1
    order = sorted(range(len(people)), key=lambda i: -counts[i])
    best = order[0] if order else None
    if best is None or counts[best] < max(MIN_PAPERS, MIN_SHARE * len(listed)):
        return None
    if len(order) > 1 and counts[order[1]] == counts[best]:
        return None
    fullest = max(people[best], key=lambda n: (len(n.replace(".", "")), n))
    name = _given_first(fullest)
    return SharedAuthor(name, counts[best], len(listed))


def _person(people: list[list[str]], name: str) -> int:
    """Index of the person this spelling is (added when new)."""
    for i, spellings in enumerate(people):
        if any(same_person(name, s) for s in spellings):
            if name not in spellings:
                spellings.append(name)
            return i
    people.append([name])
    return len(people) - 1


def is_by(authors: Sequence[str], names: Sequence[str]) -> bool:
    """Whether any of ``names`` is among a paper's ``authors``."""
    return any(same_person(name, author) for name in names for author in authors)


def _given_first(name: str) -> str:
    """'Ghorbani, Behrooz' -> 'Behrooz Ghorbani'; 'Liu R.' -> 'R. Liu'; others as given."""
    if name.count(",") == 1:
        last, given = (part.strip() for part in name.split(","))
        if last and given:
            return f"{given} {last}"
    return given_names_first(name)
