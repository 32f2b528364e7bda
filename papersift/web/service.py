"""What the pages and the API do, once: always on behalf of one user (``User``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from papersift.clock import now_iso
from papersift.contributions import Contribution, add_private_papers, visible_hits, visible_ids
from papersift.errors import NotFoundError, UnknownFormatError, UsageError
from papersift.ingest.normalize import parse_date
from papersift.ingest.pipeline import SNIFF_BYTES, detect_format
from papersift.models import Hit, Paper, SavedSearch, SearchFilters, Signal, User
from papersift.onboarding import find_authors, no_author_error, read_paste
from papersift.rank.personal import EmptyProfileError
from papersift.recommend import FeedSettings
from papersift.search import NotIndexedError
from papersift.search_modes import resolve_mode
from papersift.store import Store
from papersift.web.app import Library, Ranked

#: Over-fetch of a search for other readers' private papers to leave out (a few papers per
#: reader who pasted; past this many, a result page may come up short, never leak).
PRIVATE_SLACK = 200
SIGNAL_NAMES = {
    "own": "your paper",
    "file": "from your list",
    "like": "liked",
    "up": "more like this",
    "down": "not for me",
}


def _date(value: str, name: str) -> str | None:
    if not value.strip():
        return None
    parsed = parse_date(value.strip())
    if parsed is None:
        raise UsageError(f"{name} wants a date like 2024-05-01, not {value!r}")
    return parsed


def _room(store: Store, reader_id: int | None, limit: int) -> int:
    """How many results to ask for so that ``limit`` remain once other readers' private
    papers are left out (at most PRIVATE_SLACK more: past that, a page may come up short)."""
    return limit + min(store.count_private_papers(reader_id), PRIVATE_SLACK)


def search(
    lib: Library,
    q: str,
    mode: str,
    since: str = "",
    until: str = "",
    author: str = "",
    *,
    reader_id: int | None = None,
) -> tuple[list[Hit], list[str]]:
    """The shared library's papers, and the reader's own (``reader_id``; None: shared only)."""
    resolve_mode(mode)  # a clear error for an unknown name, before any work
    filters = SearchFilters(_date(since, "since"), _date(until, "until"), None, author or None)
    searcher, store = lib.searcher(), lib.store()
    room = _room(store, reader_id, 20)
    try:
        hits = searcher.search(q, mode, filters, limit=room)
    except NotIndexedError:
        hits = searcher.search(q, "lexical", filters, limit=room)
        searcher.notes.append("no vectors yet: keyword search only (run `papersift index`)")
    return visible_hits(store, reader_id, hits)[:20], searcher.notes


def paper(
    store: Store, ident: str, reader_id: int | None = None
) -> tuple[Paper, list[tuple[str, int | None, int | None, str]]]:
    """A paper of the shared library or the reader's own; another's is as if absent."""
    pid = store.resolve_paper_id(ident[:100])
    found = store.get_paper(pid) if pid is not None else None
    if found is None or not visible_ids(store, reader_id, [found.id]):
        raise NotFoundError(f"no paper {ident[:100]!r} in the library")
    return found, store.merge_log(found.id)


def similar(lib: Library, paper_id: int, limit: int = 6, reader_id: int | None = None) -> list[Hit]:
    store = lib.store()
    try:
        hits = lib.searcher().similar(str(paper_id), limit=_room(store, reader_id, limit))
    except NotIndexedError:
        return []
    return visible_hits(store, reader_id, hits)[:limit]


def verdicts(store: Store, user: User) -> dict[int, str]:
    """The reader's 👍/👎 by paper (to show the buttons pressed)."""
    return {s.paper_id: s.kind for s in store.signals(user.reader_id) if s.kind in ("up", "down")}


def feed(
    lib: Library, user: User, settings: FeedSettings, *, wait: bool = True
) -> tuple[Ranked, str | None]:
    """The reader's feed, or why there is none (an empty profile is not an error here).
    ``wait=False``: right after a 👍/👎, the previous ranking while the new one is made."""
    try:
        return lib.feed(user, settings, wait=wait), None
    except EmptyProfileError:
        return Ranked([], fresh=True), "empty"


def feedback(lib: Library, user: User, paper_id: int, verdict: str) -> Paper:
    if not visible_ids(lib.store(), user.reader_id, [paper_id]):
        raise NotFoundError(f"no paper {paper_id} in the library")
    paper = lib.recommender().feedback(user.name, str(paper_id), verdict)
    lib.feedback_given(user)
    return paper


def undo_feedback(lib: Library, user: User, paper_id: int) -> None:
    """Take back the reader's 👍/👎 on a paper (their own and listed papers stay)."""
    store = lib.store()
    with store.transaction():
        kinds = {s.kind for s in store.signals(user.reader_id) if s.paper_id == paper_id}
        if not kinds & {"up", "down"}:
            raise NotFoundError(f"you have not voted on paper {paper_id}")
        store.remove_signals(user.reader_id, paper_id)
    lib.feedback_given(user)


@dataclass
class Profile:
    user: User
    authors: list[str]
    signals: list[tuple[Signal, Paper]]
    tokens: list[tuple[int, str, str]]
    searches: list[SavedSearch] = field(default_factory=list)


def profile(store: Store, user: User) -> Profile:
    reader = next(r for r in store.readers() if r.id == user.reader_id)
    signals = store.signals(user.reader_id)
    papers = store.get_papers(sorted({s.paper_id for s in signals}))
    return Profile(
        user,
        reader.authors,
        [(s, papers[s.paper_id]) for s in reversed(signals) if s.paper_id in papers],
        store.api_tokens(user.id),
        store.saved_searches(user.id),
    )


