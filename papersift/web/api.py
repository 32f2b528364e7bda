"""The JSON API under /api (OpenAPI docs at /api/docs); every route acts for the caller."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from papersift.accounts import Accounts
from papersift.links import safe_url
from papersift.models import Hit, Paper
from papersift.recommend import FeedSettings
from papersift.web import service
from papersift.web.account_pages import PASTE_LIMIT
from papersift.web.app import Caller, Library, api_caller, library

#: A search mode by its people's name or its older one (papersift.search_modes).
ModeName = Literal["both", "keywords", "meaning", "hybrid", "lexical", "semantic"]


router = APIRouter(prefix="/api", tags=["api"])
Lib = Annotated[Library, Depends(library)]
Me = Annotated[Caller, Depends(api_caller)]


def _paper(paper: Paper) -> dict[str, Any]:
    """A paper for the API: its url marked safe or not (only http(s) and relative URLs may
    become links), its sources named by source, never by a file path on the server."""
    data = paper.to_dict()
    data["url_safe"] = safe_url(paper.url) is not None
    data["sources"] = [{k: v for k, v in s.items() if k != "file"} for s in data["sources"]]
    return data


def _hit(hit: Hit) -> dict[str, Any]:
    return {"paper": _paper(hit.paper), "score": hit.score, "reasons": hit.reasons}


class FeedbackIn(BaseModel):
    paper: str = Field(description="a paper id, arXiv id or DOI")
    verdict: Literal["up", "down"]


class NameIn(BaseModel):
    name: str = Field(max_length=200)


class TokenIn(BaseModel):
    name: str = Field(max_length=100)
    days: int | None = Field(None, ge=1, le=3650, description="days valid (none: until revoked)")


class PapersIn(BaseModel):
    text: str = Field(description="a listing in any format papersift reads", max_length=PASTE_LIMIT)
    filename: str = Field("pasted.txt", max_length=200, description="helps tell the format")


class ShownIn(BaseModel):
    papers: list[int] = Field(max_length=1000, description="ids of the papers shown")


class SavedSearchIn(BaseModel):
    name: str
    query: str
    mode: ModeName = "hybrid"


@router.get("/me")
def me(caller: Me) -> dict[str, Any]:
    u = caller.user
    return {"name": u.name, "email": u.email, "role": u.role, "created_at": u.created_at}


@router.get("/search")
def search(
    caller: Me,
    lib: Lib,
    q: str,
    mode: ModeName = "hybrid",
    since: str = "",
    until: str = "",
    author: str = "",
) -> dict[str, Any]:
    mine = caller.user.reader_id
    hits, notes = service.search(lib, q, mode, since, until, author, reader_id=mine)
    return {"hits": [_hit(h) for h in hits], "notes": notes}


@router.get("/papers/{ident}")
def paper(ident: str, caller: Me, lib: Lib) -> dict[str, Any]:
    found, merges = service.paper(lib.store(), ident, caller.user.reader_id)
    return {**_paper(found), "merges": [list(m) for m in merges]}


@router.get("/papers/{ident}/similar")
def similar(ident: str, caller: Me, lib: Lib, limit: int = Query(6, ge=1, le=50)) -> list[Any]:
    found, _ = service.paper(lib.store(), ident, caller.user.reader_id)
    return [_hit(h) for h in service.similar(lib, found.id, limit, caller.user.reader_id)]


@router.get("/feed")
def feed(
    caller: Me,
    lib: Lib,
    days: int = Query(7, ge=1, le=3650),
    limit: int = Query(10, ge=1, le=100),
) -> dict[str, Any]:
    """The feed; a GET changes nothing (POST /api/feed/shown says what was shown)."""
    settings = FeedSettings(days=days, limit=limit)
    ranked, problem = service.feed(lib, caller.user, settings)
    return {"hits": [_hit(h) for h in ranked.hits], "problem": problem}


@router.post("/feed/shown")
def feed_shown(body: ShownIn, caller: Me, lib: Lib) -> dict[str, int]:
    """Mark papers as shown to the caller: later feeds leave them out."""
    return {"marked": service.mark_shown(lib.store(), caller.user, body.papers)}


@router.post("/feedback")
def feedback(body: FeedbackIn, caller: Me, lib: Lib) -> dict[str, Any]:
    pid = lib.store().resolve_paper_id(body.paper)
    found: Paper = service.feedback(lib, caller.user, pid if pid is not None else -1, body.verdict)
    return {"paper": found.id, "verdict": body.verdict}


@router.get("/profile")
def profile(caller: Me, lib: Lib) -> dict[str, Any]:
    p = service.profile(lib.store(), caller.user)
    return {
        "name": p.user.name,
        "authors": p.authors,
        "signals": [
            {"paper": paper.id, "title": paper.title, "kind": s.kind, "label": s.label, "at": s.at}
            for s, paper in p.signals
        ],
    }


@router.post("/profile/authors")
def add_author(body: NameIn, caller: Me, lib: Lib) -> dict[str, int]:
    return {"own_papers_found": service.add_author(lib, caller.user, body.name)}


@router.post("/profile/papers")
def add_papers(body: PapersIn, caller: Me, lib: Lib) -> dict[str, Any]:
    """Papers for the caller's profile: found in the library, or added as the caller's own
    (private: nobody else can find, open or be recommended them)."""
    done = service.add_papers(lib, caller.user, body.filename, body.text.encode("utf-8"))
    return {"read": done.read, "found": done.found, "new": done.new, "papers": done.paper_ids}


@router.delete("/profile/signals/{paper_id}")
def remove_signal(paper_id: int, caller: Me, lib: Lib) -> dict[str, bool]:
    service.remove_signal(lib.store(), caller.user, paper_id)
    return {"removed": True}


@router.get("/saved-searches")
def saved_searches(caller: Me, lib: Lib) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "name": s.name, "query": s.query, "mode": s.mode}
        for s in lib.store().saved_searches(caller.user.id)
    ]


@router.post("/saved-searches")
def save_search(body: SavedSearchIn, caller: Me, lib: Lib) -> dict[str, Any]:
    s = service.save_search(lib.store(), caller.user, body.name, body.query, body.mode)
    return {"id": s.id, "name": s.name, "query": s.query, "mode": s.mode}


@router.get("/saved-searches/{search_id}/results")
def saved_search_results(search_id: int, caller: Me, lib: Lib) -> dict[str, Any]:
    s = service.saved_search(lib.store(), caller.user, search_id)
    hits, notes = service.search(lib, s.query, s.mode, reader_id=caller.user.reader_id)
    return {"hits": [_hit(h) for h in hits], "notes": notes}


@router.delete("/saved-searches/{search_id}")
def remove_saved_search(search_id: int, caller: Me, lib: Lib) -> dict[str, bool]:
    service.remove_saved_search(lib.store(), caller.user, search_id)
    return {"removed": True}


@router.get("/tokens")
def tokens(caller: Me, lib: Lib) -> list[dict[str, Any]]:
    return [
        {"id": i, "name": n, "created_at": at}
        for i, n, at in lib.store().api_tokens(caller.user.id)
    ]


@router.post("/tokens")
def new_token(body: TokenIn, caller: Me, lib: Lib) -> dict[str, str]:
    return {"token": Accounts(lib.store()).new_api_token(caller.user, body.name, body.days)}


@router.delete("/tokens/{token_id}")
def remove_token(token_id: int, caller: Me, lib: Lib) -> dict[str, bool]:
    service.remove_token(lib.store(), caller.user, token_id)
    return {"removed": True}
