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
from papersift.web.app import Caller, Library, api_caller, library

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
    name: str


class SavedSearchIn(BaseModel):
    name: str
    query: str
    mode: Literal["hybrid", "lexical", "semantic"] = "hybrid"


@router.get("/me")
def me(caller: Me) -> dict[str, Any]:
    u = caller.user
    return {"name": u.name, "email": u.email, "role": u.role, "created_at": u.created_at}


@router.get("/search")
def search(
    caller: Me,
    lib: Lib,
    q: str,
    mode: Literal["hybrid", "lexical", "semantic"] = "hybrid",
    since: str = "",
    until: str = "",
    author: str = "",
) -> dict[str, Any]:
    hits, notes = service.search(lib, q, mode, since, until, author)
    return {"hits": [_hit(h) for h in hits], "notes": notes}


@router.get("/papers/{ident}")
def paper(ident: str, caller: Me, lib: Lib) -> dict[str, Any]:
    found, merges = service.paper(lib.store(), ident)
    return {**_paper(found), "merges": [list(m) for m in merges]}


@router.get("/papers/{ident}/similar")
def similar(ident: str, caller: Me, lib: Lib, limit: int = Query(6, ge=1, le=50)) -> list[Any]:
    found, _ = service.paper(lib.store(), ident)
    return [_hit(h) for h in service.similar(lib, found.id, limit)]


@router.get("/feed")
def feed(
    caller: Me,
    lib: Lib,
    days: int = Query(7, ge=1, le=3650),
    limit: int = Query(10, ge=1, le=100),
    mark_shown: bool = False,
) -> dict[str, Any]:
    settings = FeedSettings(days=days, limit=limit)
    if mark_shown:
        hits = lib.recommender().feed(caller.user.name, settings, mark_shown=True)
        return {"hits": [_hit(h) for h in hits], "problem": None}
    ranked, problem = service.feed(lib, caller.user, settings)
    return {"hits": [_hit(h) for h in ranked.hits], "problem": problem}


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
    hits, notes = service.search(lib, s.query, s.mode)
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
def new_token(body: NameIn, caller: Me, lib: Lib) -> dict[str, str]:
    return {"token": Accounts(lib.store()).new_api_token(caller.user, body.name)}


@router.delete("/tokens/{token_id}")
def remove_token(token_id: int, caller: Me, lib: Lib) -> dict[str, bool]:
    service.remove_token(lib.store(), caller.user, token_id)
    return {"removed": True}