def add_author(lib: Library, user: User, name: str) -> int:
    """Add an author name to the reader's; how many papers the reader now has as their own.
    A name without papers is refused, with suggestions (never silently accepted)."""
    if not name.strip():
        raise UsageError("give the name you publish under")
    if not find_authors(lib.store(), user.reader_id, name):
        raise no_author_error(lib.store(), user.reader_id, name)
    own = lib.recommender().add_reader(user.name, authors=[name.strip()]).own
    store = lib.store()  # another reader's private papers are never anyone else's signal
    signals = [s.paper_id for s in store.signals(user.reader_id)]
    foreign = set(signals) - visible_ids(store, user.reader_id, signals)
    with store.transaction():
        for pid in foreign:
            store.remove_signals(user.reader_id, pid)
    return own - len(foreign)


def add_papers(lib: Library, user: User, filename: str, payload: bytes) -> Contribution:
    """A pasted or uploaded listing into the reader's profile, private to them
    (papersift.contributions)."""
    return add_private_papers(lib.store(), user.reader_id, filename, payload)


def add_identifiers(lib: Library, user: User, idents: list[str]) -> tuple[int, list[str]]:
    """Resolve arXiv ids and DOIs against the library (papers this reader may see) and
    mark them liked; how many were new, and the ids the library does not have."""
    store = lib.store()
    found: dict[str, int] = {}
    for ident in idents:
        if (pid := store.resolve_paper_id(ident)) is not None:
            found[ident] = pid
    allowed = visible_ids(store, user.reader_id, list(found.values()))
    missing = [i for i in idents if found.get(i) not in allowed]
    with store.transaction():
        added = store.set_signals(
            user.reader_id, [Signal(pid, "like", 1, now_iso()) for pid in sorted(allowed)]
        )
    lib.feedback_given(user)
    return added, missing


def _known_format(text: str) -> bool:
    try:
        detect_format(Path("pasted.txt"), text.encode("utf-8")[:SNIFF_BYTES])
    except UnknownFormatError:
        return False
    return True


def add_paste(lib: Library, user: User, text: str) -> str:
    """A paste into the reader's profile (papersift.onboarding.read_paste: a listing as it
    is, or arXiv ids / DOIs / their URLs and plain abstracts); what was done, in words."""
    if _known_format(text):  # a listing papersift reads (BibTeX, CSV, XML, ...): as it is
        return add_papers(lib, user, "pasted.txt", text.encode()).summary()
    paste = read_paste(text)
    if paste.listing is not None:
        return add_papers(lib, user, "pasted.txt", paste.listing.encode()).summary()
    if not paste.identifiers and not paste.abstracts:
        raise UsageError(
            "paste arXiv ids, DOIs or their URLs (one a line), abstracts (a blank line "
            "between two), or a BibTeX listing; or choose a file"
        )
    said = []
    if paste.identifiers:
        added, missing = add_identifiers(lib, user, paste.identifiers)
        said.append(f"{len(paste.identifiers) - len(missing)} of your ids found ({added} new)")
        if missing:
            said.append("not in the library: " + ", ".join(missing[:10]))
    if paste.abstracts:
        listing = paste.abstracts_listing().encode()
        said.append("abstracts: " + add_papers(lib, user, "pasted.txt", listing).summary())
    if paste.unread:
        said.append("not read (too short for an abstract): " + "; ".join(paste.unread[:3]))
    return "; ".join(said)


def remove_signal(store: Store, user: User, paper_id: int) -> None:
    with store.transaction():
        if not store.remove_signals(user.reader_id, paper_id):
            raise NotFoundError(f"paper {paper_id} is not in your profile")


def remove_token(store: Store, user: User, token_id: int) -> None:
    with store.transaction():
        if not store.remove_api_token(user.id, token_id):
            raise NotFoundError(f"you have no token {token_id}")


def save_search(store: Store, user: User, name: str, q: str, mode: str) -> SavedSearch:
    if not name.strip() or not q.strip():
        raise UsageError("a saved search needs a name and a query")
    chosen = resolve_mode(mode)
    with store.transaction():
        sid = store.add_saved_search(
            user.id, name.strip(), q.strip(), chosen, secrets.token_urlsafe(24), now_iso()
        )
    found = store.saved_search(sid)
    assert found is not None
    return found


def saved_search(store: Store, user: User, search_id: int) -> SavedSearch:
    found = store.saved_search(search_id)
    if found is None or found.user_id != user.id:  # another reader's: as if it did not exist
        raise NotFoundError(f"you have no saved search {search_id}")
    return found


def remove_saved_search(store: Store, user: User, search_id: int) -> None:
    with store.transaction():
        if not store.remove_saved_search(user.id, search_id):
            raise NotFoundError(f"you have no saved search {search_id}")


def liked_papers(store: Store, user: User) -> list[Paper]:
    ids = [s.paper_id for s in store.signals(user.reader_id) if s.label > 0]
    papers = store.get_papers(sorted(set(ids)))
    return [papers[i] for i in dict.fromkeys(ids) if i in papers]


def mark_shown(store: Store, user: User, paper_ids: list[int]) -> int:
    """Record that these papers (those the reader may see) were shown: how many."""
    shown = sorted(visible_ids(store, user.reader_id, paper_ids))
    existing = set(store.get_papers(shown))
    shown = [p for p in shown if p in existing]
    with store.transaction():
        store.mark_shown(user.reader_id, shown, now_iso())
    return len(shown)
